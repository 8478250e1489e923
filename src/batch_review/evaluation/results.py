"""An eval's results: each case's run scored against its labels, the totals, and the JSON written by
`--json OUT`.

Findings are the run's reported findings (at or above `min-severity`). When a run's report also lists
findings a verification pass filtered out (`RunReport.filtered`), they are counted, and the figures the
run would have had without verification are given beside the real ones (`verification` in the JSON).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..findings import Severity
from ..plan import Plan
from ..pricing import Usage
from ..report import RunReport
from .dataset import Case, Expected
from .recall import CaseRecall, totals
from .scoring import SLACK, Found, Score, score, total

EVAL_VERSION = 1
EvalStatus = Literal["done", "partial", "pending", "failed"]


def found_of(findings: Iterable[Any]) -> list[Found]:
    """Findings (or anything with path, line, end_line, severity, title) as scoring sees them."""
    out = []
    for item in findings:
        finding = getattr(item, "finding", item)  # a filtered entry may wrap its finding
        line = int(finding.line)
        end = int(finding.end_line or line)
        out.append(Found(str(finding.path), min(line, end), max(line, end), Severity(finding.severity),
                         str(getattr(finding, "title", ""))))
    return out


@dataclass
class CaseResult:
    case: Case
    report: RunReport
    plan: Plan
    found: list[Found] = field(default_factory=list)
    score: Score = field(default_factory=Score)
    filtered: list[Found] | None = None  # None: the run has no verification pass
    unverified: Score | None = None  # the figures with the filtered findings put back
    recall: CaseRecall = field(default_factory=CaseRecall)  # what reached the model (recall.py)

    @classmethod
    def scored(cls, case: Case, report: RunReport, plan: Plan, recall: CaseRecall | None = None) -> CaseResult:
        result = cls(case, report, plan, found=found_of(report.findings), recall=recall or CaseRecall())
        result.score = score(case.expected, result.found)
        filtered = getattr(report, "filtered", None)
        if filtered is not None:
            result.filtered = found_of(filtered)
            result.unverified = score(case.expected, result.found + result.filtered)
        return result

    @property
    def scorable(self) -> bool:
        """The run ended with answers (a failed or pending run has no figures)."""
        return self.report.status in ("clean", "findings", "partial")

    def unreviewed_labels(self) -> list[Expected]:
        """Labels on paths the run did not review (skipped, failed, or not in the change at all)."""
        reviewed = {f.path for f in self.report.files if f.status == "reviewed"}
        return [label for label in self.case.expected if label.path not in reviewed]

    def title_or_description(self) -> bool:
        return bool(self.case.title or self.case.description)

    def to_json(self) -> dict[str, object]:
        r, s = self.report, self.score
        pairs = dict(s.pairs)
        matched = set(pairs.values())
        entry: dict[str, object] = {
            "id": self.case.id,
            "status": r.status,
            "error": r.error,
            **(s.tally.to_json() if self.scorable else _no_figures()),
            "labels": len(self.case.expected),
            "findings": len(self.found),
            "by_severity": s.severity_json() if self.scorable else {},
            "matches": [{"expected": self.case.expected[e].to_json(), "finding": _found_json(self.found[f])}
                        for e, f in s.pairs],
            "missed": [label.to_json() for i, label in enumerate(self.case.expected) if i not in pairs],
            "false_alarms": [_found_json(f) for i, f in enumerate(self.found) if i not in matched],
            "unreviewed_labels": [label.to_json() for label in self.unreviewed_labels()],
            "files": {"reviewed": r.count("reviewed"), "skipped": r.count("skipped"), "failed": r.count("failed"),
                      "failed_reasons": {f.path: f.reason for f in r.failed_files()}},
            "usage": r.usage.to_json(),
            "cost_usd": round(r.cost_usd, 6),
            "estimated_cost_usd": None if r.estimated_cost_usd is None else round(r.estimated_cost_usd, 6),
            "notes": r.notes,
            "context_recall": self.recall.to_json(),
        }
        if self.title_or_description():
            entry["intent"] = {"title": self.case.title, "description": self.case.description}
        if self.filtered is not None and self.unverified is not None:
            entry["verification"] = {"filtered": len(self.filtered),
                                     "without_verification": self.unverified.tally.to_json()}
        return entry


@dataclass
class EvalResult:
    dataset: Path
    model: str
    engine: str
    cases: list[CaseResult]
    plan_only: str = ""  # why nothing was sent (dry run, no key)
    notes: list[str] = field(default_factory=list)
    batch_ids: list[str] = field(default_factory=list)
    extra_cost_usd: float = 0.0
    state_file: str = ""  # where a pending batch's ids are kept for the next run

    @property
    def status(self) -> EvalStatus:
        if self.plan_only or any(c.report.pending for c in self.cases):
            return "pending"
        if all(c.report.status == "failed" for c in self.cases):
            return "failed"
        if any(c.report.status in ("failed", "partial") for c in self.cases):
            return "partial"
        return "done"

    @property
    def score(self) -> Score:
        return total(c.score for c in self.cases if c.scorable)

    @property
    def usage(self) -> Usage:
        usage = Usage()
        for case in self.cases:
            usage.add(case.report.usage)
        return usage

    @property
    def cost_usd(self) -> float:
        return sum(c.report.cost_usd for c in self.cases) + self.extra_cost_usd

    @property
    def estimated_cost_usd(self) -> float:
        return sum(c.report.estimated_cost_usd or 0.0 for c in self.cases)

    @property
    def verified(self) -> bool:
        return any(c.filtered is not None for c in self.cases)

    def exit_code(self) -> int:
        return 2 if self.status == "failed" else 0

    def to_json(self) -> dict[str, object]:
        figures = self.status in ("done", "partial")
        s = self.score
        out: dict[str, object] = {
            "version": EVAL_VERSION,
            "status": self.status,
            "dataset": str(self.dataset),
            "model": self.model,
            "engine": self.engine,
            "plan_only": self.plan_only or None,
            "match": {"slack_lines": SLACK, "rule": "same path; the finding's lines overlap the label's lines "
                      f"widened by {SLACK} on both sides; a maximum one-to-one matching"},
            **(s.tally.to_json() if figures else _no_figures()),
            "labels": sum(len(c.case.expected) for c in self.cases),
            "findings": sum(len(c.found) for c in self.cases),
            "by_severity": s.severity_json() if figures else {},
            "severity_agreement": {"compared": s.severity_compared, "agreed": s.severity_agreed},
            "cases_total": len(self.cases),
            "cases_scored": sum(1 for c in self.cases if c.scorable),
            "cases_not_scored": {c.case.id: c.report.error or c.report.status for c in self.cases if not c.scorable},
            "usage": self.usage.to_json(),
            "cost_usd": round(self.cost_usd, 6),
            "estimated_cost_usd": round(self.estimated_cost_usd, 6),
            "batch_ids": self.batch_ids,
            "batch_state_file": self.state_file or None,
            "notes": self.notes,
            "context_recall": totals(c.recall for c in self.cases),
        }
        if self.verified:
            unverified = total(c.unverified or c.score for c in self.cases if c.scorable)
            out["verification"] = {
                "filtered": sum(len(c.filtered or []) for c in self.cases),
                "without_verification": unverified.tally.to_json(),
            }
        out["cases"] = [c.to_json() for c in self.cases]
        return out


def write_json(result: EvalResult, path: Path, redact: Any = None) -> None:
    text = json.dumps(result.to_json(), indent=2, ensure_ascii=False)
    if callable(redact):
        text = redact(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")


def _no_figures() -> dict[str, object]:
    return {"precision": None, "recall": None, "f1": None, "true_positives": None, "false_positives": None,
            "false_negatives": None}


def _found_json(found: Found) -> dict[str, object]:
    return {"path": found.path, "line": found.line, "end_line": found.end_line, "severity": found.severity.value,
            "title": found.title}

