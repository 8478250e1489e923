"""One file's symbols from tree-sitter: its definitions, its references, and the names its changed lines use.

Definitions and references come from the tags queries each grammar wheel ships (`queries/tags.scm`, read
through the module's `TAGS_QUERY`; TypeScript's own tags are joined with JavaScript's, as the grammar's
`tree-sitter.json` says), plus a few patterns the upstream files lack: module-level constants in JS/TS and Go,
TypeScript type aliases and enums, Go `var`/`const`. Names on changed lines come from a plain identifier query
limited to those lines (`QueryCursor.set_point_range`): Python's tags only see calls, and a change also
uses constants, attributes, base classes and types. Rows are 0-based, as tree-sitter counts them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from ... import linear
from ..languages import Grammar, parser_for

if TYPE_CHECKING:
    from tree_sitter import Node, Query

_EXTRA: dict[str, str] = {
    "python": """
(class_definition body: (block (expression_statement (assignment left: (identifier) @name) @definition.constant)))
""",
    "javascript": """
(program (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant))
(program (export_statement (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant)))
""",
    "typescript": """
(program (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant))
(program (export_statement (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant)))
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
(class_declaration name: (type_identifier) @name) @definition.class
(type_identifier) @name @reference.type
""",
    "go": """
(source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @definition.constant))
""",
}
_EXTRA["tsx"] = _EXTRA["typescript"]
# node types that name something where they stand (tried per grammar: a type a grammar lacks is left out)
_NAME_NODES = ("identifier", "type_identifier", "property_identifier", "field_identifier", "constant",
               "shorthand_property_identifier", "package_identifier", "namespace_identifier", "scoped_identifier")
# a member access: (its node type, the object's field, the member's field)
_MEMBER = {"attribute": ("object", "attribute"), "member_expression": ("object", "property"),
           "selector_expression": ("operand", "field"), "qualified_type": ("package", "name"),
           "field_expression": ("argument", "field"), "scoped_identifier": ("path", "name"),
           "method_invocation": ("object", "name")}
_CALLABLE_PARENTS = {"call", "call_expression", "new_expression", "method_invocation"}
_DOTTED = linear.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")


@dataclass(frozen=True)
class Definition:
    name: str
    kind: str  # function, method, class, constant, type, interface, enum, module, …
    start: int  # first row, with its decorators, `export` and the comments right above it
    end: int
    header: tuple[int, int]  # the signature's rows (a class's `class X(…):` line)
    doc: tuple[int, int] | None = None  # a Python docstring's rows
    scope: tuple[int, int] | None = None  # the header rows of the class it belongs to
    top: bool = True  # at the file's top level (not a method, not nested)
    nested: bool = False  # inside a function: nothing in another file can call it


@dataclass(frozen=True)
class Use:
    name: str
    row: int
    qualifier: str = ""  # `mod` in `mod.name`, when the object is a plain name
    called: bool = False  # a call, `new`, or a type: something defined elsewhere, not a local value
    near: bool = False  # beside the changed lines (their statement, or a call their value goes to), not on them
    chained: bool = False  # a member whose own member is taken (`environment` in `ctx.environment.call_test`)


@dataclass
class FileTags:
    path: str
    grammar: Grammar
    lines: list[bytes]
    root: Node = field(repr=False)
    definitions: list[Definition] = field(default_factory=list)

    def defined(self, name: str) -> list[Definition]:
        return [d for d in self.definitions if d.name == name]

    def references(self, name: str) -> list[Use]:
        """Where the file refers to `name` (calls, `new`, types); every naming of it in a grammar whose tags
        have no references (C, C++)."""
        found = [u for u in _references(self.grammar.name, self.root) if u.name == name]
        if not found and not _has_references(self.grammar.name):
            found = [u for u in self.names_in(0, len(self.lines) - 1) if u.name == name]
        defining = {d.start for d in self.definitions if d.name == name} | {d.header[0] for d in self.definitions
                                                                             if d.name == name}
        return [u for u in found if u.row not in defining]

    def names_in(self, first: int, last: int) -> list[Use]:
        """Every name on rows first..last (what changed lines use), with its qualifier when it is a member."""
        from tree_sitter import QueryCursor

        uses: list[Use] = []
        query = _names_query(self.grammar.name)
        cursor = QueryCursor(query)
        cursor.set_point_range((first, 0), (last + 1, 0))
        for node in cursor.captures(self.root).get("id", []):
            if not first <= node.start_point.row <= last:
                continue
            name = _text(node)
            qualifier, parent, member = "", node.parent, False
            if parent is not None and parent.type in _MEMBER:
                object_field, member_field = _MEMBER[parent.type]
                owner = parent.child_by_field_name(object_field)
                member = parent.child_by_field_name(member_field) == node and owner is not None
                if member and owner is not None:
                    qualifier = _text(owner) if _DOTTED.fullmatch(_text(owner)) else "?"
            holder = parent.parent if member and parent is not None else parent
            called = node.type == "type_identifier" or (
                holder is not None and holder.type in _CALLABLE_PARENTS
                and (member or parent is None or parent.type not in _MEMBER))
            outer = parent.parent if member and parent is not None else None
            chained = outer is not None and outer.type in _MEMBER and \
                outer.child_by_field_name(_MEMBER[outer.type][0]) == parent
            uses.append(Use(name, node.start_point.row, qualifier, called, chained=chained))
        return uses

    def enclosing(self, row: int) -> Definition | None:
        """The innermost function-like definition holding `row` (a call site's caller)."""
        best: Definition | None = None
        for d in self.definitions:
            if d.start <= row <= d.end and d.kind in ("function", "method") and (best is None or d.start >= best.start):
                best = d
        return best


def file_tags(path: str, grammar: Grammar, data: bytes) -> FileTags:
    from tree_sitter import QueryCursor

    lines = data.split(b"\n")
    root = parser_for(grammar.name).parse(data).root_node
    tags = FileTags(path, grammar, lines, root)
    seen: dict[tuple[str, int], Definition] = {}
    for _, captures in QueryCursor(_tags_query(grammar.name)).matches(root):
        role = next((k for k in captures if k.startswith("definition.")), None)
        names = captures.get("name")
        if role is None or not names:
            continue
        node = captures[role][0]
        definition = _definition(grammar, lines, _text(names[0]), role.split(".", 1)[1], node)
        key = (definition.name, definition.header[0])
        if key not in seen or seen[key].kind == "constant":  # `const f = () => …`: a function, not a constant
            seen[key] = definition
    tags.definitions = sorted(seen.values(), key=lambda d: (d.start, d.name))
    return tags


def _definition(grammar: Grammar, lines: list[bytes], name: str, kind: str, node: Node) -> Definition:
    core = node
    while node.parent is not None and node.parent.type in grammar.wrappers | {"decorated_definition",
                                                                               "export_statement"}:
        node = node.parent
    start = _leading(grammar, lines, node.start_point.row)
    header = (core.start_point.row, _header_end(core))
    scope: tuple[int, int] | None = None
    top, nested = True, False
    ancestor = node.parent
    while ancestor is not None:
        if ancestor.type in grammar.containers or ancestor.type in grammar.functions:
            top = False
            nested = nested or (ancestor.type in grammar.functions and scope is None)
            if scope is None and ancestor.type in grammar.containers:
                scope = (ancestor.start_point.row, _header_end(ancestor))
        ancestor = ancestor.parent
    return Definition(name, "method" if kind == "function" and scope else kind, start, _last_row(node), header,
                      _docstring(core) if grammar.name == "python" else None, scope, top, nested)


def _header_end(node: Node) -> int:
    body = node.child_by_field_name("body")
    if body is None:
        return node.end_point.row if node.end_point.row - node.start_point.row < 3 else node.start_point.row
    first = body.named_children[0] if body.named_child_count else None
    if first is None or (body.type == "block" and first.start_point.row == node.start_point.row):
        return max(node.start_point.row, body.start_point.row)
    return max(node.start_point.row, first.start_point.row - 1)


def _docstring(node: Node) -> tuple[int, int] | None:
    body = node.child_by_field_name("body")
    first = body.named_children[0] if body is not None and body.named_child_count else None
    if (first is not None and first.type == "expression_statement" and first.named_child_count
            and first.named_children[0].type == "string"):
        return first.start_point.row, _last_row(first)
    return None


def _leading(grammar: Grammar, lines: list[bytes], row: int) -> int:
    prefixes = tuple(p.encode() for p in grammar.comment + grammar.leading)
    floor = max(0, row - 30)
    while row > floor and lines[row - 1].strip().startswith(prefixes) and lines[row - 1].strip():
        row -= 1
    return row


def _last_row(node: Node) -> int:
    end = node.end_point
    return end.row - 1 if end.column == 0 and end.row > node.start_point.row else end.row


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


# -- queries -------------------------------------------------------------------------------------------
def _language(name: str):  # type: ignore[no-untyped-def]
    return parser_for(name).language


@cache
def _tags_query(name: str) -> Query:
    from tree_sitter import Query

    from ..languages import GRAMMARS

    grammar = GRAMMARS[name]
    module = importlib.import_module(grammar.module)
    sources = [str(getattr(module, "TAGS_QUERY", ""))]
    if name in ("typescript", "tsx"):  # TypeScript's tags extend JavaScript's
        sources.insert(0, str(importlib.import_module("tree_sitter_javascript").TAGS_QUERY))
    sources.append(_EXTRA.get(name, ""))
    return Query(_language(name), "\n".join(sources))


@cache
def _names_query(name: str) -> Query:
    from tree_sitter import Query

    language = _language(name)
    kinds = []
    for kind in _NAME_NODES:
        try:
            Query(language, f"({kind}) @id")
        except Exception:  # noqa: S112  (the grammar has no such node type)
            continue
        kinds.append(f"({kind}) @id")
    return Query(language, "[" + " ".join(kinds) + "]")


@cache
def _has_references(name: str) -> bool:
    query = _tags_query(name)
    return any(query.capture_name(i).startswith("reference.") for i in range(query.capture_count))


def _references(language: str, root: Node) -> list[Use]:
    from tree_sitter import QueryCursor

    uses: list[Use] = []
    for _, captures in QueryCursor(_tags_query(language)).matches(root):
        if not any(k.startswith("reference.") for k in captures):
            continue
        for node in captures.get("name", []):
            uses.append(Use(_text(node), node.start_point.row, called=True))
    return uses
