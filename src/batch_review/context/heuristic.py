"""Enclosing blocks by indentation (and braces), for files no grammar covers.

A line's enclosing blocks are the less-indented lines above it that open a block, each block running
down to the last line indented deeper than its opener (plus a closing `}`, `end`, `)` … line at the
opener's own indentation). The ladder climbs these blocks up to the outermost one that looks like a
function (`def f(…):`, `fun f(…) {`, `public void f(…)`), else to the outermost that is not a class,
namespace or module: one class per file must not mean the whole file.
"""

from __future__ import annotations

from itertools import chain

from .. import linear
from .model import Ladder, Level

TAB = 4
_CLOSER = linear.compile(r"^\s*(?:[}\])]|end\b|fi\b|done\b|esac\b|endif\b|endfunction\b|</)")
_CONTROL = linear.compile(
    r"^\s*(?:[}]\s*)?(?:if|else|elif|elsif|for|foreach|while|until|unless|switch|case|when|match|catch|"
    r"except|try|finally|do|with|using|lock|return|select|loop)\b"
)
_FUNCTION = linear.compile(
    r"^\s*(?:[\w@$<>\[\],.*&:?~!]+\s+)*(?:def|fn|func|function|fun|sub|proc|method|procedure|macro)\b"
    r"|^\s*(?:[\w<>\[\],.*&?:~@]+\s+)+[\w$~]+\s*\([^;]*\)\s*(?:[\w\s,.<>:?&*]*)\s*(?:\{|=>|:|->[^;]*\{?)?\s*$"
    r"|^\s*[\w$]+\s*\([^;]*\)\s*(?:\{|=>)\s*$"
)
_CONTAINER = linear.compile(
    r"^\s*(?:[\w@]+\s+)*(?:class|namespace|module|struct|interface|impl|object|trait|enum|extension|package|"
    r"protocol|record|union)\b"
)
_LEADING = ("#", "//", "/*", "*", "--", ";", "@", "%", "'")
MAX_LEADING = 40


class HeuristicAnalyzer:
    broken = False  # indentation cannot tell whether a piece of a file is whole code

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.indent = [_indent(line) for line in lines]  # None for a blank line
        self.parent = self._parents()
        self._ends: dict[int, int] = {}

    def ladder(self, row: int) -> Ladder:
        row = self._effective(row)
        if row < 0:
            return ()
        openers: list[int] = []
        if self._opens(row):
            openers.append(row)
        above = self.parent[row]
        while above >= 0:
            if self._opens(above):
                openers.append(above)
            above = self.parent[above]
        if not openers:
            return ()
        blocks = [(self._start(o), o, self._end(o)) for o in openers]
        cut = self._cutoff([self._head_text(start, o) for start, o, _ in blocks])
        levels = []
        for index, (start, opener, end) in enumerate(blocks[: cut + 1]):
            headers = tuple((s, o) for s, o, _ in blocks[index + 1 :])
            levels.append(Level((self._leading(start), end), headers, (start, opener)))
        return tuple(levels)

    def _cutoff(self, heads: list[str]) -> int:
        functions = [i for i, text in enumerate(heads)
                     if _FUNCTION.search(text) and not _CONTROL.match(text) and not _CONTAINER.match(text)]
        if functions:
            return functions[-1]
        plain = [i for i, text in enumerate(heads) if not _CONTAINER.match(text)]
        return plain[-1] if plain else 0

    def _parents(self) -> list[int]:
        """For each line, the nearest non-blank line above it that is less indented (-1: none)."""
        parents = [-1] * len(self.lines)
        stack: list[tuple[int, int]] = []
        for row, depth in enumerate(self.indent):
            if depth is None:
                continue
            while stack and stack[-1][0] >= depth:
                stack.pop()
            parents[row] = stack[-1][1] if stack else -1
            stack.append((depth, row))
        return parents

    def _effective(self, row: int) -> int:
        """A blank line belongs to the block of the nearest non-blank line above it (or below)."""
        probes = chain(range(row, max(-1, row - 200), -1), range(row + 1, min(len(self.lines), row + 200)))
        return next((p for p in probes if 0 <= p < len(self.lines) and self.indent[p] is not None), -1)

    def _next_code(self, row: int) -> int | None:
        for probe in range(row + 1, min(len(self.lines), row + 200)):
            if self.indent[probe] is not None:
                return probe
        return None

    def _opens(self, row: int) -> bool:
        following = self._next_code(row)
        depth = self.indent[row]
        return following is not None and depth is not None and (self.indent[following] or 0) > depth

    def _end(self, opener: int) -> int:
        known = self._ends.get(opener)
        if known is not None:
            return known
        depth: int = self.indent[opener] or 0
        end = opener
        row = opener + 1
        while row < len(self.lines):
            level = self.indent[row]
            if level is not None:
                if level <= depth:
                    if level == depth and _CLOSER.match(self.lines[row]):
                        end = row
                    break
                end = row
            row += 1
        self._ends[opener] = end
        return end

    def _start(self, opener: int) -> int:
        """An opener that is a lone `{` (Allman style) starts at the line above it."""
        if self.lines[opener].strip() in ("{", "do", "begin") and opener > 0:
            above = opener - 1
            while above > 0 and self.indent[above] is None:
                above -= 1
            return above
        return opener

    def _head_text(self, start: int, opener: int) -> str:
        return " ".join(self.lines[r].strip() for r in range(start, opener + 1))

    def _leading(self, row: int) -> int:
        floor = max(0, row - MAX_LEADING)
        while row > floor and self.lines[row - 1].strip().startswith(_LEADING):
            row -= 1
        return row


def _indent(line: str) -> int | None:
    body = line.rstrip("\r")
    if not body.strip():
        return None
    width = 0
    for char in body:
        if char == " ":
            width += 1
        elif char == "\t":
            width += TAB - width % TAB
        else:
            break
    return width
