"""A check run carrying the run's conclusion and its findings as annotations (50 per request, the
API's limit; later groups are appended with PATCH). Skipped, with a note, without `checks: write`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from ..findings import Finding, Severity, at_or_above
from ..github_client import describe
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


def conclusion(report: RunReport, fail_on: Severity | str) -> str:
    if report.status == "failed":
        return "failure"
    if isinstance(fail_on, Severity) and any(at_or_above(f.severity, fail_on) for f in report.findings):
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


def publish_check_run(repo: Repository, head_sha: str, report: RunReport, summary: str, fail_on: Severity | str) -> str:
    from github.GithubException import GithubException

    notes = check_annotations(report.findings)
    title = f"{len(report.findings)} finding(s) · {report.status}"
    output: dict[str, Any] = {
        "title": title, "summary": cap(summary, CHECK_TEXT_LIMIT), "annotations": notes[:ANNOTATIONS_PER_REQUEST]
    }
    try:
        run = repo.create_check_run(
            name="batch-review", head_sha=head_sha, status="completed",
            conclusion=conclusion(report, fail_on), output=cast(Any, output),
        )
        for start in range(ANNOTATIONS_PER_REQUEST, len(notes), ANNOTATIONS_PER_REQUEST):
            run.edit(output={"title": title, "summary": output["summary"],
                             "annotations": notes[start : start + ANNOTATIONS_PER_REQUEST]})
    except GithubException as exc:
        if exc.status in (403, 404):
            return f"skipped: the token cannot create check runs (grant `checks: write`) — {describe(exc)}"
        return f"failed: {describe(exc)}"
    return f"check run {conclusion(report, fail_on)} with {len(notes)} annotation(s)"
