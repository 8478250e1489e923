"""Repository sweeps: every tracked file at one commit, reviewed through Message Batches (or in parallel
when a sweep is too small to be worth a batch), resumable across runs.

`SweepSession` is the glue between the pipeline and the sweep's state:
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

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config, Secrets
from .errors import EXIT_FAILED, EXIT_OK, ConfigError, RunError, SourceError
from .filters import FileFilter
from .gitcmd import git, rev_parse
from .log import log
from .pipeline import Job, Sink, run
from .plan import Plan
from .pricing import estimate, price_for
from .prompt import PROMPT_VERSION, system_tokens
from .report import RunReport
from .sources.base import Collected
from .sweep_state import FileStateStore, StateStore, SweepState, utc_now

if TYPE_CHECKING:
    from .actions_env import ActionsContext

SMALL_SWEEP_REQUESTS = 3  # auto: this many requests or fewer go in parallel
MIN_BATCH_SAVING_USD = 0.05  # auto: a batch must save at least this much to be worth its wait
STATE_FILE = ".batch-review/sweep-state.json"


def choose_strategy(config: Config, plan: Plan) -> tuple[str, str]:
    """(`batch` or `parallel`, why) for a new sweep."""
    if config.strategy != "auto":
        return config.strategy, f"strategy: {config.strategy} is set"
    count = len(plan.requests)
    if count <= SMALL_SWEEP_REQUESTS:
        return "parallel", (f"auto: {count} request(s) — a sweep of {SMALL_SWEEP_REQUESTS} requests or fewer is "
                            "not worth a batch's wait")
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
    ) -> None:
        self.root = root
        self.config = config
        self.secrets = secrets
        self.store = store
        self.commit = commit  # what a new sweep sweeps (None: HEAD)
        self.resume_allowed = resume  # False for plan-only runs: they never touch a pending sweep
        self.forced = forced
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
        from .sources.repository import collect_repository

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
        collected, self._close = collect_repository(self.root, target, filt)
        self.swept = collected.head_sha
        return collected

    def on_plan(self, job: Job, report: RunReport, plan: Plan) -> None:
        report.notes += self.notes
        if job.engine is None:
            strategy, why = self.forced or choose_strategy(self.config, plan)
            log.info(f"Strategy, were it sent: {strategy} — {why}")
            return
        from .engines.batch import BatchEngine, Resume

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
                                       self.state.fingerprint == self.fingerprint, self.state.submitted_at)
        log.info(f"Strategy: {strategy} — {why}")
        report.notes.append(f"Strategy {strategy}: {why}")
        job.engine, report.engine = engine, engine.name
        price, _ = price_for(self.config.model, self.config.prices)
        args = (plan.input_tokens, plan.output_tokens, system_tokens(self.config.instructions), len(plan.requests))
        report.estimated_cost_usd = estimate(*args, price, batch=engine.batch)

    def on_submit(self, batch_ids: list[str], complete: bool) -> None:
        state = SweepState(commit=self.swept, fingerprint=self.fingerprint, model=self.config.model,
                           batch_ids=list(batch_ids), submitted_at=utc_now(), requests=self.requests,
                           complete=complete)
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
        from .action import make_engine

        engine, _ = make_engine(self.config.model_copy(update={"strategy": strategy}), self.secrets,
                                default=strategy)
        return engine

    def _note(self, note: str, report: RunReport | None = None) -> None:
        log.warning(note)
        (report.notes if report is not None else self.notes).append(note)


# -- the Action ----------------------------------------------------------------------------------------
def sweep_job(context: ActionsContext, config: Config, secrets: Secrets) -> Job:
    from .action import common_sinks, make_engine
    from .github_client import make_github
    from .publishers.issue import AuditIssue, Links
    from .publishers.sarif import sarif_sink

    engine, reason = make_engine(config, secrets, default="batch")
    if not secrets.github_token:
        raise ConfigError("github-token: empty; a sweep keeps its findings and its pending state in an issue, "
                          "so pass `github-token: ${{ github.token }}` (with `issues: write`)")
    gh = make_github(secrets.github_token, context.api_url)
    repo = gh.get_repo(context.repository)
    issue = AuditIssue(repo, label=config.issue_label, title=config.issue_title,
                       links=Links(context.server_url, context.repository, context.run_url))
    session = SweepSession(context.workspace, config, secrets, issue, commit=context.sha or None,
                           resume=engine is not None)
    job = Job(mode="sweep", config=config, collect=session.collect, engine=engine, plan_only_reason=reason)

    def on_plan(report: RunReport, plan: Plan) -> None:
        session.on_plan(job, report, plan)

    def audit_issue(report: RunReport, plan: Plan) -> str:
        if not session.state_known:
            return "not updated: the sweep's state could not be read"
        return issue.publish(report, session.state_to_keep(report))

    def cleanup(report: RunReport, plan: Plan) -> str:
        session.close()
        return ""

    job.on_plan = on_plan
    job.sinks = [
        ("audit issue", audit_issue),
        sarif_sink(context, config, gh=gh, upload=config.upload_sarif),
        *common_sinks(context, config),
        ("cleanup", cleanup),
    ]
    return job


# -- the CLI -------------------------------------------------------------------------------------------
def local_sweep(args: argparse.Namespace, root: Path, config: Config, secrets: Secrets) -> int:
    from rich.console import Console

    from .action import make_engine
    from .local import json_sink, print_report

    console = Console()
    store = FileStateStore(root / STATE_FILE)
    try:
        if args.status:
            return _status(console, root, store, secrets)
        state = store.load()
        step = "submit" if args.submit else "collect" if args.collect else ""
        if step and config.strategy == "parallel":
            raise ConfigError(f"--{step} works with batches; it cannot be combined with --strategy parallel")
        if args.collect and not secrets.anthropic_api_key and not config.dry_run:
            raise ConfigError("--collect needs ANTHROPIC_API_KEY (the batches belong to that key's organization)")
        if args.collect and (state is None or not state.pending):
            console.print(f"No sweep is pending in {root}: nothing to collect (`batch-review sweep --submit` "
                          "starts one).")
            return EXIT_FAILED
        if args.submit and state is not None and state.pending:
            console.print(f"A sweep is already pending ({state.describe()}); nothing was submitted. "
                          "Use --status to follow it and --collect to collect it.")
            return EXIT_OK
        if step:
            config = config.model_copy(update={"batch_wait_minutes": 0})
        engine, reason = make_engine(config, secrets, default="batch", no_key_reason="no API key")
    except RunError as exc:
        console.print(f"[bold red]error ({exc.kind})[/]: {exc.message}")
        return EXIT_FAILED
    if engine is None and reason == "no API key":
        console.print("[yellow]No ANTHROPIC_API_KEY is set: showing the plan instead (nothing is sent).[/]")
    forced = ("batch", f"--{step} sends the sweep as a batch") if step else None
    session = SweepSession(root, config, secrets, store, commit=None, resume=engine is not None, forced=forced)
    job = Job(mode="sweep", config=config, collect=session.collect, engine=engine, plan_only_reason=reason,
              sinks=[*_local_sarif(args.sarif), *json_sink(args.json)])
    job.on_plan = lambda report, plan: session.on_plan(job, report, plan)
    try:
        report, plan = run(job)
    finally:
        session.close()
    if session.state_known and session.state_to_keep(report) is None and session.state is not None:
        store.clear()
    print_report(console, report, plan, config)
    if report.pending:
        console.print(f"[bold]Pending[/]: batch(es) {', '.join(report.batch_ids)}. "
                      f"`batch-review sweep --collect {root}` collects them once they end "
                      f"(state in {store.where}).")
    return report.exit_code(config.fail_on)


def batch_statuses(api_key: str, ids: list[str]) -> list[tuple[str, str]]:
    """(batch id, description) for `batch-review sweep --status`."""
    import anthropic

    from .engines.client import describe_api_error, describe_batch, make_client

    client = make_client(api_key, 60.0, 2)
    out = []
    try:
        for batch_id in ids:
            try:
                out.append((batch_id, describe_batch(client.messages.batches.retrieve(batch_id))))
            except anthropic.NotFoundError:
                out.append((batch_id, "not found: its results are gone (they are kept 29 days)"))
            except anthropic.APIError as exc:
                out.append((batch_id, f"could not be checked — {describe_api_error(exc)}"))
    finally:
        client.close()
    return out


def _status(console: Any, root: Path, store: FileStateStore, secrets: Secrets) -> int:
    state = store.load()
    if state is None:
        console.print(f"No sweep is pending in {root}.")
        return EXIT_OK
    console.print(f"Pending sweep: {state.describe()}")
    if not state.pending:
        console.print("No batch was recorded (the submitting run stopped early): the next sweep starts anew.")
    elif secrets.anthropic_api_key:
        for batch_id, text in batch_statuses(secrets.anthropic_api_key, state.batch_ids):
            console.print(f"  {batch_id}: {text}")
    else:
        console.print("Set ANTHROPIC_API_KEY to see the batches' progress.")
    return EXIT_OK


def _local_sarif(path: str | None) -> list[tuple[str, Sink]]:
    if not path:
        return []
    from .publishers.sarif import build_sarif, plan_content, write_sarif

    def write(report: RunReport, plan: Plan) -> str:
        if report.error or report.dry_run or report.pending:
            return ""
        write_sarif(build_sarif(report, plan_content(plan), automation_id="batch-review/sweep/local"), Path(path))
        report.sarif_path = path
        return path

    return [("sarif", write)]
