"""Keeping the pipe full without hammering into 429s.

`AdaptiveLimiter` admits a request when (1) fewer than `limit` are in flight and (2) the client-side
token buckets — calibrated from the `anthropic-ratelimit-*` headers of every response, 429s included —
hold enough requests, input tokens and output tokens for it. On a 429 it halves `limit` (once per
burst of 429s, not once per 429) and pauses new requests until `retry-after`; on successes it grows back
one at a time (AIMD). `close()` releases every waiter at once (the run was stopped).

Token reservations start from the plan's estimates and are calibrated by what the API reports it
charged (`settle`): the buckets are corrected by the difference, and later estimates are scaled by the
running ratio of charged to estimated, so the pacing converges on the limit instead of under-using it
(estimates too high) or over-running it into 429s (estimates too low).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..waits import DEFAULT_MAX_WAIT, requested_wait

_KINDS = ("requests", "input-tokens", "output-tokens")
CALIBRATION_WEIGHT = 0.3  # how fast the charged/estimated ratio follows new answers


class LimiterClosed(Exception):
    """The run was stopped while a request waited for room."""


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


@dataclass
class Ticket:
    """What one admitted request reserved, to be settled against what the API charged."""

    input_estimate: float
    output_estimate: float
    taken: dict[str, float]


class AdaptiveLimiter:
    """`max_wait`: a 429's `retry-after` up to this pauses new requests; a longer one does not (that request
    fails instead of waiting). `clock`: seconds, monotonic (tests drive it by hand)."""

    def __init__(
        self, max_concurrency: int, *, max_wait: float = DEFAULT_MAX_WAIT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max = max_concurrency
        self.max_wait = max_wait
        self.clock = clock
        self.limit = max_concurrency
        self.inflight = 0
        self.buckets: dict[str, Bucket] = {}
        self.paused_until = 0.0
        self.rate_limited = 0
        self._successes = 0
        self._cond = asyncio.Condition()
        self.closed = False
        self.scale = {"input-tokens": 1.0, "output-tokens": 1.0}

    async def acquire(self, input_tokens: int, output_tokens: int) -> Ticket:
        async with self._cond:
            while True:
                if self.closed:
                    raise LimiterClosed
                admitted = self.try_acquire(input_tokens, output_tokens)
                if isinstance(admitted, Ticket):
                    return admitted
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._cond.wait(), timeout=admitted if admitted > 0 else None)

    def try_acquire(self, input_tokens: int, output_tokens: int) -> Ticket | float:
        """Admit a request now (its Ticket), or say how long to wait before asking again (0: until a
        request in flight is released)."""
        need = {
            "requests": 1.0,
            "input-tokens": input_tokens * self.scale["input-tokens"],
            "output-tokens": output_tokens * self.scale["output-tokens"],
        }
        now = self.clock()
        wait = max(self.paused_until - now, 0.0)
        if wait == 0.0:
            wait = max((b.wait_for(need[k], now) for k, b in self.buckets.items()), default=0.0)
        if wait > 0.0 or self.inflight >= self.limit:
            return wait
        for kind, bucket in self.buckets.items():
            bucket.take(need[kind], now)
        self.inflight += 1
        return Ticket(float(input_tokens), float(output_tokens), {kind: need[kind] for kind in self.buckets})

    def settle(self, ticket: Ticket, input_charged: int, output_charged: int) -> None:
        """Correct the buckets by what the API charged and learn how far the estimates were off."""
        now = self.clock()
        for kind, estimate, charged in (
            ("input-tokens", ticket.input_estimate, input_charged),
            ("output-tokens", ticket.output_estimate, output_charged),
        ):
            if estimate > 0 and charged > 0:
                ratio = min(10.0, max(0.1, charged / estimate))
                self.scale[kind] = CALIBRATION_WEIGHT * ratio + (1 - CALIBRATION_WEIGHT) * self.scale[kind]
            bucket = self.buckets.get(kind)
            if bucket is not None and kind in ticket.taken and charged > 0:
                bucket.take(charged - ticket.taken[kind], now)

    async def release(self) -> None:
        async with self._cond:
            self.inflight -= 1
            self._cond.notify_all()

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Called for every HTTP response the SDK receives (its own retries included)."""
        now = self.clock()
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
            if now >= self.paused_until:  # the first 429 of a burst: the others were already in flight
                self.limit = max(1, self.limit // 2)
            self._successes = 0
            self.paused_until = max(self.paused_until, now + self._pause(headers))
        elif 200 <= status < 300:
            self._successes += 1
            if self.limit < self.max and self._successes >= self.limit:
                self.limit += 1
                self._successes = 0

    def _pause(self, headers: Mapping[str, str]) -> float:
        """How long a 429 holds back new requests: its retry-after, unless that is over max-retry-wait (the
        request then fails at once, and a pause would only hold up the others)."""
        wait = requested_wait(headers)
        if wait is None:
            return 1.0
        return max(0.0, wait) if wait <= self.max_wait else 0.0

    async def wake(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    async def close(self) -> None:
        async with self._cond:
            self.closed = True
            self._cond.notify_all()
