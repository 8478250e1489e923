"""Eval jobs: every labelled case of a dataset reviewed as a pull request from its `head` into its `base`
would be (the same collect, plan, prompt, engine and aggregation as `batch-review review`), all cases'
requests sent together through one engine (`evaluation/pool.py`: one batch with `strategy: batch`), then
scored against the labels (`evaluation/scoring.py`).

Each case is its own job, so the model sees exactly what it would see reviewing that change alone: its
files under their real paths, packed with nothing from another case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Config, Secrets
from ..engines.factory import make_engine
from ..engines.task import ReviewTask
from ..evaluation.dataset import Case, load_dataset
from ..evaluation.pool import EnginePool, request_texts
from ..evaluation.recall import case_recall
from ..evaluation.results import CaseResult, EvalResult, write_json
from ..filters import FileFilter
from ..guidance import PathGuidance
from ..log import log
from ..pipeline import Job, run
from ..plan import Plan
from ..prompt import render_request
from ..report import RunReport
from ..sources.base import Collected
from .review import note_nothing_to_review, with_repository

NO_KEY = "no API key"


def run_eval(dataset: Path, config: Config, secrets: Secrets, json_path: str | None = None) -> EvalResult:
    """Check the dataset (a bad line fails before anything is sent), review every case, score them.
    Without a key (or with `dry-run`) each case is only planned, and the result is the plan."""
    cases = load_dataset(dataset)
    engine, plan_only = make_engine(config, secrets, default="parallel", no_key_reason=NO_KEY)
    filt = FileFilter(config.include, config.exclude, defaults=config.default_excludes)
    sent: dict[str, list[str]] = {}  # case id -> the text of each review request (the context recall)
    jobs = [case_job(case, config, filt, f"{i}/{len(cases)}", sent if engine is None else None)
            for i, case in enumerate(cases, start=1)]
    result = EvalResult(dataset=dataset, model=config.model, engine=engine.name if engine else "none", cases=[],
                        plan_only=plan_only)
    outcomes: list[tuple[RunReport, Plan]]
    if engine is None:
        for job in jobs:
            job.plan_only_reason = plan_only
        outcomes = [run(job) for job in jobs]
    else:
        pool = EnginePool(engine, config)
        state = _batch_state(engine, dataset, config, pool, jobs)
        outcomes = pool.run(jobs, [case.id for case in cases])
        sent = pool.sent
        result.notes, result.batch_ids, result.extra_cost_usd = pool.notes, pool.batch_ids, pool.extra_cost_usd
        if state is not None:
            result.state_file = state.where if state.state is not None else ""
            # kept while any case waits (a verification batch may hold only the cases with findings)
            state.finish(collected=any(not report.pending and not report.error for report, _ in outcomes)
                         and not any(report.pending for report, _ in outcomes))
    result.cases = [CaseResult.scored(case, report, plan, case_recall(case, sent.get(case.id, [])))
                    for case, (report, plan) in zip(cases, outcomes, strict=True)]
    if json_path:
        write_json(result, Path(json_path), log.redact)
    return result


def _batch_state(engine: Any, dataset: Path, config: Config, pool: EnginePool, jobs: list[Job]) -> Any:
    """With a batch engine: its state kept beside the dataset, so a batch still pending when the wait
    ends is collected by the next run instead of paid for again."""
    from ..engines.batch import BatchEngine
    from ..evaluation.resume import EvalBatchState

    if not isinstance(engine, BatchEngine):
        return None
    state = EvalBatchState(dataset, config)
    state.attach(engine)
    pool.before_dispatch = state.before_dispatch
    if state.resuming:  # collecting what an earlier run paid for spends nothing new up front
        pool.prepaid = True
        for job in jobs:
            job.prepaid = True
    return state


def case_job(case: Case, config: Config, filt: FileFilter, position: str,
             sent: dict[str, list[str]] | None = None) -> Job:
    """A case as a pull request from its head into its base: its title and description are its intent, sent
    (with its change map) in every request's shared blocks, as a pull request's are. `sent`: a plan-only run
    records there the text each request would carry (a run with an engine records it at the pool, as sent)."""
    from ..sources.intent import stated_intent
    from ..sources.local_git import collect_local

    def collect() -> Collected:
        log.info(f"Case {position} {case.id}: {case.base}..{case.head} in {case.repo}")
        collected = collect_local(case.repo, case.base, filt, context_lines=config.context_lines, head=case.head)
        collected.label = f"{case.id}: {collected.label}"
        # its intent as a pull request states it; no commit messages (the case repositories' are the builder's)
        intent = stated_intent(f"eval case {case.id}", case.title, case.description)
        collected.intent = None if intent.empty else intent
        return with_repository(collected, case.repo)

    def on_plan(report: RunReport, plan: Plan) -> None:
        note_nothing_to_review(report, plan)
        if sent is not None:
            guide = PathGuidance.of(config)
            sent[case.id] = request_texts(plan, lambda request: render_request(  # with code from other files
                request, plan.rows, guide, plan.related_of(request)), ReviewTask(shared=plan.shared),
                config)

    return Job(mode="eval", config=config, collect=collect, engine=None, on_plan=on_plan)
