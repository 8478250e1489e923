"""The Anthropic client as batch-review uses it: explicit key, the SDK's retries, a response hook.

`ANTHROPIC_BASE_URL` is honoured by the SDK itself. The hook sees every HTTP response, the ones the
SDK retries included, so the limiter learns the rate-limit headers without touching SDK internals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
