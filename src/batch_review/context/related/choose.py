"""The code from other files one changed file calls for, ranked, and a request's share cut to its budget.

Candidates, for a changed file (`index.Change`: the names on its changed and deleted lines, those beside them at
half weight, and its innermost modified definitions):
- **uses** (what the change uses, defined in another file): a name imported from a module of the repository is
  looked up in that module only (`from .util import parse` → `parse` in `util.py`; `mod.parse` where `mod` is an
  imported module; in Go, `pkg.Parse` in the package's folder, and an unqualified name in the file's own package
  folder). Other names (another language, or not imported) are matched by name in the files that hold them,
  nearest folders first.
- **callers** (what calls a definition the change modifies or deletes): the references to its name in other
  files; for a top-level definition in Python, JS/TS or Go only from files that import it (or its module, or are
  in its Go package), so a same-named function elsewhere is not taken for it. Methods are matched by name; a
  function nested in another has none.
- **setters, a changed constant's readers, peers** (`follow.py`): where a member the change reads is set, who
  reads a changed constant (or the attribute it is a default of), the other call sites of what it calls.

Score (higher first; kept small on purpose):
    base    3.0 a caller of a definition whose signature changed, 1.5 of one whose body changed,
            2.0 a definition the changed lines use (×1.25 for a constant, type, enum, interface or class),
            1.5 a changed constant's reader, 1.0 a setter, 0.4 × shared names a peer call site
    × 0.5   a name beside the changed lines, not on them
    × 0.3   found by name alone (not through an import), and then × 0.1 more if more than 5 files define the
            name or it starts with `_` (aider's repository-map weights); a site in a test file
    × √n    n = how often the changed lines use the name (at most 3)
Items scoring below MIN_SCORE are left out however much budget is left: what is added must be chosen (a body
change's callers found by name alone, a name that five files define). A definition is shown whole when it is at
most SHORT_BODY lines, else its signature and docstring; a call site as the caller's header and the call's lines.
"""

from __future__ import annotations

import math
from collections import defaultdict

from ...diff import Row
from ...plan import CHARS_PER_TOKEN
from ...prompt import render_rows
from .follow import caller_files, calling_names, follow, peers
from .imports import IMPORT_AWARE, module_files
from .index import Change, Index
from .model import RelatedItem
from .picks import MAX_HEADER, Pick, sites
from .tags import Definition, FileTags, Use

SHORT_BODY = 25  # lines: a definition this short is shown whole
MAX_DOC = 12  # docstring lines shown
MIN_SCORE = 0.5
NEAR = 0.5  # a name beside the changed lines (their statement, a call their value goes to), not on them
TYPES = frozenset({"constant", "type", "enum", "interface", "class", "struct"})


def candidates(change: Change, index: Index) -> list[RelatedItem]:
    callees: list[tuple[str, Definition]] = []
    picks = _uses(change, index, callees) + _callers(change, index) + follow(change, index)
    picks += peers(change, callees, index)
    best: dict[tuple[str, tuple[int, ...]], Pick] = {}
    for pick in picks:
        key = (pick.path, pick.rows)
        if key not in best or best[key].score < pick.score:
            best[key] = pick
    items = [_item(p, index.tags(p.path)) for p in best.values() if p.score >= MIN_SCORE]
    return sorted((i for i in items if i is not None), key=lambda i: (-i.score, i.path, i.first))


def fit(items: list[RelatedItem], budget: int) -> list[RelatedItem]:
    """The best items whose tokens add up to at most `budget` (one that does not fit is passed over)."""
    chosen: list[RelatedItem] = []
    seen: set[tuple[str, int, int]] = set()
    left = budget
    for item in items:
        key = (item.path, item.first, item.last)
        if key in seen or item.tokens > left:
            continue
        if any(c.path == item.path and c.first <= item.first and item.last <= c.last for c in chosen):
            continue  # already inside a chosen item
        chosen.append(item)
        seen.add(key)
        left -= item.tokens
    return chosen


# -- uses ----------------------------------------------------------------------------------------------
def _uses(change: Change, index: Index, callees: list[tuple[str, Definition]]) -> list[Pick]:
    """Definitions the changed lines use; `callees` gets those called and resolved through an import."""
    counts: dict[str, int] = defaultdict(int)
    on_lines: set[str] = set()
    for use in change.uses:
        counts[use.name] += 1
        if not use.near:
            on_lines.add(use.name)
    picks: list[Pick] = []
    for use in change.lookups():
        found, resolved = _resolve(change, use, index)
        if not found and not resolved and change.may_fall_back(use):
            found = [(p, d) for p, d in index.defining(use.name, change.path) if p != change.path
                     and (d.top or use.qualifier)]
            resolved = False
        weight = math.sqrt(min(counts[use.name], 3)) * (1.0 if use.name in on_lines else NEAR)
        if resolved and use.called:
            callees.extend(found)
        for path, definition in found:
            score = 2.0 * (1.25 if definition.kind in TYPES else 1.0) * weight
            how = "through an import" if resolved else "matched by name"
            if not resolved:
                score *= 0.3
                if index.definers(use.name) > 5 or use.name.startswith("_"):
                    score *= 0.1
            why = f"defines `{definition.name}`, which the changed lines use ({how})"
            picks.append(Pick(path, _definition_rows(definition), why, score))
    return picks


def _resolve(change: Change, use: Use, index: Index) -> tuple[list[tuple[str, Definition]], bool]:
    """Definitions an import (or Go's package) says `use` names, and whether the import resolved at all (an
    import of a package outside the repository resolves to nothing, and is not matched by name)."""
    if change.language not in IMPORT_AWARE:
        return [], False
    bindings = change.imports.bindings
    binding = bindings.get(use.qualifier) if use.qualifier else bindings.get(use.name)
    if binding is None:
        if change.language == "go" and not use.qualifier:  # the file's own package: its folder
            folder = change.path.rsplit("/", 1)[0] if "/" in change.path else ""
            files = [p for p in index.paths.by_dir.get(folder, []) if p.endswith(".go") and p != change.path
                     and not p.endswith("_test.go")]
            return _top(index, files, use.name), bool(files)
        return [], False
    files, name = module_files(change.language, binding, index.paths, change.path)
    files = [f for f in files if f != change.path]
    if not files:
        return [], True  # outside the repository
    if use.qualifier:
        return (_top(index, files, use.name) if name is None else []), True
    if name is None:
        return [], True  # the module itself, used as a value
    found = _top(index, files, name) if name != "default" else []
    return found or _top(index, files, use.name), True


def _top(index: Index, files: list[str], name: str) -> list[tuple[str, Definition]]:
    found = []
    for path in files:
        tags = index.tags(path)
        found += [(path, d) for d in (tags.defined(name) if tags else []) if d.top]
    return found


# -- callers -------------------------------------------------------------------------------------------
def _callers(change: Change, index: Index) -> list[Pick]:
    picks: list[Pick] = []
    for definition, signature in change.changed:
        if definition.kind not in ("function", "method", "class", *TYPES) or len(definition.name) < 2 \
                or definition.nested:
            continue  # a function inside a function: no other file can call it
        what = "signature" if signature else "code"
        base = 3.0 if signature else 1.5
        for path in caller_files(change.path, change.language, definition.name, definition.top, index):
            tags = index.tags(path)
            if tags is None:
                continue
            names, by_import = calling_names(change.path, change.language, definition, path, index)
            if not names:
                continue
            refs = [u.row for n in names for u in tags.references(n)]
            score = base * (1.0 if by_import else 0.3)
            why = f"calls `{definition.name}`, whose {what} this change modifies"
            picks += sites(path, tags, refs, why, score)
    return picks


# -- rendering -----------------------------------------------------------------------------------------
def _definition_rows(definition: Definition) -> tuple[int, ...]:
    if definition.end - definition.start + 1 <= SHORT_BODY:
        rows = set(range(definition.start, definition.end + 1))
    else:
        rows = set(range(definition.start, min(definition.header[1], definition.header[0] + MAX_HEADER - 1) + 1))
        if definition.doc is not None:
            rows.update(range(definition.doc[0], min(definition.doc[1], definition.doc[0] + MAX_DOC - 1) + 1))
    if definition.scope is not None:
        rows.update(range(definition.scope[0], definition.scope[1] + 1))
    return tuple(sorted(rows))


def _item(pick: Pick, tags: FileTags | None) -> RelatedItem | None:
    if tags is None or not pick.rows:
        return None
    rows, hunk, previous = [], 0, None
    for row in pick.rows:
        if row >= len(tags.lines):
            continue
        if previous is not None and row != previous + 1:
            hunk += 1
        text = tags.lines[row].decode("utf-8", "replace").removesuffix("\r")
        rows.append(Row(" ", text, row + 1, None, hunk))
        previous = row
    if not rows:
        return None
    first, last = rows[0].new or 0, rows[-1].new or 0
    header = f"### {_quoted(pick.path)} lines {first}-{last}: {pick.why}"
    text = "\n".join([header, *render_rows(rows)])
    return RelatedItem(pick.path, first, last, pick.why, text, estimate(text), round(pick.score, 4))


def estimate(text: str) -> int:
    """Tokens of text as sent: characters / CHARS_PER_TOKEN (the plan's estimator), plus a newline."""
    return math.ceil((len(text) + 1) / CHARS_PER_TOKEN)


def _quoted(path: str) -> str:
    import json

    return json.dumps(path, ensure_ascii=False)
