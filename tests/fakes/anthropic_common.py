"""Shared pieces of the fake Anthropic API: errors, ids, timestamps."""

from __future__ import annotations

import json
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]

ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

REASONS: dict[int, str] = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    529: "Overloaded",
}

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """An id shaped like the real ones: ``msg_01…``, ``msgbatch_01…``, ``req_011C…``."""
    return f"{prefix}_01" + "".join(secrets.choice(_ALPHABET) for _ in range(length - 2))


def new_request_id() -> str:
    return new_id("req", 26)


def rfc3339(ts: float | None) -> str | None:
    """Seconds since the epoch to RFC 3339 with a ``Z`` suffix, as the API writes timestamps."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now() -> float:
    return time.time()


@dataclass(eq=False)
class ApiError(Exception):
    """An error the fake answers with, in the real envelope."""

    status: int
    message: str
    type: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.type:
            self.type = ERROR_TYPES.get(self.status, "api_error")
        super().__init__(f"{self.status} {self.type}: {self.message}")

    def error_object(self) -> JSON:
        return {"type": self.type, "message": self.message}


def error_body(error_type: str, message: str, request_id: str) -> bytes:
    envelope = {"type": "error", "error": {"type": error_type, "message": message}, "request_id": request_id}
    return json.dumps(envelope).encode()


def invalid(message: str) -> ApiError:
    return ApiError(400, message)
