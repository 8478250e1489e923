"""One piece of code from another file, chosen for a request: where it is, why, and its rendered text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RelatedItem:
    path: str
    first: int  # 1-based, inclusive
    last: int
    why: str  # "defines `parse`, which the changed lines use"
    text: str  # as sent: a `### "path" lines a-b: why` line, then numbered rows (a gap shown as ⋮)
    tokens: int  # estimated from `text`
    score: float
