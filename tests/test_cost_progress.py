"""Long runs say how far they are: `[N/M · ~m:ss left]` per parallel answer, and while a batch is waited for,
its request_counts, how long ago it was submitted and how much longer this run waits. Shapes, not timings."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest

from batch_review.engines.parallel import ParallelEngine, ParallelOptions
from batch_review.log import log
from batch_review.pricing import PRICES, SpendGuard
from batch_review.prompt import render_request
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.test_batch_engine import KEY, MODEL, end_all, engine, plan_of, review  # noqa: F401 (fixture)


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    out = io.StringIO()
    log.configure(actions=False, stream=out)
    yield out
    log.configure(actions=False, stream=None)


def test_parallel_progress_shows_an_eta_beside_n_of_m(
    plan_of: Any,  # noqa: F811 (a fixture)
    captured: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = plan_of(6)
    with FakeAnthropicAPI(api_key=KEY) as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        options = ParallelOptions(model=MODEL, max_tokens=2048, instructions="", max_concurrency=2)
        ParallelEngine(options, api_key=KEY, spend=SpendGuard(None, PRICES[MODEL])).review(
            plan, lambda request: render_request(request, plan.rows))
    lines = [line for line in captured.getvalue().splitlines() if line.startswith("[")]
    assert len(lines) == 6
    for n, line in enumerate(lines[:-1], 1):
        assert re.fullmatch(rf"\[{n}/6 · ~\d+:\d\d left\] ✓ src/f\d\.py — 1 finding", line), line
    assert re.fullmatch(r"\[6/6\] ✓ src/f\d\.py — 1 finding", lines[-1])


def test_a_batch_wait_logs_counts_age_and_the_wait_left(
    plan_of: Any,  # noqa: F811 (a fixture)
    captured: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = plan_of(3)
    with FakeAnthropicAPI(api_key=KEY) as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        made = engine(fake, wait=30, sleep=lambda seconds: end_all(fake))
        result = review(made, plan)
    assert all(r.answer is not None for r in result.results)
    lines = [line for line in captured.getvalue().splitlines() if line.startswith("batch msgbatch_")]
    waiting, ended = lines[0], lines[-1]
    assert re.fullmatch(r"batch msgbatch_\w+: in_progress · 3 processing, 0 succeeded, 0 errored, 0 canceled, "
                        r"0 expired · submitted \d{4}-\d\d-\d\d \d\d:\d\d UTC, \d+:\d\d:\d\d ago · this run waits "
                        r"(\d+:)?\d+:\d\d more", waiting), waiting
    assert re.fullmatch(r"batch msgbatch_\w+: ended · 0 processing, 3 succeeded, 0 errored, 0 canceled, 0 expired · "
                        r"submitted .* UTC, ended after \d+:\d\d:\d\d", ended), ended
