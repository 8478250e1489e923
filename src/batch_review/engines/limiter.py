"""Keeping the pipe full without hammering into 429s.

`AdaptiveLimiter` admits a request when (1) fewer than `limit` are in flight and (2) the client-side
token buckets — calibrated from the `anthropic-ratelimit-*` headers of every response, 429s included —
hold enough requests, input tokens and output tokens for it. On a 429 it halves `limit` and pauses
new requests until `retry-after`; on successes it grows back one at a time (AIMD).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass

_KINDS = ("requests", "input-tokens", "output-tokens")


@dataclass
class Bucket:
    """A per-minute limit refilling continuously, as the API's are."""

    capacity: float
    level: float
    stamp: float

    @property
    def rate(self) -> float:
        return self.capacity / 60.0

    def available(self, now: float) -> float:
        return min(self.capacity, self.level + (now - self.stamp) * self.rate)

    def take(self, amount: float, now: float) -> None:
        self.level = self.available(now) - amount
        self.stamp = now

    def wait_for(self, amount: float, now: float) -> float:
        need = min(amount, self.capacity) - self.available(now)
        return max(0.0, need / self.rate) if self.rate > 0 else 0.0

    def correct(self, remaining: float, capacity: float, now: float) -> None:
        """The server's word wins when it sees less room than we think (another client shares the key)."""
        self.capacity = capacity
        if remaining < self.available(now):
            self.level, self.stamp = remaining, now


class AdaptiveLimiter:
    def __init__(self, max_concurrency: int) -> None:
        self.max = max_concurrency
        self.limit = max_concurrency
        self.inflight = 0
        self.buckets: dict[str, Bucket] = {}
        self.paused_until = 0.0
        self.rate_limited = 0
        self._successes = 0
        self._cond = asyncio.Condition()

    async def acquire(self, input_tokens: int, output_tokens: int) -> None:
        need = {"requests": 1.0, "input-tokens": float(input_tokens), "output-tokens": float(output_tokens)}
        async with self._cond:
            while True:
                now = time.monotonic()
                wait = max(self.paused_until - now, 0.0)
                if wait == 0.0:
                    wait = max(
                        (b.wait_for(need[k], now) for k, b in self.buckets.items()), default=0.0
                    )
                if wait == 0.0 and self.inflight < self.limit:
                    for kind, bucket in self.buckets.items():
                        bucket.take(need[kind], now)
                    self.inflight += 1
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._cond.wait(), timeout=wait if wait > 0 else None)

    async def release(self) -> None:
        async with self._cond:
            self.inflight -= 1
            self._cond.notify_all()

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Called for every HTTP response the SDK receives (its own retries included)."""
        now = time.monotonic()
        for kind in _KINDS:
            limit = headers.get(f"anthropic-ratelimit-{kind}-limit")
            remaining = headers.get(f"anthropic-ratelimit-{kind}-remaining")
            if limit is None or remaining is None:
                continue
            try:
                cap, rem = float(limit), float(remaining)
            except ValueError:
                continue
            bucket = self.buckets.get(kind)
            if bucket is None:
                self.buckets[kind] = Bucket(cap, rem, now)
            else:
                bucket.correct(rem, cap, now)
        if status == 429:
            self.rate_limited += 1
            self.limit = max(1, self.limit // 2)
            self._successes = 0
            self.paused_until = max(self.paused_until, now + _retry_after(headers))
        elif 200 <= status < 300:
            self._successes += 1
            if self.limit < self.max and self._successes >= self.limit:
                self.limit += 1
                self._successes = 0

    async def wake(self) -> None:
        async with self._cond:
            self._cond.notify_all()


def _retry_after(headers: Mapping[str, str]) -> float:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return min(60.0, max(0.0, float(value) * scale))
            except ValueError:
                continue
    return 1.0
