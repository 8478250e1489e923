"""Regular expressions that run in linear time: every pattern batch-review uses goes through here.

Much of the text batch-review matches is written by the people whose code it reviews: file contents,
diffs, comment bodies, the model's answers. Python's `re` backtracks, and one ambiguous pattern turns a
646-byte file into a job that hangs until the runner's 6-hour timeout. RE2 (`google-re2`) compiles a
pattern to an automaton and never backtracks: a search costs at most O(len(text) × program size), whatever
the text. It has no lookaround and no backreferences; the few checks those did are made in Python beside
the match. No other module imports `re` (tests/test_linear_patterns.py checks the source), and every
compiled pattern is kept in `PATTERNS` so that a test can feed each one adversarial input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, AnyStr, Generic, Protocol, TypeVar, cast

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

# an automaton larger than this is refused when compiled: the work bound (text × program) stays small
MAX_PROGRAM = 4000


_Text = TypeVar("_Text", str, bytes, covariant=True)


class Match(Protocol[_Text]):  # the part of re2's match object batch-review uses (as `re.Match`)
    def group(self, *groups: int) -> _Text: ...
    def __getitem__(self, group: int) -> _Text: ...
    def start(self, group: int = 0) -> int: ...
    def end(self, group: int = 0) -> int: ...
    def span(self, group: int = 0) -> tuple[int, int]: ...
    def groups(self) -> tuple[_Text, ...]: ...


class Pattern(Generic[AnyStr]):
    """A compiled RE2 pattern with the methods of `re.Pattern` that batch-review uses."""

    def __init__(self, pattern: AnyStr, *, ignore_case: bool = False, multiline: bool = False,
                 dot_all: bool = False) -> None:
        options = re2.Options()
        options.log_errors = False
        options.case_sensitive = not ignore_case
        options.dot_nl = dot_all
        flags = "m" if multiline else ""
        text: Any = pattern
        if flags:
            text = (f"(?{flags})" if isinstance(pattern, str) else f"(?{flags})".encode()) + pattern
        self.pattern: AnyStr = pattern
        self._re = re2.compile(text, options)
        if self._re.programsize > MAX_PROGRAM:
            raise ValueError(f"pattern {pattern!r} compiles to {self._re.programsize} instructions (> {MAX_PROGRAM})")
        PATTERNS.append(self)

    @property
    def program_size(self) -> int:
        return cast(int, self._re.programsize)

    def search(self, text: AnyStr, pos: int = 0) -> Match[AnyStr] | None:
        return cast("Match[AnyStr] | None", self._re.search(text, pos))

    def match(self, text: AnyStr, pos: int = 0) -> Match[AnyStr] | None:
        return cast("Match[AnyStr] | None", self._re.match(text, pos))

    def fullmatch(self, text: AnyStr) -> Match[AnyStr] | None:
        return cast("Match[AnyStr] | None", self._re.fullmatch(text))

    def finditer(self, text: AnyStr, pos: int = 0) -> Iterator[Match[AnyStr]]:
        return cast("Iterator[Match[AnyStr]]", self._re.finditer(text, pos))

    def findall(self, text: AnyStr) -> list[Any]:
        return cast(list[Any], self._re.findall(text))

    def sub(self, repl: AnyStr | Callable[[Match[AnyStr]], AnyStr], text: AnyStr) -> AnyStr:
        """Like `re.sub`; a template may name groups `\\1`…`\\9` and a backslash `\\\\` (re2's own template
        expansion mangles text that is not ASCII, so templates are expanded here)."""
        return cast(AnyStr, self._re.sub(repl if callable(repl) else _expander(repl), text))


def _expander(template: AnyStr) -> Callable[[Match[AnyStr]], AnyStr]:
    parts: list[AnyStr | int] = []
    backslash = template[:0] + ("\\" if isinstance(template, str) else b"\\")
    i = start = 0
    while i < len(template):
        if template[i : i + 1] == backslash and i + 1 < len(template):
            parts.append(template[start:i])
            following = template[i + 1 : i + 2]
            parts.append(following if following == backslash else int(following))
            i = start = i + 2
        else:
            i += 1
    parts.append(template[start:])

    def expand(match: Match[AnyStr]) -> AnyStr:
        return template[:0].join(match.group(p) or template[:0] if isinstance(p, int) else p for p in parts)
    return expand


PATTERNS: list[Pattern[Any]] = []


def compile(pattern: AnyStr, *, ignore_case: bool = False, multiline: bool = False,
            dot_all: bool = False) -> Pattern[AnyStr]:
    """`pattern` compiled by RE2; `ValueError` if RE2 cannot take it (a lookaround, a backreference)."""
    try:
        return Pattern(pattern, ignore_case=ignore_case, multiline=multiline, dot_all=dot_all)
    except re2.error as error:
        raise ValueError(f"pattern {pattern!r}: {error}") from None
