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
from ..waits import DEFAULT_MAX_WAIT, over_cap, too_long
from .providers import LABELS, Provider, doomed, error_parts, make_async_provider_client, provider_of

if TYPE_CHECKING:
    import anthropic

FATAL_STATUSES = {401: "authentication", 402: "billing", 403: "permission", 404: "not found"}


def make_async_client(
    api_key: str,
    *,
    timeout: float,
    max_retries: int,
    on_response: Callable[[int, Any], Awaitable[None]] | None = None,
    max_retry_wait: float = DEFAULT_MAX_WAIT,
    provider: Provider | None = None,
    on_request: Callable[[Any], Awaitable[None]] | None = None,
) -> anthropic.AsyncAnthropic:
    """The async client; with `provider` Bedrock or Vertex, the SDK's client for it (see providers.py).
    `on_request` sees each HTTP request (an `httpx` request) before it is sent."""
    import anthropic
    import httpx2

    async def hook(response: httpx2.Response) -> None:
        if on_response is not None:
            await on_response(response.status_code, response.headers)
        cap_retry_wait(response, max_retry_wait)

    hooks: dict[str, list[Callable[..., Any]]] = {"response": [hook]}
    if on_request is not None:
        hooks["request"] = [on_request]
    http = anthropic.DefaultAsyncHttpxClient(event_hooks=hooks, timeout=httpx2.Timeout(timeout, connect=10.0))
    if provider is not None and provider.name != "anthropic":
        return make_async_provider_client(  # type: ignore[no-any-return]
            provider, http=http, timeout=httpx2.Timeout(timeout, connect=10.0), max_retries=max_retries
        )
    return anthropic.AsyncAnthropic(
        api_key=api_key, http_client=http, max_retries=max_retries, timeout=httpx2.Timeout(timeout, connect=10.0)
    )


ANSWER_TYPES = ("Message", "ParsedMessage", "RawMessageStartEvent", "RawMessageDeltaEvent", "RawMessageStopEvent",
                "RawContentBlockStartEvent", "RawContentBlockDeltaEvent", "RawContentBlockStopEvent")


def build_answer_types() -> None:
    """The SDK builds its answers' types (the message, the stream's events) on first use, ~0.05–0.1 s; done
    here ahead (pydantic's `model_rebuild`, which the SDK guards for threads), that time is not taken the
    moment the first answer begins, when the requests it releases wait on this process."""
    from anthropic import types

    for name in ANSWER_TYPES:
        model = getattr(types, name, None)  # an SDK of the pinned range without one: it is built when first used
        if model is not None:
            model.model_rebuild()


def make_client(
    api_key: str, timeout: float, max_retries: int, max_retry_wait: float = DEFAULT_MAX_WAIT
) -> anthropic.Anthropic:
    import anthropic
    import httpx2

    http = anthropic.DefaultHttpxClient(
        event_hooks={"response": [lambda response: cap_retry_wait(response, max_retry_wait)]},
        timeout=httpx2.Timeout(timeout, connect=10.0),
    )
    return anthropic.Anthropic(
        api_key=api_key, http_client=http, max_retries=max_retries, timeout=httpx2.Timeout(timeout, connect=10.0)
    )


def cap_retry_wait(response: Any, max_wait: float) -> None:
    """A response that asks for a wait over `max-retry-wait` is not retried: `x-should-retry: false`, which
    the SDK documents as overriding its own decision (it would otherwise sleep as long as it is told)."""
    if response.status_code >= 400 and over_cap(response.headers, max_wait) is not None:
        response.headers["x-should-retry"] = "false"


def wait_refused(exc: BaseException, max_wait: float) -> str:
    """`the API asked to wait 86400 s, more than max-retry-wait 60 s`, when that is why `exc` was not retried."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        wait = over_cap(exc.response.headers, max_wait)
        if wait is not None:
            return too_long("the API", wait, max_wait)
    return ""


def describe_api_error(exc: BaseException) -> str:
    """A one-line description of an SDK error: type, message, status, request id."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        kind, message, request_id = error_parts(exc)
        suffix = f", request {request_id}" if request_id else ""
        return f"{kind}: {message} (HTTP {exc.status_code}{suffix})"
    if isinstance(exc, anthropic.APITimeoutError):
        return "the request timed out (after the SDK's retries)"
    if isinstance(exc, anthropic.APIConnectionError):
        return f"the connection to {LABELS[provider_of(exc)]} failed (after the SDK's retries)"
    return f"{type(exc).__name__}: {exc}"


def fatal(exc: BaseException) -> ApiError | None:
    """Errors that doom every request alike stop the whole run: bad key, billing, permission, model."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError) and (exc.status_code in FATAL_STATUSES or doomed(exc)):
        return ApiError(f"{LABELS[provider_of(exc)]} refused the run — {describe_api_error(exc)}")
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
