"""Answers → the run's findings: each checked against what the model was shown, fingerprinted,
deduplicated, filtered by `min-severity` and ranked. No finding is dropped for being odd: one on a
file or line the model was not shown is kept, with a note, and can only go in the review body.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .engines.answers import RequestResult
from .findings import Finding, ModelFinding, Severity, at_or_above, fingerprint, sort_key
from .log import log
from .plan import Plan, PlannedRequest

MAX_SPAN = 200


@dataclass
class Aggregate:
    findings: list[Finding] = field(default_factory=list)
    below_threshold: int = 0
    duplicates: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # path -> reason


def aggregate(plan: Plan, results: Iterable[RequestResult], min_severity: Severity) -> Aggregate:
    by_id = plan.by_id()
    out = Aggregate()
    seen: dict[str, Finding] = {}
    for result in results:
        request = by_id[result.custom_id]
        if result.answer is None:
            for path in request.paths:
                out.failed.setdefault(path, log.redact(result.error or "no answer"))
            continue
        for model_finding in result.answer.findings:
            finding = locate(model_finding, request, plan)
            twin = seen.get(finding.fingerprint)
            if twin is not None:
                out.duplicates += 1
                if finding.severity.rank > twin.severity.rank:
                    twin.severity = finding.severity
                continue
            seen[finding.fingerprint] = finding
    for finding in seen.values():
        if at_or_above(finding.severity, min_severity):
            out.findings.append(finding)
        else:
            out.below_threshold += 1
    out.findings.sort(key=sort_key)
    return out


def locate(found: ModelFinding, request: PlannedRequest, plan: Plan) -> Finding:
    """Check a finding against the request it came from; fix what is unambiguous, note the rest."""
    notes: list[str] = []
    path = _match_path(found.path, request, plan)
    if path is None:
        path = log.redact(found.path)
        notes.append("the model named a file that is not part of this review")
    line, end = found.line, found.end_line
    if end is not None and end < line:
        line, end = end, line
        notes.append("end_line was before line; the range was swapped")
    if end == line:
        end = None
    if end is not None and end - line > MAX_SPAN:
        end = line + MAX_SPAN
    shown = _shown_lines(request, path, plan)
    entry = plan.files.get(path)
    if shown and line not in shown:
        if entry is not None and entry.total_lines is not None and line > entry.total_lines:
            notes.append(f"line {line} is past the end of the file ({entry.total_lines} lines)")
        else:
            notes.append(f"line {line} was not among the lines shown to the model")
    anchor = plan.line_text(path, line, end or line)
    finding = Finding(
        path=path,
        line=line,
        end_line=end,
        severity=found.severity,
        category=found.category,
        title=log.redact(found.title),  # a secret the code under review leaked is not repeated
        body=log.redact(found.body),
        suggestion=None if found.suggestion is None else log.redact(found.suggestion),
        confidence=found.confidence,
        request_id=request.custom_id,
        anchor=anchor or "",
        note="; ".join(notes),
    )
    finding.fingerprint = fingerprint(path, found.category, anchor or "", line)
    return finding


def _match_path(named: str, request: PlannedRequest, plan: Plan) -> str | None:
    candidates = request.paths
    if named in candidates or named in plan.files:
        return named
    cleaned = named.strip().strip('"')
    for prefix in ("./", "a/", "b/", "/"):
        if cleaned.startswith(prefix) and cleaned[len(prefix):] in plan.files:
            return cleaned[len(prefix):]
    if cleaned in plan.files:
        return cleaned
    tail = cleaned.rsplit("/", 1)[-1]
    same_name = [p for p in candidates if p.rsplit("/", 1)[-1] == tail]
    return same_name[0] if len(same_name) == 1 else None


def _shown_lines(request: PlannedRequest, path: str, plan: Plan) -> set[int]:
    lines: set[int] = set()
    for piece in request.pieces:
        if piece.path != path:
            continue
        if piece.whole_file:
            lines.update(range(piece.first_line, piece.last_line + 1))
        else:
            lines.update(row.new for row in plan.rows(piece) if row.new is not None)
    return lines
