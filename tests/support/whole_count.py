"""The plan's "changed lines shown with their whole enclosing definition" figure, counted a second way for
Python files: by Python's own `ast` on the base and the head, from the patch text read here line by line,
against the rows the model was shown. Nothing of the planner (tree-sitter, the selector's anchors) is used.

A changed line counts as whole when its definition reached the model whole:
- an added line: the outermost function around it in the head (decorators included); outside any function,
  its module- or class-level statement (`evaluation.recall.enclosing`); all of its lines shown;
- a deleted line: in the base, the outermost function around it; outside any function, its statement.
  Deleted whole (every line of it is a deleted line): all of it shown as deleted rows, in order. Otherwise
  it lives on in the head: the function of the same dotted name, else what encloses the place the line was
  deleted from (the head lines on both sides of its gap); all of it shown;
- a line nothing encloses (a blank or comment line between statements, in the base for a deleted line)
  is not whole.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from batch_review import linear
from batch_review.evaluation.recall import enclosing

_HUNK = linear.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
Span = tuple[int, int]


@dataclass(frozen=True)
class Changes:
    added: list[int]  # head lines
    deleted: list[tuple[int, int]]  # (base line, the head line it sat just before)


def changes(patch: str) -> Changes:
    """The changed lines of one file's unified patch (any number of context lines)."""
    added: list[int] = []
    deleted: list[tuple[int, int]] = []
    old = new = 0
    started = False  # the file's header lines (`--- a/…`, `+++ b/…`) come before the first hunk
    for line in patch.split("\n"):
        match = _HUNK.match(line)
        if match:
            old, new, started = int(match.group(1)), int(match.group(2)), True
            continue
        if not started:
            continue
        if line.startswith("+"):
            added.append(new)
            new += 1
        elif line.startswith("-"):
            deleted.append((old, new))
            old += 1
        elif line.startswith(" "):
            old, new = old + 1, new + 1
    return Changes(added, deleted)


def functions(tree: ast.Module) -> dict[str, Span]:
    """Every function and method by dotted name (the first of a name): its lines, decorators included."""
    out: dict[str, Span] = {}

    def walk(nodes: list[ast.stmt], scope: tuple[str, ...]) -> None:
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = (*scope, node.name)
                if not isinstance(node, ast.ClassDef):
                    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                    out.setdefault(".".join(name), (start, node.end_lineno or node.lineno))
                walk(node.body, name)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list):
                        walk([n for n in inner if isinstance(n, ast.stmt)], scope)

    walk(tree.body, ())
    return out


def outermost(tree: ast.Module, line: int) -> tuple[str, Span] | None:
    """The outermost function holding `line`: its dotted name and lines."""
    around = [(start, -end, name) for name, (start, end) in functions(tree).items() if start <= line <= end]
    if not around:
        return None
    start, end, name = min(around)
    return name, (start, -end)


def definition(source: str, tree: ast.Module, first: int, last: int) -> list[Span] | None:
    """The spans of what encloses lines first..last: the outermost function, else the statement."""
    function = outermost(tree, first)
    if function is not None and function[1][0] <= last <= function[1][1]:
        return [function[1]]
    found = enclosing(source, first, last)
    return None if found is None else list(found.spans())


def whole_by_ast(base: str, head: str, patch: str, shown: set[int], deleted_shown: list[str]) -> tuple[int, int]:
    """(changed lines whose definition was shown whole, changed lines) of one Python file."""
    old_tree, new_tree = ast.parse(base), ast.parse(head)
    old_lines = base.split("\n")
    found = changes(patch)
    gone = {line for line, _ in found.deleted}
    whole = 0
    for line in found.added:
        spans = definition(head, new_tree, line, line)
        whole += spans is not None and _all_shown(spans, shown)
    for line, gap in found.deleted:
        was = outermost(old_tree, line)
        spans = [was[1]] if was is not None else definition(base, old_tree, line, line)
        if spans is None:
            continue  # nothing encloses it
        if all(set(range(s, e + 1)) <= gone for s, e in spans[:1]):  # deleted whole: shown as deleted rows?
            start, end = spans[0]
            whole += _in_order(old_lines[start - 1 : end], deleted_shown)
            continue
        now = functions(new_tree).get(was[0]) if was is not None else None
        place = [now] if now is not None else definition(head, new_tree, max(gap - 1, 1), gap)
        whole += place is not None and _all_shown(place, shown)
    return whole, len(found.added) + len(found.deleted)


def _all_shown(spans: list[Span], shown: set[int]) -> bool:
    return all(set(range(start, end + 1)) <= shown for start, end in spans)


def _in_order(wanted: list[str], rows: list[str]) -> bool:
    at = 0
    for text in wanted:
        while at < len(rows) and rows[at] != text:
            at += 1
        if at == len(rows):
            return False
        at += 1
    return True
