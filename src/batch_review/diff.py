"""Patches → hunks → the lines a review comment may sit on.

GitHub accepts a review comment only on a line of the file's diff: on the RIGHT side an added or
context line (new numbering), on the LEFT a deleted or context line (old numbering); a range must
stay within one hunk. `FileDiff` answers exactly those questions, so nothing is posted off the diff.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet


class PatchError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a hunk as shown to the model: `kind` is '+', ' ' or '-'."""

    kind: str
    text: str
    new: int | None
    old: int | None
    hunk: int


@dataclass
class FileDiff:
    rows: list[Row] = field(default_factory=list)
    hunk_count: int = 0
    right: dict[int, int] = field(default_factory=dict)  # new line -> hunk index
    left: dict[int, int] = field(default_factory=dict)  # old line -> hunk index
    added: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)
    new_text: dict[int, str] = field(default_factory=dict)

    @property
    def changed_lines(self) -> int:
        return len(self.added) + len(self.deleted)

    def is_commentable(self, line: int) -> bool:
        return line in self.right

    def inline_range(self, line: int, end_line: int | None) -> tuple[int | None, int] | None:
        """Where a finding on `line..end_line` can sit: (start_line or None, line), or None.

        The range is kept when both ends are commentable and in one hunk; otherwise the comment is
        narrowed to the commentable lines of the range that share a hunk with its first one.
        """
        last = end_line if end_line and end_line > line else line
        if line in self.right and last in self.right and self.right[line] == self.right[last]:
            return (line if last > line else None, last)
        inside = [n for n in range(line, last + 1) if n in self.right]
        if not inside:
            return None
        hunk = self.right[inside[0]]
        same = [n for n in inside if self.right[n] == hunk]
        return (same[0] if len(same) > 1 else None, same[-1])


def parse_patch(patch: str) -> FileDiff:
    """Parse one file's patch: GitHub's `patch` field (hunks only) or a `git diff` section."""
    diff = FileDiff()
    if "@@" not in patch:
        return diff  # a rename without change, a mode change, an empty file
    text = patch[patch.index("@@") :] if not patch.startswith("@@") else patch
    if not text.endswith("\n"):
        text += "\n"
    try:
        patch_set = PatchSet.from_string("--- a/file\n+++ b/file\n" + text)
    except UnidiffParseError as exc:
        raise PatchError(f"the patch cannot be parsed: {exc}") from None
    if len(patch_set) != 1:
        raise PatchError("the patch does not describe exactly one file")
    for index, hunk in enumerate(patch_set[0]):
        diff.hunk_count += 1
        for line in hunk:
            kind = line.line_type
            if kind not in ("+", "-", " "):
                continue  # "\ No newline at end of file"
            value = line.value
            if value.endswith("\n"):
                value = value[:-1]
            if value.endswith("\r"):
                value = value[:-1]
            row = Row(kind, value, line.target_line_no, line.source_line_no, index)
            diff.rows.append(row)
            if row.new is not None:
                diff.right[row.new] = index
                diff.new_text[row.new] = value
                if kind == "+":
                    diff.added.add(row.new)
            if row.old is not None:
                diff.left[row.old] = index
                if kind == "-":
                    diff.deleted.add(row.old)
    return diff


def split_git_diff(text: str) -> list[str]:
    """Split a multi-file `git diff` into per-file sections, in order."""
    sections: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):  # only LF ends a line: CR and U+2028 are content here
        if line.startswith("diff --git ") and current:
            sections.append("\n".join(current) + "\n")
            current = []
        current.append(line)
    if current and any(current):
        sections.append("\n".join(current))
    return [s for s in sections if s.startswith("diff --git ")]


def content_rows(data: bytes, start: int, stop: int) -> list[Row]:
    """Rows for lines [start, stop) of a whole file (0-based), decoded leniently; only LF ends a line."""
    lines = data.decode("utf-8", "replace").split("\n")[start:stop]
    return [
        Row(" ", line[:-1] if line.endswith("\r") else line, start + i + 1, None, 0)
        for i, line in enumerate(lines)
    ]
