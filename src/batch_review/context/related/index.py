"""The symbol index of the repository at the head commit, built lazily from one scan.

`changed_file` reads what a changed file uses and which of its definitions the change modifies; the words that
names (`wanted_words`) are what the scan looks for, so only files that could define or call them are ever
read, and a file is parsed only when a candidate is looked up in it. A file whose content is binary, too large,
generated, minified or holds a secret (`filters.content_reason`) is never parsed, hence never shown.
"""

from __future__ import annotations

import builtins
import dataclasses
import posixpath
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field

from ... import linear
from ...diff import FileDiff
from ...filters import content_reason
from ...secret_scan import find_secret
from ..languages import Grammar, grammar_for
from .flow import MEMBER, assigned, calls_passing, member_name, statement, stored_defaults
from .flow import text as flow_text
from .imports import IMPORT_AWARE, Binding, Imports, Paths, go_module_path, read_imports
from .tags import Definition, FileTags, Use, file_tags

_OTHER_GLOBALS = (
    "self cls this super console Object Array JSON Math Promise Error String Number Boolean Date Map Set "
    "Symbol RegExp require module exports window document process undefined null true false len cap make new "
    "append copy delete panic recover print println string int int64 int32 uint byte rune float64 error bool "
    "nil iota any")
_GLOBALS = frozenset(dir(builtins)) | frozenset(_OTHER_GLOBALS.split())
_DISTINCT = linear.compile(r"^(?:[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*|[A-Z][A-Z0-9_]{2,})$")  # CapWords, UPPER_CASE
MIN_FALLBACK_NAME = 4  # a name matched by name alone must be at least this long (`get` is in every file)
MAX_FILES_PER_NAME = 25  # files parsed to look a name up by name alone
MIN_MEMBER = 5  # characters: a shorter member (`name`, `data`) is too common to follow to where it is set
_SELF = frozenset({"self", "this", "cls", "super"})
_CONTAINER_KINDS = frozenset({"class", "interface", "module", "struct", "enum", "type"})


@dataclass
class Change:
    """One changed file of the plan, as the index sees it."""

    path: str
    language: str
    tags: FileTags
    imports: Imports
    uses: list[Use]
    changed: list[tuple[Definition, bool]]  # a definition the change modifies, and whether its signature changed

    def lookups(self) -> list[Use]:
        """The uses worth looking up in other files (each name once, with its qualifier)."""
        top = {d.name for d in self.tags.definitions if d.top}
        inner = {d.name for d in self.tags.definitions if not d.top}
        seen: dict[tuple[str, str], Use] = {}
        for use in self.uses:
            if use.name in top or len(use.name) < 2:  # a name this file defines: most likely its own
                continue
            if use.name in inner and (use.qualifier or use.name not in self.imports):
                continue  # `x.run()` where this file defines a method `run` (a bare imported name is not it)
            if not use.qualifier and use.name in _GLOBALS and use.name not in self.imports:
                continue
            seen.setdefault((use.qualifier, use.name), use)
        return list(seen.values())

    def members(self) -> set[str]:
        """Members the changed or deleted lines read on an object other than `self` or a module (`ctx.params`,
        `rule.merge_slashes`): their setters in the imported modules are worth showing."""
        return {u.name for u in self.uses if u.qualifier and not (u.near or u.called or u.chained)
                and u.qualifier.split(".")[0] not in _SELF and u.qualifier not in self.imports
                and len(u.name) >= MIN_MEMBER}

    def stored(self) -> dict[str, set[str]]:
        """For each constant the change modifies: the attributes a function of the file stores it in, as a
        parameter's default (`self.remove_headers = …remove_headers…` with `remove_headers=DEFAULT_…`)."""
        return {d.name: {a for a in stored_defaults(self.tags.root, d.name) if len(a) >= MIN_MEMBER}
                for d, _ in self.changed if d.kind == "constant" and len(d.name) >= MIN_MEMBER}

    def may_fall_back(self, use: Use) -> bool:
        """A name matched by name alone: called or spelled like a type or a constant, long enough, not a global."""
        if len(use.name) < MIN_FALLBACK_NAME or use.name in _GLOBALS:
            return False
        if self.language in IMPORT_AWARE and use.qualifier and use.qualifier in self.imports:
            return False  # a member of an imported module: resolved, or outside the repository
        if self.language in IMPORT_AWARE and not use.qualifier and use.name in self.imports:
            return False
        return use.called or bool(_DISTINCT.match(use.name))


def changed_file(path: str, head: bytes, diff: FileDiff) -> Change | None:
    """What a changed file uses on its changed lines and which definitions the change touches; None for a file in
    a language without a grammar. Besides the changed lines' own names: those of the short statement they belong
    to (a call whose argument changed, the body of a changed condition), the callees a value they assign is passed
    to later in the same definition, and the names (and imports) on deleted lines: a removed check or call is as
    much part of the change as an added one."""
    grammar = grammar_for(path, head)
    if grammar is None:
        return None
    try:
        tags = file_tags(path, grammar, head)
    except (ImportError, ValueError, RuntimeError):
        return None
    rows = sorted({r.new - 1 for r in diff.rows if r.kind == "+" and r.new is not None})
    uses: list[Use] = []
    for first, last in _runs(rows):
        uses += tags.names_in(first, last)
    uses += _around(tags, rows)
    imports = read_imports(grammar.name, path, tags.root)
    deletions = _deleted(path, grammar, diff)
    removed: list[tuple[Definition, bool]] = []
    for deletion in deletions:
        uses += deletion.uses
        for local, binding in deletion.bindings.items():
            imports.bindings.setdefault(local, binding)  # a name the head still imports keeps the head's import
        holders = [d for d in tags.definitions if deletion.before is not None and d.start <= deletion.before
                   and (deletion.after or 0) <= d.end]
        if any(d.kind not in _CONTAINER_KINDS for d in holders):
            continue  # deleted inside a function (or a constant): what it defined was local to it
        removed += [(dataclasses.replace(d, top=not holders), True) for d in deletion.removed
                    if not tags.defined(d.name) and (d.kind != "constant" or not holders)]
    changed = _modified(tags, set(rows), deletions) + removed
    return Change(path, grammar.name, tags, imports, uses, changed)


def _around(tags: FileTags, rows: list[int]) -> list[Use]:
    """Names beside the changed rows: the rest of their short statements, and the callees their assigned names
    are passed to further down the same definition."""
    changed = set(rows)
    extra: set[int] = set()
    for row in {row for run in _runs(rows) for row in run}:  # a statement that leaves a run holds one of its ends
        first, last = statement(tags.root, row, tags.grammar.functions)
        extra.update(range(first, last + 1))
    uses = [dataclasses.replace(u, near=True) for first, last in _runs(sorted(extra - changed))
            for u in tags.names_in(first, last)]
    for first, last in _runs(rows):
        names = assigned(tags.root, first, last)
        holder = tags.enclosing(first)
        if not names or holder is None:
            continue
        for callee, row in calls_passing(tags.root, names, last + 1, holder.end):
            member = member_name(callee)
            owner = callee.child_by_field_name(MEMBER[callee.type][0]) if member is not None else None
            qualifier = "" if owner is None else (flow_text(owner) if flow_text(owner).isidentifier() else "?")
            name = member if member is not None else flow_text(callee)
            if name.isidentifier():
                uses.append(Use(name, row, qualifier, called=True, near=True))
    return uses


@dataclass
class _Deletion:
    before: int | None  # the head rows on either side of the deleted run
    after: int | None
    uses: list[Use]
    bindings: dict[str, Binding]  # the imports it deleted
    removed: list[Definition]  # whole definitions the run deleted (their rows are the fragment's)
    replaced: bool = False  # added lines follow it directly


def _deleted(path: str, grammar: Grammar, diff: FileDiff) -> list[_Deletion]:
    """Each run of deleted lines, parsed on its own (dedented): the names it used, the imports it held, and the
    definitions it removed whole."""
    found: list[_Deletion] = []
    run: list[str] = []
    before: int | None = None
    for row in [*diff.rows, None]:
        if row is not None and row.kind == "-":
            run.append(row.text)
            continue
        after = row.new - 1 if row is not None and row.new is not None else None
        if run:
            prefix = "package deleted\n" if grammar.name == "go" else ""  # a Go file's imports follow its package
            source = (prefix + textwrap.dedent("\n".join(run))).encode("utf-8", "surrogateescape")
            try:
                fragment: FileTags | None = file_tags(path, grammar, source)
            except (ImportError, ValueError, RuntimeError):
                fragment = None
            deletion = _Deletion(before, after, [], {}, [], replaced=row is not None and row.kind == "+")
            if fragment is not None:
                deletion.bindings = read_imports(grammar.name, path, fragment.root).bindings
                anchor = before if before is not None else (after or 0)
                deletion.uses = [dataclasses.replace(u, row=anchor)
                                 for u in fragment.names_in(1 if prefix else 0, len(fragment.lines) - 1)]
                deletion.removed = [d for d in fragment.definitions if d.top]
            found.append(deletion)
            run = []
        if row is not None and row.new is not None:
            before = row.new - 1
    return found


def _gaps(deletions: list[_Deletion]) -> list[tuple[int, int, bool]]:
    """Each pure deletion's head rows on either side, and whether it removed whole definitions (a deletion
    replaced by added lines is those lines' change)."""
    gaps = []
    for deletion in deletions:
        before = deletion.before if deletion.before is not None else deletion.after
        after = deletion.after if deletion.after is not None else deletion.before
        if not deletion.replaced and before is not None and after is not None:
            gaps.append((before, after, bool(deletion.removed)))
    return gaps


def _modified(tags: FileTags, rows: set[int], deletions: list[_Deletion]) -> list[tuple[Definition, bool]]:
    """The innermost definitions holding a changed row or a deletion, and whether their signature changed (a class
    is modified by its own lines, not by its methods'; a changed constructor signature changes the class's). A
    deletion belongs to the definition holding both its sides, else to the one it ends (a deleted last line),
    else to the one it starts; it changes a signature only when both its sides are in it (a deleted parameter).
    A deletion of whole definitions modifies only the definition holding both its sides (a method deleted from
    its class); what it removed is the change's own (`changed_file`)."""
    changed: dict[Definition, bool] = {}

    def mark(holding: list[Definition], first: int, last: int) -> None:
        inner = max(holding, key=lambda d: (d.start, -d.end))
        header = inner.header[0] <= first and last <= inner.header[1]
        changed[inner] = changed.get(inner, False) or header
        if header and inner.name in ("__init__", "constructor") and inner.scope is not None:
            for owner in (d for d in tags.definitions if d.header == inner.scope):
                changed[owner] = True

    for row in rows:
        holding = [d for d in tags.definitions if d.start <= row <= d.end]
        if holding:
            mark(holding, row, row)
    for before, after, removed in _gaps(deletions):
        both = [d for d in tags.definitions if d.start <= before and after <= d.end]
        if both:
            mark(both, before, after) if not removed else mark(both, -1, -1)
        elif not removed:
            ends = [d for d in tags.definitions if d.start <= before <= d.end]
            starts = [d for d in tags.definitions if d.start <= after <= d.end]
            if ends or starts:
                mark(ends or starts, -1, -1)  # its body, not its signature
    return sorted(changed.items(), key=lambda item: (item[0].start, item[0].name))


def wanted_words(changes: Iterable[Change]) -> set[str]:
    """Every name a lookup may need: imported names, members of imported modules, names matched by name alone,
    and the names of the definitions the change modifies (to find their callers)."""
    words: set[str] = set()
    for change in changes:
        for use in change.lookups():
            binding = change.imports.bindings.get(use.name) if not use.qualifier else None
            if binding is not None and binding.name not in (None, "default"):
                words.add(binding.name)
            elif (binding is not None or (use.qualifier and use.qualifier in change.imports)
                  or (change.language == "go" and not use.qualifier) or change.may_fall_back(use)):
                words.add(use.name)
        words.update(d.name for d, _ in change.changed if len(d.name) >= 2)
        words.update(change.members())
        words.update(a for attributes in change.stored().values() for a in attributes)
    return words


@dataclass
class Index:
    paths: Paths
    contents: dict[str, bytes]
    _tags: dict[str, FileTags | None] = field(default_factory=dict)
    _imports: dict[str, Imports] = field(default_factory=dict)
    _holding: dict[str, list[str]] = field(default_factory=dict)
    _defining: dict[str, int] = field(default_factory=dict)
    parsed: int = 0

    @classmethod
    def of(cls, paths: list[str], contents: dict[str, bytes]) -> Index:
        index = cls(Paths(paths), contents)
        for path, data in contents.items():
            if posixpath.basename(path) == "go.mod":
                module = go_module_path(data)
                if module:
                    index.paths.go_modules[posixpath.dirname(path)] = module
        return index

    def tags(self, path: str) -> FileTags | None:
        if path not in self._tags:
            data = self.contents.get(path)
            grammar = grammar_for(path, data) if data is not None and _showable(data) else None
            found = None
            if grammar is not None and data is not None:
                try:
                    found = file_tags(path, grammar, data)
                    self.parsed += 1
                except (ImportError, ValueError, RuntimeError):
                    found = None
            self._tags[path] = found
        return self._tags[path]

    def imports(self, path: str) -> Imports:
        if path not in self._imports:
            tags = self.tags(path)
            self._imports[path] = read_imports(tags.grammar.name, path, tags.root) if tags else Imports()
        return self._imports[path]

    def holding(self, name: str) -> list[str]:
        """Files whose text holds `name` (a byte search), nearest folders first is up to the caller."""
        if name not in self._holding:
            needle = name.encode("utf-8", "surrogateescape")
            self._holding[name] = sorted(p for p, data in self.contents.items() if needle in data)
        return self._holding[name]

    def defining(self, name: str, near: str) -> list[tuple[str, Definition]]:
        """Definitions of `name` found by name alone, files nearest `near` first, at most MAX_FILES_PER_NAME files
        parsed; `definers` then counts how many files define it (a common name weighs less)."""
        folder = posixpath.dirname(near)
        ordered = sorted(self.holding(name), key=lambda p: (distance(folder, posixpath.dirname(p)), p))
        found: list[tuple[str, Definition]] = []
        files = 0
        for path in ordered[:MAX_FILES_PER_NAME]:
            tags = self.tags(path)
            hits = tags.defined(name) if tags is not None else []
            files += 1 if hits else 0
            found += [(path, d) for d in hits]
        self._defining[name] = files
        return found

    def definers(self, name: str) -> int:
        return self._defining.get(name, 0)


def distance(a: str, b: str) -> int:
    x, y = a.split("/") if a else [], b.split("/") if b else []
    common = 0
    while common < min(len(x), len(y)) and x[common] == y[common]:
        common += 1
    return len(x) + len(y) - 2 * common


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def _showable(data: bytes) -> bool:
    """A file that may be parsed and shown: not binary, large or generated, and holding no credential (the files
    under review are reviewed with theirs redacted; another file's is never shown at all)."""
    return content_reason(data) is None and find_secret(data) is None
