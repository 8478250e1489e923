"""Continuous-refill token buckets, as the Anthropic API applies its rate limits.

Each limit is a bucket holding up to ``limit`` units that refills at ``limit / 60`` units a second.
Requests and input tokens are charged when a request arrives; output tokens when it completes (the
bucket may then go negative, and new requests wait until it is positive again).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .anthropic_common import ApiError, rfc3339

MAX_RETRY_AFTER = 60


@dataclass
class RateLimits:
    rpm: int | None = None
    input_tpm: int | None = None
    output_tpm: int | None = None
    drained: bool = False  # another client emptied the requests bucket just before this one's first request

    @classmethod
    def coerce(cls, value: Any) -> RateLimits | None:
        """Accept a RateLimits, a mapping, or any object with rpm/input_tpm/output_tpm attributes."""
        if value is None or isinstance(value, RateLimits):
            return value

        def get(key: str) -> int | None:
            found = value.get(key) if isinstance(value, Mapping) else getattr(value, key, None)
            return None if found is None else int(found)

        return cls(rpm=get("rpm"), input_tpm=get("input_tpm"), output_tpm=get("output_tpm"))


class Bucket:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.rate = limit / 60.0
        self.level = float(limit)
        self.updated = time.monotonic()

    def refill(self, t: float) -> None:
        self.level = min(float(self.limit), self.level + (t - self.updated) * self.rate)
        self.updated = t

    def wait_for(self, need: float) -> float:
        """Seconds until the bucket holds ``need`` units (0 if it already does)."""
        deficit = min(need, float(self.limit)) - self.level
        return max(0.0, deficit / self.rate) if deficit > 0 else 0.0

    def remaining(self) -> int:
        return max(0, math.floor(self.level))

    def reset_at(self) -> float:
        """Wall-clock time at which the bucket is full again (call right after refill)."""
        return time.time() + max(0.0, (self.limit - self.level) / self.rate)


class RateLimiter:
    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self.buckets: dict[str, Bucket] = {}
        if limits.rpm:
            self.buckets["requests"] = Bucket(limits.rpm)
        if limits.input_tpm:
            self.buckets["input-tokens"] = Bucket(limits.input_tpm)
        if limits.output_tpm:
            self.buckets["output-tokens"] = Bucket(limits.output_tpm)
        self.rejections = 0
        self._undrained = limits.drained and "requests" in self.buckets

    def _refill(self) -> None:
        t = time.monotonic()
        for bucket in self.buckets.values():
            bucket.refill(t)

    def admit(self, input_tokens: int) -> dict[str, str]:
        """Charge one request and its input tokens, or raise a 429 ApiError with retry-after."""
        with self._lock:
            self._refill()
            if self._undrained:
                self._undrained = False
                self.buckets["requests"].level = 0.0
            needs = {"requests": 1.0, "input-tokens": float(input_tokens), "output-tokens": 1.0}
            waits = {name: b.wait_for(needs[name]) for name, b in self.buckets.items()}
            if any(w > 0 for w in waits.values()):
                self.rejections += 1
                worst = max(waits, key=lambda k: waits[k])
                retry_after = min(MAX_RETRY_AFTER, max(1, math.ceil(waits[worst])))
                headers = self._headers()
                headers["retry-after"] = str(retry_after)
                what = worst.replace("-", " ")
                raise ApiError(
                    429,
                    f"This request would exceed the rate limit for your organization of "
                    f"{self.buckets[worst].limit} {what} per minute. For details, refer to: "
                    "https://docs.claude.com/en/api/rate-limits.",
                    headers=headers,
                )
            if "requests" in self.buckets:
                self.buckets["requests"].level -= 1
            if "input-tokens" in self.buckets:
                self.buckets["input-tokens"].level -= input_tokens
            return self._headers()

    def charge_output(self, output_tokens: int) -> dict[str, str]:
        with self._lock:
            self._refill()
            if "output-tokens" in self.buckets:
                self.buckets["output-tokens"].level -= output_tokens
            return self._headers()

    def headers(self) -> dict[str, str]:
        with self._lock:
            self._refill()
            return self._headers()

    def _headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, bucket in self.buckets.items():
            out.update(_triple(name, bucket.limit, bucket.remaining(), bucket.reset_at()))
        token_buckets = [b for n, b in self.buckets.items() if n != "requests"]
        if token_buckets:
            # "tokens" reports the most restrictive of the token limits currently in effect.
            tightest = min(token_buckets, key=lambda b: b.remaining())
            out.update(_triple("tokens", tightest.limit, tightest.remaining(), tightest.reset_at()))
        return out


def _triple(name: str, limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        f"anthropic-ratelimit-{name}-limit": str(limit),
        f"anthropic-ratelimit-{name}-remaining": str(remaining),
        f"anthropic-ratelimit-{name}-reset": rfc3339(reset) or "",
    }


def synthetic_headers(retry_after: float) -> dict[str, str]:
    """Headers for an injected 429 when the fake has no limits configured."""
    reset = time.time() + retry_after
    out: dict[str, str] = {}
    for name, limit in (("requests", 50), ("input-tokens", 30000), ("output-tokens", 8000), ("tokens", 8000)):
        out.update(_triple(name, limit, 0 if name == "requests" else limit, reset))
    return out
