"""Which grammar parses a file, and what its definitions look like in that grammar's syntax tree.

Grammars come from the per-language wheels (`tree-sitter-python`, …), which carry their compiled
parser: nothing is downloaded at run time. They are imported on first use and their parsers cached,
so a run that never widens context never loads them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from .. import linear

if TYPE_CHECKING:
    from tree_sitter import Parser


@dataclass(frozen=True)
class Grammar:
    """Node types, by role. `functions` are named definitions; `anonymous` are function-like values
    (arrows, lambdas, blocks), which count as definitions when `bindings` give them a name;
    `containers` (classes, impls, namespaces) contribute their header lines; `wrappers` belong to the
    definition they wrap (decorators, `export`, templates, the declaration that names a value)."""

    name: str
    module: str
    loader: str
    functions: frozenset[str]
    anonymous: frozenset[str] = frozenset()
    bindings: frozenset[str] = frozenset()
    containers: frozenset[str] = frozenset()
    wrappers: frozenset[str] = frozenset()
    comment: tuple[str, ...] = ("//", "/*", "*")
    leading: tuple[str, ...] = ()  # line prefixes that belong to the definition below them


def _set(*names: str) -> frozenset[str]:
    return frozenset(names)


_JS_FUNCTIONS = _set("function_declaration", "generator_function_declaration", "method_definition")
_JS_ANONYMOUS = _set("arrow_function", "function_expression", "function", "generator_function")
_JS_BINDINGS = _set("variable_declarator", "pair", "public_field_definition", "field_definition",
                    "assignment_expression")
_JS_CONTAINERS = _set("class_declaration", "class", "abstract_class_declaration", "interface_declaration",
                      "internal_module", "module", "enum_declaration")
_JS_WRAPPERS = _JS_BINDINGS | _set("lexical_declaration", "variable_declaration", "export_statement",
                                   "expression_statement", "ambient_declaration")

PYTHON = Grammar(
    "python", "tree_sitter_python", "language",
    functions=_set("function_definition"),
    containers=_set("class_definition"),
    wrappers=_set("decorated_definition"),
    comment=("#",),
)
JAVASCRIPT = Grammar(
    "javascript", "tree_sitter_javascript", "language",
    functions=_JS_FUNCTIONS, anonymous=_JS_ANONYMOUS, bindings=_JS_BINDINGS,
    containers=_JS_CONTAINERS, wrappers=_JS_WRAPPERS, leading=("@",),
)
TYPESCRIPT = Grammar(
    "typescript", "tree_sitter_typescript", "language_typescript",
    functions=_JS_FUNCTIONS, anonymous=_JS_ANONYMOUS, bindings=_JS_BINDINGS,
    containers=_JS_CONTAINERS, wrappers=_JS_WRAPPERS, leading=("@",),
)
TSX = Grammar(
    "tsx", "tree_sitter_typescript", "language_tsx",
    functions=_JS_FUNCTIONS, anonymous=_JS_ANONYMOUS, bindings=_JS_BINDINGS,
    containers=_JS_CONTAINERS, wrappers=_JS_WRAPPERS, leading=("@",),
)
GO = Grammar(
    "go", "tree_sitter_go", "language",
    functions=_set("function_declaration", "method_declaration"),
    anonymous=_set("func_literal"),
)
JAVA = Grammar(
    "java", "tree_sitter_java", "language",
    functions=_set("method_declaration", "constructor_declaration", "compact_constructor_declaration"),
    anonymous=_set("lambda_expression"),
    bindings=_set("variable_declarator"),
    containers=_set("class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
                    "annotation_type_declaration"),
    wrappers=_set("variable_declarator", "local_variable_declaration", "field_declaration"),
    leading=("@",),
)
RUST = Grammar(
    "rust", "tree_sitter_rust", "language",
    functions=_set("function_item"),
    anonymous=_set("closure_expression"),
    bindings=_set("let_declaration"),
    containers=_set("impl_item", "trait_item", "mod_item"),
    wrappers=_set("let_declaration"),
    leading=("#[",),
)
C = Grammar(
    "c", "tree_sitter_c", "language",
    functions=_set("function_definition"),
)
CPP = Grammar(
    "cpp", "tree_sitter_cpp", "language",
    functions=_set("function_definition"),
    anonymous=_set("lambda_expression"),
    bindings=_set("init_declarator"),
    containers=_set("class_specifier", "struct_specifier", "union_specifier", "namespace_definition",
                    "linkage_specification"),
    wrappers=_set("template_declaration", "init_declarator", "declaration"),
    leading=("[[",),
)
RUBY = Grammar(
    "ruby", "tree_sitter_ruby", "language",
    functions=_set("method", "singleton_method"),
    anonymous=_set("do_block", "block", "lambda"),
    containers=_set("class", "module", "singleton_class"),
    comment=("#",),
)

GRAMMARS = {g.name: g for g in (PYTHON, JAVASCRIPT, TYPESCRIPT, TSX, GO, JAVA, RUST, C, CPP, RUBY)}

_EXTENSIONS = {
    "py": "python", "pyi": "python", "pyw": "python",
    "js": "javascript", "mjs": "javascript", "cjs": "javascript", "jsx": "javascript",
    "ts": "typescript", "mts": "typescript", "cts": "typescript", "tsx": "tsx",
    "go": "go", "java": "java", "rs": "rust",
    "c": "c", "h": "c",
    "cc": "cpp", "cpp": "cpp", "cxx": "cpp", "c++": "cpp", "hpp": "cpp", "hh": "cpp", "hxx": "cpp",
    "h++": "cpp", "ipp": "cpp", "tpp": "cpp", "inl": "cpp",
    "rb": "ruby", "rake": "ruby", "gemspec": "ruby", "ru": "ruby",
}
_NAMES = {"Rakefile": "ruby", "Gemfile": "ruby", "Guardfile": "ruby", "Vagrantfile": "ruby"}
_SHEBANG = linear.compile(rb"\A#![^\n]*?\b(python[0-9.]*|node|ruby|deno|bun|ts-node)\b")
_SHEBANG_LANGUAGE = {"node": "javascript", "deno": "typescript", "bun": "javascript", "ts-node": "typescript",
                     "ruby": "ruby"}
_CPP_IN_HEADER = linear.compile(rb"^\s*(?:class|namespace|template)\b|::|\bstd::|^\s*(?:public|private|protected):",
                                multiline=True)


def grammar_for(path: str, head: bytes) -> Grammar | None:
    """The grammar for a file, by extension (or name), else by a `#!` line; None: use the heuristic."""
    name = path.rsplit("/", 1)[-1]
    language = _NAMES.get(name)
    if language is None and "." in name:
        extension = name.rsplit(".", 1)[-1].lower()
        language = _EXTENSIONS.get(extension)
        if language == "c" and extension == "h" and _CPP_IN_HEADER.search(head[:200_000]):
            language = "cpp"  # a C++ header: the C grammar would misread classes and namespaces
    if language is None and head.startswith(b"#!"):
        match = _SHEBANG.match(head)
        if match:
            word = match[1].decode()
            language = "python" if word.startswith("python") else _SHEBANG_LANGUAGE.get(word)
    return GRAMMARS.get(language) if language else None


@cache
def parser_for(name: str) -> Parser:
    """A parser for one grammar, made once per process (the grammar's module is imported here)."""
    from tree_sitter import Language, Parser

    grammar = GRAMMARS[name]
    module = importlib.import_module(grammar.module)
    return Parser(Language(getattr(module, grammar.loader)()))
