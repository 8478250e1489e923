"""The definitions of one file version: functions, methods and classes, each with its qualified name, its
signature (the header line(s), whitespace collapsed) and a digest of its whole text, so two versions can be
compared (`change_map.py`).

Files in a language with a grammar (`languages.py`) are read from their tree-sitter syntax tree; any other
text file by the indentation heuristic's block openers (`heuristic.py`) that look like a function or a class.
Definitions nested in a function (closures, local classes) are left out: a change to them is a change to the
function that holds them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import linear
from .languages import Grammar, grammar_for, parser_for

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_SIGNATURE = 160  # characters of a signature shown


@dataclass(frozen=True)
class Definition:
    kind: str  # function, method, class
    name: str  # qualified: Outer.inner
    signature: str
    digest: str  # of the definition's whole text


def definitions(path: str, data: bytes) -> list[Definition]:
    """The file's definitions in file order (one per qualified name: the first)."""
    grammar = grammar_for(path, data)
    found: list[Definition] = []
    if grammar is not None:
        try:
            root = parser_for(grammar.name).parse(data).root_node
        except (ImportError, ValueError, RuntimeError):
            root = None
        if root is not None:
            found = list(_syntax(grammar, root, data, ()))
    if grammar is None:
        found = list(_heuristic(data.decode("utf-8", "replace")))
    seen: dict[str, Definition] = {}
    for item in found:
        seen.setdefault(item.name, item)
    return list(seen.values())


def _clean(text: str) -> str:
    text = " ".join(text.split()).rstrip("{:= ").rstrip()
    return text if len(text) <= MAX_SIGNATURE else text[: MAX_SIGNATURE - 1] + "…"


def _digest(text: bytes) -> str:
    return hashlib.blake2b(text, digest_size=8).hexdigest()


# -- tree-sitter --------------------------------------------------------------------------------------
def _syntax(grammar: Grammar, node: Node, data: bytes, scope: tuple[str, ...]) -> Iterator[Definition]:
    for child in node.named_children:
        kind, name = _definition(grammar, child)
        if kind:
            qualified = ".".join((*scope, name))
            if kind != "class" and scope and _in_class(grammar, child):
                kind = "method"
            yield Definition(kind, qualified, _signature(child, data), _digest(data[child.start_byte : child.end_byte]))
            if kind == "class":  # members of a class; nothing nested in a function
                yield from _syntax(grammar, child, data, (*scope, name))
            continue
        yield from _syntax(grammar, child, data, scope)


def _definition(grammar: Grammar, node: Node) -> tuple[str, str]:
    """("function" | "class", name) when `node` is a named definition, else ("", "")."""
    if node.type in grammar.functions or node.type in grammar.containers:
        name = node.child_by_field_name("name")
        if name is None or not name.text:
            return "", ""
        return ("class" if node.type in grammar.containers else "function"), name.text.decode("utf-8", "replace")
    if node.type in grammar.anonymous and node.parent is not None and node.parent.type in grammar.bindings:
        holder = node.parent
        name = (holder.child_by_field_name("name") or holder.child_by_field_name("key")
                or holder.child_by_field_name("left") or holder.child_by_field_name("pattern"))
        if name is not None and name.text and len(name.text) <= 80:
            return "function", name.text.decode("utf-8", "replace")
    return "", ""


def _in_class(grammar: Grammar, node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in grammar.containers:
            return True
        if parent.type in grammar.functions:
            return False
        parent = parent.parent
    return False


def _signature(node: Node, data: bytes) -> str:
    """The definition's text before its body (an arrow function bound to a name: with the name)."""
    body = node.child_by_field_name("body")
    start = node.start_byte
    holder = node.parent
    if holder is not None and node.type not in ("function_definition", "class_definition") \
            and holder.child_by_field_name("value") == node:
        start = holder.start_byte  # `handler = (req) => …`: from the name
    end = body.start_byte if body is not None and body.start_byte > start else node.end_byte
    return _clean(data[start:end].decode("utf-8", "replace"))


# -- heuristic ------------------------------------------------------------------------------------
_CALLABLE = linear.compile(r"([A-Za-z_$][\w$]*)\s*(?:<[^()]*>)?\s*\(")
_NAMED = linear.compile(
    r"\b(?:class|struct|interface|trait|enum|module|object|impl|protocol|record|union)\s+([A-Za-z_$][\w$]*)"
)


def _heuristic(text: str) -> Iterator[Definition]:
    from .heuristic import _CONTAINER, _CONTROL, _FUNCTION, HeuristicAnalyzer

    lines = text.split("\n")
    analyzer = HeuristicAnalyzer(lines)
    stack: list[tuple[int, str, str]] = []  # (end row, name, kind) of the enclosing definitions
    for row, line in enumerate(lines):
        while stack and row > stack[-1][0]:
            stack.pop()
        if analyzer.indent[row] is None or not analyzer._opens(row) or _CONTROL.match(line):
            continue
        if stack and stack[-1][2] != "class":
            continue  # nothing nested in a function
        head = line.strip()
        container = _CONTAINER.match(line)
        match = _NAMED.search(head) if container else (_CALLABLE.search(head) if _FUNCTION.search(line) else None)
        if match is None:
            continue
        end = analyzer._end(row)
        kind = "class" if container else ("method" if stack else "function")
        name = ".".join([*(s[1] for s in stack), match[1]])
        body = "\n".join(lines[row : end + 1]).encode("utf-8", "surrogatepass")
        yield Definition(kind, name, _clean(head), _digest(body))
        stack.append((end, match[1], "class" if container else "function"))
