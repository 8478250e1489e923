"""The symbol index of the repository at the head commit, built lazily from one scan.

`changed_file` reads what a changed file uses and which of its definitions the change modifies; the words that
names (`wanted_words`) are what the scan looks for, so only files that could define or call them are ever
read, and a file is parsed only when a candidate is looked up in it. A file whose content is binary, too large,
generated, minified or holds a secret (`filters.content_reason`) is never parsed, hence never shown.
"""

from __future__ import annotations

import builtins
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field

from ... import linear
from ...diff import FileDiff
from ...filters import content_reason
from ...secret_scan import find_secret
from ..languages import grammar_for
from .imports import IMPORT_AWARE, Imports, Paths, go_module_path, read_imports
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
        local = {d.name for d in self.tags.definitions}
        seen: dict[tuple[str, str], Use] = {}
        for use in self.uses:
            if use.name in local or len(use.name) < 2:  # a name this file defines: most likely its own
                continue
            if not use.qualifier and use.name in _GLOBALS and use.name not in self.imports:
                continue
            seen.setdefault((use.qualifier, use.name), use)
        return list(seen.values())

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
    a language without a grammar."""
    grammar = grammar_for(path, head)
    if grammar is None:
        return None
    try:
        tags = file_tags(path, grammar, head)
    except (ImportError, ValueError, RuntimeError):
        return None
    rows = sorted({r.new - 1 for r in diff.rows if r.kind == "+" and r.new is not None})
    gaps = _deletion_rows(diff)
    uses: list[Use] = []
    for first, last in _runs(rows):
        uses += tags.names_in(first, last)
    touched = set(rows) | gaps
    changed = []
    for definition in tags.definitions:
        if any(definition.start <= r <= definition.end for r in touched):
            header = range(definition.header[0], definition.header[1] + 1)
            changed.append((definition, any(r in touched for r in header)))
    return Change(path, grammar.name, tags, read_imports(grammar.name, path, tags.root), uses, changed)


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


def _deletion_rows(diff: FileDiff) -> set[int]:
    """The head rows on either side of each deletion (a deleted line belongs to what surrounds it)."""
    rows: set[int] = set()
    previous = None
    for row in diff.rows:
        if row.kind == "-" and previous is not None and previous.new is not None:
            rows.add(previous.new - 1)
        if row.kind != "-" and previous is not None and previous.kind == "-" and row.new is not None:
            rows.add(row.new - 1)
        previous = row
    return rows


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
