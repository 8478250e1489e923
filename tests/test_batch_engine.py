"""The Message Batches engine against the fake API, driven by the real `anthropic` client.

Plans come from real git repositories (one file per request, so outcomes can be aimed at files). Batches
stay `in_progress` until the test ends them; the engine's sleep is replaced by a function that ends
them, so no test waits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from batch_review.engines.answers import EngineResult
from batch_review.engines.batch import BatchEngine, BatchOptions, Resume
from batch_review.engines.parallel import ParallelOptions
from batch_review.errors import ApiError
from batch_review.filters import FileFilter
from batch_review.plan import Budget, Plan, make_plan
from batch_review.pricing import PRICES, SpendGuard
from batch_review.prompt import REPAIR, message_params, render_request
from batch_review.sources.repository import collect_repository
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.model_brain import plant, user_text
from tests.support.gitrepo import GitRepo

KEY = "sk-ant-batch-engine-test"
MODEL = "claude-sonnet-5-5"


def make_repo(path: Path, count: int = 6) -> GitRepo:
    repo = GitRepo.init(path)
    repo.commit_files(
        {f"src/f{i}.py": f"def f{i}(x):\n    return eval(x)  # {plant('high', 'security', title=f'eval {i}')}\n"
         for i in range(count)},
        "files",
    )
    return repo


@pytest.fixture
def plan_of(tmp_path: Path) -> Iterator[Callable[[int], Plan]]:
    closers: list[Callable[[], None]] = []

    def build(count: int = 6) -> Plan:
        repo = make_repo(tmp_path / f"repo{len(closers)}", count)
        collected, close = collect_repository(repo.path, None, FileFilter((), (), defaults=True))
        closers.append(close)
        return make_plan(collected.files, collected.skipped, Budget(max_files_per_request=1))

    yield build
    for close in closers:
        close()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropicAPI]:
    with FakeAnthropicAPI(api_key=KEY) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        yield api


def engine(
    fake: FakeAnthropicAPI,
    *,
    wait: float = 0,
    resume: Resume | None = None,
    calls: list[tuple[list[str], bool, int]] | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    **options: Any,
) -> BatchEngine:
    parallel = ParallelOptions(model=MODEL, max_tokens=2048, instructions="", max_concurrency=4, max_retries=0)
    made = BatchEngine(
        BatchOptions(parallel=parallel, wait_minutes=wait, **options),
        api_key=KEY,
        spend=SpendGuard(None, PRICES[MODEL]),
        resume=resume,
        on_submit=(lambda ids, complete, creating: calls.append((list(ids), complete, creating)))
        if calls is not None else None,
    )
    if sleep is not None:
        made.sleep = sleep
    if clock is not None:
        made.clock = clock
    return made


def review(made: BatchEngine, plan: Plan) -> EngineResult:
    return made.review(plan, lambda request: render_request(request, plan.rows))


def end_all(fake: FakeAnthropicAPI, outcomes: dict[str, str] | None = None) -> None:
    for batch in list(fake.batches.values()):
        if batch.processing_status == "in_progress":
            mine = {k: v for k, v in (outcomes or {}).items() if any(r["custom_id"] == k for r in batch.requests)}
            fake.end_batch(batch.id, mine)


def by_path(plan: Plan, result: EngineResult) -> dict[str, Any]:
    return {plan.by_id()[r.custom_id].paths[0]: r for r in result.results}


def test_submit_then_resume_collects_without_submitting_again(fake: FakeAnthropicAPI, plan_of: Any) -> None:
    plan = plan_of(6)
    calls: list[tuple[list[str], bool, int]] = []
    first = review(engine(fake, calls=calls), plan)
    assert first.pending and first.results == [] and len(first.batch_ids) == 1 and first.batch_priced
    # told before anything is paid for, then the intent (a batch of 6 is being created), its id, and the end
    assert calls == [([], False, 0), ([], False, 6), (first.batch_ids, False, 0), (first.batch_ids, True, 0)]
    assert any("in_progress" in note for note in first.notes)
    (batch_id,) = first.batch_ids
    assert len(fake.batches[batch_id].requests) == 6

    again = review(engine(fake, resume=Resume(tuple(first.batch_ids))), plan)  # not ended yet: still pending
    assert again.pending and fake.batches_created == 1

    fake.end_batch(batch_id)
    done = review(engine(fake, resume=Resume(tuple(first.batch_ids))), plan)
    assert not done.pending and fake.batches_created == 1 and done.batch_ids == [batch_id]
    assert [r.custom_id for r in done.results] == [r.custom_id for r in plan.requests]
    assert all(r.answer is not None and len(r.answer.findings) == 1 for r in done.results)
    assert all(r.usage.requests == 1 and r.usage.output_tokens > 0 for r in done.results)
    assert fake.count("POST", "/v1/messages") == 0  # nothing went outside the batch
    assert done.full_price_usage.requests == 0


def test_outcomes_are_retried_repaired_or_failed_exactly_as_specified(fake: FakeAnthropicAPI, plan_of: Any) -> None:
    plan = plan_of(8)
    ids = {p: r.custom_id for r in plan.requests for p in r.paths}
    outcomes = {
        ids["src/f0.py"]: "errored",  # api_error: sent once more
        ids["src/f1.py"]: "overloaded",  # overloaded_error: sent once more
        ids["src/f2.py"]: "expired",  # sent once more
        ids["src/f3.py"]: "invalid",  # invalid_request_error: failed, not resent
        ids["src/f4.py"]: "canceled",  # failed, not resent
        ids["src/f5.py"]: "not_json",  # repaired once
        ids["src/f6.py"]: "max_tokens",  # repaired once, with more room
    }
    result = review(engine(fake, wait=1, sleep=lambda _: end_all(fake, outcomes)), plan)
    got = by_path(plan, result)
    for path in ("src/f0.py", "src/f1.py", "src/f2.py", "src/f5.py", "src/f6.py", "src/f7.py"):
        assert got[path].answer is not None and got[path].error is None, path
    assert got["src/f3.py"].answer is None
    assert got["src/f3.py"].error.startswith("invalid request (invalid_request_error")
    assert got["src/f4.py"].answer is None and got["src/f4.py"].error.startswith("canceled")
    assert [got[p].attempts for p in ("src/f0.py", "src/f5.py", "src/f7.py")] == [2, 3, 1]

    sent = [r.json for r in fake.requests if r.method == "POST" and r.path == "/v1/messages"]
    assert len(sent) == 5 and fake.batches_created == 1  # three resent as they were, two repairs
    by_file = {re.search(r'### "([^"]+)"', user_text(body))[1]: body for body in sent}
    assert sorted(by_file) == ["src/f0.py", "src/f1.py", "src/f2.py", "src/f5.py", "src/f6.py"]
    repair_head = REPAIR.split("{")[0]
    assert all(repair_head not in user_text(by_file[p]) for p in ("src/f0.py", "src/f1.py", "src/f2.py"))
    assert repair_head in user_text(by_file["src/f5.py"]) and "not valid JSON" in user_text(by_file["src/f5.py"])
    assert repair_head in user_text(by_file["src/f6.py"]) and by_file["src/f6.py"]["max_tokens"] == 4096
    assert result.full_price_usage.requests == 5  # the second tries cost standard price
    assert any("Second tries: 5 of 5" in note for note in result.notes)


def test_a_second_try_that_fails_again_keeps_both_reasons(fake: FakeAnthropicAPI, plan_of: Any) -> None:
    plan = plan_of(2)
    target = plan.requests[0].custom_id
    fake.inject("server_error", times=5)
    result = review(engine(fake, wait=1, sleep=lambda _: end_all(fake, {target: "errored"})), plan)
    first = result.results[0]
    assert first.answer is None and first.attempts == 2
    assert "api_error" in first.error and "errored in the batch" in first.error
    assert result.results[1].answer is not None


def test_forgotten_results_are_submitted_again_with_a_note(fake: FakeAnthropicAPI, plan_of: Any) -> None:
    plan = plan_of(4)
    first = review(engine(fake), plan)
    (old,) = first.batch_ids
    fake.end_batch(old)
    fake.forget_results(old)  # 29 days later
    calls: list[tuple[list[str], bool, int]] = []
    result = review(engine(fake, wait=1, resume=Resume((old,)), calls=calls, sleep=lambda _: end_all(fake)), plan)
    assert fake.batches_created == 2
    (new,) = result.batch_ids
    n = len(plan.requests)
    assert new != old and calls == [([], False, 0), ([], False, n), ([new], False, 0), ([new], True, 0)]
    assert all(r.answer is not None for r in result.results)
    assert any("submitted again" in n and "no longer available" in n for n in result.notes)


def test_an_interrupted_submission_resubmits_only_what_is_missing(fake: FakeAnthropicAPI, plan_of: Any) -> None:
    plan = plan_of(5)
    first = review(engine(fake, max_requests=2), plan)
    assert len(first.batch_ids) == 3
    for batch_id in first.batch_ids:
        fake.end_batch(batch_id)
    # the submitting run died after recording only the first batch
    resume = Resume((first.batch_ids[0],), complete=False)
    result = review(engine(fake, wait=1, resume=resume, sleep=lambda _: end_all(fake)), plan)
    assert fake.batches_created == 4 and len(fake.batches[result.batch_ids[-1]].requests) == 3
    assert result.batch_ids[0] == first.batch_ids[0] and all(r.answer is not None for r in result.results)


def test_a_changed_plan_reuses_matching_results_and_submits_the_rest(fake: FakeAnthropicAPI, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", 3)
    filt = FileFilter((), (), defaults=True)
    collected, close = collect_repository(repo.path, None, filt)
    old_plan = make_plan(collected.files, collected.skipped, Budget(max_files_per_request=1))
    first = review(engine(fake), old_plan)
    close()
    fake.end_batch(first.batch_ids[0])
    repo.commit_files({"src/f0.py": "def f0(x):\n    return x  # " + plant("low", title="changed") + "\n"}, "change")
    collected, close = collect_repository(repo.path, None, filt)
    plan = make_plan(collected.files, collected.skipped, Budget(max_files_per_request=1))
    resume = Resume(tuple(first.batch_ids), same_plan=False)
    result = review(engine(fake, wait=1, resume=resume, sleep=lambda _: end_all(fake)), plan)
    close()
    assert fake.batches_created == 2 and len(fake.batches[result.batch_ids[1]].requests) == 1
    assert all(r.answer is not None for r in result.results)
    assert any("matched no request" in n for n in result.notes)  # the old f0 result is not used
    assert by_path(plan, result)["src/f0.py"].answer.findings[0].title == "changed"


@pytest.mark.parametrize("limit", ["requests", "bytes"])
def test_big_sweeps_are_split_into_several_batches(fake: FakeAnthropicAPI, plan_of: Any, limit: str) -> None:
    plan = plan_of(7)
    items = [
        {"custom_id": r.custom_id,
         "params": message_params(render_request(r, plan.rows), model=MODEL, max_tokens=2048, instructions="")}
        for r in plan.requests
    ]
    largest = max(len(json.dumps(item).encode()) for item in items)
    cap = 20 + 2 * largest + largest // 2  # room for two requests, not three
    options = {"max_requests": 3} if limit == "requests" else {"max_bytes": cap}
    calls: list[tuple[list[str], bool, int]] = []
    result = review(engine(fake, calls=calls, **options), plan)
    counts = [len(fake.batches[i].requests) for i in result.batch_ids]
    assert counts == ([3, 3, 1] if limit == "requests" else [2, 2, 2, 1])
    bodies = [r.raw for r in fake.requests if r.method == "POST" and r.path == "/v1/messages/batches"]
    assert len(bodies) == len(counts)
    if limit == "bytes":  # measured on what the SDK really sent
        assert all(len(body) <= cap for body in bodies) and max(map(len, bodies)) > cap // 2
    creating = [c[2] for c in calls if c[2]]
    assert creating == counts  # the intent is saved before every batch, with its size
    assert [c[1] for c in calls] == [False] * (1 + 2 * len(counts)) + [True]  # and its id after every batch
    assert calls[-1][0] == result.batch_ids
    seen = [r["custom_id"] for i in result.batch_ids for r in fake.batches[i].requests]
    assert seen == [r.custom_id for r in plan.requests]


def test_polling_backs_off_and_stops_at_the_deadline(fake: FakeAnthropicAPI, plan_of: Any) -> None:
    plan = plan_of(1)
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    result = review(engine(fake, wait=1, sleep=sleep, clock=lambda: now[0], poll_first=5, poll_max=20), plan)
    assert result.pending and sum(sleeps) == pytest.approx(60)
    assert sleeps[:4] == [5, 7.5, 11.25, 16.875] and max(sleeps) <= 20
    polls = fake.count("GET", f"/v1/messages/batches/{result.batch_ids[0]}")
    assert polls == len(sleeps) + 1


def test_a_refused_key_stops_before_any_batch_exists(fake: FakeAnthropicAPI, plan_of: Any) -> None:
    plan = plan_of(1)
    made = engine(fake)
    made.api_key = "sk-ant-wrong"
    with pytest.raises(ApiError, match="authentication"):
        review(made, plan)
    assert fake.batches_created == 0
    fake.clear_errors()


def test_an_empty_plan_sends_nothing(fake: FakeAnthropicAPI) -> None:
    result = review(engine(fake), Plan())
    assert result.results == [] and not result.pending and fake.batches_created == 0
