"""The code a verification request shows around a file's findings: each finding's enclosing definition
(the targeted-context analyzers: tree-sitter for the languages with a grammar, the indentation heuristic for
the rest), or the whole file when it is small.

Line numbers are the new file's, as the review's; lines the change added keep their `+` and deleted lines
their `-` row, so the verifier sees what changed. The text comes from the file's new version when the run
can read it and it agrees with the diff; otherwise only the lines the review itself showed are known, and
a finding is shown with the known lines around it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..context.model import Analyzer, Ladder, Span, clamp
from ..diff import FileDiff, Row
from ..plan import UNKNOWN, Plan, line_tokens
from ..prompt import render_rows

NEAR = 3  # lines either side of a finding, always shown
WINDOW = 20  # lines either side when no definition encloses it (or its definition is too big)
MAX_DEFINITION_TOKENS = 3000  # a bigger enclosing definition is shown in part: the innermost level that fits


@dataclass
class FileCode:
    """One file's new-version lines as a verification request can show them."""

    path: str
    texts: list[str]  # new-file lines; UNKNOWN where the run does not know the text
    added: set[int] = field(default_factory=set)  # 1-based new lines the change added
    deleted: dict[int, list[Row]] = field(default_factory=dict)  # new line k -> deleted rows just before it
    analyzer: Analyzer | None = None
    cost: list[float] = field(default_factory=list)
    _whole: tuple[list[Row], bytes, list[str]] | None = field(default=None, repr=False)  # see whole()

    def __post_init__(self) -> None:
        self.cost = [0.0 if t is UNKNOWN else line_tokens(t) for t in self.texts]

    @property
    def lines(self) -> int:
        return len(self.texts)

    @property
    def complete(self) -> bool:
        return UNKNOWN not in self.texts

    @functools.cached_property
    def whole_tokens(self) -> float:
        return sum(self.cost) + sum(line_tokens(r.text) for rs in self.deleted.values() for r in rs)

    def tokens(self, shown: Iterable[int]) -> float:
        """Estimated tokens of the 0-based lines `shown` (and the deleted rows shown with them)."""
        rows = shown if isinstance(shown, (set, frozenset)) else set(shown)
        cost = self._line_tokens if self.deleted else self.cost
        top = len(cost)
        return sum([cost[n] for n in rows if 0 <= n < top])

    @functools.cached_property
    def _line_tokens(self) -> list[float]:
        """Each 0-based line's tokens with those of the rows deleted just before it (`rows` shows them there); past
        the last line, the rows deleted at the end of the file."""
        full = [*self.cost, *[0.0] * (max(self.deleted, default=0) - self.lines)]
        for line, rows in self.deleted.items():
            if line >= 1:  # 1-based: the rows deleted before new line `line` show with 0-based line `line - 1`
                full[line - 1] += sum(line_tokens(r.text) for r in rows)
        return full

    # -- what to show ---------------------------------------------------------------------------------
    def around(self, line: int, end_line: int | None) -> set[int]:
        """The 0-based lines to show for a finding on line..end_line: its enclosing definition, or a window."""
        if not self.texts:
            return set()
        last = self.lines - 1
        first0, last0 = clamp((line - 1, (end_line or line) - 1), last)
        shown = _span_rows((first0 - NEAR, last0 + NEAR), last)
        for row in dict.fromkeys((first0, last0)):
            shown |= self._definition(row, last)
        return {n for n in shown if self.texts[n] is not UNKNOWN}

    def _definition(self, row: int, last: int) -> set[int]:
        ladder: Ladder = self.analyzer.ladder(row) if self.analyzer is not None else ()
        for level in reversed(ladder):  # the outermost definition that fits, else an inner one
            spans = [level.span, *level.headers]
            rows = set().union(*(_span_rows(s, last) for s in spans))
            if self.tokens(rows) <= MAX_DEFINITION_TOKENS:
                return rows
        window = _span_rows((row - WINDOW, row + WINDOW), last)
        if ladder:  # a definition too big to show: the lines around, with its signature and class lines
            inner = ladder[0]
            for span in (*inner.headers, *([inner.signature] if inner.signature else [])):
                window |= _span_rows(span, last)
        return window

    def whole(self) -> tuple[list[Row], bytes, list[str]]:
        """Every row of the file (`rows` of every line), the bytes a part's digest reads of them (`row_bytes`)
        and the rows as a request shows them (`render_rows`): worked out once, ahead of the answers when the
        review is pipelined (ahead.py)."""
        if self._whole is None:
            rows = self.rows(set(range(self.lines)))
            self._whole = rows, row_bytes(rows), render_rows(rows)
        return self._whole

    def rows(self, shown: set[int]) -> list[Row]:
        """The rows to render for the 0-based lines `shown`; `hunk` numbers each contiguous block."""
        out: list[Row] = []
        block, previous = -1, None
        for n in sorted(shown):
            if not 0 <= n < self.lines or self.texts[n] is UNKNOWN:
                continue
            if previous is None or n != previous + 1:
                block += 1
            out += [Row("-", r.text, None, r.old, block) for r in self.deleted.get(n + 1, ())]
            out.append(Row("+" if n + 1 in self.added else " ", self.texts[n], n + 1, None, block))
            previous = n
        if previous == self.lines - 1:  # rows deleted at the end of the file
            out += [Row("-", r.text, None, r.old, block) for r in self.deleted.get(self.lines + 1, ())]
        return out


def row_bytes(rows: Iterable[Row]) -> bytes:
    """What a verification part's digest reads of its rows (verify/requests.py `_part`)."""
    return b"".join(f"\0{row.kind}{row.new}\0{row.text}".encode("utf-8", "surrogatepass") for row in rows)


def file_code(plan: Plan, path: str) -> FileCode | None:
    """The file's code as the run knows it, or None when the file is not part of the review."""
    entry = plan.files.get(path)
    if entry is None:
        return None
    diff = entry.diff
    try:
        head = entry.load() if entry.load else None
    except OSError:
        head = None
    texts = _lines(head) if head is not None else None
    if texts is not None and diff is not None and _disagrees(diff, texts):
        texts = None  # not the version the review saw: only the review's own lines are trusted
    analyzer = None
    if texts is not None and head is not None:
        analyzer = _analyzer(path, head, texts)
    elif diff is not None and diff.new_text:
        texts = [diff.new_text.get(n, UNKNOWN) for n in range(1, max(diff.new_text) + 1)]
    else:
        texts = [line for line in plan.new_lines(path)]
    code = FileCode(path, texts, analyzer=analyzer)
    if diff is not None:
        code.added = set(diff.added)
        code.deleted = _deleted_rows(diff)
    return code


def _lines(head: bytes) -> list[str]:
    """The new version's lines as text; only LF ends a line, a CR before it is dropped."""
    raw = head.split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    texts = head.decode("utf-8", "replace").split("\n")[: len(raw)]
    return [t[:-1] if t.endswith("\r") else t for t in texts]


def _disagrees(diff: FileDiff, texts: list[str]) -> bool:
    for number, text in diff.new_text.items():
        if number > len(texts):
            return True
        head = texts[number - 1]
        if head != text and head.isascii() and text.isascii():
            return True
    return False


def _analyzer(path: str, head: bytes, texts: list[str]) -> Analyzer:
    from ..context.heuristic import HeuristicAnalyzer
    from ..context.languages import grammar_for

    grammar = grammar_for(path, head)
    if grammar is not None:
        from ..context.syntax import SyntaxAnalyzer

        try:
            return SyntaxAnalyzer(grammar, head, head.split(b"\n")[: len(texts)])
        except (ImportError, ValueError, RuntimeError):  # a grammar that fails to load: the heuristic still works
            pass
    return HeuristicAnalyzer(texts)


def _deleted_rows(diff: FileDiff) -> dict[int, list[Row]]:
    """Deleted rows by the new line they sit before (as the targeted context places them)."""
    gaps: dict[int, list[Row]] = {}
    added = deleted = 0
    for row in diff.rows:
        if row.kind == "+":
            added += 1
        elif row.kind == "-" and row.old is not None:
            gaps.setdefault(row.old - deleted + added, []).append(row)
            deleted += 1
    return gaps


def _span_rows(span: Span, last: int) -> set[int]:
    start, end = clamp(span, last)
    return set(range(start, end + 1))
