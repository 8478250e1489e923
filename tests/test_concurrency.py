"""Issue #18.1, concurrency from the headroom the API reports, through the action against the fake API.

Before any rate-limit header has been seen at most `START` requests are in flight; the first response whose
headers show room lets the rest go at once (up to max-concurrency, "auto" by default); a provider that sends
no headers grows by doubling. One limiter serves the whole run, review and verification, and every retry asks
it for room: under a 60-requests-a-minute limit the verification does not pour into the review's empty bucket.
No test here bounds a duration: each assertion follows from the order of events (a request cannot start
because of headers that had not yet been sent).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from batch_review.engines.limiter import START
from tests.fakes.anthropic_api import RateLimits
from tests.fakes.model_brain import is_verification
from tests.support.fault_world import message_requests, world


def test_the_first_requests_wait_for_headers_and_the_rest_go_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 30, latency=2.0, ttft=0.1,
               rate_limits=RateLimits(rpm=4000, input_tpm=2_000_000, output_tpm=400_000)) as w:
        result = w.run()  # max-concurrency: auto
        assert result.code == 0, result.log
        sent = message_requests(w.ai)
        assert len(sent) == 30 and {r.status for r in sent} == {200}
        [warm] = [r for r in sent if r.json.get("stream")]
        headers_at = warm.started + 0.1  # the warm-up's headers are sent with its first event, not before
        assert sum(1 for r in sent if r.started < headers_at) <= START
        assert w.ai.max_in_flight >= 20  # not rounds of 8: the headers showed room for all of them
        assert w.env.outputs()["status"] == "findings"


def test_max_concurrency_stays_a_ceiling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, 20, latency=0.3, ttft=0.05,
               rate_limits=RateLimits(rpm=4000, input_tpm=2_000_000, output_tpm=400_000)) as w:
        result = w.run(**{"max-concurrency": "6"})
        assert result.code == 0, result.log
        assert w.ai.max_in_flight <= 6
        assert len(message_requests(w.ai)) == 20


def test_without_headers_concurrency_still_grows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A provider that sends no rate-limit headers: slow start, doubling on every success."""
    with world(tmp_path, monkeypatch, 30, latency=1.0) as w:
        result = w.run()
        assert result.code == 0, result.log
        assert w.ai.rate_limiter is None  # the fake sends no rate-limit headers
        assert w.ai.max_in_flight > START


def test_review_and_verification_share_one_limiter_under_a_tight_rate_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The review spends the minute's requests; the verification that follows is paced by what the review's
    headers said (not sent into the empty bucket), and its retries go through the limiter, not the SDK."""
    with world(tmp_path, monkeypatch, 24, rate_limits=RateLimits(rpm=12)) as w:  # one request every 5 s
        assert w.ai.rate_limiter is not None
        w.ai.rate_limiter.buckets["requests"].level = 24  # the review's requests take the whole minute's room
        result = w.run(verify="true")
        assert result.code == 0, result.log
        sent = message_requests(w.ai)
        verifications = [r for r in sent if is_verification(r.json)]
        assert len(verifications) >= 3
        assert sum(1 for r in verifications if r.status == 200) == len({r.raw for r in verifications})
        assert sum(1 for r in sent if r.status == 429) <= 1, [(r.status, is_verification(r.json)) for r in sent]
        report = w.env.report()
        assert report["verification"]["unverified"] == 0 and report["verification"]["checked"] == 24
