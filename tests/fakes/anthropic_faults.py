"""Fault injection for the fake Anthropic API."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .anthropic_common import JSON, ApiError

#: kind -> (status, error type, message) for faults answered with an error envelope.
ERROR_FAULTS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per minute. "
        "For details, refer to: https://docs.claude.com/en/api/rate-limits.",
    ),
    "spend_cap": (
        429,
        "rate_limit_error",
        "You have reached your specified API usage limits. You will regain access on 2099-01-01 at 00:00 UTC.",
    ),
    "overloaded": (529, "overloaded_error", "Overloaded"),
    "server_error": (500, "api_error", "Internal server error"),
    "gateway_timeout": (504, "timeout_error", "Request timed out"),
    "auth": (401, "authentication_error", "invalid x-api-key"),
    "billing": (
        402,
        "billing_error",
        "Your credit balance is too low to access the Anthropic API. "
        "Please go to Plans & Billing to upgrade or purchase credits.",
    ),
    "permission": (
        403,
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    "not_found": (404, "not_found_error", "Not found"),
    "invalid_request": (400, "invalid_request_error", "messages: invalid request (injected fault)"),
    "too_large": (413, "request_too_large", "Request exceeds the maximum allowed number of bytes."),
}
#: Faults answered 200 with a message a client must cope with.
OUTPUT_FAULTS = frozenset({"not_json", "max_tokens", "refusal"})
#: Faults that change how (or whether) the answer is delivered. "midstream_overloaded": a streamed
#: answer breaks off after `message_start` with an `error` event (overloaded_error), which the SDK does
#: not retry; a plain request gets the 529 of "overloaded".
FLOW_FAULTS = frozenset({"timeout", "drop", "midstream_overloaded"})
KINDS = frozenset(ERROR_FAULTS) | OUTPUT_FAULTS | FLOW_FAULTS

Match = Callable[[JSON], bool]


@dataclass
class CustomReply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Fault:
    kind: str
    remaining: int
    match: Match | None = None
    custom: CustomReply | None = None
    hits: int = 0


def make_fault(kind: Any, times: int, match: Match | None) -> Fault:
    if times < 1:
        raise ValueError("times must be at least 1")
    if isinstance(kind, tuple):
        if len(kind) != 4 or kind[0] != "custom":
            raise ValueError("a custom fault is ('custom', status, headers, body_bytes)")
        _, status, headers, body = kind
        body_bytes = body if isinstance(body, bytes) else str(body).encode()
        custom = CustomReply(int(status), {str(k).lower(): str(v) for k, v in dict(headers).items()}, body_bytes)
        return Fault("custom", times, match, custom)
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(KINDS)} or a custom tuple")
    return Fault(str(kind), times, match)


class FaultBox:
    """Pending faults; the first matching one with uses left is consumed by each /v1/messages request."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.match_errors: list[str] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.remaining > 0]

    def take(self, body: Any) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining <= 0 or not self._matches(fault, body):
                    continue
                fault.remaining -= 1
                fault.hits += 1
                return fault
        return None

    def _matches(self, fault: Fault, body: Any) -> bool:
        if fault.match is None:
            return True
        if not isinstance(body, dict):
            return False
        try:
            return bool(fault.match(body))
        except Exception as exc:
            self.match_errors.append(f"fault match predicate raised {exc!r}")
            return False


def error_for(kind: str) -> ApiError:
    status, error_type, message = ERROR_FAULTS[kind]
    return ApiError(status, message, error_type)
