"""Shared pieces of the benchmarks: result rows, plans from fixtures, a timed engine run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from batch_review.engines.answers import RequestResult
from batch_review.engines.parallel import ParallelEngine, ParallelOptions
from batch_review.plan import Budget, Plan, make_plan
from batch_review.pricing import SpendGuard, price_for
from batch_review.prompt import render_request
from batch_review.sources.base import SourceFile
from tests.support.gitrepo import PullFixture

KEY = "sk-ant-benchmark-key"
MODEL = "claude-sonnet-5-5"


@dataclass
class Row:
    figure: str
    value: str
    target: str
    ok: bool | None  # None: reported, no target
    note: str = ""


def plan_from_fixture(fx: PullFixture, budget: Budget | None = None, *, limit: int | None = None) -> Plan:
    """The plan batch-review makes for a PR, from the patches GitHub would list (the first `limit`)."""
    files = [
        SourceFile(path=str(r["filename"]), status=str(r["status"]), patch=str(r["patch"]))
        for r in fx.files
        if "patch" in r
    ][:limit]
    return make_plan(files, [], budget or Budget())


def run_engine(plan: Plan, base_url: str, concurrency: int) -> tuple[float, list[RequestResult]]:
    import os

    os.environ["ANTHROPIC_BASE_URL"] = base_url
    price, _ = price_for(MODEL)
    engine = ParallelEngine(
        ParallelOptions(model=MODEL, max_tokens=8192, instructions="", max_concurrency=concurrency),
        api_key=KEY,
        spend=SpendGuard(None, price),
    )
    render: Callable[..., str] = lambda request: render_request(request, plan.rows)  # noqa: E731
    import anthropic  # noqa: F401 - a one-time import, measured as cold start, not as fan-out

    from batch_review.log import log

    log.configure(actions=False, stream=open(os.devnull, "w"))  # noqa: SIM115 - progress lines are noise here
    start = time.perf_counter()
    outcome = engine.review(plan, render)
    return time.perf_counter() - start, outcome.results


def run_env(env: Any) -> int:
    """`batch-review action` in this process with exactly `env`'s runner environment (os.environ swapped)."""
    import io
    import os

    from batch_review.action import main

    saved = dict(os.environ)
    environ = env.environ()
    try:
        os.environ.clear()
        os.environ.update(environ)
        return main(environ=dict(os.environ), stream=io.StringIO())
    finally:
        os.environ.clear()
        os.environ.update(saved)
