"""What the fake Anthropic API received (`RecordedRequest`, in `FakeAnthropicAPI.requests`), and the gates
that hold requests until a test opens them (`Gate`, from `FakeAnthropicAPI.hold`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .anthropic_common import JSON


@dataclass
class Gate:
    """Holds the POST /v1/messages requests that `match` accepts until `open()` (see `FakeAnthropicAPI.hold`):
    the test decides when a run's model calls answer, as a slow model would, without sleeping."""

    match: Callable[[JSON], bool]
    arrived: threading.Event
    opened: threading.Event
    held: int = 0

    def open(self) -> None:
        self.opened.set()


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    raw: bytes
    started: float
    status: int | None = None  # None: dropped without an answer
    fault: str | None = None
    usage: JSON | None = None  # usage of a 200 /v1/messages answer
    response: Any = None  # parsed JSON answer, when it was JSON
    finished: float | None = None
