"""Keeping the pipe full without hammering into 429s: one limiter for the whole run (review and verification).

`AdaptiveLimiter` admits a request when (1) fewer than `limit` are in flight and (2) the client-side
token buckets — calibrated from the `anthropic-ratelimit-*` headers of every response, 429s included —
hold enough requests, input tokens and output tokens for it.

The concurrency rule: before any header has been seen, `limit` is a small safe number (`START`, or the
ceiling if lower). Every successful response whose headers show room raises it at once to what is in
flight plus the requests that room holds (the fewest of: requests remaining, input tokens remaining over a
request's input, output tokens remaining over a request's output), never past the ceiling — `max-concurrency`
when the user set one, else `AUTO_CEILING`. A success without headers (a provider that sends none) doubles
it. A 429 or 529 halves it (once per burst, not once per error); a 429 also pauses new requests until its
`retry-after`, and for `CALM` seconds after either, growth is one step per window of successes (AIMD)
instead of a jump. `close()` releases every waiter at once (the run was stopped).

Token reservations start from the plan's estimates and are calibrated by what the API reports it
charged (`settle`): the buckets are corrected by the difference, and later estimates are scaled by the
running ratio of charged to estimated, so the pacing converges on the limit instead of under-using it
(estimates too high) or over-running it into 429s (estimates too low).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..waits import DEFAULT_MAX_WAIT, requested_wait

_KINDS = ("requests", "input-tokens", "output-tokens")
CALIBRATION_WEIGHT = 0.3  # how fast the charged/estimated ratio follows new answers
START = 4  # requests in flight before any rate-limit header has been seen
AUTO_CEILING = 128  # the most in flight when max-concurrency is "auto" (and the highest it may be set to)
CALM = 10.0  # seconds after a 429/529 during which concurrency grows one step at a time


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
        self, max_concurrency: int, *, max_wait: float = DEFAULT_MAX_WAIT, clock: Callable[[], float] = time.monotonic,
        start: int = START,
    ) -> None:
        self.max = max_concurrency
        self.max_wait = max_wait
        self.clock = clock
        self.limit = min(start, max_concurrency)
        self.inflight = 0
        self.buckets: dict[str, Bucket] = {}
        self.paused_until = 0.0
        self.calm_until = 0.0
        self.rate_limited = 0
        self.overloaded = 0
        self._successes = 0
        self._burst_end = 0.0
        self._cond: asyncio.Condition | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False
        self.scale = {"input-tokens": 1.0, "output-tokens": 1.0}
        self._sizes = {"input-tokens": 0.0, "output-tokens": 0.0}  # a running mean of what requests need
        self._admitted = 0

    @property
    def cond(self) -> asyncio.Condition:
        """The condition of the running event loop: the limiter outlives one pass's loop (a run's review and its
        verification share what the headers taught it); a new loop starts with nothing in flight."""
        loop = asyncio.get_running_loop()
        if self._cond is None or self._loop is not loop:
            self._cond, self._loop, self.inflight, self.closed = asyncio.Condition(), loop, 0, False
        return self._cond

    async def acquire(self, input_tokens: int, output_tokens: int) -> Ticket:
        async with self.cond:
            while True:
                if self.closed:
                    raise LimiterClosed
                admitted = self.try_acquire(input_tokens, output_tokens)
                if isinstance(admitted, Ticket):
                    return admitted
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.cond.wait(), timeout=admitted if admitted > 0 else None)

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
        self._admitted += 1
        for kind in self._sizes:
            self._sizes[kind] += (need[kind] - self._sizes[kind]) / min(self._admitted, 20)
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
        async with self.cond:
            self.inflight = max(0, self.inflight - 1)
            self.cond.notify_all()

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
        if status in (429, 529):
            if status == 429:
                self.rate_limited += 1
            else:
                self.overloaded += 1
            if now >= max(self.paused_until, self._burst_end):  # the first of a burst: the others were in flight
                self.limit = max(1, self.limit // 2)
                self._burst_end = now + 1.0
            self._successes = 0
            if status == 429:
                self.paused_until = max(self.paused_until, now + self._pause(headers))
            self.calm_until = max(self.paused_until, now) + CALM
        elif 200 <= status < 300:
            self._grow(now, seen=any(f"anthropic-ratelimit-{kind}-remaining" in headers for kind in _KINDS))

    def _grow(self, now: float, *, seen: bool) -> None:
        if now >= self.calm_until and seen:
            room = self.room(now)
            if room is not None:
                self.limit = max(self.limit, min(self.max, self.inflight + room))
                return
        if now >= self.calm_until and not self.buckets:  # a provider that sends no headers: slow start
            self.limit = min(self.max, self.limit * 2)
            return
        self._successes += 1
        if self.limit < self.max and self._successes >= self.limit:
            self.limit += 1
            self._successes = 0

    def room(self, now: float) -> int | None:
        """How many more requests the buckets hold now (None: no header has been seen)."""
        if not self.buckets:
            return None
        counts = []
        for kind, bucket in self.buckets.items():
            size = 1.0 if kind == "requests" else max(1.0, self._sizes.get(kind, 1.0))
            counts.append(bucket.available(now) / size)
        return max(0, math.floor(min(counts)))

    def _pause(self, headers: Mapping[str, str]) -> float:
        """How long a 429 holds back new requests: its retry-after, unless that is over max-retry-wait (the
        request then fails at once, and a pause would only hold up the others)."""
        wait = requested_wait(headers)
        if wait is None:
            return 1.0
        return max(0.0, wait) if wait <= self.max_wait else 0.0

    async def wake(self) -> None:
        async with self.cond:
            self.cond.notify_all()

    async def close(self) -> None:
        async with self.cond:
            self.closed = True
            self.cond.notify_all()
