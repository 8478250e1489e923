"""Sweeps: planning speed and memory on a 50,000-file tree, and a sweep's cost against parallel mode.

Planning runs in a fresh subprocess so its peak memory (ru_maxrss) is the planner's own. The tree is
the Python installation's library folder (present on every machine; about 50,000 files), swept with
the default excludes switched off, so every file is read, classified, counted and packed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

from batch_review.config import Config
from batch_review.engines import batch as batch_module
from batch_review.engines.batch import BatchEngine
from batch_review.plan import Budget, make_plan
from batch_review.pricing import Usage, cost, price_for
from batch_review.prompt import render_request
from tests.fakes.anthropic_api import FakeAnthropicAPI

from .common import KEY, MODEL, Row, run_engine
from .fixtures import stdlib_sources

PLANNER = r"""
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from batch_review.filters import FileFilter
from batch_review.plan import Budget, make_plan
from batch_review.sources.repository import collect_repository
collected, close = collect_repository(Path(sys.argv[1]), None, FileFilter(defaults=False))
plan = make_plan(collected.files, collected.skipped, Budget())
close()
seconds = time.perf_counter() - start
print(json.dumps({"files": len(plan.files) + len(plan.skipped), "planned": len(plan.files),
                  "requests": len(plan.requests), "seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def planning() -> list[Row]:
    tree = Path(sysconfig.get_paths()["stdlib"])
    runs = []
    for _ in range(3):  # the first run warms the page cache; report the best of the rest
        proc = subprocess.run([sys.executable, "-c", PLANNER, str(tree)], capture_output=True, text=True, check=True)
        runs.append(json.loads(proc.stdout))
    best = min(runs[1:], key=lambda r: r["seconds"])
    rate = best["files"] / best["seconds"]
    return [
        Row("sweep planning of a 50k-file tree: files / second", f"{rate:,.0f}", "≥ 10,000", rate >= 10_000,
            f"{best['files']:,} files ({best['planned']:,} planned, {best['requests']:,} requests) "
            f"in {best['seconds']:.2f}s: {tree}"),
        Row("same: peak memory", f"{best['peak_mb']:.0f} MB", "≤ 300 MB", best["peak_mb"] <= 300,
            "ru_maxrss of the planning process (interpreter included)"),
    ]


def cost_ratio(tmp: Path) -> list[Row]:
    from batch_review.sources.base import SourceFile

    sources = stdlib_sources(80)
    files = [SourceFile(path=f"src/{p}", status="tracked", inline=False, load=(lambda t=t: t.encode()))
             for p, t in sources]
    plan = make_plan(files, [], Budget())
    price, _ = price_for(MODEL)
    render = lambda request: render_request(request, plan.rows)  # noqa: E731
    batch_module.POLL_FIRST, batch_module.POLL_MAX = 0.05, 0.2
    with FakeAnthropicAPI(api_key=KEY, auto_end_after_polls=2) as fake:
        import os

        os.environ["ANTHROPIC_BASE_URL"] = fake.base_url
        config = Config(model=MODEL, batch_wait_minutes=5)
        outcome = BatchEngine.for_config(config, KEY, price).review(plan, render)
    batch_usage = Usage()
    for result in outcome.results:
        batch_usage.add(result.usage)
    batch_cost = cost(batch_usage, price, batch=True)
    with FakeAnthropicAPI(api_key=KEY) as fake:
        _, results = run_engine(plan, fake.base_url, 8)
    parallel_usage = Usage()
    for result in results:
        parallel_usage.add(result.usage)
    parallel_cost = cost(parallel_usage, price)
    ratio = batch_cost / parallel_cost
    return [Row("a sweep's cost / the same sweep in parallel mode", f"{ratio:.3f}", "≤ 0.5", ratio <= 0.5 + 1e-9,
                f"${batch_cost:.4f} vs ${parallel_cost:.4f}; {len(plan.requests)} requests, 80 files; "
                f"cache reads {batch_usage.cache_read_tokens:,} (batch) / {parallel_usage.cache_read_tokens:,}")]


def cold_start() -> list[Row]:
    import shutil
    import time

    exe = shutil.which("batch-review") or str(Path(sys.executable).parent / "batch-review")
    times = []
    for _ in range(7):
        start = time.perf_counter()
        subprocess.run([exe, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    baseline = []
    for _ in range(7):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True, check=True)
        baseline.append(time.perf_counter() - start)
    median, base = sorted(times)[3], sorted(baseline)[3]
    return [Row("`batch-review --help` cold start", f"{median:.3f} s", "≤ 0.3 s", median <= 0.3,
                f"median of 7; bare `python -c pass` takes {base:.3f} s here ({median / base:.1f}×)")]
