"""Answers → the run's findings: each checked against what the model was shown, fingerprinted,
deduplicated, filtered by `min-severity` and ranked. No finding is dropped for being odd: one on a
file or line the model was not shown is kept, with a note, and can only go in the review body.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .engines.answers import RequestResult, per_request
from .findings import (
    SUMMARY_MAX,
    Finding,
    ModelFinding,
    Severity,
    at_or_above,
    distinct,
    fingerprint,
    occurrence,
    same_key,
    sort_key,
)
from .log import log
from .plan import Plan, PlannedRequest

MAX_SPAN = 200


@dataclass
class Aggregate:
    findings: list[Finding] = field(default_factory=list)
    below_threshold: int = 0
    duplicates: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # path -> reason
    summaries: dict[str, str] = field(default_factory=dict)  # path -> what its change does (its request's summary)


def aggregate(plan: Plan, results: Iterable[RequestResult], min_severity: Severity) -> Aggregate:
    by_id = plan.by_id()
    out = Aggregate()
    seen: dict[str, Finding] = {}
    titles: dict[str, str] = {}  # fingerprint -> the same_key (category, title) of the finding holding it
    for request, result in per_request(results, by_id):  # a split pack: each file's own request and result
        if result.answer is None:
            for path in request.paths:
                out.failed.setdefault(path, log.redact(result.error or "no answer"))
            continue
        summary = getattr(result.answer, "summary", "")
        for path in request.paths if summary else ():  # a split file: its parts' summaries, in order
            earlier = out.summaries.get(path)
            if not earlier:
                out.summaries[path] = summary
            elif summary not in earlier and len(earlier) + len(summary) < SUMMARY_MAX:
                out.summaries[path] = f"{earlier} {summary}"
        for model_finding in result.answer.findings:
            finding = locate(model_finding, request, plan)
            title = same_key(finding.category, finding.title)
            finding.fingerprint = distinct(finding.fingerprint, title, titles)
            twin = seen.get(finding.fingerprint)
            if twin is not None:  # the same finding twice (same place, category and title): one finding
                out.duplicates += 1
                if finding.severity.rank > twin.severity.rank:
                    twin.severity = finding.severity
                continue
            seen[finding.fingerprint] = finding
            titles[finding.fingerprint] = title
    for finding in seen.values():
        if at_or_above(finding.severity, min_severity):
            out.findings.append(finding)
        else:
            out.below_threshold += 1
    out.findings.sort(key=sort_key)
    return out


def locate(found: ModelFinding, request: PlannedRequest, plan: Plan) -> Finding:
    """Check a finding against the request it came from; fix what is unambiguous, note the rest. A finding
    on code the request did not show the model (another file, a line not shown) is kept, never inline."""
    notes: list[str] = []
    unseen = False
    path = _match_path(found.path, request, plan)
    if path is None:
        path = log.redact(found.path)
        notes.append("the model named a file that is not part of this review")
    elif path not in request.paths:
        unseen = True
        notes.append("the model named a file its request did not show it")
    line, end = _line_numbers(found.line, found.end_line, notes)
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
        unseen = True
        if entry is not None and entry.total_lines is not None and line > entry.total_lines:
            notes.append(f"line {line} is past the end of the file ({entry.total_lines} lines)")
        else:
            notes.append(f"line {line} was not among the lines shown to the model")
    anchor = plan.line_text(path, line, end or line)
    suggestion = None if found.suggestion is None else log.redact(found.suggestion)
    if suggestion is not None:
        useless = _useless_suggestion(suggestion, plan, path, line, end or line)
        if useless:
            notes.append(f"its suggestion was dropped: {useless}")
            suggestion = None
    finding = Finding(
        path=path,
        line=line,
        end_line=end,
        severity=found.severity,
        category=found.category,
        title=log.redact(found.title),  # a secret the code under review leaked is not repeated
        body=log.redact(found.body),
        suggestion=suggestion,
        confidence=found.confidence,
        request_id=request.custom_id,
        anchor=anchor or "",
        note="; ".join(notes),
        unseen=unseen,
        origin=path if path in request.paths else request.paths[0],
    )
    first = plan.line_text(path, line, line)
    place = occurrence(plan.new_lines(path), line, line) if first else 0
    finding.fingerprint = fingerprint(path, first or "", line, place)
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


def _line_numbers(line: int, end: int | None, notes: list[str]) -> tuple[int, int | None]:
    """Line numbers start at 1: a bad `end_line` is dropped, a bad `line` takes a good `end_line`, else 1."""
    if end is not None and end < 1:
        notes.append(f"end_line {end} is not a line number and was dropped")
        end = None
    if line < 1:
        moved = end if end is not None else 1
        notes.append(f"line {line} is not a line number; the finding was placed at line {moved}")
        line, end = moved, None
    return line, end


def _useless_suggestion(text: str, plan: Plan, path: str, first: int, last: int) -> str:
    """Why a suggestion must not become a one-click change: it changes nothing (the same lines, whitespace
    aside), or it repeats the line just above or below the lines it replaces (applied, that line would be
    doubled; braces, `end` and blank lines may repeat). Empty when it may be useful, or when the replaced
    lines are not known."""
    current = plan.line_text(path, first, last)
    if current is None:
        return ""
    if _squeeze(text) == _squeeze(current):
        return "it is the same as the lines it replaces" + ("" if text == current else " (whitespace aside)")
    new_lines = text.rstrip("\n").split("\n")
    old_lines = current.split("\n")
    for neighbour, mine, theirs in ((first - 1, new_lines[0], old_lines[0]), (last + 1, new_lines[-1], old_lines[-1])):
        near = plan.line_text(path, neighbour, neighbour) if neighbour >= 1 else None
        if near and _substantial(near) and _squeeze(mine) == _squeeze(near) != _squeeze(theirs):
            return f"it repeats line {neighbour}, which it does not replace"
    return ""


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _substantial(line: str) -> bool:
    return sum(c.isalnum() for c in line) >= 4
