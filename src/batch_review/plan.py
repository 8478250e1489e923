"""Requests: which code goes to the model in which request, with stable ids and token estimates.

A file becomes one or more pieces (a big file is split at hunk or line boundaries within the token
budget); consecutive pieces in path order are packed into requests up to the same budget. The plan
holds no file content, only row ranges and digests, so a 50,000-file sweep plans in constant memory;
`prompt.py` renders a request's text right before it is sent.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate

from .diff import FileDiff, PatchError, Row, content_rows, parse_patch
from .filters import content_reason
from .sources.base import Skip, SourceFile

CHARS_PER_TOKEN = 3.4  # code is denser than prose
GUTTER_TOKENS = 1.2  # a line number and a marker
PIECE_HEADER_TOKENS = 18
REQUEST_FRAME_TOKENS = 70  # the fixed words and the <code> fence around the pieces
OUTPUT_BASE_TOKENS = 120
OUTPUT_PER_PIECE_TOKENS = 160
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def estimate_tokens(text_chars: int, rows: int) -> int:
    return math.ceil(text_chars / CHARS_PER_TOKEN + rows * GUTTER_TOKENS) + PIECE_HEADER_TOKENS


@dataclass(frozen=True, slots=True)
class Piece:
    """A contiguous run of rows of one file: diff rows for a change, lines for a whole file."""

    path: str
    whole_file: bool
    start: int  # row index, inclusive
    stop: int  # row index, exclusive
    first_line: int
    last_line: int
    total_lines: int | None
    tokens: int
    digest: str
    changed_lines: int = 0


@dataclass(frozen=True)
class PlannedRequest:
    custom_id: str
    pieces: tuple[Piece, ...]
    input_tokens: int  # estimated, without the system prompt
    output_tokens: int  # estimated

    @property
    def paths(self) -> list[str]:
        return list(dict.fromkeys(p.path for p in self.pieces))


@dataclass
class PlanFile:
    path: str
    status: str
    inline: bool
    diff: FileDiff | None
    total_lines: int | None
    changed_lines: int
    source: SourceFile = field(repr=False)
    requests: list[str] = field(default_factory=list)


@dataclass
class Plan:
    requests: list[PlannedRequest] = field(default_factory=list)
    files: dict[str, PlanFile] = field(default_factory=dict)
    skipped: list[Skip] = field(default_factory=list)

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

    def rows(self, piece: Piece) -> list[Row]:
        """The rows a piece shows: diff rows of a change, or lines of a whole file (read again now)."""
        entry = self.files[piece.path]
        if entry.diff is not None:
            return entry.diff.rows[piece.start : piece.stop]
        data = entry.source.load() if entry.source.load else None
        return content_rows(data or b"", piece.start, piece.stop)

    def line_text(self, path: str, first: int, last: int) -> str | None:
        """The text of new-file lines first..last when it is known (for fingerprints)."""
        entry = self.files.get(path)
        if entry is None:
            return None
        if entry.diff is not None:
            texts = [entry.diff.new_text.get(n) for n in range(first, last + 1)]
            return None if any(t is None for t in texts) else "\n".join(t or "" for t in texts)
        data = entry.source.load() if entry.source.load else None
        if data is None or entry.total_lines is None or last > entry.total_lines:
            return None
        return "\n".join(r.text for r in content_rows(data, first - 1, last))


@dataclass(frozen=True)
class Budget:
    max_request_tokens: int = 20000
    max_files_per_request: int = 12

    @property
    def max_piece_tokens(self) -> int:
        return self.max_request_tokens - REQUEST_FRAME_TOKENS


def make_plan(files: Iterable[SourceFile], skipped: list[Skip], budget: Budget) -> Plan:
    plan = Plan(skipped=skipped)
    plan.requests = list(pack(_pieces(files, plan, budget), budget))
    for request in plan.requests:
        for path in request.paths:
            plan.files[path].requests.append(request.custom_id)
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
    plan.files[source.path] = PlanFile(
        source.path, source.status, source.inline, diff, None, diff.changed_lines, source
    )
    digest = hashlib.blake2b((source.patch or "").encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    rows = diff.rows
    start = 0
    while start < len(rows):
        stop, tokens = _cut(rows, start, budget.max_piece_tokens)
        numbers = [r.new for r in rows[start:stop] if r.new is not None] or [0]
        changed = sum(1 for r in rows[start:stop] if r.kind != " ")
        yield Piece(source.path, False, start, stop, numbers[0], numbers[-1], None, tokens,
                    _piece_digest(source.path, start, stop, digest), changed)
        start = stop


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
    plan.files[source.path] = PlanFile(source.path, source.status, False, None, lines, lines, source)
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


def pack(pieces: Iterable[Piece], budget: Budget) -> Iterator[PlannedRequest]:
    """Next-fit packing in path order: neighbouring files share a request, streaming, O(1) memory."""
    current: list[Piece] = []
    tokens = REQUEST_FRAME_TOKENS
    files = 0
    for piece in pieces:
        new_file = not current or current[-1].path != piece.path
        if current and (
            tokens + piece.tokens > budget.max_request_tokens
            or (new_file and files >= budget.max_files_per_request)
        ):
            yield _request(current, tokens)
            current, tokens, files = [], REQUEST_FRAME_TOKENS, 0
            new_file = True
        current.append(piece)
        tokens += piece.tokens
        files += 1 if new_file else 0
    if current:
        yield _request(current, tokens)


def _request(pieces: list[Piece], tokens: int) -> PlannedRequest:
    return PlannedRequest(
        custom_id=custom_id(pieces),
        pieces=tuple(pieces),
        input_tokens=tokens,
        output_tokens=OUTPUT_BASE_TOKENS + OUTPUT_PER_PIECE_TOKENS * len(pieces),
    )


_SLUG = re.compile(r"[^a-zA-Z0-9_-]+")


def custom_id(pieces: list[Piece]) -> str:
    """`<slug of the first file>-<digest of every piece>`: unique, stable, ≤ 64 chars, API-safe."""
    digest = hashlib.sha256("|".join(p.digest for p in pieces).encode()).hexdigest()[:20]
    name = pieces[0].path.rsplit("/", 1)[-1]
    slug = _SLUG.sub("_", name).strip("_")[:40] or "file"
    value = f"{slug}-{digest}"
    assert CUSTOM_ID.match(value), value
    return value
