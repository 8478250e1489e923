"""One wave (issue #18) and the budget cap (#17.3), through the whole action against the loopback fakes.

- A 300-file PR (real standard-library files, one in ten with a planted defect; the verify benchmark's reviewer
  adds a plausible finding in every other file) with a 2 s model latency (first event at 0.2 s) and rate-limit
  headers showing room for all (4,000 requests, 2M input and 400k output tokens a minute): the model phase
  (first request sent → last answer in, from the fake's own records) over the latency, with verification on
  (pipelined: each file's findings verified as soon as its review answer is in) and off, at
  `max-concurrency: auto`. Both figures include the client's own work (rendering, the SDK, planning each
  verification), so on a loaded machine they measure its CPU as much as the scheduling. Read a second way: the
  run's own clock (the JSON report's `model_seconds`, first request sent to last answer in, in the client's
  process) over the latency; the two must agree within 10 %.
- The same PR under a 60-requests-a-minute limit whose bucket another client emptied just before the run's first
  request (the fake empties it then, not when it starts: planning takes seconds): the rate of requests
  admitted (first to last start) over the limit's, and how many were answered 429.
- Cache reads: review requests after the warm-up that read the system prompt from the cache.
- A budget-capped run whose answers are all cut off at `max_tokens` (and so repaired with twice the room): what
  the fake billed, priced here, over `budget-usd`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fakes.anthropic_api import FakeAnthropicAPI, RateLimits
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import planted_brain

from .common import KEY, Row, run_env
from .fixtures import pull_request
from .memory import _pull_env
from .remote import RemoteFake
from .verify import reviewer, verifier

LATENCY = 2.0
TTFT = 0.2
ROOM = RateLimits(rpm=4000, input_tpm=2_000_000, output_tpm=400_000)


def _run(tmp: Path, name: str, fx: Any, limits: RateLimits, **inputs: str) -> tuple[list[Any], dict[str, Any]]:
    """The action in this process; the fake API in its own (remote.py), so its work does not slow the client."""
    fake = RemoteFake(api_key=KEY, brain=reviewer, verifier=verifier, latency=LATENCY, ttft=TTFT,
                      rate_limits=limits)
    with FakeGitHub() as gh, fake:
        gh.add_pull(fx)
        env = _pull_env(tmp / name, fx, gh, fake, **inputs)  # type: ignore[arg-type]
        run_env(env)
        report: dict[str, Any] = env.report()
    return [r for r in fake.requests if r.path == "/v1/messages"], report


def _phase(sent: list[Any]) -> float:
    return max(r.finished for r in sent if r.finished) - min(r.started for r in sent)


def one_wave(tmp: Path) -> list[Row]:
    fx = pull_request(tmp / "pr300", 300)
    rows = []
    for verify in ("true", "false"):
        sent, report = _run(tmp, f"wave-{verify}", fx, ROOM, verify=verify)
        ratio = _phase(sent) / LATENCY
        client = (report["model_seconds"] or 0.0) / LATENCY  # the second reading: the client's own clock
        agree = abs(client - ratio) <= 0.1 * ratio
        target = 2.3 if verify == "true" else 1.3
        review = [r for r in sent if not r.verification]
        warm = [r for r in sent if r.verification and r.max_tokens == 1]
        checks = len(sent) - len(review) - len(warm)
        on = "on" if verify == "true" else "off"
        rows.append(Row(f"300-file PR, 2 s latency, headroom for all: model phase / latency, verification {on}",
                        f"{ratio:.2f}", f"≤ {target}",
                        ratio <= target and agree and report["status"] in ("findings", "clean"),
                        f"{len(review)} review + {checks} verification requests"
                        f"{f' + {len(warm)} cache warm-up' if warm else ''}, max-concurrency auto, status "
                        f"{report['status']}; the client's clock: {client:.2f}"))
        if verify == "true":
            after = sorted(review, key=lambda r: r.started)[1:]
            reads = sum(1 for r in after if (r.usage or {}).get("cache_read_input_tokens", 0) > 0)
            share = f"{100 * reads / max(1, len(after)):.0f} %"
            rows.append(Row("cache reads after the warm-up (review requests)", share, "≥ 90 %",
                            reads >= 0.9 * len(after), f"{reads} of {len(after)}"))
    sent, report = _run(tmp, "rpm60", fx, RateLimits(rpm=60, drained=True), verify="true")
    admitted = sorted(r.started for r in sent if r.status == 200)
    rate = (len(admitted) - 1) / (admitted[-1] - admitted[0])
    rejected = sum(1 for r in sent if r.status == 429)
    rows.append(Row("same under a 60-requests-a-minute limit (bucket emptied): requests / limit-ideal",
                    f"{rate:.2f}", "≥ 0.9, ≤ 3 429s", rate >= 0.9 and rejected <= 3,
                    f"{len(admitted)} requests answered, {rejected} answered 429, status {report['status']}"))
    return rows


def _endless(body: dict[str, Any]) -> str:
    answer = json.loads(planted_brain(body))
    for finding in answer["findings"]:
        finding["body"] = "A long explanation of the defect. " * 400
    answer["findings"].append({"path": "x", "line": 1, "end_line": None, "severity": "low", "category": "bug",
                               "title": "padding", "body": "A long explanation. " * 600, "suggestion": None,
                               "confidence": 0.5})
    return json.dumps(answer)


def budget_cap(tmp: Path) -> list[Row]:
    fx = pull_request(tmp / "pr40", 40)
    inputs = {"max-output-tokens": "1024", "max-files-per-request": "1", "verify": "false"}
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY, brain=_endless) as ai:
        gh.add_pull(fx)
        dry = _pull_env(tmp / "budget-dry", fx, gh, ai, **inputs, **{"dry-run": "true"})
        run_env(dry)
        cap = round(dry.report()["estimated_cost_usd"] * 1.2, 4)  # the plan fits; the cut-off answers would not
        env = _pull_env(tmp / "budget", fx, gh, ai, **inputs, **{"budget-usd": str(cap)})
        run_env(env)
        totals = ai.usage_totals(include_batches=False)
        report = env.report()
    billed = (totals.get("input_tokens", 0) * 2.0 + totals.get("cache_creation_input_tokens", 0) * 2.5
              + totals.get("cache_read_input_tokens", 0) * 0.2 + totals.get("output_tokens", 0) * 10.0) / 1e6
    unsent = sum(1 for f in report["files"] if f["reason"] == "not sent: budget-usd reached")
    return [Row("budget-capped run, every answer cut off at max_tokens: spend / cap", f"{billed / cap:.3f}", "≤ 1",
                billed <= cap and unsent > 0, f"billed ${billed:.4f} (priced from the fake's usage) of ${cap}; "
                f"{unsent} of {len(report['files'])} files named not sent; cost-usd ${report['cost_usd']:.4f}")]


def figures(tmp: Path) -> list[Row]:
    return one_wave(tmp) + budget_cap(tmp)
