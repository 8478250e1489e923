"""Enclosing definitions from a tree-sitter syntax tree.

For a changed line the ladder climbs the function-like nodes around it, innermost first, up to the
outermost *named* one (a method, a function, a function value bound to a name): a closure inside a
method widens to the whole method, but an anonymous callback (a `describe(() => …)` block, an IIFE)
does not swallow the file. A line outside any function belongs to its statement at the top level or
in a class body (a comment between statements belongs to none); a changed field of a class without
methods (a struct, an interface, an enum) gets the whole class. Each level carries the header lines of
what encloses it: the `class X:` line, the `impl` line, the outer function's signature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .languages import Grammar, parser_for
from .model import Ladder, Level, Span

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_LEADING = 60  # comment/decorator lines above a definition that go with it


class SyntaxAnalyzer:
    def __init__(self, grammar: Grammar, head: bytes, lines: list[bytes]) -> None:
        self.grammar = grammar
        self.lines = lines
        self.root = parser_for(grammar.name).parse(head).root_node
        self._has_functions: dict[int, bool] = {}

    @property
    def broken(self) -> bool:
        """The text does not parse cleanly (a piece of a file read on its own: not a whole definition)."""
        return bool(self.root.has_error)

    def ladder(self, row: int) -> Ladder:
        node = self._node_at(row)
        chain: list[Node] = []
        current: Node | None = node
        while current is not None:
            chain.append(current)
            current = current.parent
        functions = [n for n in chain if self._is_function(n)]
        if functions:
            return self._function_ladder(functions)
        return self._statement_ladder(chain)

    # -- the two kinds of ladder ---------------------------------------------------------------------
    def _function_ladder(self, functions: list[Node]) -> Ladder:
        named = [i for i, n in enumerate(functions) if self._is_named(n)]
        if named:
            steps = functions[: named[-1] + 1]
            return tuple(self._level(self._wrapped(n), signature=True) for n in steps)
        # only anonymous functions: the innermost one, then the statement that holds it (`it("…", () => …)`)
        inner = functions[0]
        levels = [self._level(inner, signature=True)]
        statement = self._statement(inner)
        if statement is not None and statement != inner:
            levels.append(self._level(statement, signature=False))
        return tuple(levels)

    def _statement_ladder(self, chain: list[Node]) -> Ladder:
        statement = self._statement(chain[0])
        if statement is None or statement.type.endswith("comment"):
            return ()  # a comment between statements: no definition holds it
        core = self._core(statement)
        if self._is_container(core):  # the line is a class's header (or its closing brace)
            top = self._level(statement, signature=True)
            levels = [Level((top.span[0], max(top.span[0], self._header_end(core))), top.headers, top.signature)]
            if not self._contains_functions(core):
                levels.append(top)
            return tuple(levels)
        levels = [self._level(statement, signature=False)]
        holder = statement.parent
        owner = None
        if holder is not None and self._is_container(holder):
            owner = holder
        elif holder is not None and holder.parent is not None and self._is_container(holder.parent):
            owner = holder.parent
        if owner is not None and not self._contains_functions(owner):
            levels.append(self._level(self._wrapped(owner), signature=True))  # a struct, an enum: all of it
        return tuple(levels)

    # -- nodes ------------------------------------------------------------------------------------
    def _node_at(self, row: int) -> Node:
        """The smallest named node at the line's first character (for a blank line, around it)."""
        line = self.lines[row] if row < len(self.lines) else b""
        body = line.rstrip(b"\r")
        start = len(body) - len(body.lstrip())
        if start == len(body):  # a blank line
            return self.root.named_descendant_for_point_range((row, 0), (row, 0)) or self.root
        return self.root.named_descendant_for_point_range((row, start), (row, start + 1)) or self.root

    def _is_function(self, node: Node) -> bool:
        return node.type in self.grammar.functions or node.type in self.grammar.anonymous

    def _is_named(self, node: Node) -> bool:
        if node.type in self.grammar.functions:
            return True
        parent = node.parent
        return parent is not None and parent.type in self.grammar.bindings

    def _is_container(self, node: Node) -> bool:
        return node.type in self.grammar.containers

    def _wrapped(self, node: Node) -> Node:
        """The node with what belongs to it: decorators, `export`, `template <…>`, `const f = …;`."""
        while node.parent is not None and node.parent.type in self.grammar.wrappers:
            node = node.parent
        return node

    def _statement(self, node: Node) -> Node | None:
        """The ancestor that is a statement of the file, of a class body, or of a function body."""
        if self._holds_members(node) and not (self._is_container(node) or self._is_function(node)):
            return None  # a blank line between a class's members: no statement holds it
        current = node
        while current.parent is not None:
            parent = current.parent
            if parent.parent is None or self._holds_members(parent):
                return self._wrapped(current)
            current = parent
        return None  # the root itself: a blank or comment line between top-level statements

    def _holds_members(self, node: Node) -> bool:
        if self._is_container(node) or self._is_function(node):
            return True
        owner = node.parent
        return (owner is not None and (self._is_container(owner) or self._is_function(owner))
                and owner.child_by_field_name("body") == node)

    def _contains_functions(self, node: Node) -> bool:
        known = self._has_functions.get(node.id)
        if known is None:
            stack = list(node.named_children)
            known = False
            while stack and not known:
                child = stack.pop()
                known = self._is_function(child)
                stack.extend(child.named_children)
            self._has_functions[node.id] = known
        return known

    # -- lines ------------------------------------------------------------------------------------
    def _level(self, node: Node, *, signature: bool) -> Level:
        start = self._leading_start(node.start_point.row)
        span = (start, _last_row(node))
        headers: list[Span] = []
        ancestor = node.parent
        while ancestor is not None:
            if self._is_container(ancestor) or self._is_function(ancestor):
                outer = self._wrapped(ancestor)
                headers.append((outer.start_point.row, self._header_end(ancestor)))
            ancestor = ancestor.parent
        own = (node.start_point.row, self._header_end(self._core(node))) if signature else None
        return Level(span, tuple(headers), own)

    def _core(self, node: Node) -> Node:
        """The definition inside a wrapper (the function in a decorated or exported definition)."""
        seen = 0
        while not (self._is_function(node) or self._is_container(node)) and seen < 8:
            inner = (node.child_by_field_name("definition") or node.child_by_field_name("declaration")
                     or node.child_by_field_name("value"))
            if inner is None:
                named = [c for c in node.named_children if self._is_function(c) or self._is_container(c)
                         or c.type in self.grammar.wrappers]
                inner = named[0] if named else None
            if inner is None:
                break
            node, seen = inner, seen + 1
        return node

    def _header_end(self, node: Node) -> int:
        """The last line of a definition's header: its signature, or a class's `class X(…):` line(s)."""
        start = node.start_point.row
        body = node.child_by_field_name("body")
        if body is None:
            return start
        first = body.named_children[0] if body.named_child_count else None
        if first is None:
            return max(start, body.start_point.row)
        return max(start, first.start_point.row - 1)

    def _leading_start(self, row: int) -> int:
        """Comment, decorator and attribute lines right above a definition go with it."""
        prefixes = self.grammar.comment + self.grammar.leading
        floor = max(0, row - MAX_LEADING)
        while row > floor:
            text = self.lines[row - 1].strip()
            if not text or not text.startswith(tuple(p.encode() for p in prefixes)):
                break
            row -= 1
        return row


def _last_row(node: Node) -> int:
    end = node.end_point
    if end.column == 0 and end.row > node.start_point.row:
        return end.row - 1  # the node ends with its line's newline
    return end.row
