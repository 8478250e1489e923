"""Candidates that follow a value rather than a name's definition (issue #15.3 (b) and (c) beyond definitions):

- **setters**: a member the changed (or deleted) lines read on an object (`ctx.params[name]`, `rule.merge_slashes`)
  is shown where the modules the file imports set it (`ctx.params[self.name] = value`, `self.merge_slashes = …`):
  whether the value is always there, and what it means, is decided there. Only in files an import of the changed
  file resolves to, and only a member set in at most MAX_SETTERS places per file (a common one is not a contract).
- **a changed constant's readers**: the places in other files (that import its module) naming a constant the change
  modifies, and the places reading an attribute that a function stores the constant in as a parameter's default
  (`remove_headers=DEFAULT_REMOVE_HEADERS` stored as `self.remove_headers`, read as `retries.remove_headers`).
- **peers**: the other call sites of a function that the changed statement calls through an import, when a site
  shares at least MIN_SHARED other names with the changed statement (`headers["Proxy-Authorization"] =
  _basic_auth_str(username, password)` elsewhere): how the rest of the repository does the same thing.

Scores sit below a definition the changed lines use (2.0) and a signature change's callers (3.0); a test file's
site is weighted down (`picks.TEST_WEIGHT`).
"""

from __future__ import annotations

import posixpath

from .flow import member_sites, statement
from .imports import IMPORT_AWARE, module_files
from .index import MAX_FILES_PER_NAME, Change, Index, distance
from .picks import Pick, sites
from .tags import Definition

MAX_CALLER_FILES = 200  # files parsed to find the callers of one definition
MAX_SETTERS = 6  # a member set in more places of one file is too common to explain the change
MIN_SHARED = 2  # names a peer call site must share with the changed statement
MAX_PEERS = 3  # peer call sites shown per callee
SETTER, READER, PEER = 1.0, 1.5, 0.4


def follow(change: Change, index: Index) -> list[Pick]:
    return _setters(change, index) + _readers(change, index)


# -- setters -------------------------------------------------------------------------------------------
def _setters(change: Change, index: Index) -> list[Pick]:
    members = sorted(change.members())
    if not members:
        return []
    files: list[str] = []
    for binding in change.imports.bindings.values():
        found, _ = module_files(change.language, binding, index.paths, change.path)
        files += [f for f in found if f != change.path and f not in files]
    picks: list[Pick] = []
    for name in members:
        for path in files:
            tags = index.tags(path)
            if tags is None or name.encode() not in index.contents.get(path, b""):
                continue
            writes, _ = member_sites(tags.root, name)
            if 0 < len(writes) <= MAX_SETTERS:
                picks += sites(path, tags, writes, f"sets `{name}`, which the changed lines read", SETTER)
    return picks


# -- readers of a changed constant ---------------------------------------------------------------------
def _readers(change: Change, index: Index) -> list[Pick]:
    picks: list[Pick] = []
    for constant, attributes in change.stored().items():
        for path in caller_files(change.path, change.language, constant, True, index):
            tags = index.tags(path)
            if tags is not None:
                rows = [u.row for u in tags.names_in(0, len(tags.lines) - 1) if u.name == constant]
                picks += sites(path, tags, rows, f"uses `{constant}`, whose value this change modifies", READER)
        for attribute in sorted(attributes):
            for path in caller_files(change.path, change.language, attribute, True, index):
                tags = index.tags(path)
                if tags is not None:
                    _, reads = member_sites(tags.root, attribute)
                    why = f"reads `{attribute}`, which takes the changed `{constant}` as its default"
                    picks += sites(path, tags, reads, why, READER)
    return picks


# -- peers ---------------------------------------------------------------------------------------------
def peers(change: Change, callees: list[tuple[str, Definition]], index: Index) -> list[Pick]:
    """Other call sites of `callees` (resolved through an import) that look like the changed statement."""
    mine = {u.name for u in change.uses}
    picks: list[Pick] = []
    for home, definition in callees:
        if definition.kind not in ("function", "method") or not definition.top:
            continue
        scored: list[tuple[int, Pick]] = []
        for path in caller_files(home, change.language, definition.name, True, index):
            tags = index.tags(path)
            if path == change.path or tags is None:
                continue
            names, by_import = calling_names(home, change.language, definition, path, index)
            if not names or not by_import:
                continue
            for use in (u for n in names for u in tags.references(n)):
                first, last = statement(tags.root, use.row, tags.grammar.functions)
                shared = {u.name for u in tags.names_in(first, last)} & mine - {definition.name, *names}
                if len(shared) >= MIN_SHARED:
                    why = f"also calls `{definition.name}`, as the changed lines do"
                    scored += [(len(shared), p) for p in
                               sites(path, tags, list(range(first, last + 1)), why, PEER * min(len(shared), 4))]
        picks += [p for _, p in sorted(scored, key=lambda s: (-s[0], s[1].path, s[1].rows))[:MAX_PEERS]]
    return picks


# -- who may call a definition -------------------------------------------------------------------------
def caller_files(home: str, language: str, name: str, top: bool, index: Index) -> list[str]:
    """Files that may call `name` defined in `home`, nearest first: for a top-level definition in an import-aware
    language, those whose text also names its module (an import must: `sizes` of `pkg/sizes.py`, the folder of a
    Go package or of an `__init__.py`), at most MAX_CALLER_FILES; else those nearest the change, at most
    MAX_FILES_PER_NAME (a method's name is matched alone: `run` is defined everywhere)."""
    folder = posixpath.dirname(home)
    paths = [p for p in index.holding(name) if p != home]
    if language in IMPORT_AWARE and top:
        stem = posixpath.basename(home).split(".", 1)[0]
        if stem in ("__init__", "index") or language == "go":
            stem = posixpath.basename(folder)
        needle = stem.encode("utf-8", "surrogateescape")
        same = [p for p in paths if posixpath.dirname(p) == folder]
        paths = same + [p for p in paths if posixpath.dirname(p) != folder and needle in index.contents[p]]
        return paths[:MAX_CALLER_FILES]
    return sorted(paths, key=lambda p: (distance(folder, posixpath.dirname(p)), p))[:MAX_FILES_PER_NAME]


def calling_names(home: str, language: str, definition: Definition, path: str, index: Index) -> tuple[list[str], bool]:
    """The names under which `path` may call `definition` (defined in `home`) and whether an import says so; none
    when an import-aware language says `path` cannot see it."""
    caller = index.tags(path)
    if caller is None:
        return [], False
    if language not in IMPORT_AWARE or not definition.top or caller.grammar.name not in IMPORT_AWARE:
        return [definition.name], False
    if language == "go":
        same = path.rsplit("/", 1)[0] == home.rsplit("/", 1)[0] if "/" in path else "/" not in home
        if same:
            return [definition.name], True
    names = []
    for local, binding in index.imports(path).bindings.items():
        files, name = module_files(caller.grammar.name, binding, index.paths, path)
        if home not in files:
            continue
        if name is None:  # the module: called as `mod.name`
            names.append(definition.name)
        elif name == definition.name or name == "default":
            names.append(local)
    return sorted(set(names)), True
