"""Which (side, line) pairs of a file's ``patch`` a review comment may target, as GitHub decides.

RIGHT: added and context lines, new-file numbering. LEFT: deleted and context lines, old numbering.
A multi-line comment's start must be in the same hunk and strictly before its end. ``position`` counts
lines from the first ``@@`` header (which is position 0), through later hunk headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class DiffLine:
    position: int  # index in the patch; the first @@ header is 0
    hunk: int  # 0-based hunk index
    kind: str  # " ", "+", "-", "@" (hunk header), "\\" (no newline marker)
    old: int | None
    new: int | None


class DiffMap:
    def __init__(self, patch: str | None) -> None:
        self.lines: list[DiffLine] = []
        self.right: dict[int, DiffLine] = {}
        self.left: dict[int, DiffLine] = {}
        self._text = (patch or "").split("\n")
        hunk, old, new = -1, 0, 0
        for pos, text in enumerate(self._text):
            m = HUNK_RE.match(text)
            if m:
                hunk += 1
                old, new = int(m.group(1)), int(m.group(3))
                self.lines.append(DiffLine(pos, hunk, "@", None, None))
                continue
            if hunk < 0:
                break
            kind = text[:1]
            if not kind:  # a stray empty line (e.g. a trailing newline): not addressable
                line = DiffLine(pos, hunk, "", None, None)
            elif kind == "+":
                line = DiffLine(pos, hunk, "+", None, new)
                self.right[new] = line
                new += 1
            elif kind == "-":
                line = DiffLine(pos, hunk, "-", old, None)
                self.left[old] = line
                old += 1
            elif kind == "\\":
                line = DiffLine(pos, hunk, "\\", None, None)
            else:
                line = DiffLine(pos, hunk, " ", old, new)
                self.left[old] = line
                self.right[new] = line
                old += 1
                new += 1
            self.lines.append(line)

    def locate(self, side: str, line: int) -> DiffLine | None:
        table = self.right if side == "RIGHT" else self.left if side == "LEFT" else {}
        return table.get(line)

    def at_position(self, position: int) -> DiffLine | None:
        if 0 < position < len(self.lines) and self.lines[position].kind in " +-":
            return self.lines[position]
        return None

    def hunk_text(self, upto: DiffLine) -> str:
        """GitHub's ``diff_hunk``: the hunk header through the commented line."""
        start = max(ln.position for ln in self.lines if ln.kind == "@" and ln.hunk == upto.hunk)
        return "\n".join(self._text[start : upto.position + 1])


def side_and_line(d: DiffLine) -> tuple[str, int]:
    if d.kind == "-":
        assert d.old is not None
        return "LEFT", d.old
    assert d.new is not None
    return "RIGHT", d.new
