"""Context recall without a model: did what a reviewer needs reach the model's requests?

For each case, from the text of its review requests as the engine would send them (system blocks and the
user message: `sent_text`), three questions:
- labelled lines: is every line of each label shown, under its path, with its head text?
- definitions: is the whole definition enclosing each label shown, every line of it? It comes from an
  independent parser (Python's `ast` for .py files; other files have none): the innermost function or
  method; outside any function, the module- or class-level statement holding the label, with the `class`
  lines around it (`Enclosing`). A label between statements (blank or comment lines) counts as not whole;
- context items: does the text name the item's path and, after that, hold each line of its `contains`?

Shown lines are read from the request format of `prompt.render_rows` (`### "path" (…)` then numbered rows);
context items are matched on plain text, so any way of sending another file's code counts.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import linear
from ..errors import SourceError
from ..gitcmd import git
from .dataset import Case, ContextItem, Expected

_HEADER = linear.compile(r'^### (".*?") \(')
_ROW = linear.compile(r"^ *(\d+)[+ ](.*)$")


def sent_text(params: dict[str, Any]) -> str:
    """The words of one request: its system blocks, then its messages' text, as the API receives them."""
    parts: list[str] = []
    system = params.get("system")
    parts += [system] if isinstance(system, str) else [b.get("text", "") for b in system or [] if isinstance(b, dict)]
    for message in params.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        else:
            parts += [b.get("text", "") for b in content or [] if isinstance(b, dict)]
    return "\n".join(parts)


def shown_rows(texts: Iterable[str]) -> dict[str, dict[int, str]]:
    """path -> {new-file line: its text} for every numbered row of every code section sent."""
    shown: dict[str, dict[int, str]] = {}
    for text in texts:
        current: dict[int, str] | None = None
        for line in text.split("\n"):
            header = _HEADER.match(line)
            if header:
                current = shown.setdefault(str(json.loads(header.group(1))), {})
                continue
            if line.startswith("</code"):
                current = None
                continue
            row = _ROW.match(line)
            if current is not None and row:
                current[int(row.group(1))] = row.group(2)
    return shown


Span = tuple[int, int]  # 1-based lines, inclusive


@dataclass(frozen=True)
class Enclosing:
    """What a label's "whole enclosing definition" is, by Python's `ast`:
    - `function`: the innermost function or method holding every labelled line (decorators included);
    - `statement`: outside any function, the statement(s) of the module or class body that the lines fall in,
      each whole (an assignment defines its name; a class statement counts with all its lines), with the `class`
      line(s) of every class around them (`headers`): what the statement belongs to;
    - `class header`: lines on a class's own header (its decorators, `class X(…):`).
    A label on lines no statement holds (blank or comment lines between statements) has none."""

    kind: str
    span: Span
    headers: tuple[Span, ...] = ()

    def spans(self) -> tuple[Span, ...]:
        return (self.span, *self.headers)

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "lines": list(self.span), "headers": [list(h) for h in self.headers]}


def enclosing(source: str, first: int, last: int) -> Enclosing | None:
    """The whole enclosing definition of lines first..last (see `Enclosing`); None when the lines are between
    statements or the file does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                 and _holds(n, first, last)]
    if functions:
        inner = min(functions, key=lambda n: _end(n) - _start(n))
        return Enclosing("function", (_start(inner), _end(inner)))
    classes = sorted((n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and _holds(n, first, last)),
                     key=_start)  # outermost first
    if classes and last <= _header_end(classes[-1]):
        return Enclosing("class header", (_start(classes[-1]), _header_end(classes[-1])), _headers(classes[:-1]))
    body = classes[-1].body if classes else tree.body
    overlapping = [node for node in body if _start(node) <= last and first <= _end(node)]
    if not overlapping:
        return None
    return Enclosing("statement", (_start(overlapping[0]), _end(overlapping[-1])), _headers(classes))


def definition_span(source: str, first: int, last: int) -> tuple[int, int] | None:
    """The lines of the whole enclosing definition of first..last (`enclosing`), without its class lines."""
    found = enclosing(source, first, last)
    return None if found is None else found.span


def _start(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _end(node: ast.stmt) -> int:
    return node.end_lineno or node.lineno


def _holds(node: ast.stmt, first: int, last: int) -> bool:
    return _start(node) <= first and last <= _end(node)


def _header_end(node: ast.ClassDef) -> int:
    return max(node.lineno, node.body[0].lineno - 1) if node.body else _end(node)


def _headers(classes: list[ast.ClassDef]) -> tuple[Span, ...]:
    return tuple((_start(c), _header_end(c)) for c in classes)


def context_reached(item: ContextItem, texts: Iterable[str]) -> bool:
    wanted = [line.strip() for line in item.contains.split("\n") if line.strip()]
    for text in texts:
        at = text.find(item.path)
        if at < 0:
            continue
        lines = [_code(line) for line in text[at:].split("\n")]
        position = 0
        for want in wanted:
            while position < len(lines) and want not in lines[position]:
                position += 1
            if position == len(lines):
                break
            position += 1
        else:
            return True
    return False


def _code(line: str) -> str:
    row = _ROW.match(line)
    return row.group(2) if row else line


@dataclass
class LabelRecall:
    label: Expected
    lines_shown: bool
    definition: Enclosing | None
    definition_shown: bool

    def to_json(self) -> dict[str, object]:
        return {**self.label.to_json(), "lines_shown": self.lines_shown,
                "definition": self.definition.to_json() if self.definition else None,
                "definition_shown": self.definition_shown}


@dataclass
class CaseRecall:
    labels: list[LabelRecall] = field(default_factory=list)
    context: list[tuple[ContextItem, bool]] = field(default_factory=list)
    requests: int = 0

    def counts(self) -> dict[str, int]:
        return {"labels": len(self.labels), "lines_shown": sum(r.lines_shown for r in self.labels),
                "definitions_shown": sum(r.definition_shown for r in self.labels),
                "context_items": len(self.context), "context_reached": sum(ok for _, ok in self.context)}

    def to_json(self) -> dict[str, object]:
        return {**self.counts(), "requests": self.requests, "label_detail": [r.to_json() for r in self.labels],
                "context_detail": [{**item.to_json(), "reached": ok} for item, ok in self.context]}


def case_recall(case: Case, texts: list[str]) -> CaseRecall:
    """What of the case's labels, their definitions and its context items the texts sent show."""
    shown = shown_rows(texts)
    out = CaseRecall(requests=len(texts))
    heads: dict[str, list[str] | None] = {}
    for label in case.expected:
        if label.path not in heads:
            heads[label.path] = _head_lines(case, label.path)
        head, rows = heads[label.path], shown.get(label.path, {})

        def visible(first: int, last: int, head: list[str] | None = head, rows: dict[int, str] = rows) -> bool:
            return head is not None and all(rows.get(n) == _at(head, n) for n in range(first, last + 1))

        found = enclosing("\n".join(head), label.line, label.end_line) \
            if head is not None and label.path.endswith(".py") else None
        out.labels.append(LabelRecall(label, visible(label.line, label.end_line), found,
                                      found is not None and all(visible(*span) for span in found.spans())))
    out.context = [(item, context_reached(item, texts)) for item in case.context]
    return out


def _at(lines: list[str], number: int) -> str | None:
    return lines[number - 1] if 0 < number <= len(lines) else None


def _head_lines(case: Case, path: str) -> list[str] | None:
    try:
        blob = git(Path(case.repo), "show", f"{case.head}:{path}", check=False)
    except SourceError:  # an unreadable repository: the label counts as not shown
        return None
    return blob.decode("utf-8", "replace").split("\n") if blob else None


def ratio_json(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def totals(recalls: Iterable[CaseRecall]) -> dict[str, object]:
    total = {"labels": 0, "lines_shown": 0, "definitions_shown": 0, "context_items": 0, "context_reached": 0}
    cases_with_context = 0
    for recall in recalls:
        for key, value in recall.counts().items():
            total[key] += value
        cases_with_context += bool(recall.context)
    return {**total, "cases_with_context": cases_with_context,
            "lines_share": ratio_json(total["lines_shown"], total["labels"]),
            "definitions_share": ratio_json(total["definitions_shown"], total["labels"]),
            "context_share": ratio_json(total["context_reached"], total["context_items"]),
            "how": "from the text of each review request as the engine sends it; definitions by Python's ast"}
