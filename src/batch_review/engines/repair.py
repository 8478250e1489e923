"""The second try of one request: the repair of an unusable answer, and how long a long call may take.

A repair is the same request with a note on what went wrong; a cut-off answer's repair gets twice the room,
up to MAX_REPAIR_TOKENS and never less than the first try had. A non-streamed call allowed more than the
SDK's 21,333 tokens gets at least the time the SDK expects it to take (an hour per 128k tokens), not just
`request-timeout`: it would otherwise time out, be retried and be paid for again.
"""

from __future__ import annotations

from typing import Any

from .packs import CUT_OFF
from .task import REVIEW, Task

MAX_REPAIR_TOKENS = 64000  # the most max-output-tokens takes
NONSTREAMING_TOKENS = 21_333  # past this the SDK wants a long-request timeout for a non-streamed call


def repair_params(
    params: dict[str, Any], problem: str, *, model: str, instructions: str, task: Task = REVIEW
) -> dict[str, Any]:
    text = params["messages"][0]["content"][0]["text"]
    max_tokens = params["max_tokens"]
    if CUT_OFF in problem:
        max_tokens = max(max_tokens, min(MAX_REPAIR_TOKENS, max_tokens * 2))
    return task.params(text, model=model, max_tokens=max_tokens, instructions=instructions, repair=problem)


def long_call_timeout(max_tokens: int, request_timeout: float) -> float | None:
    """The read timeout for a non-streamed call allowed `max_tokens`, when request-timeout is too short."""
    expected = 3600 * max_tokens / 128_000
    return expected if max_tokens > NONSTREAMING_TOKENS and expected > request_timeout else None


def retries_note(exc: BaseException, max_retries: int) -> str:
    """Say that the SDK already retried, when it would have (429, 5xx, timeouts, lost connections)."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError) and max_retries > 0:
        status = exc.status_code
        if status in (408, 409, 429) or status >= 500:
            return f"; gave up after {max_retries + 1} attempts"
    return ""  # not retried, or a connection error / timeout (describe_api_error says so)
