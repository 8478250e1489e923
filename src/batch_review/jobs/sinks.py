"""Sinks every kind of job shares: the JSON report, the step summary, a local SARIF file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..log import log
from ..pipeline import Sink

if TYPE_CHECKING:
    from ..actions_env import ActionsContext
    from ..config import Config
    from ..plan import Plan
    from ..report import RunReport


def runner_sinks(context: ActionsContext, config: Config) -> list[tuple[str, Sink]]:
    """Report files and the step summary on a runner: every mode, every outcome."""
    from ..actions_env import report_dir, workspace_relative, write_summary
    from ..publishers.summary import render_summary
    from ..report import write_report

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


def json_sink(path: str | None) -> list[tuple[str, Sink]]:
    """`--json PATH` of the local commands."""
    if not path:
        return []
    from ..report import write_report

    def write(report: RunReport, plan: Plan) -> str:
        report.report_path = path
        write_report(report, Path(path), log.redact)
        return path

    return [("report", write)]


def sarif_file_sink(
    path: str | None, automation_id: str, covers: Callable[[RunReport], bool],
    more: Callable[[str], Callable[[], bytes | None] | None],
) -> list[tuple[str, Sink]]:
    """`--sarif PATH` of the local sweep: written only for a run with results that cover every current finding."""
    if not path:
        return []
    from ..publishers.sarif import build_sarif, plan_content, write_sarif

    def write(report: RunReport, plan: Plan) -> str:
        if report.error or report.dry_run or report.pending:
            why = ("a dry run reviews nothing" if report.dry_run else "the run failed" if report.error
                   else "the sweep is pending: `--collect` writes it once its batch has ended")
            return f"not written: {why}"
        if not covers(report):
            return "not written: a partial sweep without the earlier results of the files it could not review"
        write_sarif(build_sarif(report, plan_content(plan, more), automation_id=automation_id), Path(path))
        report.sarif_path = path
        return path

    return [("sarif", write)]
