"""The walkthrough in the status comment: the change in two or three sentences, then a table of files (grouped
when one request reviewed them together) with what each change does.

No model request is made for it: the table is the review requests' own summaries, and the overview sentences
are composed from them (where the change is, its largest part, the next one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from posixpath import dirname

from ..memory.walkthrough import Walkthrough
from ..words import plural
from .markdown import code_span, inline_text

MAX_ROWS = 50
FILES_PER_ROW = 6


def groups(walk: Walkthrough, current: Mapping[str, str]) -> list[tuple[list[str], str, bool]]:
    """(paths, summary, of an earlier version) rows: files sharing a summary together, largest group first."""
    rows: dict[tuple[str, bool], list[str]] = {}
    for path in sorted(walk.entries):
        key, text = walk.entries[path]
        rows.setdefault((text, key != current.get(path)), []).append(path)
    ordered = sorted(rows.items(), key=lambda item: (-len(item[1]), item[1][0]))
    return [(paths, text, stale) for (text, stale), paths in ordered]


def overview(rows: list[tuple[list[str], str, bool]]) -> str:
    """Two or three sentences composed from the summaries: where the change is, its largest part, the next."""
    paths = [p for files, _, _ in rows for p in files]
    areas = Counter(dirname(p) or "the repository root" for p in paths)
    where = ", ".join(code_span(a) if a != "the repository root" else a for a, _ in areas.most_common(3))
    more = f" and {plural(len(areas) - 3, 'other folder')}" if len(areas) > 3 else ""
    sentences = [f"This pull request changes {plural(len(paths), 'file')} in {where}{more}."]
    sentences.append(f"Main change: {_sentence(rows[0][1])}")
    if len(rows) > 1:
        rest = f" ({plural(len(rows) - 2, 'more change')} in the table)" if len(rows) > 2 else ""
        sentences.append(f"Also: {_sentence(rows[1][1], rest)}")
    return " ".join(sentences)


def _sentence(summary: str, tail: str = "") -> str:
    return f"{inline_text(summary).rstrip('. ')}{tail}."


def render(walk: Walkthrough, current: Mapping[str, str]) -> list[str]:
    """The walkthrough's lines ([] when no file has a summary yet)."""
    rows = groups(walk, current)
    if not rows:
        return []
    lines = ["#### Walkthrough", "", overview(rows), "", "| Files | What the change does |", "| --- | --- |"]
    for paths, text, stale in rows[:MAX_ROWS]:
        shown = ", ".join(code_span(p, table=True) for p in paths[:FILES_PER_ROW])
        if len(paths) > FILES_PER_ROW:
            shown += f" and {len(paths) - FILES_PER_ROW} more"
        note = " _(of an earlier version: not reviewed this run)_" if stale else ""
        lines.append(f"| {shown} | {inline_text(text)}{note} |")
    if len(rows) > MAX_ROWS:
        left = sum(len(paths) for paths, _, _ in rows[MAX_ROWS:])
        lines.append(f"| … | {plural(left, 'more file')} (their summaries are in the JSON report) |")
    return lines
