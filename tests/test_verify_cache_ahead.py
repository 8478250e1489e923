"""Issue #18: when the review fans out, the verifier's cached prompt is written while the review runs (a one-token
request streamed with the review's first one), so the verifications an answer calls for go out together, each
reading it, instead of waiting for a first verification's answer to begin. Shown by what the fake API received,
the usage it reported and the run's JSON report (the action as a runner starts it, the real SDK clients)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.model_brain import is_verification
from tests.support.fault_world import World, message_requests, world

INPUTS = {"verify": "true", "max-files-per-request": "1"}  # eight review requests: more than go out at first


def verifications(w: World) -> list[Any]:
    return sorted((r for r in message_requests(w.ai) if is_verification(r.json)), key=lambda r: r.started)


def reviews(w: World) -> list[Any]:
    return [r for r in message_requests(w.ai) if not is_verification(r.json)]


def billed(requests: list[Any], key: str) -> int:
    return sum((r.usage or {}).get(key, 0) for r in requests)


def test_the_verifier_s_cache_is_written_while_the_review_runs_and_every_verification_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, n=8, latency=0.3, ttft=0.05) as w:
        result = w.run(**INPUTS)
        assert result.code == 0, result.log
        warm, *checks = verifications(w)
        assert warm.json["max_tokens"] == 1 and warm.json.get("stream") is True
        assert warm.started < min(r.finished for r in reviews(w))  # sent before any review answer was in
        assert warm.usage["cache_creation_input_tokens"] > 0
        assert checks and all(r.json["system"] == warm.json["system"] for r in checks)  # the same cached prefix
        assert not any(r.json.get("stream") for r in checks)  # none waits for another's answer to begin
        assert all(r.usage["cache_read_input_tokens"] == warm.usage["cache_creation_input_tokens"] for r in checks)
        report = w.env.report()
        assert {f["verification"]["status"] for f in report["findings"]} == {"kept"} and len(report["findings"]) == 8
        verification = report["verification"]
        assert verification["requests"] == len(checks) + 1  # the warm-up is a request, paid for and counted
        for ours, theirs in (("input_tokens", "input_tokens"), ("output_tokens", "output_tokens"),
                             ("cache_write_tokens", "cache_creation_input_tokens"),
                             ("cache_read_tokens", "cache_read_input_tokens")):
            assert verification["usage"][ours] == billed([warm, *checks], theirs), ours
        everything = message_requests(w.ai)
        assert report["usage"]["output_tokens"] == billed(everything, "output_tokens")  # in the run's cost too
        # the client's own clock spans what the fake saw: its first request in to its last answer out
        phase = max(r.finished for r in everything) - min(r.started for r in everything)
        assert report["model_seconds"] >= phase > 0


def test_under_a_budget_cap_nothing_is_spent_on_verification_before_the_reviews_have_gone_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, n=8, latency=0.3, ttft=0.05) as w:
        result = w.run(**INPUTS, **{"budget-usd": "50"})
        assert result.code == 0, result.log
        first, *checks = verifications(w)
        assert all(r.json["max_tokens"] > 1 for r in [first, *checks])  # no warm-up request
        assert first.started > max(r.started for r in reviews(w))
        assert first.json.get("stream") is True  # the first verification writes the cache, streamed, as before
        assert {f["verification"]["status"] for f in w.env.report()["findings"]} == {"kept"}


def test_a_warm_up_the_api_refuses_holds_nothing_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, n=8, latency=0.3, ttft=0.05) as w:
        w.ai.inject("invalid_request", times=1, match=lambda body: body.get("max_tokens") == 1)  # a 400: final
        result = w.run(**INPUTS)
        assert result.code == 0, result.log
        warm, *checks = verifications(w)
        assert warm.status == 400 and warm.json["max_tokens"] == 1
        assert len(checks) >= 1 and all(r.status == 200 for r in checks)
        report = w.env.report()
        assert {f["verification"]["status"] for f in report["findings"]} == {"kept"} and len(report["findings"]) == 8
        assert report["status"] == "findings"
        assert "could not be written ahead" in result.log
