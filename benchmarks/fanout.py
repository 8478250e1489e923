"""PR fan-out: wall time against the physical bound, cache reads, framing overhead, context ratio.

Ideal for fixed latency L: ceil(requests / concurrency) × L. For long-tailed latency the bound is
max(longest request, total latency / concurrency), and the sequential loop is measured too. A streamed
answer begins (`message_start`) after TTFT; the cache warm-up releases the other requests then.
"""

from __future__ import annotations

import math
from pathlib import Path

from batch_review.plan import Budget, Plan
from tests.support.gitrepo import PullFixture

from .common import KEY, Row, plan_from_fixture, run_engine
from .fixtures import pull_request
from .remote import RemoteFake
from .tokens import counter

LATENCY = 1.0
TTFT = 0.1  # time to first token: a tenth of the whole answer's time
CONCURRENCY = 8


def _messages(fake: RemoteFake) -> list:  # type: ignore[type-arg]
    return sorted((r for r in fake.requests if r.path == "/v1/messages" and r.status == 200), key=lambda r: r.started)


def code_tokens(plan: Plan, count) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Tokens of the code sent (every row's text) and of the changed lines alone."""
    sent = changed = 0
    for request in plan.requests:
        for piece in request.pieces:
            rows = plan.rows(piece)
            sent += count("\n".join(r.text for r in rows))
            changed += count("\n".join(r.text for r in rows if r.kind != " "))
    return sent, changed


def figures(tmp: Path) -> list[Row]:
    fx = pull_request(tmp / "pr300", 300)
    plan = plan_from_fixture(fx)
    return fixed_latency(fx, plan) + long_tail(plan)


def fixed_latency(fx: PullFixture, plan: Plan) -> list[Row]:
    count, how = counter()
    with RemoteFake(api_key=KEY, latency=LATENCY, ttft=TTFT, count_tokens="claude") as fake:
        wall, results = run_engine(plan, fake.base_url, CONCURRENCY)
    messages = _messages(fake)
    n = len(plan.requests)
    ideal = math.ceil(n / CONCURRENCY) * LATENCY
    failed = sum(1 for r in results if r.answer is None)
    reads = sum(1 for m in messages[1:] if (m.usage or {}).get("cache_read_input_tokens", 0) > 0)
    uncached = sum((m.usage or {}).get("input_tokens", 0) for m in messages)
    sent, changed = code_tokens(plan, count)
    return [
        Row("PR fan-out, fixed latency: wall / ideal (300 files, concurrency 8)", f"{wall / ideal:.3f}", "≤ 1.15",
            wall / ideal <= 1.15 and failed == 0,
            f"{n} requests, L={LATENCY}s, ideal {ideal:.2f}s, wall {wall:.2f}s, {failed} failed"),
        whole_waves(fx),
        Row("requests after the first that read the system prompt from the cache",
            f"{100 * reads / max(1, len(messages) - 1):.1f} %", "≥ 90 %", reads >= 0.9 * (len(messages) - 1),
            f"{reads} of {len(messages) - 1}"),
        Row("framing overhead: uncached input tokens / tokens of the code sent", f"{uncached / sent:.3f}", "≤ 1.3",
            uncached / sent <= 1.3, f"{uncached:,} / {sent:,} tokens ({how})"),
        Row("context ratio: tokens of code sent / tokens of the changed lines", f"{sent / changed:.2f}", "report",
            None, f"{sent:,} / {changed:,}: GitHub's hunks (3 lines of context) — see docs/benchmarks.md"),
    ]


def whole_waves(fx: PullFixture) -> Row:
    """32 one-file requests: exactly four waves of 8, where waiting for the warm-up would cost a fifth."""
    plan = plan_from_fixture(fx, Budget(max_files_per_request=1), limit=32)
    with RemoteFake(api_key=KEY, latency=LATENCY, ttft=TTFT) as fake:
        wall, results = run_engine(plan, fake.base_url, CONCURRENCY)
    n = len(plan.requests)
    ideal = math.ceil(n / CONCURRENCY) * LATENCY
    failed = sum(1 for r in results if r.answer is None)
    return Row(f"same, {n} requests (whole waves: the warm-up's worst case)", f"{wall / ideal:.3f}", "≤ 1.15",
               wall / ideal <= 1.15 and failed == 0,
               f"ideal {ideal:.2f}s, wall {wall:.2f}s; the others go out at the warm-up's first token "
               f"(TTFT {TTFT}s), not after its whole answer (which would make it 1.25)")


def long_tail(plan: Plan) -> list[Row]:
    with RemoteFake(api_key=KEY, lognormal=(LATENCY, 0.8, 11), ttft=TTFT) as fake:
        wall, _ = run_engine(plan, fake.base_url, CONCURRENCY)
    with RemoteFake(api_key=KEY, lognormal=(LATENCY, 0.8, 11), ttft=TTFT) as fake:
        sequential, _ = run_engine(plan, fake.base_url, 1)
    latencies = {i: r.finished - r.started for i, r in enumerate(_messages(fake)) if r.finished}
    total = sum(latencies.values())
    bound = max(max(latencies.values()), total / CONCURRENCY)
    return [
        Row("PR fan-out, lognormal latency: wall / bound", f"{wall / bound:.3f}", "report", None,
            f"bound = max(longest {max(latencies.values()):.2f}s, sum/8 {total / CONCURRENCY:.2f}s); wall {wall:.2f}s"),
        Row("same, sequential loop / parallel", f"{sequential / wall:.1f}×", "report", None,
            f"sequential {sequential:.2f}s vs parallel {wall:.2f}s"),
    ]
