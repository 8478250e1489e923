"""Targeted context: a change shown with the code it lives in, not with three lines either side.

`select_context` takes a changed file's head content and its diff and returns the rows to show:
each hunk widened to its enclosing definition (the whole function or method, with its class's header
line; for a change outside any function, its statement), taken from the head version, within a token
budget; a small file goes whole; unrelated definitions are not sent. Added lines keep `+`, deleted
lines keep their `-` row in place, and line numbers are the head's. Files in a language with a
grammar (`languages.py`) are parsed with tree-sitter (`syntax.py`); any other text file gets an
indentation and brace heuristic (`heuristic.py`).
"""

from __future__ import annotations

import textwrap
from functools import partial

from ..diff import FileDiff, Row
from .model import Analyzer
from .select import NEARLY_WHOLE, SMALL_FILE_TOKENS, ContextStats, Selector, View

__all__ = ["ContextStats", "View", "select_context"]

MODES = ("definitions", "hunks")


def select_context(
    path: str,
    head: bytes | None,
    diff: FileDiff,
    budget: float,
    *,
    mode: str = "definitions",
    chars_per_token: float = 3.4,
    gutter: float = 1.2,
) -> View:
    """The view of one changed file within `budget` estimated tokens (code and gutters).

    `mode="hunks"` keeps the diff's rows but still measures them (what share of the changed lines
    has its definition in view), which is how the benchmarks compare the two."""
    if head is None:
        return _hunks_only(diff, chars_per_token, gutter, "its head content is unavailable")
    texts, raw = _lines(head)
    mismatch = _mismatch(diff, texts)
    if mismatch:
        return _hunks_only(diff, chars_per_token, gutter, mismatch)
    analyzer, language = _analyzer(path, head, texts, raw)
    selector = Selector(texts, diff, analyzer, chars_per_token, gutter, fragment=partial(_fragment, path))
    if mode == "hunks":
        spent = selector.choose(0.0)
        return _view(selector, "hunks", spent, language)
    whole = sum(selector.cost) + selector.deleted_cost
    every_line_in_diff = all(n in diff.right for n in range(1, len(texts) + 1))
    if whole <= min(budget, SMALL_FILE_TOKENS) or every_line_in_diff:
        return _whole(selector, whole, language)
    spent = selector.choose(budget)
    if whole <= budget and spent >= NEARLY_WHOLE * whole:
        return _whole(selector, whole, language)
    return _view(selector, "definitions", spent, language)


def _lines(head: bytes) -> tuple[list[str], list[bytes]]:
    """The head's lines as text and as bytes; only LF ends a line, a CR before it is dropped."""
    raw = head.split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    texts = head.decode("utf-8", "replace").split("\n")[: len(raw)]
    return [t[:-1] if t.endswith("\r") else t for t in texts], raw


def _mismatch(diff: FileDiff, texts: list[str]) -> str:
    """Why the head content cannot be the diff's new side, or ""."""
    for number, text in diff.new_text.items():
        if number > len(texts):
            return f"its head content has {len(texts)} lines, the diff reaches line {number}"
        head = texts[number - 1]
        if head != text and head.isascii() and text.isascii():
            return f"its head content differs from the diff at line {number}"
    return ""


def _analyzer(path: str, head: bytes, texts: list[str], raw: list[bytes]) -> tuple[Analyzer, str]:
    from .heuristic import HeuristicAnalyzer
    from .languages import grammar_for

    grammar = grammar_for(path, head)
    if grammar is not None:
        from .syntax import SyntaxAnalyzer

        try:
            return SyntaxAnalyzer(grammar, head, raw), grammar.name
        except (ImportError, ValueError, RuntimeError):  # a grammar that fails to load: the heuristic still works
            pass
    return HeuristicAnalyzer(texts), "heuristic"


def _fragment(path: str, lines: list[str]) -> Analyzer | None:
    """An analyzer of some deleted lines read on their own (dedented), or None when they do not parse cleanly
    as code of their own: a definition or statement deleted whole does, the end of a block does not."""
    data = (textwrap.dedent("\n".join(lines)) + "\n").encode("utf-8", "replace")
    texts, raw = _lines(data)
    analyzer, _ = _analyzer(path, data, texts, raw)
    return None if analyzer.broken else analyzer


def _hunks_only(diff: FileDiff, chars_per_token: float, gutter: float, why: str) -> View:
    shown = sum(len(r.text) / chars_per_token + gutter for r in diff.rows)
    changed = [r for r in diff.rows if r.kind != " "]
    stats = ContextStats(shown, sum(len(r.text) / chars_per_token + gutter for r in changed), len(changed), 0)
    lines = {r.new for r in diff.rows if r.new is not None}
    marks = [n in lines for n in range(1, max(lines, default=0) + 1)]
    return View(list(diff.rows), "hunks", stats, note=why, shown=_ranges(marks))


def _whole(selector: Selector, whole: float, language: str) -> View:
    selector.shown = [True] * len(selector.texts)
    return _view(selector, "whole", whole, language)


def _view(selector: Selector, kind: str, spent: float, language: str) -> View:
    rows, shown = build_rows(selector.texts, selector.diff, selector.shown, keep_hunks=kind == "hunks")
    changed = [r for r in selector.diff.rows if r.kind != " "]
    changed_tokens = sum(selector.cost[r.new - 1] if r.new is not None else 0 for r in changed if r.kind == "+")
    changed_tokens += selector.deleted_cost
    stats = ContextStats(spent, changed_tokens, len(changed), selector.whole_lines(), selector.unplaced_lines())
    return View(rows, kind, stats, language, shown=shown)


def build_rows(texts: list[str], diff: FileDiff, shown: list[bool], *, keep_hunks: bool = False
               ) -> tuple[list[Row], list[tuple[int, int]]]:
    """The rows to render: every shown head line (the diff's own row where it has one), every deleted
    row just before the line that follows it; `hunk` numbers contiguous blocks."""
    for row in diff.rows:
        if row.new is not None and 0 < row.new <= len(shown):
            shown[row.new - 1] = True
    if keep_hunks:
        return list(diff.rows), _ranges(shown)
    by_line = {r.new: r for r in diff.rows if r.new is not None}
    gaps: dict[int, list[Row]] = {}  # new line k -> deleted rows just before it
    added = deleted = 0
    for row in diff.rows:
        if row.kind == "+":
            added += 1
        elif row.kind == "-" and row.old is not None:
            gaps.setdefault(row.old - deleted + added, []).append(row)  # where its old line now falls
            deleted += 1
    keys = sorted({*(n + 1 for n, on in enumerate(shown) if on), *gaps})
    rows: list[Row] = []
    block = -1
    last: tuple[str, int] | None = None  # ("line", n) or ("gap", k) of the previous item
    for key in keys:
        if key in gaps:
            if last is None or last != ("line", key - 1):
                block += 1
            rows += [Row("-", r.text, None, r.old, block) for r in gaps[key]]
            last = ("gap", key)
        if key - 1 < len(shown) and shown[key - 1]:
            if last is None or last not in (("line", key - 1), ("gap", key)):
                block += 1
            own = by_line.get(key)
            kind, text = (own.kind, own.text) if own is not None else (" ", texts[key - 1])
            rows.append(Row(kind, text, key, own.old if own is not None else None, block))
            last = ("line", key)
    return rows, _ranges(shown)


def _ranges(shown: list[bool]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for n, on in enumerate(shown, 1):
        if not on:
            continue
        if ranges and ranges[-1][1] == n - 1:
            ranges[-1] = (ranges[-1][0], n)
        else:
            ranges.append((n, n))
    return ranges
