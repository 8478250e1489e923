"""Throughput under rate limits: how close the fan-out runs to an RPM or input-tokens-per-minute limit
without any request failing.

A limit's bucket starts full (a minute's worth), so the first burst says nothing about pacing; the
figure is measured in the steady state after that burst: units admitted per second / (limit / 60).
"""

from __future__ import annotations

from batch_review.plan import Budget, make_plan
from batch_review.sources.base import SourceFile
from tests.fakes.anthropic_api import RateLimits

from .common import KEY, Row, run_engine
from .remote import RemoteFake

LATENCY = 0.2


def synthetic_plan(requests: int, lines: int):  # type: ignore[no-untyped-def]
    body = "".join(f"+    value_{i} = compute(value_{i - 1}, factor={i % 7})  # step {i}\n"
                   for i in range(1, lines + 1))
    files = [SourceFile(path=f"gen/m{n:04d}.py", status="added", patch=f"@@ -0,0 +1,{lines} @@\n{body}")
             for n in range(requests)]
    return make_plan(files, [], Budget(max_request_tokens=20000, max_files_per_request=1))


def steady_rate(fake: RemoteFake, unit: str, capacity: int) -> float:
    """Units admitted per second beyond the bucket's initial `capacity`: a bucket that starts full and
    refills at r per second admits at most capacity + r·T units in T seconds, so pacing at exactly the
    limit gives (units − capacity) / T = r."""
    admitted = sorted((r for r in fake.requests if r.path == "/v1/messages" and r.status == 200),
                      key=lambda r: r.started)
    total = 0.0
    for r in admitted:
        usage = r.usage or {}
        charged = usage.get("input_tokens", 0) + usage.get("cache_creation_input_tokens", 0)
        total += 1.0 if unit == "requests" else charged
    span = admitted[-1].started - admitted[0].started if len(admitted) > 1 else 0.0
    return (total - capacity) / span if span > 0 and total > capacity else 0.0


def scenario(name: str, limits: RateLimits, requests: int, lines: int, unit: str, limit: int) -> Row:
    plan = synthetic_plan(requests, lines)
    with RemoteFake(api_key=KEY, latency=LATENCY, rate_limits=limits) as fake:
        _, results = run_engine(plan, fake.base_url, 8)
    rate = steady_rate(fake, unit, limit)
    rejected = sum(1 for r in fake.requests if r.status == 429)
    failed = sum(1 for r in results if r.answer is None)
    ratio = rate / (limit / 60)
    return Row(f"throughput under an {name} limit / the limit", f"{ratio:.3f}", "≥ 0.90, none failed",
               ratio >= 0.90 and failed == 0,
               f"{len(plan.requests)} requests, {failed} failed, {rejected} answered 429 (retried by the SDK)")


def figures() -> list[Row]:
    return [
        scenario("RPM", RateLimits(rpm=600), 800, 20, "requests", 600),
        scenario("input-tokens-per-minute", RateLimits(input_tpm=600_000), 200, 400, "input-tokens", 600_000),
    ]
