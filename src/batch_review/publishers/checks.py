"""A check run carrying the run's conclusion and its findings as annotations (50 per request, the
API's limit; later groups are appended with PATCH). Skipped, with a note, without `checks: write`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from ..findings import Finding, Severity, at_or_above
from ..github_client import describe
from ..words import plural
from .markdown import cap

if TYPE_CHECKING:
    from github.Repository import Repository

    from ..report import RunReport

ANNOTATIONS_PER_REQUEST = 50
CHECK_TEXT_LIMIT = 65535
LEVEL = {
    Severity.critical: "failure",
    Severity.high: "failure",
    Severity.medium: "warning",
    Severity.low: "warning",
    Severity.info: "notice",
}


def conclusion(report: RunReport, fail_on: Severity | str, fail_on_partial: bool = False) -> str:
    """`success` only for a clean run; `failure` for a failed run, a finding at `fail-on`, and a partial run
    with `fail-on-partial`; `neutral` otherwise (a partial run is never green)."""
    if report.status == "failed":
        return "failure"
    if isinstance(fail_on, Severity) and any(at_or_above(f.severity, fail_on) for f in report.findings):
        return "failure"
    if report.status == "partial" and fail_on_partial:
        return "failure"
    return {"clean": "success", "findings": "neutral", "partial": "neutral"}.get(report.status, "neutral")


def check_annotations(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    return [
        {
            "path": f.path,
            "start_line": f.line,
            "end_line": f.end_line or f.line,
            "annotation_level": LEVEL[f.severity],
            "title": f"{f.severity.value} · {f.category}: {f.title}"[:255],
            "message": f.body[:60000] or f.title,
        }
        for f in findings
    ]


def publish_check_run(repo: Repository, head_sha: str, report: RunReport, summary: str, fail_on: Severity | str,
                      fail_on_partial: bool = False) -> str:
    """Create the completed check run, then append the annotations past the first 50 in groups of 50.
    Never raises: a check run is a courtesy, its failure is noted in the report and the summary."""
    from github.GithubException import GithubException

    notes = check_annotations(report.findings)
    title = f"{plural(len(report.findings), 'finding')} · {report.status}"
    verdict = conclusion(report, fail_on, fail_on_partial)
    output: dict[str, Any] = {
        "title": title, "summary": cap(summary, CHECK_TEXT_LIMIT), "annotations": notes[:ANNOTATIONS_PER_REQUEST]
    }
    sent = 0
    try:
        run = repo.create_check_run(
            name="batch-review", head_sha=head_sha, status="completed", conclusion=verdict, output=cast(Any, output),
        )
        sent = len(output["annotations"])
        for start in range(ANNOTATIONS_PER_REQUEST, len(notes), ANNOTATIONS_PER_REQUEST):
            group = notes[start : start + ANNOTATIONS_PER_REQUEST]
            run.edit(output={"title": title, "summary": output["summary"], "annotations": group})
            sent += len(group)
    except GithubException as exc:
        if sent == 0 and exc.status in (403, 404):
            return f"skipped: the token cannot create check runs (grant `checks: write`) — {describe(exc)}"
        return _failed(describe(exc), sent, len(notes))
    except OSError as exc:  # connection errors (requests' exceptions are OSErrors)
        return _failed(f"{type(exc).__name__}: {exc}", sent, len(notes))
    return f"check run {verdict} with {plural(len(notes), 'annotation')}"


def _failed(why: str, sent: int, total: int) -> str:
    if sent:
        return f"failed after the check run was created, with {sent} of {plural(total, 'annotation')}: {why}"
    return f"failed: {why}"
