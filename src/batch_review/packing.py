"""Packing: a plan's pieces into requests, each within the token budget, with stable ids.

The pieces (`Piece`: rows of one file, cut by `plan.py`) arrive in path order; next-fit packing puts
neighbouring files into one request (`PlannedRequest`) until the request's token budget or its number of
files is reached, streaming. A request's `custom_id` is derived from its pieces: the same pieces give the
same id in every run, and a request made again from some of a pack's pieces (engines/packs.py) gets its own.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from . import linear

REQUEST_FRAME_TOKENS = 70  # the fixed words and the <code> fence around the pieces
OUTPUT_BASE_TOKENS = 120
OUTPUT_PER_PIECE_TOKENS = 160
CUSTOM_ID = linear.compile(r"^[a-zA-Z0-9_-]{1,64}$")


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
    context: str = ""  # of a change: "definitions" (widened), "whole" (every line, changes marked), "" (hunks)


@dataclass(frozen=True)
class PlannedRequest:
    custom_id: str
    pieces: tuple[Piece, ...]
    input_tokens: int  # estimated, without the system prompt
    output_tokens: int  # estimated

    @property
    def paths(self) -> list[str]:
        return list(dict.fromkeys(p.path for p in self.pieces))

    @property
    def label(self) -> str:
        """What the request holds, for people: `a.py`, `a.py, lines 401-800 of 1,200`, `12 files in src/`."""
        paths = self.paths
        if len(paths) > 1:
            folder = posixpath.commonpath(paths) if all("/" in p for p in paths) else ""
            return f"{len(paths)} files in {folder}/" if folder else f"{len(paths)} files"
        return self.holds()[0]

    def holds(self) -> list[str]:
        """Each file of the request, with the lines it holds when that is only part of the file."""
        shown = []
        for path in self.paths:
            pieces = [p for p in self.pieces if p.path == path]
            first, last, total = pieces[0], pieces[-1], pieces[0].total_lines
            if first.whole_file and total is not None and (first.first_line > 1 or last.last_line < total):
                shown.append(f"{path}, lines {first.first_line:,}-{last.last_line:,} of {total:,}")
            else:
                shown.append(path)
        return shown


@dataclass(frozen=True)
class Budget:
    max_request_tokens: int = 20000
    max_files_per_request: int = 12
    context: str = "definitions"  # or "hunks": the diff's own rows only
    max_context_tokens: int = 8000  # code around a file's hunks that targeted context may add

    @property
    def max_piece_tokens(self) -> int:
        return self.max_request_tokens - REQUEST_FRAME_TOKENS


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
            yield request_of(current)
            current, tokens, files = [], REQUEST_FRAME_TOKENS, 0
            new_file = True
        current.append(piece)
        tokens += piece.tokens
        files += 1 if new_file else 0
    if current:
        yield request_of(current)


def request_of(pieces: Sequence[Piece]) -> PlannedRequest:
    """The request holding exactly these pieces: a pack, or one file of a pack asked about on its own."""
    return PlannedRequest(
        custom_id=custom_id(pieces),
        pieces=tuple(pieces),
        input_tokens=REQUEST_FRAME_TOKENS + sum(p.tokens for p in pieces),
        output_tokens=OUTPUT_BASE_TOKENS + OUTPUT_PER_PIECE_TOKENS * len(pieces),
    )


_SLUG = linear.compile(r"[^a-zA-Z0-9_-]+")


def custom_id(pieces: Sequence[Piece]) -> str:
    """`<slug of the first file>-<digest of every piece>`: unique, stable, ≤ 64 chars, API-safe."""
    digest = hashlib.sha256("|".join(p.digest for p in pieces).encode()).hexdigest()[:20]
    name = pieces[0].path.rsplit("/", 1)[-1]
    slug = _SLUG.sub("_", name).strip("_")[:40] or "file"
    value = f"{slug}-{digest}"
    assert CUSTOM_ID.match(value), value
    return value
