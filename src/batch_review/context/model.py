"""What the analyzers (syntax tree, heuristic) tell the selector about one changed line.

Rows are 0-based and spans inclusive, as tree-sitter counts them (only LF ends a line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

Span = tuple[int, int]


@dataclass(frozen=True)
class Level:
    """One step of widening: a unit of code (a function, a statement, a block) with the header lines
    of what encloses it (class lines, outer signatures) and its own header (its signature)."""

    span: Span
    headers: tuple[Span, ...] = ()
    signature: Span | None = None


# Innermost unit first; the last is the line's enclosing definition. Empty: nothing encloses the line.
Ladder = tuple[Level, ...]


class Analyzer(Protocol):
    def ladder(self, row: int) -> Ladder: ...

    @property
    def broken(self) -> bool:
        """The text does not parse cleanly (False when the analyzer cannot tell)."""
        ...


def clamp(span: Span, last: int) -> Span:
    start, end = span
    start = min(max(start, 0), last)
    return start, min(max(end, start), last)
