"""Where values go, read from one file's syntax tree (never by running anything): the short statement that holds
a changed line, the names a changed line assigns and the calls they are passed to, where a member is set or read,
and the attributes a parameter defaulting to a constant is stored in.

Node types are those of the Python, JavaScript/TypeScript and Go grammars; a node type a grammar lacks simply
never matches, so another language gets only what its tree shares with these (the statement, member reads).
Rows are 0-based, as tree-sitter counts them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_STATEMENT = 8  # rows: a statement this short is read whole around its changed line
_STATEMENT_ENDS = ("_statement", "_declaration", "_clause")
_COMPOUND = ("if_statement", "elif_clause", "else_clause", "for_statement", "while_statement", "with_statement",
             "for_in_statement", "try_statement", "except_clause")
_ASSIGNMENTS = {"assignment": "left", "augmented_assignment": "left", "assignment_expression": "left",
                "augmented_assignment_expression": "left", "assignment_statement": "left",
                "short_var_declaration": "left", "variable_declarator": "name"}
# a member access: its node type, the object's field, the member's field (as tags.py reads them)
MEMBER = {"attribute": ("object", "attribute"), "member_expression": ("object", "property"),
          "selector_expression": ("operand", "field"), "field_expression": ("argument", "field")}
_SUBSCRIPT = {"subscript": "value", "subscript_expression": "object", "index_expression": "operand"}
_CALLS = {"call": "function", "call_expression": "function", "new_expression": "constructor"}
_ARGUMENTS = {"call": "arguments", "call_expression": "arguments", "new_expression": "arguments"}
_SELF = ("self", "this", "cls")


def text(node: Node | None) -> str:
    return (node.text or b"").decode("utf-8", "replace") if node is not None else ""


def walk(node: Node, first: int = 0, last: int = 1 << 30) -> Iterator[Node]:
    """Every named node under `node` that overlaps rows first..last."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.end_point.row < first or current.start_point.row > last:
            continue
        yield current
        stack.extend(reversed(current.named_children))


def statement(root: Node, row: int, functions: frozenset[str]) -> tuple[int, int]:
    """The rows of the short statement that holds `row` (a call whose arguments span lines; an `if` whose
    condition changed, with its body), or just `row` when that statement is long or is a definition."""
    node = _first_on_row(root, row)
    while node is not None and node.parent is not None:
        if node.type in functions or node.type.endswith("definition") or node.type in ("block", "module",
                                                                                         "program", "source_file"):
            return row, row
        if node.type.endswith(_STATEMENT_ENDS) and node.start_point.row <= row:
            first, last = node.start_point.row, _last_row(node)
            if node.type in _COMPOUND and first != row:
                return row, row  # a line in a long body is its own statement
            return (first, last) if last - first < MAX_STATEMENT else (row, row)
        node = node.parent
    return row, row


def _first_on_row(root: Node, row: int) -> Node | None:
    best = None
    for node in walk(root, row, row):
        if node.start_point.row == row and (best is None or node.start_point.column < best.start_point.column
                                            or (node.start_point.column == best.start_point.column
                                                and node.end_byte - node.start_byte < best.end_byte - best.start_byte)):
            best = node
    return best


def assigned(root: Node, first: int, last: int) -> set[str]:
    """Plain names that rows first..last assign (`x = …`, `x := …`, `const x = …`)."""
    names: set[str] = set()
    for node in walk(root, first, last):
        side = _ASSIGNMENTS.get(node.type)
        if side is None or not first <= node.start_point.row <= last:
            continue
        target = node.child_by_field_name(side)
        for part in [target] if target is not None and target.type == "identifier" else (
                target.named_children if target is not None else []):
            if part.type == "identifier":
                names.add(text(part))
    return names


def calls_passing(root: Node, names: set[str], first: int, last: int) -> list[tuple[Node, int]]:
    """The callee nodes of calls on rows first..last that pass one of `names` as an argument, with their rows."""
    found = []
    for node in walk(root, first, last):
        if node.type not in _CALLS or not first <= node.start_point.row <= last:
            continue
        arguments = node.child_by_field_name(_ARGUMENTS[node.type])
        if arguments is None:
            continue
        passed = {text(a) for a in arguments.named_children} | {
            text(a.child_by_field_name("value")) for a in arguments.named_children if a.type == "keyword_argument"}
        callee = node.child_by_field_name(_CALLS[node.type])
        if callee is not None and passed & names:
            found.append((callee, node.start_point.row))
    return found


def member_name(node: Node) -> str | None:
    """`name` of a member access `x.name` (None: not one)."""
    fields = MEMBER.get(node.type)
    return text(node.child_by_field_name(fields[1])) if fields else None


def member_sites(root: Node, name: str) -> tuple[list[int], list[int]]:
    """Rows where the file sets member `name` (`x.name = …`, `x.name[k] = …`) and rows where it reads it."""
    writes: set[int] = set()
    targets: set[tuple[int, int]] = set()
    for node in walk(root):
        side = _ASSIGNMENTS.get(node.type)
        if side is None or node.type == "variable_declarator":
            continue
        target = node.child_by_field_name(side)
        for part in [target] if target is not None else []:
            holder = part.child_by_field_name(_SUBSCRIPT[part.type]) if part.type in _SUBSCRIPT else part
            if holder is not None and member_name(holder) == name:
                writes.add(holder.start_point.row)
                targets.add((holder.start_byte, holder.end_byte))
    reads = {n.start_point.row for n in walk(root) if member_name(n) == name
             and (n.start_byte, n.end_byte) not in targets}
    return sorted(writes), sorted(reads - writes)


def stored_defaults(root: Node, constant: str) -> set[str]:
    """Attributes (`self.attr = …`) that a function stores a parameter in whose default is `constant`."""
    attributes: set[str] = set()
    for node in walk(root):
        if node.type not in ("default_parameter", "typed_default_parameter", "assignment_pattern"):
            continue
        value = node.child_by_field_name("value") or node.child_by_field_name("right")
        parameter = node.child_by_field_name("name") or node.child_by_field_name("left")
        if value is None or parameter is None or text(value).rsplit(".", 1)[-1] != constant:
            continue
        function = node.parent.parent if node.parent is not None else None
        body = function.child_by_field_name("body") if function is not None else None
        for statement_node in walk(body) if body is not None else ():
            side = _ASSIGNMENTS.get(statement_node.type)
            target = statement_node.child_by_field_name(side) if side else None
            if target is None or target.type not in MEMBER:
                continue
            owner = target.child_by_field_name(MEMBER[target.type][0])
            value_side = statement_node.child_by_field_name("right")
            if owner is None or text(owner) not in _SELF or value_side is None:
                continue
            if any(n.type == "identifier" and text(n) == text(parameter) for n in walk(value_side)):
                attributes.add(member_name(target) or "")
    return attributes - {""}


def _last_row(node: Node) -> int:
    end = node.end_point
    return end.row - 1 if end.column == 0 and end.row > node.start_point.row else end.row
