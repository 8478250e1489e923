"""Findings as workflow annotations (`::error file=…,line=…::`). Used when the token cannot write to
the pull request (fork PRs), and for local runs. GitHub shows at most 10 of each level per step; all
of them are in the log, and the step summary lists every finding."""

from __future__ import annotations

from collections.abc import Sequence

from ..findings import Finding, Severity
from ..log import Log

LEVEL = {
    Severity.critical: "error",
    Severity.high: "error",
    Severity.medium: "warning",
    Severity.low: "warning",
    Severity.info: "notice",
}


def annotate(findings: Sequence[Finding], log: Log) -> int:
    for finding in findings:
        log.annotate(
            LEVEL[finding.severity],
            f"{finding.body}",
            file=finding.path,
            line=finding.line,
            end_line=finding.end_line,
            title=f"{finding.severity.value} · {finding.category}: {finding.title}",
        )
        if finding.placement not in ("already-posted", "issue"):  # planned inline/body, but not posted
            finding.placement = "annotation"
    return len(findings)
