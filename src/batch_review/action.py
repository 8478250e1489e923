"""`batch-review action`: what the container runs. Reads the runner's environment, builds the job for
the event (a pull-request review or a repository sweep), runs it, writes outputs, sets the exit code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .actions_env import (
    COMMENT_EVENTS,
    PR_EVENTS,
    SWEEP_EVENTS,
    ActionsContext,
    read_context,
    read_inputs,
    write_outputs,
)
from .config import Config, Secrets, load_config, read_secrets
from .errors import EXIT_FAILED, ConfigError, RunError
from .log import log
from .pipeline import Job, run
from .report import RunReport
from .words import plural

if TYPE_CHECKING:
    from .jobs.converse import Conversation


def main(environ: Mapping[str, str] | None = None, stream: TextIO | None = None) -> int:
    environ = os.environ if environ is None else environ
    log.configure(actions=True, stream=stream)
    inputs = read_inputs(environ)
    secrets = read_secrets(inputs, environ)
    log.secret(secrets.anthropic_api_key)  # masked before anything else is printed
    log.secret(secrets.github_token)
    try:
        context = read_context(environ)
        if context.event_name in COMMENT_EVENTS:
            from .jobs.converse import with_pull  # the pull request a comment is on (its settings: its base)

            context = with_pull(context, secrets)
        from .jobs.settings import settings_files  # a pull request's base commit, never its head

        config = load_config(inputs, settings_files(context, secrets))
        job = build_job(context, config, secrets)
    except RunError as exc:
        return _fail_early(exc, environ)
    except Exception as exc:  # never a traceback: a named failure, outputs and a summary all the same
        return _fail_early(RunError(f"internal error — {type(exc).__name__}: {exc}"), environ)
    try:
        report = run(job)[0] if isinstance(job, Job) else job.run()
    except Exception as exc:  # a bug, not a named failure: still no traceback, still outputs and a summary
        return _fail_early(RunError(f"internal error — {type(exc).__name__}: {exc}"), environ)
    write_outputs(context.output_file, report.outputs())
    if report.status == "partial":  # exits 0 unless fail-on triggers: the warning says what was not reviewed
        failed = report.failed_files()
        named = ", ".join(f.path for f in failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
        log.warning(f"partial: {plural(len(failed), 'file')} could not be reviewed ({named})" if failed else
                    "partial: GitHub did not list every changed file; the unlisted ones were not reviewed",
                    title="batch-review: partial review")
    log.info(f"status: {report.status} · {plural(len(report.findings), 'finding')} · ${report.cost_usd:.4f}")
    return report.exit_code(config.fail_on)


def resolve_mode(config: Config, event_name: str) -> str:
    if config.mode != "auto":
        return config.mode
    if event_name in PR_EVENTS:
        return "review"
    if event_name in SWEEP_EVENTS:
        return "sweep"
    if event_name in COMMENT_EVENTS:
        return "converse"
    raise ConfigError(
        f"mode: auto does not know what to do on a {event_name!r} event (pull_request and pull_request_target "
        "review; schedule and workflow_dispatch sweep; issue_comment and pull_request_review_comment converse); "
        "set mode"
    )


def build_job(context: ActionsContext, config: Config, secrets: Secrets) -> Job | Conversation:
    mode = resolve_mode(config, context.event_name)
    if mode == "converse":
        from .jobs.converse import converse_job

        if context.event_name not in COMMENT_EVENTS:
            raise ConfigError(f"mode: converse needs an issue_comment or pull_request_review_comment event; this is "
                              f"{context.event_name!r}")
        return converse_job(context, config, secrets)
    if mode == "sweep":
        from .jobs.sweep import sweep_job

        return sweep_job(context, config, secrets)
    from .jobs.review import pull_request_job

    return pull_request_job(context, config, secrets)


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
