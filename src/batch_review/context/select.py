"""Which new-file lines a change is shown with: each hunk widened, within a token budget.

Every hunk starts as GitHub shows it. Then, round by round, each hunk climbs one step of its ladder
(the lines around the change within its innermost unit, with the signatures and class lines above;
then the whole innermost unit; then each enclosing definition up to the outermost), as long as the
file's lines shown stay within the budget. A step that does not fit stops that hunk where it is:
a hunk is never shown with less than its own rows, and no changed line is ever dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..diff import FileDiff, Row
from .model import Analyzer, Ladder, Span, clamp

WINDOW = 10  # first step: lines either side of a change, within its innermost unit
SMALL_FILE_TOKENS = 800  # a file this small is shown whole (about 2,300 characters, 60-100 lines)
NEARLY_WHOLE = 0.8  # a view that already holds this share of the file's tokens becomes the whole file


@dataclass(frozen=True)
class ContextStats:
    """What a view costs and covers: estimated code tokens shown and of the changed lines; changed
    lines, and those whose enclosing definition (function, method, statement) is shown whole."""

    shown_tokens: float = 0.0
    changed_tokens: float = 0.0
    changed_lines: int = 0
    whole_lines: int = 0
    unplaced_lines: int = 0  # changed lines nothing encloses (blank lines, comments between definitions): not whole

    def __add__(self, other: ContextStats) -> ContextStats:
        return ContextStats(
            self.shown_tokens + other.shown_tokens, self.changed_tokens + other.changed_tokens,
            self.changed_lines + other.changed_lines, self.whole_lines + other.whole_lines,
            self.unplaced_lines + other.unplaced_lines,
        )

    @property
    def ratio(self) -> float:
        return self.shown_tokens / self.changed_tokens if self.changed_tokens else 0.0

    @property
    def whole_share(self) -> float:
        return self.whole_lines / self.changed_lines if self.changed_lines else 1.0


@dataclass
class View:
    """The rows to show for one changed file. `kind`: `definitions` (widened), `whole` (every line of
    the file, changes marked) or `hunks` (the diff's own rows). `hunk` of each row numbers its
    contiguous block, so the prompt marks the gaps between blocks."""

    rows: list[Row]
    kind: str
    stats: ContextStats
    language: str = ""
    note: str = ""
    shown: list[Span] = field(default_factory=list)  # new-file line ranges, 1-based, inclusive


@dataclass
class _Hunk:
    rows: Span | None  # its own new-file rows (0-based), always shown (None: a deletion alone, `-U0`)
    steps: list[list[Span]]  # step k: the spans shown when the hunk has climbed k steps


class Selector:
    def __init__(self, texts: list[str], diff: FileDiff, analyzer: Analyzer | None,
                 chars_per_token: float, gutter: float,
                 fragment: Callable[[list[str]], Analyzer | None] | None = None) -> None:
        self.texts = texts
        self.fragment = fragment  # reads deleted lines on their own (`_deleted_whole`)
        self.deleted_whole = 0
        self.diff = diff
        self.analyzer = analyzer
        self.cost = [len(t) / chars_per_token + gutter for t in texts]
        self.deleted = [r for r in diff.rows if r.kind == "-"]
        self.deleted_cost = sum(len(r.text) / chars_per_token + gutter for r in self.deleted)
        self.shown = [False] * len(texts)
        self._ladders: dict[int, Ladder] = {}
        self.anchors = self._anchors()

    # -- ladders -----------------------------------------------------------------------------------
    def ladder(self, row: int) -> Ladder:
        if self.analyzer is None or not 0 <= row < len(self.texts):
            return ()
        known = self._ladders.get(row)
        if known is None:
            known = self._ladders[row] = self.analyzer.ladder(row)
        return known

    def _anchors(self) -> list[tuple[int, int, Ladder]]:
        """(hunk, row, ladder) of every changed line: an added line's own; a deleted line's is that of the
        place it was deleted from, in the new file (`_place`). A deleted line with no place (a definition or
        statement deleted whole) has an empty ladder; `deleted_whole` counts those whose definition was
        deleted whole."""
        out: list[tuple[int, int, Ladder]] = []
        added = deleted = 0
        for block in _blocks(self.diff.rows):
            news = [r.new - 1 for r in block if r.kind == "+" and r.new is not None]
            gone: list[Row] = []
            gap = 0
            for row in block:
                if row.kind == "+" and row.new is not None:
                    added += 1
                    out.append((row.hunk, row.new - 1, self.ladder(row.new - 1)))
                elif row.kind == "-" and row.old is not None:
                    if not gone:
                        gap = row.old - deleted + added  # the new line the block's deleted rows sit before (1-based)
                    deleted += 1
                    gone.append(row)
            out += self._place(gone, news, gap)
        return out

    def _place(self, gone: list[Row], news: list[int], gap: int) -> list[tuple[int, int, Ladder]]:
        """The anchors of one block's deleted rows: the i-th goes with the block's i-th added line (the last
        with any more) when that line has a place; the others go with the unit they were cut from
        (`_cut_from`); what is left was deleted whole, or is a blank line between definitions."""
        out: list[tuple[int, int, Ladder]] = []
        cut: list[Row] = []
        for index, row in enumerate(gone):
            replaced = self._replaced(row, news, index)
            if replaced is None:
                cut.append(row)
            else:
                out.append((row.hunk, *replaced))
        if not cut:
            return out
        code, ladder, held = self._cut_from(gap - 2, cut)
        out += [(row.hunk, code, ladder) for row in cut[:held]]
        out += [(row.hunk, gap - 2, ()) for row in cut[held:]]
        self.deleted_whole += self._deleted_whole(cut[held:])
        return out

    def _replaced(self, gone: Row, news: list[int], index: int) -> tuple[int, Ladder] | None:
        """The row and ladder of the added line that took the place of a block's `index`-th deleted line; none
        for a blank or comment line that stood between definitions (at or left of that line's outermost
        definition's header: `# about f` above a `def f` replaced whole)."""
        if not news:
            return None
        row = news[min(index, len(news) - 1)]
        ladder = self.ladder(row)
        if not ladder:
            return None
        outer = ladder[-1]
        header = _indent(self.texts[outer.signature[0] if outer.signature else outer.span[0]])
        if _indent(gone.text) <= header and self._held_by_none(gone.text):
            return None
        return row, ladder

    def _held_by_none(self, text: str) -> bool:
        """A blank line, or one that read on its own parses cleanly and has no enclosing unit (a comment)."""
        if not text.strip():
            return True
        alone = self.fragment([text]) if self.fragment is not None else None
        return alone is not None and not alone.ladder(0)

    def _cut_from(self, above: int, rows: list[Row]) -> tuple[int, Ladder, int]:
        """The row and ladder of the unit deleted rows were cut from, and how many of them (the first ones) it
        holds: all when the lines on both sides of their gap are in one unit; when they are the end of the
        unit above the gap (blank lines may stand between), those up to the last one indented deeper than
        its header, before any line that is not (a definition deleted after it); else none."""
        code = above
        while 0 <= code < len(self.texts) and not self.texts[code].strip():
            code -= 1  # `def f(): …`, a blank line, then the deleted tail of f
        ladder = self.ladder(code)
        if not ladder:
            return above, (), 0
        unit = ladder[0]
        if unit.span[0] <= above + 1 <= unit.span[1]:
            return code, ladder, len(rows)
        header = _indent(self.texts[unit.signature[0] if unit.signature else unit.span[0]])
        held = 0
        for n, row in enumerate(rows):
            if not row.text.strip():
                continue
            if _indent(row.text) <= header:
                break
            held = n + 1
        return code, ladder, held

    def _deleted_whole(self, rows: list[Row]) -> int:
        """How many deleted lines that no new-file code encloses belong to a definition or statement deleted
        whole: read on their own (dedented, with the file's grammar), a line that has an enclosing unit there
        was shown with all of it, as the `-` rows every view keeps. A blank or comment line between
        definitions, or lines that do not parse cleanly on their own, count as not whole."""
        if not rows or self.fragment is None:
            return 0
        analyzer = self.fragment([r.text for r in rows])
        if analyzer is None:
            return 0
        return sum(1 for n in range(len(rows)) if analyzer.ladder(n))

    def hunks(self) -> list[_Hunk]:
        last = len(self.texts) - 1
        numbers: dict[int, list[int]] = {}
        for shown in self.diff.rows:
            if shown.new is not None:
                numbers.setdefault(shown.hunk, []).append(shown.new - 1)
        anchors: dict[int, list[tuple[int, Ladder]]] = {}
        for hunk, row, ladder in self.anchors:
            if ladder:
                anchors.setdefault(hunk, []).append((row, ladder))
        out: list[_Hunk] = []
        for index in range(self.diff.hunk_count):
            own = numbers.get(index)
            ladders = anchors.get(index, [])
            depth = max((len(ladder) for _, ladder in ladders), default=-1) + 1
            steps = [[clamp(s, last) for a, ladder in ladders for s in _step(a, ladder, k)]
                     for k in range(1, depth + 1)]
            out.append(_Hunk((min(own), max(own)) if own else None, steps))
        return out

    # -- choosing ---------------------------------------------------------------------------------
    def fits(self, spans: Iterable[Span], budget: float, spent: float) -> tuple[bool, float, list[int]]:
        fresh = sorted({n for start, end in spans for n in range(start, end + 1) if not self.shown[n]})
        extra = sum(self.cost[n] for n in fresh)
        return spent + extra <= budget, extra, fresh

    def choose(self, budget: float) -> float:
        hunks = self.hunks()
        spent = self.deleted_cost
        for hunk in hunks:
            _, extra, fresh = self.fits([hunk.rows] if hunk.rows else [], float("inf"), spent)
            spent += extra
            self._mark(fresh)
        climbing = [h for h in hunks if h.steps]
        step = 0
        while climbing:
            still = []
            for hunk in climbing:
                ok, extra, fresh = self.fits(hunk.steps[step], budget, spent)
                if not ok:
                    continue
                spent += extra
                self._mark(fresh)
                if step + 1 < len(hunk.steps):
                    still.append(hunk)
            climbing, step = still, step + 1
        return spent

    def _mark(self, rows: list[int]) -> None:
        for n in rows:
            self.shown[n] = True

    def unplaced_lines(self) -> int:
        return sum(1 for _, _, ladder in self.anchors if not ladder) - self.deleted_whole

    def whole_lines(self) -> int:
        """Changed lines whose enclosing definition is shown whole. A line nothing encloses (no definition,
        no statement: a blank line, a comment between definitions, a deleted line the analyzer cannot place)
        does not count: "whole" is claimed only for what was found and shown. A deleted line of a definition
        deleted whole counts: all of that definition is shown, as deleted rows."""
        count = self.deleted_whole
        for _, _, ladder in self.anchors:
            if not ladder:
                continue
            start, end = clamp(ladder[-1].span, len(self.texts) - 1)
            count += all(self.shown[start : end + 1])
        return count


def _blocks(rows: list[Row]) -> list[list[Row]]:
    """The diff's runs of changed rows (deleted and added, nothing unchanged between them), in order."""
    out: list[list[Row]] = []
    previous: Row | None = None
    for row in rows:
        if row.kind in ("+", "-"):
            if previous is None or previous.kind == " " or previous.hunk != row.hunk:
                out.append([])
            out[-1].append(row)
        previous = row
    return out


def _indent(text: str) -> int:
    return len(text.expandtabs(4)) - len(text.expandtabs(4).lstrip())


def _step(row: int, ladder: Ladder, k: int) -> list[Span]:
    """The spans of step k (1-based) of one changed line's ladder."""
    if k == 1:
        unit = ladder[0]
        start, end = max(row - WINDOW, unit.span[0]), min(row + WINDOW, unit.span[1])
        return [(start, end), *unit.headers, *([unit.signature] if unit.signature else [])]
    level = ladder[min(k - 2, len(ladder) - 1)]
    return [level.span, *level.headers]
