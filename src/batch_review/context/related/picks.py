"""A candidate before it is rendered: the rows of a file to show, why, and its score; and the rows of a call site
(the calling definition's header and a line either side of each call, at most MAX_CALLS calls)."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass

from .tags import Definition, FileTags

MAX_HEADER = 6  # signature lines shown of a longer definition
MAX_CALLS = 3  # call sites shown per calling definition
TEST_WEIGHT = 0.3  # a site in a test file: the code under review's users come first
_TEST_FOLDERS = frozenset({"test", "tests", "testing", "__tests__", "spec", "specs"})


@dataclass(frozen=True)
class Pick:
    path: str
    rows: tuple[int, ...]  # 0-based rows to show
    why: str
    score: float


def is_test(path: str) -> bool:
    """A test file, by its folder or its name (`test_x.py`, `x_test.py`, `x_test.go`, `x.test.ts`, `x.spec.js`)."""
    parts = path.split("/")
    name = posixpath.basename(path)
    stem = name.split(".", 1)[0]
    return (bool(_TEST_FOLDERS & set(parts[:-1])) or stem.startswith("test_") or stem.endswith("_test")
            or ".test." in name or ".spec." in name)


def sites(path: str, tags: FileTags, rows: list[int], why: str, score: float) -> list[Pick]:
    """One pick per calling definition: its header and the rows around each site (the first MAX_CALLS)."""
    groups: dict[Definition | None, list[int]] = defaultdict(list)
    for row in rows:
        groups[tags.enclosing(row)].append(row)
    picks = []
    last = len(tags.lines) - 1
    weight = TEST_WEIGHT if is_test(path) else 1.0
    for caller, found in groups.items():
        shown: set[int] = set()
        if caller is not None:
            shown.update(range(caller.header[0], min(caller.header[1], caller.header[0] + MAX_HEADER - 1) + 1))
        for row in sorted(set(found))[:MAX_CALLS]:
            low = row - 1 if caller is None else max(row - 1, caller.header[0])
            high = row + 1 if caller is None else min(row + 1, caller.end)
            shown.update(range(max(low, 0), min(high, last) + 1))
        picks.append(Pick(path, tuple(sorted(shown)), why, score * weight))
    return picks
