"""Hunks of a fix between two releases of a file: listing them, undoing the chosen ones, and the comment
lines a fix added (removed from a case's base so the diff does not explain the bug)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from eval.repos import git_env

MERGE_GAP = 6  # reversed hunks this close together make one label
Hunk = tuple[int, int, int, int, list[str]]  # old start, old count, new start, new count, the diff lines


def zero_context_hunks(old: bytes, new: bytes) -> list[Hunk]:
    """The hunks of `git diff -U0` from old to new, in order."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "a").write_bytes(old)
        Path(tmp, "b").write_bytes(new)
        proc = subprocess.run(["git", "diff", "--no-index", "-U0", "--no-color", "a", "b"], cwd=tmp,
                              capture_output=True, env=git_env(), check=False)
    hunks: list[Hunk] = []
    for line in proc.stdout.decode("utf-8", "surrogateescape").split("\n"):
        if line.startswith("@@ "):
            old_part, new_part = line.split(" ")[1:3]
            o_start, o_count = _range(old_part[1:])
            n_start, n_count = _range(new_part[1:])
            hunks.append((o_start, o_count, n_start, n_count, []))
        elif hunks and line[:1] in ("+", "-") and not line.startswith(("+++", "---")):
            hunks[-1][4].append(line)
    return hunks


def _range(text: str) -> tuple[int, int]:
    start, _, count = text.partition(",")
    return int(start), int(count) if count else 1


def rebuild(old: bytes, new: bytes, hunks: list[Hunk], reverse: set[int], drop: frozenset[int] | set[int] = frozenset(),
            labelled: frozenset[int] | set[int] = frozenset()) -> tuple[bytes, list[list[int]]]:
    """`new` with the `reverse` hunks of old → new undone and the new-file lines `drop` left out; and the line
    ranges (in the result) of the `labelled` hunks: the lines a reversal wrote, or the two lines around the
    spot where it only removed lines."""
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    replaced = {hunks[i][2]: i for i in reverse if hunks[i][3]}  # first new line -> hunk
    inserted = {hunks[i][2]: i for i in reverse if not hunks[i][3]}  # "after new line n" -> hunk
    out: list[bytes] = []
    ranges: list[list[int]] = []

    def put(index: int) -> None:
        o_start, o_count = hunks[index][0], hunks[index][1]
        at = len(out) + 1
        out.extend(old_lines[o_start - 1 : o_start - 1 + o_count])
        if index in labelled:
            first, last = (at, at + o_count - 1) if o_count else (max(1, at - 1), at)
            if ranges and first - ranges[-1][1] <= MERGE_GAP:
                ranges[-1][1] = max(last, ranges[-1][1])
            else:
                ranges.append([first, last])

    if 0 in inserted:
        put(inserted[0])
    number = 1
    while number <= len(new_lines):
        if number in replaced:
            index = replaced[number]
            put(index)
            number += hunks[index][3]
            last_covered = number - 1
        else:
            if number not in drop:
                out.append(new_lines[number - 1])
            last_covered = number
            number += 1
        if last_covered in inserted:
            put(inserted.pop(last_covered))
    for label in ranges:  # a range must hold code, not only the blank lines around a gap
        while label[0] > 1 and not out[label[0] - 1].strip():
            label[0] -= 1
    return b"\n".join(out), ranges


def fix_comment_lines(hunks: list[Hunk], chosen: list[int], old: bytes) -> set[int]:
    """New-file line numbers of the comment lines (`# …` alone on a line) that the chosen hunks add and
    that the old release does not have."""
    known = {line.strip() for line in old.split(b"\n")}
    out: set[int] = set()
    for index in chosen:
        _, _, n_start, n_count, lines = hunks[index]
        added = [line[1:] for line in lines if line.startswith("+")]
        for offset, text in enumerate(added[:n_count]):
            stripped = text.strip()
            if stripped.startswith("#") and stripped.encode() not in known:
                out.add(n_start + offset)
    return out


def unified(base: bytes, head: bytes, path: str) -> bytes:
    """`git diff` of one file from base to head (a/ and b/ prefixes, three lines of context)."""
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp, "a", path), Path(tmp, "b", path)
        a.parent.mkdir(parents=True)
        b.parent.mkdir(parents=True)
        a.write_bytes(base)
        b.write_bytes(head)
        command = ["git", "diff", "--no-index", "--no-color", "--no-prefix", f"a/{path}", f"b/{path}"]
        proc = subprocess.run(command, cwd=tmp, capture_output=True, env=git_env(), check=False)
    return proc.stdout
