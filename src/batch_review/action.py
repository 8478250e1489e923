"""`batch-review action`: what the container runs. Reads the runner's environment, builds the job for
the event (a pull-request review or a repository sweep), runs it, writes outputs, sets the exit code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .actions_env import (
    PR_EVENTS,
    SWEEP_EVENTS,
    ActionsContext,
    read_context,
    read_inputs,
    report_dir,
    workspace_relative,
    write_outputs,
)
from .config import Config, Secrets, load_config, read_secrets
from .errors import EXIT_FAILED, ConfigError, EventError, GitHubError, RunError
from .filters import FileFilter
from .log import log
from .pipeline import Job, Sink, run
from .report import RunReport, tally

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

    from .plan import Plan
    from .sources.pull_request import PullInfo


def main(environ: Mapping[str, str] | None = None, stream: TextIO | None = None) -> int:
    environ = os.environ if environ is None else environ
    log.configure(actions=True, stream=stream)
    inputs = read_inputs(environ)
    secrets = read_secrets(inputs, environ)
    log.secret(secrets.anthropic_api_key)  # masked before anything else is printed
    log.secret(secrets.github_token)
    try:
        context = read_context(environ)
        config = load_config(inputs, context.workspace)
        job = build_job(context, config, secrets)
    except RunError as exc:
        return _fail_early(exc, environ)
    except Exception as exc:  # never a traceback: a named failure, outputs and a summary all the same
        return _fail_early(RunError(f"internal error — {type(exc).__name__}: {exc}"), environ)
    try:
        report, _ = run(job)
    except Exception as exc:  # a bug, not a named failure: still no traceback, still outputs and a summary
        return _fail_early(RunError(f"internal error — {type(exc).__name__}: {exc}"), environ)
    write_outputs(context.output_file, report.outputs())
    log.info(f"status: {report.status} · {len(report.findings)} finding(s) · ${report.cost_usd:.4f}")
    return report.exit_code(config.fail_on)


def resolve_mode(config: Config, event_name: str) -> str:
    if config.mode != "auto":
        return config.mode
    if event_name in PR_EVENTS:
        return "review"
    if event_name in SWEEP_EVENTS:
        return "sweep"
    raise ConfigError(
        f"mode: auto does not know what to do on a {event_name!r} event "
        "(pull_request and pull_request_target review; schedule and workflow_dispatch sweep); set mode"
    )


def build_job(context: ActionsContext, config: Config, secrets: Secrets) -> Job:
    mode = resolve_mode(config, context.event_name)
    if mode == "sweep":
        from .sweep import sweep_job

        return sweep_job(context, config, secrets)
    return review_job(context, config, secrets)


def review_job(context: ActionsContext, config: Config, secrets: Secrets) -> Job:
    from .github_client import make_github
    from .sources.pull_request import pull_info

    if context.pull_request is None:
        if not context.event:
            raise EventError(
                f"the {context.event_name!r} event payload is missing or empty (GITHUB_EVENT_PATH); "
                "mode: review needs the pull request it describes"
            )
        raise EventError(
            f"mode: review needs a pull_request or pull_request_target event; this is {context.event_name!r}"
        )
    info = pull_info(context.event)
    if not secrets.github_token:
        raise ConfigError("github-token: empty; pass `github-token: ${{ github.token }}` (the default)")
    gh = make_github(secrets.github_token, context.api_url)
    repo = gh.get_repo(context.repository)
    filt = FileFilter(config.include, config.exclude, defaults=config.default_excludes)
    job = Job(
        mode="review",
        config=config,
        collect=lambda: _collect(repo, info, filt, context.workspace),
        engine=None,
        sinks=review_sinks(context, config, repo, info, gh),
        on_plan=note_nothing_to_review,
    )
    not_now = _not_reviewable(info, config)
    if not_now:  # decided before the engine: a draft never fails for want of an API key
        job.collect = lambda: _nothing(info, not_now)
        job.plan_only_reason = not_now
        return job
    no_key = (
        "no API key: fork pull requests get no secrets, so nothing was reviewed "
        "(see the README on pull_request_target)" if info.from_fork else ""
    )
    job.engine, job.plan_only_reason = make_engine(config, secrets, default="parallel", no_key_reason=no_key)
    if job.engine is None and job.plan_only_reason == no_key:
        log.warning(no_key)
    return job


def _collect(repo: Repository, info: PullInfo, filt: FileFilter, workspace: Path) -> Any:
    """The pull request's files; a GitHub refusal (bad token, no such pull request) is a named failure."""
    from github.GithubException import GithubException
    from requests import RequestException

    from .github_client import describe
    from .sources.pull_request import collect_pull_request

    try:
        return collect_pull_request(repo, info, filt, workspace)
    except GithubException as exc:
        raise GitHubError(f"could not read pull request #{info.number}: {describe(exc)}") from None
    except RequestException as exc:
        raise GitHubError(f"could not reach GitHub to read pull request #{info.number}: {exc}") from None


def note_nothing_to_review(report: RunReport, plan: Plan) -> None:
    """An empty plan is stated, never a silent "clean": what changed and why none of it is reviewed."""
    if plan.requests or report.notes:
        return
    if not plan.skipped:
        note = "nothing to review: no changed files"
    else:
        shown = ", ".join(f"{n} {reason}" for reason, n in tally(skip.reason for skip in plan.skipped))
        note = f"nothing to review: all {len(plan.skipped)} changed file(s) were skipped ({shown})"
    report.notes.append(note)
    log.notice(note)


def _not_reviewable(info: PullInfo, config: Config) -> str:
    if info.state != "open":
        return f"pull request #{info.number} is {info.state}; closed pull requests are not reviewed"
    if info.draft and not config.review_drafts:
        return (f"pull request #{info.number} is a draft; it is reviewed once marked ready "
                "(add ready_for_review to the workflow's pull_request types, or set review-drafts: true)")
    return ""


def _nothing(info: PullInfo, why: str) -> Any:
    from .sources.base import Collected

    log.notice(why)
    return Collected(files=[], skipped=[], head_sha=info.head_sha, label=f"#{info.number}", notes=[why])


def make_engine(config: Config, secrets: Secrets, *, default: str, no_key_reason: str = "") -> tuple[Any, str]:
    """The engine for this run, or (None, why) when the run only plans (dry run, or no key where allowed)."""
    from .engines.parallel import ParallelEngine, ParallelOptions
    from .pricing import SpendGuard, price_for

    if config.dry_run:
        return None, "dry-run"
    if not secrets.anthropic_api_key:
        if no_key_reason:
            return None, no_key_reason
        raise ConfigError("anthropic-api-key: empty, and ANTHROPIC_API_KEY is not set (use dry-run: true to plan only)")
    strategy = default if config.strategy == "auto" else config.strategy
    price, _ = price_for(config.model, config.prices)
    if strategy == "batch":
        from .engines.batch import BatchEngine

        return BatchEngine.for_config(config, secrets.anthropic_api_key, price), ""
    options = ParallelOptions(
        model=config.model,
        max_tokens=config.max_output_tokens,
        instructions=config.instructions,
        max_concurrency=config.max_concurrency,
        request_timeout=config.request_timeout,
    )
    return ParallelEngine(options, api_key=secrets.anthropic_api_key, spend=SpendGuard(config.budget_usd, price)), ""


def review_sinks(
    context: ActionsContext, config: Config, repo: Repository, info: PullInfo, gh: Github
) -> list[tuple[str, Sink]]:
    from .publishers import annotations, checks, review
    from .publishers.sarif import sarif_sink
    from .publishers.summary import render_summary

    def post_review(report: RunReport, plan: Plan) -> str:
        if report.error or report.dry_run or report.pending:
            return ""
        pull = repo.get_pull(info.number)
        try:
            return review.publish_review(
                repo, pull, info.head_sha, report, plan,
                max_inline=config.max_inline_comments, request_changes_on=config.request_changes_on,
            )
        except review.ReadOnlyToken as exc:
            count = annotations.annotate(report.findings, log)
            log.warning(
                "The token cannot write to this pull request (a fork's read-only token?): "
                f"{count} finding(s) are shown as annotations and in the job summary instead. ({exc})"
            )
            return f"not posted (read-only token); {count} finding(s) shown as annotations"

    def check_run(report: RunReport, plan: Plan) -> str:
        if not config.check_run or report.dry_run:
            return ""
        return checks.publish_check_run(repo, info.head_sha, report, log.redact(render_summary(report)), config.fail_on)

    sarif = sarif_sink(context, config, gh=gh, upload=config.upload_sarif, category="review",
                       ref=f"refs/pull/{info.number}/head")
    return [("review", post_review), ("check run", check_run), sarif, *common_sinks(context, config)]


def common_sinks(context: ActionsContext, config: Config) -> list[tuple[str, Sink]]:
    """Report files and the step summary: every mode, every outcome."""
    from .actions_env import write_summary
    from .publishers.summary import render_summary
    from .report import write_report

    folder = report_dir(context.workspace, config.report_dir)

    def report_file(report: RunReport, plan: Plan) -> str:
        path = folder / "report.json"
        report.report_path = workspace_relative(path, context.workspace)
        write_report(report, path, log.redact)
        return report.report_path

    def summary(report: RunReport, plan: Plan) -> str:
        if context.summary_file is None:
            return ""
        write_summary(context.summary_file, log.redact(render_summary(report)))
        return "written"

    return [("summary", summary), ("report", report_file)]


def _fail_early(exc: RunError, environ: Mapping[str, str]) -> int:
    """A run that could not even start still gets a message, outputs and a summary."""
    from .actions_env import write_summary
    from .publishers.summary import render_summary

    message = log.redact(exc.message)
    log.error(message, title=f"batch-review failed ({exc.kind})")
    report = RunReport(mode="action", error=message, error_kind=exc.kind)
    output, summary = environ.get("GITHUB_OUTPUT"), environ.get("GITHUB_STEP_SUMMARY")
    write_outputs(Path(output) if output else None, report.outputs())
    write_summary(Path(summary) if summary else None, log.redact(render_summary(report)))
    return EXIT_FAILED
