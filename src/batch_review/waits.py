"""How long a server asks a client to wait before retrying, read as the clients read it, and the cap on it.

The Anthropic SDK obeys `retry-after-ms`, else `retry-after` (seconds, or an HTTP date), whatever its size;
urllib3 (under PyGithub) obeys `Retry-After` the same way. A wait longer than `max-retry-wait` is not slept
through: that request fails with the reason, and the run goes on.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping

DEFAULT_MAX_WAIT = 60.0


def requested_wait(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the response asks to wait (`retry-after-ms`, then `retry-after` as seconds or a date)."""
    if headers is None:
        return None
    millis = _number(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return float(email.utils.mktime_tz(parsed) - time.time())


def over_cap(headers: Mapping[str, str] | None, cap: float) -> float | None:
    """The requested wait when it is longer than `cap`, else None."""
    wait = requested_wait(headers)
    return wait if wait is not None and wait > cap else None


def too_long(who: str, wait: float, cap: float) -> str:
    """`the API asked to wait 86400 s, more than max-retry-wait 60 s`."""
    return f"{who} asked to wait {seconds(wait)} s, more than max-retry-wait {seconds(cap)} s"


def seconds(value: float) -> str:
    if math.isinf(value):
        return "forever"
    return f"{value:.0f}" if abs(value) < 1e9 else f"{value:.3g}"


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
