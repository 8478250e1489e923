"""What a file imports, and which files of the repository those imports name (Python, JavaScript/TypeScript, Go).

Read from the syntax tree, never by running anything: `import a.b as c`, `from .x import y as z` (relative to
the file's package; an absolute module may live under a source folder such as `src/`), `import {a as b} from
'./c'`, `import * as ns from '../d'`, `const {e} = require('./f')`, and Go's `import u "<module>/pkg/util"`
(a package of the module named in the nearest `go.mod`: every non-test `.go` file of that folder). Imports of
packages outside the repository are known too, so that their names are not matched by name elsewhere.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

IMPORT_AWARE = frozenset({"python", "javascript", "typescript", "tsx", "go"})
_JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".d.ts")


@dataclass(frozen=True)
class Binding:
    """`local` names `name` of the module at `target` (None: the module itself)."""

    local: str
    target: str  # python: a dotted module, or "/stem" relative to the repository's top; js: "/stem"; go: a path
    name: str | None


@dataclass
class Imports:
    bindings: dict[str, Binding] = field(default_factory=dict)

    def __contains__(self, local: str) -> bool:
        return local in self.bindings


class Paths:
    """Every file path at the head commit, looked up by folder and by module stem."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.all = set(paths)
        self.by_dir: dict[str, list[str]] = defaultdict(list)
        self.by_stem: dict[str, list[str]] = defaultdict(list)  # "a/b/c" -> ["src/a/b/c.py", …] (any prefix)
        for path in sorted(self.all):
            folder = posixpath.dirname(path)
            self.by_dir[folder].append(path)
            if path.endswith((".py", ".pyi")):
                stem = path.rsplit(".", 1)[0]
                if stem.endswith("/__init__") or stem == "__init__":
                    stem = stem[: -len("__init__")].rstrip("/")
                parts = stem.split("/")
                for i in range(len(parts)):
                    self.by_stem["/".join(parts[i:])].append(path)
        self.go_modules: dict[str, str] = {}  # folder of a go.mod -> its module path (filled by the caller)


def read_imports(language: str, path: str, root: Node) -> Imports:
    found = Imports()
    if language == "python":
        _python(path, root, found)
    elif language in ("javascript", "typescript", "tsx"):
        _javascript(path, root, found)
    elif language == "go":
        _go(root, found)
    return found


def module_files(language: str, binding: Binding, paths: Paths, importer: str) -> tuple[list[str], str | None]:
    """The repository files `binding` names and the name it imports from them (None: the module itself)."""
    if language == "python":
        if binding.name is not None:  # `from pkg import mod`: a submodule when such a file exists
            sub = _python_files(f"{binding.target}{'/' if binding.target.startswith('/') else '.'}{binding.name}",
                                paths)
            if sub:
                return sub, None
        return _python_files(binding.target, paths), binding.name
    if language in ("javascript", "typescript", "tsx"):
        stem = binding.target.lstrip("/")
        for candidate in (stem, *(stem + e for e in _JS_EXTENSIONS), *(f"{stem}/index{e}" for e in _JS_EXTENSIONS)):
            if candidate in paths.all and not candidate.endswith("/"):
                return [candidate], binding.name
        if stem.endswith((".js", ".jsx", ".mjs", ".cjs")):  # TypeScript imports "./x.js" for ./x.ts
            base = stem.rsplit(".", 1)[0]
            for ext in (".ts", ".tsx", ".mts", ".cts"):
                if base + ext in paths.all:
                    return [base + ext], binding.name
        return [], binding.name
    if language == "go":
        folder = go_package_folder(binding.target, paths, importer)
        return ([p for p in paths.by_dir.get(folder, []) if _go_source(p)] if folder is not None else []), None
    return [], binding.name


def go_package_folder(import_path: str, paths: Paths, importer: str) -> str | None:
    """The folder of an import path inside the module that holds `importer` (None: another module)."""
    folder = posixpath.dirname(importer)
    while True:
        module = paths.go_modules.get(folder)
        if module is not None:
            if import_path == module:
                return folder
            if import_path.startswith(module + "/"):
                rest = import_path[len(module) + 1:]
                return posixpath.join(folder, rest) if folder else rest
            return None
        if not folder:
            return None
        folder = posixpath.dirname(folder)


def go_module_path(go_mod: bytes) -> str | None:
    for line in go_mod.decode("utf-8", "replace").splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "module":
            return words[1].strip('"')
    return None


def _go_source(path: str) -> bool:
    return path.endswith(".go") and not path.endswith("_test.go")


def _python_files(target: str, paths: Paths) -> list[str]:
    if target.startswith("/"):  # relative to the repository's top
        stem = target.lstrip("/")
        return [p for p in (f"{stem}.py", f"{stem}.pyi", f"{stem}/__init__.py") if p in paths.all]
    found = paths.by_stem.get(target.replace(".", "/"), [])
    # an absolute module: at the top, or under one source folder (src/, lib/, …), shortest first
    return sorted(found, key=lambda p: (p.count("/"), p))[:1] if found else []


# -- readers ------------------------------------------------------------------------------------------
def _text(node: Node | None) -> str:
    return (node.text or b"").decode("utf-8", "replace") if node is not None else ""


def _python(path: str, root: Node, found: Imports) -> None:
    """The module's own imports first, then those inside its definitions (`def f(): from .x import y`, the
    usual way around an import cycle): a module-level name is never shadowed by a function's."""
    _python_level(path, list(root.named_children), found, nested=False)
    _python_level(path, list(root.named_children), found, nested=True)


def _python_level(path: str, stack: list[Node], found: Imports, nested: bool) -> None:
    package = posixpath.dirname(path)
    inner = ("function_definition", "class_definition", "decorated_definition")
    while stack:
        node = stack.pop()
        if node.type in inner:
            if nested:
                stack.extend(node.named_children)
        elif node.type in ("if_statement", "try_statement", "block", "else_clause", "except_clause",
                           "finally_clause", "with_statement", "for_statement", "while_statement"):
            stack.extend(node.named_children)  # `try: import x / except ImportError: …`
        elif node.type == "import_statement":
            for item in node.children_by_field_name("name"):
                if item.type == "aliased_import":
                    module = _text(item.child_by_field_name("name"))
                    _bind(found, _text(item.child_by_field_name("alias")), module, None)
                else:
                    module = _text(item)
                    _bind(found, module.split(".")[0], module.split(".")[0], None)
                    if "." in module:
                        _bind(found, module, module, None)
        elif node.type == "import_from_statement":
            source = node.child_by_field_name("module_name")
            target = _python_module(source, package)
            for item in node.children_by_field_name("name"):
                if item.type == "aliased_import":
                    _bind(found, _text(item.child_by_field_name("alias")), target,
                          _text(item.child_by_field_name("name")))
                else:
                    _bind(found, _text(item).split(".")[-1], target, _text(item))


def _python_module(source: Node | None, package: str) -> str:
    if source is None or source.type != "relative_import":
        return _text(source)
    prefix = next((c for c in source.children if c.type == "import_prefix"), None)
    level = len(_text(prefix))
    base = package
    for _ in range(level - 1):
        base = posixpath.dirname(base)
    dotted = next((c for c in source.children if c.type == "dotted_name"), None)
    rest = _text(dotted).replace(".", "/")
    return "/" + posixpath.join(base, rest).strip("/") if rest or base else "/"


def _bind(found: Imports, local: str, target: str, name: str | None) -> None:
    if local and local not in found.bindings:
        found.bindings[local] = Binding(local, target, name)


def _javascript(path: str, root: Node, found: Imports) -> None:
    folder = posixpath.dirname(path)
    for node in root.named_children:
        statement = node
        if node.type == "import_statement":
            target = _js_target(folder, _string(node.child_by_field_name("source")))
            clause = next((c for c in node.named_children if c.type == "import_clause"), None)
            for part in clause.named_children if clause is not None else []:
                if part.type == "identifier":
                    _bind(found, _text(part), target, "default")
                elif part.type == "namespace_import":
                    names = [c for c in part.named_children if c.type == "identifier"]
                    if names:
                        _bind(found, _text(names[0]), target, None)
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        if spec.type == "import_specifier":
                            name = _text(spec.child_by_field_name("name"))
                            alias = spec.child_by_field_name("alias")
                            _bind(found, _text(alias) if alias is not None else name, target, name)
        elif statement.type in ("lexical_declaration", "variable_declaration"):
            for declarator in statement.named_children:
                _require(folder, declarator, found)


def _require(folder: str, declarator: Node, found: Imports) -> None:
    value = declarator.child_by_field_name("value")
    if declarator.type != "variable_declarator" or value is None or value.type != "call_expression":
        return
    if _text(value.child_by_field_name("function")) != "require":
        return
    arguments = value.child_by_field_name("arguments")
    strings = [c for c in arguments.named_children if c.type == "string"] if arguments is not None else []
    if not strings:
        return
    target = _js_target(folder, _string(strings[0]))
    name = declarator.child_by_field_name("name")
    if name is not None and name.type == "identifier":
        _bind(found, _text(name), target, None)
    elif name is not None and name.type == "object_pattern":
        for part in name.named_children:
            if part.type == "shorthand_property_identifier_pattern":
                _bind(found, _text(part), target, _text(part))
            elif part.type == "pair_pattern":
                _bind(found, _text(part.child_by_field_name("value")), target, _text(part.child_by_field_name("key")))


def _js_target(folder: str, spec: str) -> str:
    if spec.startswith("."):
        return "/" + posixpath.normpath(posixpath.join(folder, spec)).lstrip("./")
    return spec  # a package: outside the repository


def _string(node: Node | None) -> str:
    return _text(node).strip("'\"`") if node is not None else ""


def _go(root: Node, found: Imports) -> None:
    for declaration in root.named_children:
        if declaration.type != "import_declaration":
            continue
        specs = [c for c in declaration.named_children if c.type == "import_spec"]
        for listing in (c for c in declaration.named_children if c.type == "import_spec_list"):
            specs += [c for c in listing.named_children if c.type == "import_spec"]
        for spec in specs:
            target = _string(spec.child_by_field_name("path"))
            alias = spec.child_by_field_name("name")
            local = _text(alias) if alias is not None else target.rsplit("/", 1)[-1]
            if local not in ("_", "."):
                _bind(found, local, target, None)
