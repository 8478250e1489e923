"""Issue #12, items 9 and 13: a bad answer must not cost the files packed with it, and a repair gets room.

9.  Small files are packed several to a request. When the pack's answer is unusable and so is its repair,
    or the pack's answer was cut off, its files are asked about one by one (inside `budget-usd`); every
    file ends reviewed or failed with its own reason, and the extra requests are in the usage and cost.
    The same for the second tries of a batch.
13. A cut-off answer's repair never gets less room than the first try (max-output-tokens 40000 → 64000,
    not 32000), and a call allowed that many tokens gets a timeout long enough for it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from batch_review.engines.batch import BatchEngine, BatchOptions
from batch_review.engines.parallel import ParallelOptions
from batch_review.filters import FileFilter
from batch_review.plan import Budget, make_plan
from batch_review.pricing import PRICES, SpendGuard
from batch_review.prompt import REPAIR, render_request
from batch_review.sources.repository import collect_repository
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.model_brain import planted_brain, user_text
from tests.support.fault_world import KEY, PLANT_LINE, file_name, for_file, message_requests, world
from tests.support.gitrepo import GitRepo

MODEL = "claude-sonnet-5-5"


def _pack(n: int) -> Callable[[dict[str, Any]], bool]:
    """Matches the request that packs all `n` files."""
    return lambda body: all(f'### "{file_name(i)}"' in user_text(body) for i in range(n))


def _alone(i: int) -> Callable[[dict[str, Any]], bool]:
    """Matches a request that shows file `i` and no other."""
    return lambda body: for_file(file_name(i))(body) and user_text(body).count('### "') == 1


PACKED = {"max-files-per-request": "12"}


def test_a_pack_whose_repair_is_unusable_too_is_split_and_every_file_reviewed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 4) as w:
        fault = w.ai.inject("not_json", times=2, match=_pack(4))
        result = w.run(**PACKED)

        assert result.code == 0, result.log
        assert fault.hits == 2  # the pack, then its one repair
        alone = [r for r in message_requests(w.ai) if r.json["messages"][0]["content"][0]["text"].count('### "') == 1]
        assert sorted(next(file_name(i) for i in range(4) if for_file(file_name(i))(r.json)) for r in alone) == [
            file_name(i) for i in range(4)]  # each file asked about once, on its own
        assert w.files() == {file_name(i): ("reviewed", "") for i in range(4)}
        assert w.env.outputs()["status"] == "findings"
        assert sorted((c["path"], c["line"]) for c in w.gh.review_comments) == [
            (file_name(i), PLANT_LINE) for i in range(4)]
        report = w.env.report()
        assert report["usage"]["requests"] == 6  # the pack, its repair and the four files: all paid for
        assert report["usage"]["input_tokens"] == w.ai.usage_totals()["input_tokens"]
        assert "asking about each file on its own" in result.log


def test_a_cut_off_pack_is_split_rather_than_asked_again_with_more_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        w.ai.inject("max_tokens", times=1, match=_pack(3))
        result = w.run(**PACKED)

        assert result.code == 0, result.log
        sent = message_requests(w.ai)
        assert len(sent) == 4 and {r.json["max_tokens"] for r in sent} == {8192}  # no bigger repeat of the pack
        assert not any(REPAIR.split("{")[0] in user_text(r.json) for r in sent)
        assert w.files() == {file_name(i): ("reviewed", "") for i in range(3)}
        assert w.env.report()["usage"]["requests"] == 4


def test_a_file_that_fails_on_its_own_too_is_the_only_one_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        w.ai.inject("not_json", times=2, match=_pack(3))
        w.ai.inject("not_json", times=2, match=_alone(1))
        result = w.run(**PACKED)

        assert result.code == 0, result.log
        files = w.files()
        assert files[file_name(0)] == files[file_name(2)] == ("reviewed", "")
        status, reason = files[file_name(1)]
        assert status == "failed" and "not valid JSON" in reason and "on its own" in reason
        assert w.env.outputs()["status"] == "partial"
        assert sorted(c["path"] for c in w.gh.review_comments) == [file_name(0), file_name(2)]


def test_split_files_not_sent_for_the_budget_are_failed_with_that_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def brain(body: dict[str, Any]) -> str:  # the pack's answer is long, useless (cut off) and uses up the budget
        return "no JSON here " * 4000 if _pack(3)(body) else planted_brain(body)

    with world(tmp_path, monkeypatch, 3, brain=brain) as w:
        result = w.run(**PACKED, **{"budget-usd": "0.05"})  # the plan's estimate fits; that answer does not

        assert result.code == 2, result.log  # nothing was reviewed: failed (#17.2), each file with its reason
        assert all(_pack(3)(r.json) for r in message_requests(w.ai))  # the files alone were never sent
        files = w.files()
        assert {status for status, _ in files.values()} == {"failed"}
        assert all("budget-usd reached" in reason for _, reason in files.values()), files
        assert w.env.outputs()["status"] == "failed"
        assert w.env.report()["error_kind"] == "nothing-reviewed"


# ---- the batch engine's second tries --------------------------------------------------------------------


def _packed_plan(tmp_path: Path, n: int) -> tuple[Any, Callable[[], None]]:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files({file_name(i): f"value_{i} = compute({i})  # PLANT(high,bug): defect number {i}\n"
                       for i in range(n)}, "files")
    collected, close = collect_repository(repo.path, None, FileFilter((), (), defaults=True))
    return make_plan(collected.files, collected.skipped, Budget(max_files_per_request=12)), close


@pytest.mark.parametrize("outcome", ["max_tokens", "not_json"])
def test_a_batch_pack_whose_answer_stays_unusable_is_split_in_the_second_tries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outcome: str
) -> None:
    from batch_review.engines.answers import per_request

    plan, close = _packed_plan(tmp_path, 3)
    try:
        [pack] = plan.requests
        with FakeAnthropicAPI(api_key=KEY) as fake:
            monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
            repair = fake.inject("not_json", times=1, match=_pack(3))  # the repair of a not_json pack fails too
            parallel = ParallelOptions(model=MODEL, max_tokens=2048, instructions="", max_concurrency=4, max_retries=0)
            made = BatchEngine(BatchOptions(parallel=parallel, wait_minutes=1), api_key=KEY,
                               spend=SpendGuard(None, PRICES[MODEL]))
            made.sleep = lambda _: [fake.end_batch(b.id, {pack.custom_id: outcome}) for b in list(fake.batches.values())
                                    if b.processing_status == "in_progress"]
            result = made.review(plan, lambda request: render_request(request, plan.rows))
            sent = message_requests(fake)
        [first] = result.results
        pairs = list(per_request(result.results, plan.by_id()))
        assert sorted(request.paths[0] for request, _ in pairs) == [file_name(i) for i in range(3)]
        assert all(part.answer is not None and len(part.answer.findings) == 1 for _, part in pairs)
        assert len({request.custom_id for request, _ in pairs} | {pack.custom_id}) == 4  # unique ids
        expected_pack_tries = 0 if outcome == "max_tokens" else 1  # a cut-off pack is not asked again
        assert repair.hits == expected_pack_tries and len(sent) == expected_pack_tries + 3
        assert first.usage.requests == 1 + expected_pack_tries + 3
        assert result.full_price_usage.requests == expected_pack_tries + 3
    finally:
        close()


# ---- 13: the repair of a cut-off answer ----------------------------------------------------------------


@pytest.mark.parametrize(("configured", "repair"), [(8192, 16384), (40000, 64000), (64000, 64000)])
def test_a_cut_off_answer_is_repaired_with_at_least_as_much_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configured: int, repair: int
) -> None:
    with world(tmp_path, monkeypatch, 2) as w:
        w.ai.inject("max_tokens", times=1, match=for_file(file_name(1)))
        result = w.run(**{"max-output-tokens": str(configured)})

        assert result.code == 0, result.log
        first, second = [r for r in message_requests(w.ai) if for_file(file_name(1))(r.json)]
        assert (first.json["max_tokens"], second.json["max_tokens"]) == (configured, repair)
        # a non-streamed call allowed more than 21,333 tokens gets the SDK's expected duration as its timeout
        for sent in (first, second):
            limit = sent.json["max_tokens"]
            timeout = sent.headers["x-stainless-timeout"]  # NOT_GIVEN: the client's request-timeout (600 s)
            expected = limit * 3600 / 128_000
            assert (timeout == "NOT_GIVEN") if expected <= 600 else float(timeout) == expected
        assert w.files() == {file_name(i): ("reviewed", "") for i in range(2)}
