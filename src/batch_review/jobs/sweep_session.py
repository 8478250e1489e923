"""The sweep session: the glue between the pipeline and a sweep's state across runs.

- `collect` loads the state first. A pending sweep is collected where it was made: the files are read
  at the swept commit (fetched when the checkout lacks it), not at HEAD, so results map to the code
  the model saw.
- `on_plan` (called by the pipeline once the plan exists) picks the engine: resume the pending batches;
  or, for a new sweep, the strategy (`choose_strategy`): it prints the choice and its reason.
- The batch engine reports every batch it creates (`on_submit`), and the session saves the state at
  once — before the first batch too, so a store that cannot be written fails the run before anything
  is paid for. Two runs never pay twice for one sweep.

In the Action the state lives in the audit issue (`publishers/issue.py`); locally in
`<repo>/.batch-review/sweep-state.json`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config import Config, Secrets
from ..engines.answers import EngineResult
from ..engines.factory import make_engine
from ..engines.providers import has_batches, no_batches_reason
from ..errors import RunError, SourceError
from ..filters import FileFilter
from ..gitcmd import git, rev_parse
from ..log import log
from ..pipeline import Job
from ..plan import Plan
from ..pricing import estimate, price_for
from ..prompt import PROMPT_VERSION, system_tokens
from ..report import RunReport
from ..sources.base import Collected
from ..sweep_state import StateStore, SweepState, utc_now
from ..words import plural

SMALL_SWEEP_REQUESTS = 3  # auto: this many requests or fewer go in parallel
MIN_BATCH_SAVING_USD = 0.05  # auto: a batch must save at least this much to be worth its wait


def choose_strategy(config: Config, plan: Plan) -> tuple[str, str]:
    """(`batch` or `parallel`, why) for a new sweep."""
    if config.strategy != "auto":
        return config.strategy, f"strategy: {config.strategy} is set"
    if not has_batches(config.provider):
        return "parallel", (f"auto: {no_batches_reason(config.provider)}, so the sweep goes parallel "
                            "at standard price")
    count = len(plan.requests)
    if count <= SMALL_SWEEP_REQUESTS:
        return "parallel", (f"auto: {plural(count, 'request')} — a sweep of {SMALL_SWEEP_REQUESTS} requests or "
                            "fewer is not worth a batch's wait")
    price, _ = price_for(config.model, config.prices)
    args = (plan.input_tokens, plan.output_tokens, system_tokens(config.instructions), count, price)
    saving = estimate(*args, batch=False) - estimate(*args, batch=True)
    if saving < MIN_BATCH_SAVING_USD:
        return "parallel", (f"auto: a batch would save only ${saving:.4f} (less than ${MIN_BATCH_SAVING_USD:.2f}), "
                            "not worth its wait")
    return "batch", f"auto: {count} requests go as a batch at half price (saving ~${saving:.2f})"


def ensure_commit(root: Path, sha: str, where: str) -> None:
    """Make `sha` available in the checkout (a shallow CI checkout may hold only HEAD)."""
    if rev_parse(root, sha):
        return
    shallow = git(root, "rev-parse", "--is-shallow-repository", check=False).strip() == b"true"
    log.info(f"The swept commit {sha[:12]} is not in this checkout: fetching it from origin")
    try:
        git(root, "fetch", "--quiet", "--no-tags", *(["--depth=1"] if shallow else []), "origin", sha)
    except SourceError as exc:
        problem = exc.message
    else:
        problem = "" if rev_parse(root, sha) else "the fetch did not bring it"
    if problem:
        raise SourceError(
            f"the pending sweep was made at commit {sha[:12]}, which is not in this checkout and could not be "
            f"fetched ({problem}); to abandon that sweep, remove its state from {where}"
        )


class SweepSession:
    def __init__(
        self,
        root: Path,
        config: Config,
        secrets: Secrets,
        store: StateStore,
        *,
        commit: str | None,
        resume: bool = True,
        forced: tuple[str, str] | None = None,
        ref: str = "",
    ) -> None:
        self.root = root
        self.config = config
        self.secrets = secrets
        self.store = store
        self.commit = commit  # what a new sweep sweeps (None: HEAD)
        self.resume_allowed = resume  # False for plan-only runs: they never touch a pending sweep
        self.forced = forced
        self.ref = ref  # what the state records: a run collects only its own ref's sweep
        self.state: SweepState | None = None
        self.state_known = False
        self.resuming = False
        self.swept = ""
        self.fingerprint = ""
        self.requests = 0
        self.notes: list[str] = []
        self._close: Callable[[], None] = lambda: None

    # -- pipeline hooks ---------------------------------------------------------------------------
    def collect(self) -> Collected:
        from ..sources.repository import collect_repository

        state = self.store.load()
        self.state_known = True
        if state is not None and not state.pending:
            self._note(f"a run stopped while submitting a sweep ({state.submitted_at}) before any batch was "
                       "recorded; this run starts a new sweep")
            state = None
        target = self.commit
        if state is not None and self.resume_allowed:
            self.state, self.resuming, target = state, True, state.commit or None
            log.info(f"A sweep is pending ({state.describe()}): collecting it at the swept commit")
            if state.commit:
                ensure_commit(self.root, state.commit, self.store.where)
        elif state is not None:
            self._note(f"a sweep is pending ({state.describe()}); this plan-only run leaves it alone")
        filt = FileFilter(self.config.include, self.config.exclude, defaults=self.config.default_excludes)
        collected, self._close = collect_repository(self.root, target, filt, exclude=self.config.report_dir)
        self.swept = collected.head_sha
        return collected

    def on_plan(self, job: Job, report: RunReport, plan: Plan) -> None:
        report.notes += self.notes
        if job.engine is None:
            strategy, why = self.forced or choose_strategy(self.config, plan)
            log.info(f"Strategy, were it sent: {strategy} — {why}")
            return
        from ..engines.batch import BatchEngine, Resume

        self.fingerprint = plan.fingerprint(self.config.model, PROMPT_VERSION)
        self.requests = len(plan.requests)
        if self.resuming and self.state is not None:
            state = self.state
            same = state.fingerprint == self.fingerprint
            strategy = "batch"
            why = f"the sweep submitted {state.submitted_at} is collected; nothing is submitted again"
            job.prepaid = same and state.complete
            if not same:
                self._note("the plan changed since the pending sweep was submitted (model, options or prompt "
                           "version): results are matched by request id, and new requests are submitted",
                           report)
        else:
            strategy, why = self.forced or choose_strategy(self.config, plan)
        engine = self._engine(strategy)
        if isinstance(engine, BatchEngine):
            engine.on_submit = self.on_submit
            if self.resuming and self.state is not None:
                engine.resume = Resume(tuple(self.state.batch_ids), self.state.complete,
                                       self.state.fingerprint == self.fingerprint, self.state.submitted_at,
                                       self.state.creating_at, self.state.creating_requests)
        log.info(f"Strategy: {strategy} — {why}")
        report.notes.append(f"Strategy {strategy}: {why}")
        job.engine, report.engine = engine, engine.name
        price, _ = price_for(self.config.model, self.config.prices)
        args = (plan.input_tokens, plan.output_tokens, system_tokens(self.config.instructions), len(plan.requests))
        report.estimated_cost_usd = estimate(*args, price, batch=engine.batch)

    def on_submit(self, batch_ids: list[str], complete: bool, creating: int = 0) -> None:
        """Saved before the first batch, before each `create` (the intent: when, and how many requests), and
        after each one (its id). A run killed between `create` and the save leaves the intent behind."""
        kept = self.state.verify if self.resuming and self.state is not None else None  # a resumed sweep's
        state = SweepState(commit=self.swept, fingerprint=self.fingerprint, model=self.config.model,
                           batch_ids=list(batch_ids), submitted_at=utc_now(), requests=self.requests,
                           complete=complete, ref=self.ref, creating_at=utc_now() if creating else "",
                           creating_requests=creating, verify=kept)
        self._keep(state, batch_ids, complete)

    def on_verify(self, job: Job, vplan: Plan, review: EngineResult, report: RunReport) -> tuple[Any, bool]:
        """The engine for the verification of the sweep's findings (the pipeline's `before_verify`), and whether
        an earlier run paid for it. A review batch that ended within this run's wait: its verification goes as a
        batch too (half price; if that one is still running when the wait ends, the next run collects both). A
        review batch an earlier run submitted: this run delivers — the findings are verified through the Messages
        API at once, at standard price (#17.1), so a nightly sweep's results are there in the morning, not a day
        later. A verification batch an earlier run left pending is collected, never submitted again."""
        from ..engines.batch import BatchEngine, Resume
        from ..engines.factory import messages_engine
        from ..verify import verification_engine
        from ..verify.prompt import PROMPT_VERSION as VERIFY_VERSION

        engine = job.engine
        if not isinstance(engine, BatchEngine) or self.state is None:
            return verification_engine(engine, review, report.cost_usd), False
        fingerprint = vplan.fingerprint(self.config.verifier, VERIFY_VERSION)
        earlier = self.state.verify
        prepaid = False
        if earlier is not None and earlier.pending:
            same = earlier.fingerprint == fingerprint
            log.info(f"Collecting the verification batch submitted {earlier.submitted_at} "
                     f"({', '.join(earlier.batch_ids)}) instead of submitting it again")
            engine.resume = Resume(tuple(earlier.batch_ids), earlier.complete, same, earlier.submitted_at,
                                   earlier.creating_at, earlier.creating_requests)
            prepaid = same and earlier.complete
        elif self.resuming:
            log.info("Verification goes through the Messages API: this run collects a review batch an earlier run "
                     "submitted, and delivers its findings now rather than after a verification batch")
            return messages_engine(engine, report.cost_usd), False
        else:
            chosen = verification_engine(engine, review, report.cost_usd)
            if chosen is not engine:
                return chosen, False
            engine.resume = None

        def on_submit(batch_ids: list[str], complete: bool, creating: int = 0) -> None:
            self.on_verify_submit(fingerprint, len(vplan.requests), batch_ids, complete, creating)

        engine.on_submit = on_submit
        return engine, prepaid

    def on_verify_submit(self, fingerprint: str, requests: int, batch_ids: list[str], complete: bool,
                         creating: int = 0) -> None:
        """The verification batch's state, kept beside the review's (which stays: the next run collects both)."""
        assert self.state is not None
        verify = SweepState(commit=self.swept, fingerprint=fingerprint, model=self.config.verifier,
                            batch_ids=list(batch_ids), submitted_at=utc_now(), requests=requests, complete=complete,
                            ref=self.ref, creating_at=utc_now() if creating else "", creating_requests=creating)
        self._keep(replace(self.state, verify=verify), batch_ids, complete)

    def _keep(self, state: SweepState, batch_ids: list[str], complete: bool) -> None:
        self.state = state
        try:
            self.store.save(state)
        except RunError as exc:
            if not batch_ids:
                raise  # nothing is paid for yet: better not to submit what the next run could not find
            log.warning(f"could not save the sweep's state in {self.store.where} ({exc.message}); batch(es) "
                        f"{', '.join(batch_ids)} — the end of the run tries again")
            return
        if batch_ids and complete:
            log.info(f"Sweep state saved in {self.store.where}: {state.describe()}")

    # -- after the run ------------------------------------------------------------------------------
    def state_to_keep(self, report: RunReport) -> SweepState | None:
        """The state the store must still hold after this run: None once the sweep is collected."""
        if self.state is None or not self.state.pending:
            return None  # nothing was paid for: nothing to collect later
        if report.pending or report.error or report.dry_run:
            return self.state
        return None

    def close(self) -> None:
        close, self._close = self._close, lambda: None
        close()

    def _engine(self, strategy: str) -> Any:
        engine, _ = make_engine(self.config.model_copy(update={"strategy": strategy}), self.secrets,
                                default=strategy)
        return engine

    def _note(self, note: str, report: RunReport | None = None) -> None:
        log.warning(note)
        (report.notes if report is not None else self.notes).append(note)
