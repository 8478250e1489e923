"""Sweep jobs: every tracked file at one commit, through Message Batches (or in parallel when a sweep is
too small to be worth a batch), resumable across runs — on a runner (state in the audit issue) and in a
terminal (state in `<repo>/.batch-review/sweep-state.json`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config, Secrets
from ..engines.factory import make_engine
from ..errors import ConfigError
from ..memory.identity import whoami
from ..memory.seal import Seal
from ..memory.sweep import SweepMemory, local_folder, memory_path, runner_folder
from ..pipeline import Job
from ..sweep_state import FileStateStore, SweepState
from .sinks import json_sink, runner_sinks, sarif_file_sink
from .sweep_session import SweepSession

if TYPE_CHECKING:
    from ..actions_env import ActionsContext
    from ..plan import Plan
    from ..report import RunReport

STATE_FILE = "sweep-state.json"  # in the report folder (.batch-review by default)


def sweep_job(context: ActionsContext, config: Config, secrets: Secrets) -> Job:
    from ..github_client import make_github
    from ..publishers.issue import AuditIssue, Links
    from ..publishers.sarif import sarif_sink

    engine, reason = make_engine(config, secrets, default="batch")
    if not secrets.github_token:
        raise ConfigError("github-token: empty; a sweep keeps its findings and its pending state in an issue, "
                          "so pass `github-token: ${{ github.token }}` (with `issues: write`)")
    gh = make_github(secrets.github_token, context.api_url, max_wait=config.max_retry_wait)
    repo = gh.get_repo(context.repository)
    identity = functools.cache(lambda: whoami(gh))
    seal = Seal.make(f"{context.repository}@sweep", memory_key=secrets.memory_key,
                     api_key=secrets.anthropic_api_key)  # a pending sweep's state is sealed like a PR's memory
    issue = AuditIssue(repo, label=config.issue_label, title=config.issue_title, ref=context.ref,
                       links=Links(context.server_url, context.repository, context.run_url), identify=identity,
                       seal=seal)
    session = SweepSession(context.workspace, config, secrets, issue, commit=context.sha or None,
                           resume=engine is not None, ref=context.ref)
    memory = SweepMemory(config, memory_path(runner_folder(context.environ), context.ref), context.ref)
    job = Job(mode="sweep", config=config, collect=session.collect, engine=engine, plan_only_reason=reason,
              memory=memory)

    def on_plan(report: RunReport, plan: Plan) -> None:
        session.on_plan(job, report, plan)

    def audit_issue(report: RunReport, plan: Plan) -> str:
        if not session.state_known:
            return "not updated: the sweep's state could not be read"
        return issue.publish(report, session.state_to_keep(report))

    def cleanup(report: RunReport, plan: Plan) -> str:
        session.close()
        return ""

    def remember(report: RunReport, plan: Plan) -> str:
        return memory.save(report) if session.state_to_keep(report) is None else ""

    job.on_plan = on_plan
    job.before_verify = lambda vplan, review, report: session.on_verify(job, vplan, review, report)
    job.sinks = [
        ("audit issue", audit_issue),
        sarif_sink(context, config, gh=gh, upload=config.upload_sarif, covers=memory.covers, more=memory.reader),
        *runner_sinks(context, config),
        ("memory", remember),
        ("cleanup", cleanup),
    ]
    return job


@dataclass
class LocalSweep:
    """A local sweep ready to run: `run(job)`, `session.close()`, then `finish(report)` (clears a collected
    sweep's state)."""

    job: Job
    session: SweepSession
    store: FileStateStore

    def finish(self, report: RunReport) -> None:
        session = self.session
        if session.state_known and session.state_to_keep(report) is None and session.state is not None:
            self.store.clear()


@dataclass(frozen=True)
class NothingToDo:
    """A local sweep step that has nothing to do: the message, and the exit code."""

    message: str
    code: int


def inside(root: Path, configured: str) -> Path:
    """`report-dir` (from the repository's config file, say) resolved inside the repository, or a named error."""
    path = (root / configured).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ConfigError(f"report-dir: {configured!r} is outside the repository {root}")
    return path


def local_sweep_job(
    root: Path, config: Config, secrets: Secrets, *, step: str = "", sarif: str | None = None,
    json_path: str | None = None,
) -> LocalSweep | NothingToDo:
    """`batch-review sweep [--submit | --collect]`. Raises RunError for a combination that cannot work."""
    store = FileStateStore(inside(root, config.report_dir) / STATE_FILE)
    state = store.load()
    if step and config.strategy == "parallel":
        raise ConfigError(f"--{step} works with batches; it cannot be combined with --strategy parallel")
    if step == "collect" and not secrets.anthropic_api_key and not config.dry_run:
        raise ConfigError("--collect needs ANTHROPIC_API_KEY (the batches belong to that key's organization)")
    if step == "collect" and (state is None or not state.pending):
        return NothingToDo(f"No sweep is pending in {root}: nothing to collect (`batch-review sweep --submit` "
                           "starts one).", 2)
    if step == "submit" and state is not None and state.pending:
        return NothingToDo(f"A sweep is already pending ({state.describe()}); nothing was submitted. "
                           "Use --status to follow it and --collect to collect it.", 0)
    if step:
        config = config.model_copy(update={"batch_wait_minutes": 0})
    engine, reason = make_engine(config, secrets, default="batch", no_key_reason="no API key")
    forced = ("batch", f"--{step} sends the sweep as a batch") if step else None
    ref = local_ref(root)
    session = SweepSession(root, config, secrets, store, commit=None, resume=engine is not None, forced=forced,
                           ref=ref)
    memory = SweepMemory(config, memory_path(local_folder(root), ref), ref)

    def remember(report: RunReport, plan: Plan) -> str:
        return memory.save(report) if session.state_to_keep(report) is None else ""

    job = Job(mode="sweep", config=config, collect=session.collect, engine=engine, plan_only_reason=reason,
              sinks=[*sarif_file_sink(sarif, "batch-review/sweep/local", memory.covers, memory.reader),
                     *json_sink(json_path), ("memory", remember)],
              memory=memory)
    job.on_plan = lambda report, plan: session.on_plan(job, report, plan)
    job.before_verify = lambda vplan, review, report: session.on_verify(job, vplan, review, report)
    return LocalSweep(job, session, store)


def local_ref(root: Path) -> str:
    """The branch checked out at `root` (refs/heads/…), or "" outside git or on a detached HEAD."""
    from ..gitcmd import git

    if not (root / ".git").exists() and not root.is_dir():
        return ""
    out = git(root, "symbolic-ref", "-q", "HEAD", check=False).decode("utf-8", "replace").strip()
    return out if out.startswith("refs/") else ""


def sweep_status(root: Path, config: Config, secrets: Secrets) -> list[str]:
    """`batch-review sweep --status`: the pending sweep and, with a key, each batch's progress."""
    store = FileStateStore(inside(root, config.report_dir) / STATE_FILE)
    state = store.load()
    if state is None:
        return [f"No sweep is pending in {root}."]
    lines = [f"Pending sweep: {state.describe()}"]
    if not state.pending:
        lines.append("No batch was recorded (the submitting run stopped early): the next sweep starts anew.")
    elif secrets.anthropic_api_key:
        lines += [f"  {batch_id}: {text}" for batch_id, text in batch_statuses(secrets.anthropic_api_key, state)]
    else:
        lines.append("Set ANTHROPIC_API_KEY to see the batches' progress.")
    return lines


def batch_statuses(api_key: str, state: SweepState) -> list[tuple[str, str]]:
    """(batch id, description) of each batch of a pending sweep."""
    import anthropic

    from ..engines.client import describe_api_error, describe_batch, make_client

    client = make_client(api_key, 60.0, 2)
    out = []
    try:
        for batch_id in state.batch_ids:
            try:
                out.append((batch_id, describe_batch(client.messages.batches.retrieve(batch_id))))
            except anthropic.NotFoundError:
                out.append((batch_id, "not found: its results are gone (they are kept 29 days)"))
            except anthropic.APIError as exc:
                out.append((batch_id, f"could not be checked — {describe_api_error(exc)}"))
    finally:
        client.close()
    return out
