"""A verifier's corrections: a kept finding may come back with the line, range or severity it should have had.

A correction is applied only when it names lines the verifier was shown (the rows of its request's part for
that file) and makes a valid range; otherwise it is ignored, and the finding keeps its own, with a note. An
applied correction is recorded on the finding's check (the JSON report and the summary show it), the finding's
anchor and fingerprint follow its new lines (memory across pushes keys on them), and a finding whose corrected
severity falls below `min-severity` leaves the posted findings like any other below it (counted, not dropped
silently).
"""

from __future__ import annotations

from typing import Any

from ..aggregate import MAX_SPAN
from ..findings import Finding, Severity, at_or_above, distinct, fingerprint, occurrence, same_key
from ..plan import Plan


def correct(finding: Finding, verdict: Any, shown: set[int], plan: Plan, taken: dict[str, str]) -> None:
    """Apply `verdict`'s corrections to a kept `finding` (whose check is set); `taken`: other findings'
    fingerprints and same_key."""
    check = finding.check
    if check is None:
        return
    line, end = verdict.line, verdict.end_line
    if line is not None or end is not None:
        new_line = line if line is not None else finding.line
        new_end = end if end is not None else (finding.end_line if line is None else None)
        if new_end == new_line:
            new_end = None
        wrong = _invalid(new_line, new_end, shown)
        if wrong:
            check.ignored = f"its line correction was ignored: {wrong}"
        elif (new_line, new_end) != (finding.line, finding.end_line):
            check.corrections["line"] = [finding.line, new_line]
            if new_end != finding.end_line:
                check.corrections["end_line"] = [finding.end_line, new_end]
            _move(finding, new_line, new_end, plan, taken)
    severity = verdict.severity
    if severity is not None and Severity(severity) != finding.severity:
        check.corrections["severity"] = [finding.severity.value, Severity(severity).value]
        finding.severity = Severity(severity)


def _invalid(line: int, end: int | None, shown: set[int]) -> str:
    if line not in shown:
        return f"line {line} is not a line it was shown"
    if end is not None and (end < line or end - line > MAX_SPAN or end not in shown):
        return f"lines {line}-{end} are not a range it was shown"
    return ""


def _move(finding: Finding, line: int, end: int | None, plan: Plan, taken: dict[str, str]) -> None:
    finding.line, finding.end_line = line, end
    anchor = plan.line_text(finding.path, line, end or line)
    finding.anchor = anchor or ""
    first = plan.line_text(finding.path, line, line)
    place = occurrence(plan.new_lines(finding.path), line, line) if first else 0
    finding.fingerprint = distinct(fingerprint(finding.path, first or "", line, place),
                                   same_key(finding.category, finding.title), taken)
    finding.unseen = False  # the verifier was shown the line it names
    moved = f"placed at line {line}{f'-{end}' if end else ''} by verification"
    finding.note = moved if not finding.note else f"{finding.note}; {moved}"


def below(findings: list[Finding], minimum: Severity) -> list[Finding]:
    """The findings whose (corrected) severity is below `minimum`."""
    return [f for f in findings if not at_or_above(f.severity, minimum)]
