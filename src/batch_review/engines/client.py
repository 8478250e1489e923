"""The Anthropic clients as batch-review uses them (explicit key, the SDK's retries, a response hook),
and one-line descriptions of API errors and batches.

`ANTHROPIC_BASE_URL` is honoured by the SDK itself. The hook sees every HTTP response, the ones the
SDK retries included, so the limiter learns the rate-limit headers without touching SDK internals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import ApiError

if TYPE_CHECKING:
    import anthropic

FATAL_STATUSES = {401: "authentication", 402: "billing", 403: "permission", 404: "not found"}


def make_async_client(
    api_key: str,
    *,
    timeout: float,
    max_retries: int,
    on_response: Callable[[int, Any], Awaitable[None]] | None = None,
) -> anthropic.AsyncAnthropic:
    import anthropic
    import httpx2

    hooks: dict[str, list[Callable[..., Any]]] = {}
    if on_response is not None:

        async def hook(response: httpx2.Response) -> None:
            await on_response(response.status_code, response.headers)

        hooks["response"] = [hook]
    http = anthropic.DefaultAsyncHttpxClient(
        event_hooks=hooks, timeout=httpx2.Timeout(timeout, connect=10.0)
    )
    return anthropic.AsyncAnthropic(
        api_key=api_key, http_client=http, max_retries=max_retries, timeout=httpx2.Timeout(timeout, connect=10.0)
    )


def make_client(api_key: str, timeout: float, max_retries: int) -> anthropic.Anthropic:
    import anthropic
    import httpx2

    return anthropic.Anthropic(api_key=api_key, max_retries=max_retries, timeout=httpx2.Timeout(timeout, connect=10.0))


def describe_api_error(exc: BaseException) -> str:
    """A one-line description of an SDK error: type, message, status, request id."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        body: dict[str, Any] = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error")
        inner: dict[str, Any] = error if isinstance(error, dict) else {}
        kind = inner.get("type") or type(exc).__name__
        message = inner.get("message") or exc.message
        request_id = exc.response.headers.get("request-id") or body.get("request_id") or ""
        suffix = f", request {request_id}" if request_id else ""
        return f"{kind}: {message} (HTTP {exc.status_code}{suffix})"
    if isinstance(exc, anthropic.APITimeoutError):
        return "the request timed out (after the SDK's retries)"
    if isinstance(exc, anthropic.APIConnectionError):
        return "the connection to the Anthropic API failed (after the SDK's retries)"
    return f"{type(exc).__name__}: {exc}"


def fatal(exc: BaseException) -> ApiError | None:
    """Errors that doom every request alike stop the whole run: bad key, billing, permission, model."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError) and exc.status_code in FATAL_STATUSES:
        return ApiError(f"the Anthropic API refused the run — {describe_api_error(exc)}")
    return None


def describe_batch(batch: Any) -> str:
    """`in_progress · 7 processing, 0 succeeded, … · submitted 2026-05-01 03:00 UTC, 0:12:05 ago`."""
    counts = batch.request_counts
    shown = ", ".join(
        f"{getattr(counts, k)} {k}" for k in ("processing", "succeeded", "errored", "canceled", "expired")
    )
    created: datetime = batch.created_at
    ended: datetime | None = getattr(batch, "ended_at", None)
    when = f"submitted {created.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if ended is not None:
        when += f", ended after {_duration((ended - created).total_seconds())}"
    else:
        when += f", {_duration((datetime.now(UTC) - created).total_seconds())} ago"
    return f"{batch.processing_status} · {shown} · {when}"


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
