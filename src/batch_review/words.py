"""Counts and durations as people write them: "1 file", "2 files", "0:42"."""

from __future__ import annotations

IRREGULAR = {"was": "were", "is": "are", "batch": "batches", "its": "their"}


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 file`, `2 files`, `0 files` (thousands separated): `many` for an irregular plural."""
    return f"{count:,} {word if count == 1 else many or IRREGULAR.get(word) or word + 's'}"


def duration(seconds: float) -> str:
    """`0:42`, `12:05`, `1:02:03`."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def eta(done: int, total: int, elapsed: float) -> str:
    """`~0:42 left` from the pace so far; '' before the first answer and after the last."""
    if done <= 0 or done >= total:
        return ""
    return f"~{duration(elapsed / done * (total - done))} left"
