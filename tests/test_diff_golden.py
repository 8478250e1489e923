"""The diff parser against golden data made by real `git diff` (tests/data/diffs), and against an
independent reading of the hunk headers: the lines GitHub accepts comments on must match exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from batch_review.diff import FileDiff, parse_patch, split_git_diff

GOLDEN = Path(__file__).parent / "data" / "diffs"
CASES = sorted(p.stem for p in GOLDEN.glob("*.patch"))
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def reference(patch: str) -> tuple[set[int], set[int], set[int]]:
    """Commentable RIGHT lines, LEFT lines and added lines, counted straight from the hunk headers."""
    right: set[int] = set()
    left: set[int] = set()
    added: set[int] = set()
    old = new = 0
    for line in patch.split("\n"):
        match = HUNK.match(line)
        if match:
            old, new = int(match[1]), int(match[3])
            continue
        if line.startswith("+"):
            right.add(new)
            added.add(new)
            new += 1
        elif line.startswith("-"):
            left.add(old)
            old += 1
        elif line.startswith(" ") or (line == "" and old):
            right.add(new)
            left.add(old)
            old += 1
            new += 1
    return right, left, added


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    patch = (GOLDEN / f"{case}.patch").read_bytes().decode("utf-8")
    want = json.loads((GOLDEN / f"{case}.json").read_text(encoding="utf-8"))
    diff = parse_patch(patch)
    assert diff.hunk_count == want["hunks"]
    assert sorted(diff.right) == want["right"]
    assert sorted(diff.left) == want["left"]
    assert sorted(diff.added) == want["added"]
    assert sorted(diff.deleted) == want["deleted"]
    assert {str(k): v for k, v in diff.right.items()} == want["right_hunk"]
    right, left, added = reference(patch.rstrip("\n"))
    assert set(diff.right) == right and set(diff.left) == left and diff.added == added


def test_crlf_is_kept_out_of_the_text_but_lines_still_count() -> None:
    diff = parse_patch((GOLDEN / "crlf.patch").read_bytes().decode())
    assert diff.new_text == {1: "a", 2: "B", 3: "c"}


def test_ranges_stay_inside_one_hunk() -> None:
    diff = parse_patch((GOLDEN / "two_hunks.patch").read_text())
    assert diff.inline_range(3, None) == (None, 3)
    assert diff.inline_range(2, 4) == (2, 4)
    assert diff.inline_range(5, 25) == (5, 6)  # narrowed to the first hunk
    assert diff.inline_range(10, 20) is None  # between the hunks
    assert diff.inline_range(29, 40) == (None, 29)


def test_a_patch_without_hunks_has_no_commentable_lines() -> None:
    assert parse_patch("") == FileDiff()
    assert parse_patch("similarity index 100%\nrename from a\nrename to b\n").right == {}


def test_split_git_diff_only_breaks_at_real_headers() -> None:
    text = (
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\rdiff --git fake\n"
        "diff --git a/y b/y\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-c\n+d\n"
    )
    sections = split_git_diff(text)
    assert len(sections) == 2
    assert sections[0].endswith("+b\rdiff --git fake\n")
