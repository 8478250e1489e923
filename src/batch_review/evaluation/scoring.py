"""Findings against labels: which finding found which labelled bug, and precision and recall.

A finding matches a labelled bug when the path is the same and the finding's lines overlap the label's
lines widened by `SLACK` lines on both sides. Each label matches at most one finding and each finding
at most one label. Among all such pairings the one with the most pairs is taken (a maximum bipartite
matching, by augmenting paths): pairing greedily by distance can lose a pair — a finding that sits
between two labels may take the nearer one, leaving the other label with no finding while another
finding could only have matched the first. Candidates are tried nearest first, so the pairs are the
close ones whenever that costs no pair.

Precision is matched findings / findings; recall is matched labels / labels; either is None when its
denominator is 0 (nothing to divide: not 0 % and not 100 %).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..findings import Severity
from .dataset import Expected

SLACK = 3
UNLABELLED = "unlabelled"  # the severity row of labels that carry none


@dataclass(frozen=True)
class Found:
    """A finding as scoring sees it."""

    path: str
    line: int
    end_line: int
    severity: Severity
    title: str = ""


def overlaps(expected: Expected, found: Found, slack: int = SLACK) -> bool:
    return found.path == expected.path and found.line <= expected.end_line + slack and \
        found.end_line >= expected.line - slack


def _distance(expected: Expected, found: Found) -> tuple[int, int]:
    gap = max(0, expected.line - found.end_line, found.line - expected.end_line)
    return gap, abs(found.line - expected.line)


def match(expected: Sequence[Expected], found: Sequence[Found], slack: int = SLACK) -> dict[int, int]:
    """A maximum matching: {label index: finding index}."""
    candidates: list[list[int]] = []
    for label in expected:
        near = [i for i, f in enumerate(found) if overlaps(label, f, slack)]
        near.sort(key=lambda i: (*_distance(label, found[i]), i))
        candidates.append(near)
    owner: dict[int, int] = {}  # finding index -> label index

    def augment(label: int, seen: set[int]) -> bool:
        for finding in candidates[label]:
            if finding in seen:
                continue
            seen.add(finding)
            if finding not in owner or augment(owner[finding], seen):
                owner[finding] = label
                return True
        return False

    order = sorted(range(len(expected)), key=lambda i: (expected[i].path, expected[i].line, expected[i].end_line, i))
    for index in order:
        augment(index, set())
    return {label: finding for finding, label in owner.items()}


def ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


@dataclass
class Tally:
    """Counts of one group (a case, a severity, the whole run)."""

    true_positives: int = 0  # matched findings (= matched labels)
    false_positives: int = 0  # findings that match no label
    false_negatives: int = 0  # labels no finding matched

    @property
    def precision(self) -> float | None:
        return ratio(self.true_positives, self.true_positives + self.false_positives)

    @property
    def recall(self) -> float | None:
        return ratio(self.true_positives, self.true_positives + self.false_negatives)

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return None if p is None or r is None or p + r == 0 else 2 * p * r / (p + r)

    def add(self, other: Tally) -> None:
        self.true_positives += other.true_positives
        self.false_positives += other.false_positives
        self.false_negatives += other.false_negatives

    def to_json(self) -> dict[str, object]:
        return {
            "precision": _rounded(self.precision),
            "recall": _rounded(self.recall),
            "f1": _rounded(self.f1),
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
        }


@dataclass
class SeverityRow:
    """Recall counts by the label's severity; precision counts by the finding's severity."""

    labels: int = 0
    labels_found: int = 0
    findings: int = 0
    findings_matched: int = 0

    @property
    def recall(self) -> float | None:
        return ratio(self.labels_found, self.labels)

    @property
    def precision(self) -> float | None:
        return ratio(self.findings_matched, self.findings)

    def add(self, other: SeverityRow) -> None:
        self.labels += other.labels
        self.labels_found += other.labels_found
        self.findings += other.findings
        self.findings_matched += other.findings_matched

    def to_json(self) -> dict[str, object]:
        return {
            "labels": self.labels, "labels_found": self.labels_found, "recall": _rounded(self.recall),
            "findings": self.findings, "findings_matched": self.findings_matched,
            "precision": _rounded(self.precision),
        }


def severity_keys() -> list[str]:
    return [s.value for s in Severity] + [UNLABELLED]


@dataclass
class Score:
    """One case's (or a sum of cases') figures."""

    tally: Tally = field(default_factory=Tally)
    by_severity: dict[str, SeverityRow] = field(default_factory=lambda: {k: SeverityRow() for k in severity_keys()})
    pairs: list[tuple[int, int]] = field(default_factory=list)  # (label index, finding index), one case only
    severity_agreed: int = 0  # matched pairs whose label has a severity equal to the finding's
    severity_compared: int = 0  # matched pairs whose label has a severity

    def add(self, other: Score) -> None:
        self.tally.add(other.tally)
        for key, row in other.by_severity.items():
            self.by_severity[key].add(row)
        self.severity_agreed += other.severity_agreed
        self.severity_compared += other.severity_compared

    def severity_json(self) -> dict[str, object]:
        return {k: row.to_json() for k, row in self.by_severity.items() if row.labels or row.findings}


def score(expected: Sequence[Expected], found: Sequence[Found], slack: int = SLACK) -> Score:
    pairs = match(expected, found, slack)
    result = Score(pairs=sorted(pairs.items()))
    result.tally = Tally(len(pairs), len(found) - len(pairs), len(expected) - len(pairs))
    matched_findings = set(pairs.values())
    for index, label in enumerate(expected):
        row = result.by_severity[label.severity.value if label.severity else UNLABELLED]
        row.labels += 1
        row.labels_found += index in pairs
    for index, finding in enumerate(found):
        row = result.by_severity[finding.severity.value]
        row.findings += 1
        row.findings_matched += index in matched_findings
    for label_index, finding_index in pairs.items():
        label_severity = expected[label_index].severity
        if label_severity is not None:
            result.severity_compared += 1
            result.severity_agreed += label_severity == found[finding_index].severity
    return result


def total(scores: Iterable[Score]) -> Score:
    out = Score()
    for one in scores:
        out.add(one)
    return out


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
