"""Issue #4, concurrency that adapts to the rate-limit headers instead of hammering into 429s.

Unit tests of `AdaptiveLimiter` (headers → token buckets, AIMD on 429, close) on a clock driven by hand, so
nothing depends on how loaded the machine is (issue #12, item 17); a simulation of a whole fan-out on that
clock against the fake's own bucket, adaptive and naive; and one run through the action against a fake whose
request bucket is nearly empty (another client shares the key), where the run stays within the headers.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from batch_review.engines.limiter import AdaptiveLimiter, LimiterClosed, Ticket
from tests.fakes.anthropic_api import RateLimits
from tests.fakes.anthropic_ratelimit import Bucket
from tests.support.fault_world import message_requests, world


def _headers(kind: str, limit: int, remaining: int, **extra: str) -> dict[str, str]:
    return {f"anthropic-ratelimit-{kind}-limit": str(limit), f"anthropic-ratelimit-{kind}-remaining": str(remaining),
            **extra}


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def _admitted_at(lim: AdaptiveLimiter, clock: Clock, count: int, *, input_tokens: int = 10) -> list[float]:
    """When each of `count` requests is admitted, asking again exactly when the limiter says to."""
    times = []
    while len(times) < count:
        answer = lim.try_acquire(input_tokens, 10)
        if isinstance(answer, Ticket):
            times.append(clock.now)
        else:
            assert answer > 0, "held back with nothing in flight to wait for"
            clock.now += answer
    return times


def test_the_request_bucket_follows_remaining_and_refills_at_the_limit_rate() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(8, clock=clock)
    lim.observe(200, _headers("requests", 600, 2))  # 600 a minute: one every 0.1 s once the 2 are used
    times = _admitted_at(lim, clock, 4)
    assert times[:2] == [0.0, 0.0]
    assert times[2] == pytest.approx(0.1) and times[3] == pytest.approx(0.2)


def test_the_input_token_bucket_holds_back_a_large_request() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(8, clock=clock)
    lim.observe(200, _headers("input-tokens", 60_000, 500))  # refills 1,000 tokens a second
    [admitted] = _admitted_at(lim, clock, 1, input_tokens=800)
    assert admitted == pytest.approx(0.3)  # the 300 tokens missing take 0.3 s to refill


def test_a_burst_of_429s_halves_concurrency_once_and_pauses_for_retry_after() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(8, clock=clock, start=8)
    for _ in range(3):  # three requests that were in flight together all come back 429
        lim.observe(429, {"retry-after": "0.3"})
    assert lim.limit == 4  # not 1: one halving per burst
    assert _admitted_at(lim, clock, 1) == [pytest.approx(0.3)]
    lim.inflight = 0
    for _ in range(30):
        lim.observe(200, {})
    assert lim.limit == 8  # grows back one step per window of successes, up to max-concurrency


def test_a_retry_after_over_max_retry_wait_does_not_pause_the_others() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(8, max_wait=60, clock=clock)
    lim.observe(429, {"retry-after": "86400"})  # that request fails at once; the others need not wait a day
    assert _admitted_at(lim, clock, 1) == [0.0]


def test_the_limit_caps_requests_in_flight() -> None:
    lim = AdaptiveLimiter(2, clock=Clock(), start=2)
    assert isinstance(lim.try_acquire(1, 1), Ticket) and isinstance(lim.try_acquire(1, 1), Ticket)
    assert lim.try_acquire(1, 1) == 0  # full: wait for a release, not for time

    async def scenario() -> int:
        limited = AdaptiveLimiter(2, start=2)
        peak = 0

        async def one() -> None:
            nonlocal peak
            await limited.acquire(1, 1)
            peak = max(peak, limited.inflight)
            await asyncio.sleep(0)
            await limited.release()

        await asyncio.gather(*(one() for _ in range(10)))
        return peak

    assert asyncio.run(scenario()) == 2


def test_close_releases_every_waiter_at_once() -> None:
    async def scenario() -> list[BaseException | None]:
        lim = AdaptiveLimiter(4)
        lim.observe(429, {"retry-after": "30"})  # without close() the waiters would sleep 30 s
        waiters = [asyncio.ensure_future(lim.acquire(1, 1)) for _ in range(3)]
        await asyncio.sleep(0)
        await lim.close()
        return await asyncio.gather(*waiters, return_exceptions=True)

    outcomes = asyncio.run(scenario())
    assert all(isinstance(o, LimiterClosed) for o in outcomes)


# ---- a whole fan-out, simulated on one clock: the limiter against the fake API's own bucket ----------------


@dataclass
class Fanout:
    """`n` requests at max-concurrency 16, each answered `latency` s after it is admitted by an API whose
    request bucket (`rpm` a minute) holds `level` when the run starts. As in the engine: the smallest
    request goes first and the rest wait for its answer to begin; the SDK retries a 429 after its
    retry-after, up to 4 times, holding its place."""

    adaptive: bool
    n: int = 30
    rpm: int = 600
    level: float = 4
    latency: float = 0.05
    step: float = 0.001
    rejected: int = 0
    answered: int = 0
    failed: int = 0
    events: list[tuple[float, int, str]] = field(default_factory=list)  # (time, request, what)

    def run(self) -> Fanout:
        clock = Clock()
        lim = AdaptiveLimiter(16, clock=clock, start=4 if self.adaptive else 16)  # naive: 16 at once, no headers
        server = Bucket(self.rpm)
        server.level, server.updated = self.level, 0.0
        queue = list(range(1, self.n))
        attempts = dict.fromkeys(range(self.n), 0)
        assert isinstance(lim.try_acquire(100, 100), Ticket)
        self._send(lim, server, 0.0, 0, attempts)  # the warm-up goes alone, and its message_start
        self._observe(lim, 200, server)  # (with the headers) comes back before the others are sent
        while queue or self.events:
            due = sorted(e for e in self.events if e[0] <= clock.now)
            self.events = [e for e in self.events if e[0] > clock.now]
            for _, request, what in due:
                if what == "answered":
                    self.answered += 1
                    self._observe(lim, 200, server)
                    lim.inflight -= 1
                else:  # the SDK's retry of a 429
                    self._send(lim, server, clock.now, request, attempts)
            while queue and isinstance(lim.try_acquire(100, 100), Ticket):
                self._send(lim, server, clock.now, queue.pop(0), attempts)
            clock.now = round(clock.now + self.step, 6)
            assert clock.now < 120, "the simulated run does not end"
        return self

    def _send(self, lim: AdaptiveLimiter, server: Bucket, now: float, request: int, attempts: dict[int, int]) -> None:
        attempts[request] += 1
        server.refill(now)
        wait = server.wait_for(1)
        if wait == 0:
            server.level -= 1
            self.events.append((now + self.latency, request, "answered"))
            return
        self.rejected += 1
        after = max(1, math.ceil(wait))
        self._observe(lim, 429, server, retry_after=after)
        if attempts[request] == 5:
            self.failed += 1
            lim.inflight -= 1
        else:
            self.events.append((now + after, request, "retry"))

    def _observe(self, lim: AdaptiveLimiter, status: int, server: Bucket, retry_after: int = 0) -> None:
        if self.adaptive:
            extra = {"retry-after": str(retry_after)} if status == 429 else {}
            lim.observe(status, _headers("requests", server.limit, server.remaining(), **extra))


def test_the_limiter_keeps_a_fan_out_within_the_headers_where_a_naive_one_hits_429s() -> None:
    adaptive = Fanout(adaptive=True).run()
    naive = Fanout(adaptive=False).run()
    assert (adaptive.answered, adaptive.failed) == (30, 0)
    assert adaptive.rejected == 0
    assert naive.rejected >= 15, naive.rejected  # the same fan-out without the headers: a 429 storm


# ---- through the action, against the fake --------------------------------------------------------------


def test_concurrency_adapts_to_the_rate_limit_headers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, 30, latency=0.05, rate_limits=RateLimits(rpm=600)) as w:
        assert w.ai.rate_limiter is not None
        w.ai.rate_limiter.buckets["requests"].level = 4  # another client used the rest of this minute
        result = w.run(**{"max-concurrency": "16"})
        assert result.code == 0, result.log
        assert sum(1 for r in message_requests(w.ai) if r.status == 200) == 30
        assert w.env.outputs()["status"] == "findings"  # every file reviewed, none failed
        # a slow machine only spreads the requests out further: never more 429s than this
        assert sum(1 for r in message_requests(w.ai) if r.status == 429) <= 3


# ---- #18.1: growth from the headers ---------------------------------------------------------------------


def test_before_any_header_only_a_few_go_then_the_headers_room_is_used_at_once() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(64, clock=clock)  # max-concurrency auto
    assert lim.limit == 4
    lim.observe(200, _headers("requests", 4000, 3999) | _headers("input-tokens", 2_000_000, 1_990_000))
    assert lim.limit == 64  # room for thousands: the ceiling, in one step
    tight = AdaptiveLimiter(64, clock=clock)
    assert isinstance(tight.try_acquire(10_000, 100), Ticket)  # a request's size is learned from what it asks
    tight.observe(200, _headers("requests", 4000, 3999) | _headers("input-tokens", 100_000, 50_000))
    assert tight.limit == 1 + 5  # in flight, plus 50,000 input tokens / 10,000 a request


def test_a_529_burst_halves_concurrency_once_without_pausing_and_growth_is_calm_after_it() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(64, clock=clock)
    lim.observe(200, _headers("requests", 4000, 3999))
    assert lim.limit == 64
    for _ in range(5):
        lim.observe(529, {})
    assert lim.limit == 32 and lim.overloaded == 5
    assert _admitted_at(lim, clock, 1) == [0.0]  # overloaded is not a rate limit: nothing waits
    lim.observe(200, _headers("requests", 4000, 3999))
    assert lim.limit == 32  # within the calm period after a 529: no jump back
    clock.now += 11
    lim.observe(200, _headers("requests", 4000, 3999))
    assert lim.limit == 64


def test_without_headers_each_success_doubles_up_to_the_ceiling() -> None:
    lim = AdaptiveLimiter(12, clock=Clock())
    assert lim.limit == 4
    lim.observe(200, {})
    assert lim.limit == 8
    lim.observe(200, {})
    assert lim.limit == 12
