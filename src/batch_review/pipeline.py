"""collect → plan → review → aggregate → publish.

A `Job` says what to review (`collect`), how requests reach the model (`engine`) and where results
go (`sinks`); this module runs the stages in order and turns every failure into a named status.
The CLI and the action only build jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from .aggregate import aggregate
from .config import Config
from .engines.answers import EngineResult
from .engines.task import FollowUps, ReviewTask, Task
from .errors import BudgetError, NothingReviewedError, RunError, Superseded
from .guidance import PathGuidance
from .keyfiles import scan_key_files
from .log import log
from .plan import Budget, Plan, PlannedRequest, make_plan
from .pricing import Usage, budget_warning, cache_floor, cost, estimate, floor_note, price_for
from .prompt import cacheable_tokens, render_request, system_blocks, system_tokens
from .report import CachePrefix, FileOutcome, RunReport
from .scrub import Scrubbed, scrub
from .shared import build_shared
from .sources.base import Collected
from .words import plural

if TYPE_CHECKING:
    from .verify import Ahead


class Engine(Protocol):
    name: str
    batch: bool

    def review(self, plan: Plan, render: Callable[[PlannedRequest], str], task: Task = ...,
               then: FollowUps | None = None) -> EngineResult:
        """`then`: follow-ups of the answers, sent in the same run when the engine can (else ignored)."""
        ...


Sink = Callable[[RunReport, Plan], str]


class Memory(Protocol):
    """What earlier runs reviewed and found (memory/): files whose content was already reviewed under the same
    settings are not sent again, their findings are carried, and findings no longer found are closed."""

    def recall(self, collected: Collected, report: RunReport) -> list[FileOutcome]:
        """Take the files reviewed before out of `collected.files`; their outcomes ("unchanged")."""
        ...

    def reconcile(self, report: RunReport, plan: Plan) -> None:
        """After aggregation: add the carried findings to the report, list the fixed ones."""
        ...


@dataclass
class Job:
    mode: str
    config: Config
    collect: Callable[[], Collected]
    engine: Engine | None  # None: plan only (dry run, or no API key)
    sinks: list[tuple[str, Sink]] = field(default_factory=list)
    plan_only_reason: str = ""
    on_plan: Callable[[RunReport, Plan], None] | None = None
    prepaid: bool = False  # the plan's requests were paid for by an earlier run (a pending sweep collected)
    memory: Memory | None = None
    # the verification plan and the review's outcome -> the engine for the verification, and whether an earlier
    # run paid for it (a sweep resumes a pending verification batch); None: the review's engine (verify/)
    before_verify: Callable[[Plan, EngineResult, RunReport], tuple[Engine, bool]] | None = None


def run(job: Job) -> tuple[RunReport, Plan]:
    cfg = job.config
    guide = PathGuidance.of(cfg)  # path instructions: sent with the requests holding the files they match
    report = RunReport(mode=job.mode, model=cfg.model, engine=job.engine.name if job.engine else "none")
    plan = Plan()
    unchanged: list[FileOutcome] = []
    try:
        with log.group("Collect"):
            collected = job.collect()
            report.target, report.head_sha = collected.label, collected.head_sha
            report.notes += collected.notes
            report.coverage_gap = collected.incomplete
            unchanged = job.memory.recall(collected, report) if job.memory else []
            scrubbed = scrub(collected)  # credentials redacted (and found), long lines cut, before the plan
        with log.group("Plan"):
            budget = Budget(cfg.max_request_tokens, cfg.max_files_per_request, cfg.context, cfg.max_context_tokens)
            plan = make_plan(collected.files, collected.skipped, budget)
            report.notes += scan_key_files(plan, scrubbed)  # key material: never sent, its credentials are findings
            shared = build_shared(plan, collected.intent)  # intent and change map: in every request's cached prefix
            plan.shared = shared.blocks
            report.notes += shared.notes
            if guide is not None:
                guide.account(plan)  # path instructions count in each request's estimate
            if collected.repository is not None and cfg.max_related_tokens and cfg.context == "definitions":
                _related(cfg, collected, plan)  # code from other files, counted in each request's estimate
            report.notes += plan.notes
            _estimate(job, plan, report)
        if job.on_plan:
            job.on_plan(report, plan)
        if job.engine is None:
            report.dry_run = True
            report.files = _outcomes(plan, {}, pending="not reviewed: " + job.plan_only_reason) + unchanged
            _scanned(report, scrubbed)
            log.info(f"Plan only ({job.plan_only_reason}): nothing was sent to the model.")
        else:
            if not job.prepaid:  # collecting what an earlier run paid for spends nothing new up front
                _check_budget(cfg, report, plan, job.engine.batch)
            ahead = _ahead(job, plan)  # each answer's findings verified while the other reviews run (verify/)
            with log.group(f"Review ({len(plan.requests)} requests, engine {job.engine.name})"):
                outcome = job.engine.review(plan, lambda request: render_request(
                    request, plan.rows, guide, plan.related_of(request)), ReviewTask(shared=plan.shared),
                    then=ahead)
            _aggregate(job, plan, outcome, report)
            if not report.pending:
                _scanned(report, scrubbed)
            report.files = sorted(report.files + unchanged, key=lambda f: f.path)
            if cfg.verify and outcome.fatal is None and not report.pending:
                _verify(job, plan, outcome, report, ahead)
            if job.memory and not report.pending:
                job.memory.reconcile(report, plan)
            if outcome.fatal is not None:  # what was spent and reviewed is reported; the run still failed
                raise outcome.fatal
            _check_reviewed(plan, report)
    except Superseded as exc:  # a later run claimed the target before this one paid: nothing sent, nothing posted
        report.superseded = log.redact(exc.message)
        log.notice(report.superseded, title="batch-review: superseded")
    except RunError as exc:
        report.error, report.error_kind = log.redact(exc.message), exc.kind
        log.error(report.error, title=f"batch-review failed ({exc.kind})")
        if not report.files and (plan.files or plan.skipped):  # every planned file is accounted for
            report.files = _outcomes(plan, dict.fromkeys(plan.files, f"not reviewed: the run failed ({exc.kind})"))
    _publish(job, report, plan)
    return report, plan


def _scanned(report: RunReport, scrubbed: Scrubbed) -> None:
    """The secret scanner's findings join the model's (never verified: they are not the model's guesses)."""
    from .findings import sort_key

    if scrubbed.findings:
        report.findings = sorted([*report.findings, *scrubbed.findings], key=sort_key)
        note = (f"{plural(len(scrubbed.findings), 'committed credential')} found: each is a critical finding, and "
                "its value was redacted before anything was sent to the model")
        log.warning(note)
        report.notes.append(note)


def _estimate(job: Job, plan: Plan, report: RunReport) -> None:
    cfg = job.config
    price, known = price_for(cfg.model, cfg.prices)
    system = system_tokens(cfg.instructions, plan.shared)
    floor = cache_floor(cfg.model, cfg.cache_floors)
    counted = cacheable_tokens(system_blocks(cfg.instructions, plan.shared))
    batch = bool(job.engine and job.engine.batch)
    args = (plan.input_tokens, plan.output_tokens, system, len(plan.requests), price)
    report.estimated_cost_usd = estimate(*args, batch=batch, floor=floor, cacheable=counted)
    report.requests = len(plan.requests)
    report.cache = CachePrefix(counted, floor, len(plan.shared))
    below = floor_note(counted, cfg.model, cfg.cache_floors) if plan.requests else ""
    if below:
        report.notes.append(below)
        log.info(below)
    log.info(
        f"{plural(len(plan.files), 'file')} in {plural(len(plan.requests), 'request')}, {len(plan.skipped)} skipped; "
        f"~{plan.input_tokens + system:,} input and ~{plan.output_tokens:,} output tokens; "
        f"estimated ${estimate(*args, batch=False, floor=floor, cacheable=counted):.4f} in parallel, "
        f"${estimate(*args, batch=True, floor=floor, cacheable=counted):.4f} as a batch"
        + ("" if known else f" (no price known for {cfg.model}: the dearest known price was used)")
    )
    if job.engine is None and log.actions:  # a plan only, on a runner (a terminal prints it beside the plan)
        over = budget_warning(report.estimated_cost_usd, cfg.budget_usd)
        if over:
            log.warning(over)
            report.notes.append(over)


def _related(cfg: Config, collected: Collected, plan: Plan) -> None:
    from .context.related import add_related
    from .filters import FileFilter

    refuse = FileFilter((), cfg.exclude, defaults=cfg.default_excludes).by_path  # secrets: checked on content
    assert collected.repository is not None
    add_related(plan, collected.repository, cfg.max_related_tokens, cfg.max_request_tokens, refuse)


def _check_budget(cfg: Config, report: RunReport, plan: Plan, batch: bool) -> None:
    if cfg.budget_usd is not None and (report.estimated_cost_usd or 0) > cfg.budget_usd:
        raise BudgetError(
            f"the plan's estimated cost ${report.estimated_cost_usd:.4f} exceeds budget-usd ${cfg.budget_usd:.2f}; "
            "nothing was sent (narrow include/exclude, or raise the budget)"
        )
    if cfg.budget_usd is not None and batch:  # a batch cannot be stopped halfway: its worst case must fit
        price, _ = price_for(cfg.model, cfg.prices)
        n = len(plan.requests)
        worst = cost(Usage(cache_write_tokens=plan.input_tokens + system_tokens(cfg.instructions, plan.shared) * n,
                           output_tokens=cfg.max_output_tokens * n), price, batch=True)
        if worst > cfg.budget_usd:
            raise BudgetError(
                f"the batch's worst case ${worst:.4f} (every answer using max-output-tokens {cfg.max_output_tokens}) "
                f"exceeds budget-usd ${cfg.budget_usd:.2f}, and a batch cannot be stopped once sent; nothing was sent "
                "(lower max-output-tokens, narrow include/exclude, raise the budget, or use strategy: parallel)"
            )


def _aggregate(job: Job, plan: Plan, outcome: EngineResult, report: RunReport) -> None:
    cfg = job.config
    report.batch_ids, report.pending = outcome.batch_ids, outcome.pending
    report.model_seconds = outcome.seconds
    report.notes += outcome.notes
    for result in outcome.results:
        report.usage.add(result.usage)
        report.review_usage.add(result.usage)
    price, _ = price_for(cfg.model, cfg.prices)
    report.cost_usd = cost(report.usage, price, batch=outcome.batch_priced)
    if outcome.batch_priced:  # second tries of a batch went through the Messages API at standard price
        extra = outcome.full_price_usage
        report.cost_usd += cost(extra, price) - cost(extra, price, batch=True)
    if outcome.pending:
        report.files = _outcomes(plan, {}, pending="the batch has not ended yet")
        return
    agg = aggregate(plan, outcome.results, cfg.min_severity)
    report.findings, report.below_threshold = agg.findings, agg.below_threshold
    report.summaries = {path: log.redact(text) for path, text in agg.summaries.items()}
    report.files = _outcomes(plan, agg.failed)


def _check_reviewed(plan: Plan, report: RunReport) -> None:
    """A run that planned files and reviewed none of them failed (no network, every request refused or
    overloaded): it must not pass `fail-on` as a partial review with nothing to say."""
    if report.pending or not plan.files or any(f.status == "reviewed" for f in report.files):
        return
    failed = report.failed_files()
    if not failed:
        return
    first = failed[0]
    more = "; the others' reasons are in the report" if len(failed) > 1 else ""
    raise NothingReviewedError(f"nothing was reviewed: all {plural(len(failed), 'planned file')} failed "
                               f"({first.path}: {first.reason}{more})")


def _ahead(job: Job, plan: Plan) -> Ahead | None:
    """Verification pipelined with the review, when the review goes through the Messages API and the job leaves
    the verification's engine to the pipeline (a sweep's may be a batch of its own)."""
    from .verify import Ahead

    cfg = job.config
    if not cfg.verify or job.engine is None or job.engine.batch or job.before_verify is not None:
        return None
    return Ahead(plan, cfg, price_for(cfg.verifier, cfg.prices)[0], job.engine.name)


def _verify(job: Job, plan: Plan, outcome: EngineResult, report: RunReport, ahead: Ahead | None) -> None:
    """Each new finding checked by a second request before anything is posted (verify/): the ones sent while
    the review ran are judged from those answers, the others are sent now."""
    from .verify import verification_engine, verify_findings

    def engine_for(vplan: Plan) -> tuple[Engine, bool]:
        if job.before_verify is not None:
            return job.before_verify(vplan, outcome, report)
        return verification_engine(job.engine, outcome, report.cost_usd), False

    verify_findings(report, plan, job.config, engine_for, ahead, outcome.then)


def _outcomes(plan: Plan, failed: dict[str, str], pending: str = "") -> list[FileOutcome]:
    files = [FileOutcome(s.path, "skipped", s.reason) for s in plan.skipped]
    for path in plan.files:
        if pending:
            files.append(FileOutcome(path, "pending", pending))
        elif path in failed:
            files.append(FileOutcome(path, "failed", failed[path]))
        else:
            files.append(FileOutcome(path, "reviewed"))
    files.sort(key=lambda f: f.path)
    return files


def _publish(job: Job, report: RunReport, plan: Plan) -> None:
    """Every sink runs, whatever happened before. A sink that raises lost results the user would not
    otherwise see (the review could not be posted): the run is then `failed`, so no green check hides it.
    Sinks that may fail harmlessly (the check run without `checks: write`) return a note instead."""
    for name, sink in job.sinks:
        try:
            what = sink(report, plan)
        except Exception as exc:  # a sink must never hide the run's result
            message = exc.message if isinstance(exc, RunError) else f"{type(exc).__name__}: {exc}"
            what = f"failed: {message}"
            log.error(log.redact(f"{name}: {message}"), title=f"batch-review could not publish ({name})")
            if not report.error:
                report.error, report.error_kind = log.redact(f"{name} failed: {message}"), "publish"
        if what:
            report.published[name] = log.redact(what)
