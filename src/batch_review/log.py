"""The run's voice: plain lines, `::group::` sections and annotations on a runner, and one redactor
that every piece of text leaving the process passes through, so a secret appears nowhere.

Plain lines may quote untrusted text (file names from a pull request, API messages). None of it can
pose as a workflow command: a line that would start with `::` (or hold a legacy `##[`) is defused
with a zero-width space, and control characters other than newline and tab are shown as escapes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from . import linear
from .actions_env import command

_COMMAND_LIKE = linear.compile(r"^(\s*)::", multiline=True)
_CONTROL = linear.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def defuse(text: str) -> str:
    """Text that cannot act as a workflow command or a terminal escape, whatever it quotes."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    text = _COMMAND_LIKE.sub("\\1:\u200b:", text)
    return text.replace("##[", "##\u200b[")


class Redactor:
    def __init__(self) -> None:
        self._secrets: list[str] = []

    def add(self, secret: str | None) -> bool:
        if not secret or len(secret) < 4 or secret in self._secrets:
            return False
        self._secrets.append(secret)
        self._secrets.sort(key=len, reverse=True)
        return True

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text


class Log:
    def __init__(self, *, actions: bool = False, stream: TextIO | None = None) -> None:
        self.actions = actions
        self.stream = stream
        self.redact = Redactor()
        self._annotations: dict[str, int] = {}

    def configure(self, *, actions: bool, stream: TextIO | None = None) -> None:
        self.actions = actions
        self.stream = stream
        self.redact = Redactor()
        self._annotations = {}

    def _write(self, line: str, *, command_line: bool = False) -> None:
        """One line out, secrets masked; only our own (escaped) workflow commands pass undefused."""
        out = self.stream or sys.stdout
        text = self.redact(line)
        out.write((text if command_line else defuse(text)) + "\n")
        out.flush()

    def secret(self, value: str | None) -> None:
        """Register a secret; on a runner also `::add-mask::` it, first thing."""
        if self.redact.add(value) and self.actions and value:
            out = self.stream or sys.stdout
            for part in value.splitlines():
                out.write(command("add-mask", part) + "\n")
            out.flush()

    def info(self, message: str) -> None:
        self._write(message)

    def annotate(
        self,
        level: str,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        end_line: int | None = None,
        title: str | None = None,
    ) -> None:
        """`::warning file=…::` on a runner; a plain prefixed line elsewhere."""
        self._annotations[level] = self._annotations.get(level, 0) + 1
        if self.actions:
            self._write(
                command(level, message, file=file, line=line, endLine=end_line, title=title), command_line=True
            )
        else:
            where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
            self._write(f"{level}: {where}{title + ': ' if title else ''}{message}")

    def warning(self, message: str, **where: object) -> None:
        self.annotate("warning", message, **where)  # type: ignore[arg-type]

    def error(self, message: str, **where: object) -> None:
        self.annotate("error", message, **where)  # type: ignore[arg-type]

    def notice(self, message: str, **where: object) -> None:
        self.annotate("notice", message, **where)  # type: ignore[arg-type]

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        if self.actions:
            self._write(command("group", title), command_line=True)
        else:
            self._write(f"── {title}")
        try:
            yield
        finally:
            if self.actions:
                self._write(command("endgroup"), command_line=True)


log = Log()
