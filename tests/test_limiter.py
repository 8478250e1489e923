"""Issue #4, concurrency that adapts to the rate-limit headers instead of hammering into 429s.

Unit tests of `AdaptiveLimiter` (headers → token buckets, AIMD on 429, close), and one run through the
action against a fake whose request bucket is nearly empty (another client shares the key): the
adaptive run sees at most a stray 429 where a plain fan-out at the same max-concurrency sees dozens.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from batch_review.engines import limiter
from batch_review.engines.limiter import AdaptiveLimiter, LimiterClosed
from tests.fakes.anthropic_api import RateLimits
from tests.support.fault_world import message_requests, world


def _headers(kind: str, limit: int, remaining: int, **extra: str) -> dict[str, str]:
    return {f"anthropic-ratelimit-{kind}-limit": str(limit), f"anthropic-ratelimit-{kind}-remaining": str(remaining),
            **extra}


async def _timed_acquire(lim: AdaptiveLimiter, input_tokens: int = 10, output_tokens: int = 10) -> float:
    started = time.monotonic()
    await lim.acquire(input_tokens, output_tokens)
    return time.monotonic() - started


def test_the_request_bucket_follows_remaining_and_refills_at_the_limit_rate() -> None:
    async def scenario() -> list[float]:
        lim = AdaptiveLimiter(8)
        lim.observe(200, _headers("requests", 600, 2))  # 600 a minute: one every 0.1 s once the 2 are used
        waits = [await _timed_acquire(lim) for _ in range(4)]
        for _ in range(4):
            await lim.release()
        return waits

    waits = asyncio.run(scenario())
    assert waits[0] < 0.05 and waits[1] < 0.05
    assert 0.05 < waits[2] < 0.3 and 0.05 < waits[3] < 0.3


def test_the_input_token_bucket_holds_back_a_large_request() -> None:
    async def scenario() -> float:
        lim = AdaptiveLimiter(8)
        lim.observe(200, _headers("input-tokens", 60_000, 500))  # refills 1,000 tokens a second
        return await _timed_acquire(lim, input_tokens=800)

    assert 0.2 < asyncio.run(scenario()) < 0.6


def test_a_burst_of_429s_halves_concurrency_once_and_pauses_for_retry_after() -> None:
    async def scenario() -> tuple[int, int, float]:
        lim = AdaptiveLimiter(8)
        for _ in range(3):  # three requests that were in flight together all come back 429
            lim.observe(429, {"retry-after": "0.3"})
        after_burst = lim.limit
        waited = await _timed_acquire(lim)
        await lim.release()
        for _ in range(30):
            lim.observe(200, {})
        return after_burst, lim.limit, waited

    after_burst, recovered, waited = asyncio.run(scenario())
    assert after_burst == 4  # not 1: one halving per burst
    assert waited >= 0.25
    assert recovered == 8  # grows back one step per window of successes, up to max-concurrency


def test_the_limit_caps_requests_in_flight() -> None:
    async def scenario() -> int:
        lim = AdaptiveLimiter(2)
        peak = 0

        async def one() -> None:
            nonlocal peak
            await lim.acquire(1, 1)
            peak = max(peak, lim.inflight)
            await asyncio.sleep(0.02)
            await lim.release()

        await asyncio.gather(*(one() for _ in range(10)))
        return peak

    assert asyncio.run(scenario()) == 2


def test_close_releases_every_waiter_at_once() -> None:
    async def scenario() -> list[BaseException | None]:
        lim = AdaptiveLimiter(4)
        lim.observe(429, {"retry-after": "30"})  # without close() the waiters would sleep 30 s
        waiters = [asyncio.ensure_future(lim.acquire(1, 1)) for _ in range(3)]
        await asyncio.sleep(0.05)
        await lim.close()
        return await asyncio.wait_for(asyncio.gather(*waiters, return_exceptions=True), timeout=15)

    outcomes = asyncio.run(scenario())
    assert all(isinstance(o, LimiterClosed) for o in outcomes)


def _run_against_a_nearly_empty_bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    with world(tmp_path, monkeypatch, 30, latency=0.05, rate_limits=RateLimits(rpm=600)) as w:
        assert w.ai.rate_limiter is not None
        w.ai.rate_limiter.buckets["requests"].level = 4  # another client used the rest of this minute
        result = w.run(**{"max-concurrency": "16"})
        assert result.code == 0, result.log
        assert sum(1 for r in message_requests(w.ai) if r.status == 200) == 30
        return sum(1 for r in message_requests(w.ai) if r.status == 429), w.env.outputs()["status"]


def test_concurrency_adapts_to_the_rate_limit_headers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    adaptive_429s, status = _run_against_a_nearly_empty_bucket(tmp_path / "adaptive", monkeypatch)
    assert status == "findings"  # every file reviewed, none failed
    assert adaptive_429s <= 3

    monkeypatch.setattr(limiter.AdaptiveLimiter, "observe", lambda self, status, headers: None)  # adaptation off
    naive_429s, _ = _run_against_a_nearly_empty_bucket(tmp_path / "naive", monkeypatch)
    assert naive_429s >= 15 and naive_429s >= 5 * max(1, adaptive_429s), (adaptive_429s, naive_429s)
