"""Caching that really happens: the shared prefix (system prompt, guidance, intent, change map) is cached only
when it reaches the model's minimum cacheable prefix. Below it the plan says so and its estimate assumes no
cache reads; the run reports the cache reads and writes the API's usage gave, per pass. The fake API enforces
each model's floor as the real service does (silently: no error, no cache)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from batch_review.pricing import PRICES
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import planted_brain
from tests.support.runner import RunnerEnv, run_in_process
from tests.test_pr_review import build_twelve_file_pr

KEY = "sk-ant-api03-cache-floor-key-00000"


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inputs: dict[str, str]) -> tuple[Any, str]:
    fx = build_twelve_file_pr(tmp_path / "repo")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai:
        gh.add_pull(fx)
        env = RunnerEnv.for_pull(tmp_path / "runner", fx, gh, ai, KEY,
                                 {"min-severity": "info", "max-files-per-request": "1", **inputs})
        result = run_in_process(env, monkeypatch)
        assert result.code == 0, result.log
        return env.report(), env.summary()


def test_the_default_models_prefix_is_cached_and_reported_per_pass(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report, summary = _run(tmp_path, monkeypatch, {})
    prefix = report["cache_prefix"]
    assert prefix["model_minimum"] == 1024 and prefix["estimated_tokens"] >= 1024 and prefix["cacheable"]
    assert prefix["shared_blocks"] == 2  # the intent and the change map
    review, verification = report["usage_by_pass"]["review"], report["usage_by_pass"]["verification"]
    assert review["requests"] == 8 and review["cache_write_tokens"] > 0 and review["cache_read_tokens"] > 0
    assert verification["requests"] >= 1 and verification["cache_write_tokens"] > 0
    assert review["cache_read_tokens"] + verification["cache_read_tokens"] == report["usage"]["cache_read_tokens"]
    assert not any("minimum cacheable prefix" in note for note in report["notes"])
    assert (f"Cache tokens — review: {review['cache_read_tokens']:,} read, {review['cache_write_tokens']:,} written; "
            f"verification: {verification['cache_read_tokens']:,} read") in summary


def test_below_the_models_floor_nothing_is_cached_the_plan_says_so_and_the_estimate_pays_in_full(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report, summary = _run(tmp_path, monkeypatch, {"model": "claude-haiku-4-5", "verify": "false"})
    prefix = report["cache_prefix"]
    assert prefix["model_minimum"] == 4096 and prefix["estimated_tokens"] < 4096 and not prefix["cacheable"]
    assert any("below claude-haiku-4-5's minimum cacheable prefix (4,096 tokens)" in note for note in report["notes"])
    review = report["usage_by_pass"]["review"]
    assert review["requests"] == 8 and review["cache_write_tokens"] == review["cache_read_tokens"] == 0  # the API's
    price = PRICES["claude-haiku-4-5"]
    # every request pays for the whole prefix at the input price: no cache write once and reads after
    assert report["estimated_cost_usd"] >= report["requests"] * prefix["estimated_tokens"] * price.input / 1e6
    assert "(below it: not cached)" in summary
