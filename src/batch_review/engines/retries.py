"""Retries of the Messages API engine, through the run's limiter rather than the SDK's own loop.

The SDK's retries (`max_retries`) would resend a 429 or 529 without asking the limiter: under a tight rate
limit, every request in flight then retries into the same empty bucket, a 429 storm. The engine's client is
made with `max_retries=0`, and each retry here waits as the SDK would — `retry-after-ms` / `retry-after` when
the response gives one (up to `max-retry-wait`), else `min(0.5 · 2ⁿ, 8)` seconds with jitter — and then asks the
limiter again for room, so a retry is paced like any first try. What is retried is what the SDK retries:
408, 409, 429 and every 5xx (529 included), lost connections and timeouts; `x-should-retry` overrides.
"""

from __future__ import annotations

import random

from ..waits import requested_wait

RETRIED = (408, 409, 429)
MAX_BACKOFF = 8.0


def retryable(exc: BaseException) -> bool:
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        verdict = exc.response.headers.get("x-should-retry")
        if verdict in ("true", "false"):
            return verdict == "true"
        return exc.status_code in RETRIED or exc.status_code >= 500
    return isinstance(exc, anthropic.APIConnectionError)  # timeouts included


def retry_wait(exc: BaseException, retry: int, max_wait: float) -> float:
    """Seconds before retry number `retry` (0 the first), as the SDK computes it."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        asked = requested_wait(exc.response.headers)
        if asked is not None and 0 < asked <= max(max_wait, 0.0):
            return asked
    return float(min(0.5 * 2**retry, MAX_BACKOFF) * (1 - 0.25 * random.random()))
