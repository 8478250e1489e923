"""The run's voice: plain lines, `::group::` sections and annotations on a runner, and one redactor
that every piece of text leaving the process passes through, so a secret appears nowhere.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from .actions_env import command


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

    def _write(self, line: str) -> None:
        out = self.stream or sys.stdout
        out.write(self.redact(line) + "\n")
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
            self._write(command(level, message, file=file, line=line, endLine=end_line, title=title))
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
            self._write(f"::group::{title}")
        else:
            self._write(f"── {title}")
        try:
            yield
        finally:
            if self.actions:
                self._write("::endgroup::")


log = Log()
