"""The plan: which code goes to the model in which request, with token estimates.

A file becomes one or more pieces (a big file is split at hunk or line boundaries within the token
budget); `packing.py` packs consecutive pieces in path order into requests up to the same budget, with
stable ids, as the files stream in. The plan holds no file content, only row ranges, digests and each
file's loader (well under a kilobyte a file: a 100,000-file sweep plans and submits within 200 MB,
docs/sweeps.md); `prompt.py` renders a request's text right before it is sent.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING

from .context import ContextStats, View, select_context
from .diff import FileDiff, PatchError, Row, content_rows, parse_patch
from .filters import content_reason
from .log import log
from .packing import Budget, Piece, PlannedRequest, pack
from .sources.base import Skip, SourceFile

if TYPE_CHECKING:
    from .context.related.model import RelatedItem

__all__ = [  # a plan's pieces, requests and budget are packing.py's; imported from here by its readers
    "CHARS_PER_TOKEN", "GUTTER_TOKENS", "PIECE_HEADER_TOKENS", "UNKNOWN", "Budget", "Piece", "Plan", "PlanFile",
    "PlannedRequest", "estimate_tokens", "line_tokens", "make_plan",
]

CHARS_PER_TOKEN = 3.4  # code is denser than prose
GUTTER_TOKENS = 1.2  # a line number and a marker
PIECE_HEADER_TOKENS = 18
UNKNOWN = "\0not shown\0"  # a line whose text is not known (outside the diff's hunks)


def estimate_tokens(text_chars: int, rows: int) -> int:
    return math.ceil(text_chars / CHARS_PER_TOKEN + rows * GUTTER_TOKENS) + PIECE_HEADER_TOKENS


def line_tokens(text: str) -> float:
    """A line's estimated tokens as a request shows it: its text and its gutter."""
    return len(text) / CHARS_PER_TOKEN + GUTTER_TOKENS


@dataclass(slots=True)
class PlanFile:
    path: str
    status: str
    inline: bool
    diff: FileDiff | None
    total_lines: int | None
    changed_lines: int
    load: Callable[[], bytes | None] | None = field(default=None, repr=False)  # the content at the reviewed commit
    old_path: str | None = None  # a renamed file's earlier path
    view: View | None = field(default=None, repr=False)  # the widened rows of a change (targeted context)


@dataclass
class Plan:
    requests: list[PlannedRequest] = field(default_factory=list)
    files: dict[str, PlanFile] = field(default_factory=dict)
    skipped: list[Skip] = field(default_factory=list)
    _lines: dict[str, list[str]] = field(default_factory=dict, repr=False)
    context: ContextStats = field(default_factory=ContextStats)  # changes only: tokens shown, definitions whole
    notes: list[str] = field(default_factory=list)
    shared: tuple[str, ...] = ()  # the run's shared blocks (shared.py), sent in every request's cached prefix
    related: dict[str, tuple[RelatedItem, ...]] = field(default_factory=dict)  # by custom_id: code from other files
    # files skipped by name as key material whose credentials were scanned for (keyfiles.py), never sent: each
    # one's commentable lines (its change's new side, no text), so a credential found there can sit on its line
    scanned: dict[str, FileDiff] = field(default_factory=dict)

    @property
    def input_tokens(self) -> int:
        return sum(r.input_tokens for r in self.requests)

    @property
    def output_tokens(self) -> int:
        return sum(r.output_tokens for r in self.requests)

    @property
    def changed_lines(self) -> int:
        return sum(f.changed_lines for f in self.files.values())

    def fingerprint(self, model: str, prompt_version: str) -> str:
        h = hashlib.sha256(f"{model}\0{prompt_version}".encode())
        for request in self.requests:
            h.update(request.custom_id.encode())
        return h.hexdigest()[:24]

    def by_id(self) -> dict[str, PlannedRequest]:
        return {r.custom_id: r for r in self.requests}

    def related_of(self, request: PlannedRequest) -> tuple[RelatedItem, ...]:
        """The code from other files chosen for a planned request; for a file asked about on its own after its
        pack's answer failed, the pack's (what the file was planned to be shown with)."""
        known = self.related.get(request.custom_id)
        if known is not None or not self.related or not request.pieces:
            return known or ()
        if any(r is request for r in self.requests):
            return ()  # a planned request without code from other files: no pack to look for
        return next((self.related[r.custom_id] for r in self.requests
                     if r.custom_id in self.related and request.pieces[0] in r.pieces), ())

    def rows(self, piece: Piece) -> list[Row]:
        """The rows a piece shows: a change's rows (widened, or the diff's hunks), or lines of a whole file
        (read again now)."""
        entry = self.files[piece.path]
        if entry.view is not None:
            return entry.view.rows[piece.start : piece.stop]
        if entry.diff is not None:
            return entry.diff.rows[piece.start : piece.stop]
        data = entry.load() if entry.load else None
        return content_rows(data or b"", piece.start, piece.stop)

    def line_text(self, path: str, first: int, last: int) -> str | None:
        """The text of new-file lines first..last when it is known (for fingerprints)."""
        lines = self.new_lines(path)
        if first < 1 or last > len(lines) or any(lines[n - 1] is UNKNOWN for n in range(first, last + 1)):
            return None
        return "\n".join(lines[first - 1 : last])

    def new_lines(self, path: str) -> list[str]:
        """Every line of the file's new version (head content when the source can read it, else the lines its
        diff shows, with UNKNOWN in the gaps); read once per path."""
        cached = self._lines.get(path)
        if cached is not None:
            return cached
        entry = self.files.get(path)
        lines: list[str] = []
        data = entry.load() if entry is not None and entry.load else None
        if data is not None:
            lines = [row.text for row in content_rows(data, 0, data.count(b"\n") + 1)]
            if data.endswith(b"\n"):
                lines.pop()
        elif entry is not None and entry.diff is not None and entry.diff.new_text:
            known = entry.diff.new_text
            lines = [known.get(n, UNKNOWN) for n in range(1, max(known) + 1)]
        self._lines[path] = lines
        return lines


def make_plan(files: Iterable[SourceFile], skipped: list[Skip], budget: Budget) -> Plan:
    plan = Plan(skipped=skipped)
    if isinstance(files, Sequence):  # a change's files, all known: fetch their head content in few calls
        from .sources.head_content import fetch_head_contents

        fetch_head_contents([f for f in files if f.status != "tracked" and f.patch and "@@" in f.patch])
    plan.requests = list(pack(_pieces(files, plan, budget), budget))
    _report_context(plan, budget)
    return plan


def _pieces(files: Iterable[SourceFile], plan: Plan, budget: Budget) -> Iterator[Piece]:
    for source in files:
        if source.path in plan.files:
            continue  # a path listed twice: review it once
        if source.status == "tracked":
            yield from _whole_file_pieces(source, plan, budget)
        else:
            yield from _diff_pieces(source, plan, budget)


def _diff_pieces(source: SourceFile, plan: Plan, budget: Budget) -> Iterator[Piece]:
    try:
        diff = parse_patch(source.patch or "")
    except PatchError as exc:
        plan.skipped.append(Skip(source.path, str(exc)))
        return
    if not diff.rows:
        plan.skipped.append(Skip(source.path, "no content change"))
        return
    entry = plan.files[source.path] = PlanFile(
        source.path, source.status, source.inline, diff, None, diff.changed_lines, source.load, source.old_path
    )
    digest = hashlib.blake2b((source.patch or "").encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    rows = diff.rows
    kind = ""
    if budget.context == "definitions":
        entry.view = _widen(source, diff, budget, plan)
        if entry.view.kind != "hunks":
            rows, kind = entry.view.rows, entry.view.kind
            digest = _rows_digest(rows)
    start = 0
    while start < len(rows):
        stop, tokens = _cut(rows, start, budget.max_piece_tokens)
        numbers = [r.new for r in rows[start:stop] if r.new is not None] or [0]
        changed = sum(1 for r in rows[start:stop] if r.kind != " ")
        yield Piece(source.path, False, start, stop, numbers[0], numbers[-1], None, tokens,
                    _piece_digest(source.path, start, stop, digest), changed, kind)
        start = stop


def _widen(source: SourceFile, diff: FileDiff, budget: Budget, plan: Plan) -> View:
    """The change with its enclosing definitions, within `max-context-tokens` more than its hunks and
    within one request's budget; the hunks alone when the head content cannot be had (with a note)."""
    hunks = sum(line_tokens(r.text) for r in diff.rows)
    limit = min(budget.max_piece_tokens - PIECE_HEADER_TOKENS, hunks + budget.max_context_tokens)
    try:
        head = source.load() if source.load else None
    except OSError:
        head = None
    reason = content_reason(head) if head is not None else None
    view = select_context(source.path, None if reason else head, diff, max(limit, hunks),
                          chars_per_token=CHARS_PER_TOKEN, gutter=GUTTER_TOKENS)
    why: object = getattr(source.load, "unavailable", None)  # a pull request's HeadLoader says why
    if reason:
        view.note = f"its head content is {reason}"
    elif head is None and isinstance(why, str) and why:
        view.note += f" ({why})"
    if view.note:
        plan.notes.append(f"{source.path}: {view.note}")
    if view.kind == "hunks":
        view.rows = diff.rows  # shown as the diff's hunks: the same rows, the same pieces
    plan.context += view.stats
    return view


def _rows_digest(rows: list[Row]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for row in rows:
        h.update(f"{row.kind}{row.new}\0{row.text}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _report_context(plan: Plan, budget: Budget) -> None:
    """Log what targeted context cost and covered; turn per-file fallbacks into one note."""
    stats = plan.context
    if budget.context != "definitions" or not stats.changed_lines:
        return
    held = (f", {stats.unplaced_lines:,} held by none (blank or comment lines between definitions)"
            if stats.unplaced_lines else "")
    log.info(
        f"targeted context: {stats.whole_lines:,} of {stats.changed_lines:,} changed lines shown with their whole "
        f"enclosing definition ({stats.whole_share:.0%}){held}; code shown / changed-line tokens {stats.ratio:.1f}"
    )
    if plan.notes:
        fallbacks, plan.notes = plan.notes, []
        shown = "; ".join(fallbacks[:5]) + (f"; and {len(fallbacks) - 5} more" if len(fallbacks) > 5 else "")
        plan.notes.append(
            f"{len(fallbacks)} file(s) were shown as their diff's hunks only, without the code around them ({shown})"
        )
        log.info(plan.notes[-1])


def _cut(rows: list[Row], start: int, limit: int) -> tuple[int, int]:
    """Rows from `start` up to the token limit, preferring to end where a hunk ends."""
    chars = 0
    best_stop = None
    stop = start
    while stop < len(rows):
        row = rows[stop]
        if estimate_tokens(chars + len(row.text), stop - start + 1) > limit and stop > start:
            break
        chars += len(row.text)
        stop += 1
        if stop == len(rows) or rows[stop].hunk != row.hunk:
            best_stop = stop
    if stop < len(rows) and best_stop is not None and best_stop > start:
        stop = best_stop
        chars = sum(len(r.text) for r in rows[start:stop])
    return stop, estimate_tokens(chars, stop - start)


def _whole_file_pieces(source: SourceFile, plan: Plan, budget: Budget) -> Iterator[Piece]:
    data = source.load() if source.load else None
    if data is None:
        plan.skipped.append(Skip(source.path, "content unavailable"))
        return
    reason = content_reason(data)
    if reason:
        plan.skipped.append(Skip(source.path, reason))
        return
    if not data.strip():
        plan.skipped.append(Skip(source.path, "empty"))
        return
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    plan.files[source.path] = PlanFile(source.path, source.status, False, None, lines, lines, source.load)
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    whole = estimate_tokens(len(data), lines)
    if whole <= budget.max_piece_tokens:
        yield Piece(source.path, True, 0, lines, 1, lines, lines, whole,
                    _piece_digest(source.path, 0, lines, digest), lines)
        return
    # offsets[i] = characters before line i; a chunk's end is found by bisection, not line by line
    offsets = list(accumulate((len(line) + 1 for line in data.split(b"\n")[:lines]), initial=0))
    start = 0
    while start < lines:
        low, high = start + 1, lines  # the last stop whose chunk still fits (at least one line)
        while low < high:
            middle = (low + high + 1) // 2
            if estimate_tokens(offsets[middle] - offsets[start], middle - start) <= budget.max_piece_tokens:
                low = middle
            else:
                high = middle - 1
        stop = low
        tokens = estimate_tokens(offsets[stop] - offsets[start], stop - start)
        yield Piece(source.path, True, start, stop, start + 1, stop, lines, tokens,
                    _piece_digest(source.path, start, stop, digest), stop - start)
        start = stop


def _piece_digest(path: str, start: int, stop: int, content: str) -> str:
    key = f"{path}\0{start}\0{stop}\0{content}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(key).hexdigest()[:16]
