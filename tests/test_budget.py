"""Issue #4, `budget-usd`: checked before anything is spent, and while spending.

A plan whose estimate is past the cap sends nothing and fails, showing the estimate. A run whose real
spend reaches the cap (answers far longer than estimated) stops sending, and every file left over is
`failed` with "not sent: budget-usd reached", so the run is `partial`, never `clean`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.model_brain import planted_brain
from tests.support.fault_world import message_requests, world


def test_an_estimate_past_the_cap_stops_the_run_before_any_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 4) as w:
        result = w.run(**{"budget-usd": "0.001"})

        assert result.code == 2, result.log
        assert message_requests(w.ai) == []  # nothing was sent
        report = w.env.report()
        assert report["status"] == "failed" and report["error_kind"] == "budget"
        shown = f"${report['estimated_cost_usd']:.4f}"
        assert report["estimated_cost_usd"] > 0.001
        assert f"estimated cost {shown} exceeds budget-usd $0.00" in result.log
        assert shown in w.env.summary() and "budget-usd" in w.env.summary()
        assert w.gh.reviews == []
        assert [c["conclusion"] for c in w.gh.check_runs] == ["failure"]


def _verbose(body: dict[str, Any]) -> str:
    """The planted brain with answers far longer than the plan's estimate of them."""
    answer = json.loads(planted_brain(body))
    for finding in answer["findings"]:
        finding["body"] = "A long explanation of the defect. " * 80
    return json.dumps(answer)


def test_spending_that_reaches_the_cap_stops_the_run_and_names_what_was_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cap = 0.05
    with world(tmp_path, monkeypatch, 6, brain=_verbose) as w:
        result = w.run(**{"budget-usd": str(cap), "max-concurrency": "2", "max-output-tokens": "1024"})

        assert result.code == 0, result.log
        report = w.env.report()
        assert report["estimated_cost_usd"] < cap  # the plan fitted: only real spending stopped it
        sent = message_requests(w.ai)
        reviewed = [f["path"] for f in report["files"] if f["status"] == "reviewed"]
        left = [f for f in report["files"] if f["status"] == "failed"]
        assert 1 <= len(sent) < 6
        assert len(reviewed) == len(sent)  # every request sent was answered; none was cut short
        assert len(left) == 6 - len(sent)
        assert {f["reason"] for f in left} == {"not sent: budget-usd reached"}
        assert report["status"] == "partial"
        assert float(w.env.outputs()["cost-usd"]) <= cap  # stopped before the cap, having learned the real cost
        assert report["cost_usd"] > cap / 2
        count = "1 request was" if len(left) == 1 else f"{len(left)} requests were"
        note = f"budget-usd ${cap:.2f} was reached: {count} not sent"
        assert any(note in n for n in report["notes"])
        summary = w.env.summary()
        assert note in summary and "not sent: budget-usd reached" in summary
        [review] = w.gh.reviews
        assert len(w.gh.review_comments) == len(reviewed) and "Not reviewed (failed)" in review["body"]


def test_a_dry_run_over_the_cap_warns_that_a_real_run_would_send_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#11.5: the plan says, before anything is spent, that its estimate is past `budget-usd`."""
    with world(tmp_path, monkeypatch, 4) as w:
        result = w.run(**{"budget-usd": "0.001", "dry-run": "true"})
        assert result.code == 0, result.log
        assert message_requests(w.ai) == []
        assert "::warning" in result.log and "exceeds budget-usd $0.0010: a run would send nothing" in result.log
        assert "a run would send nothing" in w.env.summary()
        within = w.run(**{"budget-usd": "100", "dry-run": "true"})
        assert "exceeds budget-usd" not in within.log


def _endless(body: dict[str, Any]) -> str:
    """Answers longer than any `max_tokens` the run allows: every one is cut off, its repair too."""
    answer = json.loads(planted_brain(body))
    for finding in answer["findings"]:
        finding["body"] = "A long explanation of the defect. " * 400
    return json.dumps(answer)


def _billed(ai: Any) -> float:
    """What the fake API billed, priced independently of batch-review's own accounting (claude-sonnet-5-5)."""
    totals = ai.usage_totals(include_batches=False)
    return (totals.get("input_tokens", 0) * 2.0 + totals.get("cache_creation_input_tokens", 0) * 2.5
            + totals.get("cache_read_input_tokens", 0) * 0.2 + totals.get("output_tokens", 0) * 10.0) / 1_000_000


def test_answers_cut_at_max_tokens_never_spend_past_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """#17.3, as measured: cap $0.051, every answer cut off at `max_tokens` and its repair (twice the room) too.
    Each call reserves its worst case before it is sent; the repair is reserved on its own."""
    cap = 0.051
    with world(tmp_path, monkeypatch, 6, brain=_endless) as w:
        result = w.run(**{"budget-usd": str(cap), "max-output-tokens": "1024", "max-concurrency": "8"})

        assert result.code == 0, result.log
        report = w.env.report()
        assert report["estimated_cost_usd"] < cap  # the plan fitted: only the answers' length could pass it
        assert _billed(w.ai) <= cap  # what the API billed, priced here
        assert report["cost_usd"] <= cap
        assert abs(report["cost_usd"] - _billed(w.ai)) < 1e-6
        sent = {r.json["max_tokens"] for r in message_requests(w.ai)}
        assert sent <= {1024, 2048}
        files = {f["path"]: f["reason"] for f in report["files"] if f["status"] == "failed"}
        assert len(files) == 6  # none could be used; each says why
        unsent = [p for p, why in files.items() if why == "not sent: budget-usd reached"]
        assert unsent and any("its repair was not sent: budget-usd reached" in why or "also after one repair" in why
                              for why in files.values())
        assert any("budget-usd $0.05 was reached" in n for n in report["notes"])
        assert report["status"] == "partial"


def test_the_warm_up_and_the_fan_out_share_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More files than concurrency: the streamed warm-up overlaps the others, and they all fit the cap together."""
    cap = 0.08
    with world(tmp_path, monkeypatch, 12, brain=_endless) as w:
        result = w.run(**{"budget-usd": str(cap), "max-output-tokens": "1024", "max-concurrency": "4"})
        assert result.code == 0, result.log
        assert any(r.json.get("stream") for r in message_requests(w.ai))
        assert _billed(w.ai) <= cap
        assert w.env.report()["cost_usd"] <= cap
