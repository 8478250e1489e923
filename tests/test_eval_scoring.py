"""The eval's matching rule and figures: same path, lines overlapping the label widened by 3 on both sides,
each label and each finding matched at most once, with the most pairs possible."""

from __future__ import annotations

from pathlib import Path

from batch_review.evaluation.dataset import Case, Expected
from batch_review.evaluation.results import CaseResult
from batch_review.evaluation.scoring import Found, match, score
from batch_review.findings import Finding, Severity
from batch_review.plan import Plan
from batch_review.report import FileOutcome, RunReport

H, M, L = Severity.high, Severity.medium, Severity.low


def label(line: int, end: int | None = None, severity: Severity | None = H, path: str = "a.py") -> Expected:
    return Expected(path, line, end or line, severity)


def found(line: int, end: int | None = None, severity: Severity = H, path: str = "a.py") -> Found:
    return Found(path, line, end or line, severity)


def test_a_label_is_widened_by_three_lines_on_each_side() -> None:
    bug = [label(20, 22)]
    for line in (17, 20, 22, 25):
        assert score(bug, [found(line)]).tally.true_positives == 1, line
    for line in (16, 26):
        assert score(bug, [found(line)]).tally.true_positives == 0, line
    assert score(bug, [found(10, 16)]).tally.true_positives == 0  # a range ending 4 lines before
    assert score(bug, [found(10, 17)]).tally.true_positives == 1  # a range reaching into the widened label
    assert score(bug, [found(2, 90)]).tally.true_positives == 1  # a range around it


def test_the_path_must_be_the_same() -> None:
    result = score([label(5)], [found(5, path="b.py"), found(5, path="A.py")])
    assert (result.tally.true_positives, result.tally.false_positives, result.tally.false_negatives) == (0, 2, 1)


def test_two_findings_on_one_label_count_one_true_and_one_false_positive() -> None:
    result = score([label(10)], [found(10), found(11)])
    assert (result.tally.true_positives, result.tally.false_positives, result.tally.false_negatives) == (1, 1, 0)
    assert result.pairs == [(0, 0)]  # the nearer finding is the match


def test_one_finding_between_two_labels_finds_only_one() -> None:
    result = score([label(10), label(15)], [found(12, 13)])
    assert (result.tally.true_positives, result.tally.false_positives, result.tally.false_negatives) == (1, 0, 1)


def test_the_matching_is_maximum_where_greedy_by_distance_loses_a_pair() -> None:
    # X (11-14) touches label A (10) and reaches B's widened range (14-20); Y (8) reaches only A.
    # Nearest pair first takes X–A (distance 0) and leaves B and Y unmatched: 1 pair. The rule gives 2.
    labels = [label(10), label(17)]
    findings = [found(11, 14), found(8)]
    assert match(labels, findings) == {0: 1, 1: 0}
    result = score(labels, findings)
    assert (result.tally.true_positives, result.tally.false_positives, result.tally.false_negatives) == (2, 0, 0)
    assert result.tally.precision == 1.0 and result.tally.recall == 1.0


def test_the_nearest_finding_is_matched_when_it_costs_no_pair() -> None:
    assert match([label(30)], [found(33), found(31), found(28)]) == {0: 1}


def test_figures_by_severity() -> None:
    labels = [label(10, severity=H), label(40, severity=M), label(70, severity=None), label(100, severity=L)]
    findings = [found(11, severity=M), found(41, severity=M), found(71, severity=L), found(200, severity=L)]
    result = score(labels, findings)
    rows = result.severity_json()
    assert rows["high"] == {"labels": 1, "labels_found": 1, "recall": 1.0, "findings": 0, "findings_matched": 0,
                            "precision": None}
    assert rows["medium"] == {"labels": 1, "labels_found": 1, "recall": 1.0, "findings": 2, "findings_matched": 2,
                              "precision": 1.0}
    assert rows["low"] == {"labels": 1, "labels_found": 0, "recall": 0.0, "findings": 2, "findings_matched": 1,
                           "precision": 0.5}
    assert rows["unlabelled"]["labels"] == 1 and rows["unlabelled"]["labels_found"] == 1
    assert "critical" not in rows and "info" not in rows
    assert (result.severity_compared, result.severity_agreed) == (2, 1)  # high found as medium; medium as medium


def test_nothing_to_divide_is_not_a_percentage() -> None:
    none_found = score([label(1)], [])
    assert none_found.tally.precision is None and none_found.tally.recall == 0.0 and none_found.tally.f1 is None
    no_bug = score([], [found(1)])
    assert no_bug.tally.precision == 0.0 and no_bug.tally.recall is None
    nothing = score([], [])
    assert nothing.tally.precision is None and nothing.tally.recall is None


def _finding(line: int, severity: Severity = H) -> Finding:
    return Finding("a.py", line, None, severity, "bug", "t", "b", None, 0.9)


def test_findings_a_verification_pass_filtered_give_the_figures_without_it() -> None:
    case = Case("c", Path("."), "b", "h", (label(10),), 1)
    report = RunReport(mode="eval", findings=[_finding(10)], files=[FileOutcome("a.py", "reviewed")])
    plain = CaseResult.scored(case, report, Plan())
    assert plain.filtered is None and "verification" not in plain.to_json()
    report.filtered = [_finding(50), _finding(60)]  # type: ignore[attr-defined]  # what a verifier drops
    verified = CaseResult.scored(case, report, Plan()).to_json()
    assert verified["precision"] == 1.0 and verified["recall"] == 1.0
    assert verified["verification"] == {"filtered": 2, "without_verification": {
        "precision": round(1 / 3, 4), "recall": 1.0, "f1": 0.5, "true_positives": 1, "false_positives": 2,
        "false_negatives": 0}}


def test_a_label_on_a_file_the_run_did_not_review_is_named() -> None:
    case = Case("c", Path("."), "b", "h", (label(10), label(3, path="gone.py")), 1)
    files = [FileOutcome("a.py", "reviewed"), FileOutcome("gone.py", "skipped", "deleted")]
    report = RunReport(mode="eval", files=files)
    entry = CaseResult.scored(case, report, Plan()).to_json()
    assert entry["unreviewed_labels"] == [{"path": "gone.py", "line": 3, "end_line": 3, "severity": "high"}]
    assert entry["false_negatives"] == 2
