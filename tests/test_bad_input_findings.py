"""Bad model output: findings that point nowhere, ranges upside down, suggestions full of backticks.

Nothing the model answers is dropped silently or posted where GitHub would refuse it: a finding that
cannot sit on a line of the diff goes in the review body with a note saying why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fakes.model_brain import review_answer, user_text
from tests.test_bad_input_world import make_pr, numbered, pr_world, run_action

BASE = numbered(30, "# row")
HEAD = numbered(30, "# row", at={10: "x = compute()", 11: "y = x + 1", 12: "print(y)"})


def _finding(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"path": "app.py", "line": 10, "end_line": None, "severity": "medium",
                            "category": "bug", "title": "A finding", "body": "Body text.",
                            "suggestion": None, "confidence": 0.8}
    return {**base, **overrides}


def _answering(*findings: dict[str, Any]) -> Any:
    return lambda body: review_answer(list(findings), user_text(body))


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *findings: dict[str, Any], head: str = HEAD):
    fx = make_pr(tmp_path / "repo", {"app.py": BASE}, {"app.py": head})
    with pr_world(tmp_path, fx, brain=_answering(*findings)) as world:
        out = run_action(world, monkeypatch)
        review = world.gh.reviews[0] if world.gh.reviews else None
        comments = list(world.gh.review_comments)
    return out, review, comments


def test_finding_on_a_path_not_in_the_pr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, review, comments = _run(tmp_path, monkeypatch, _finding(path="../../etc/passwd", title="Ghost file"))
    assert not comments and review is not None
    [f] = out.findings
    assert (f["path"], f["placement"]) == ("../../etc/passwd", "body")
    assert "not part of this review" in f["note"]
    assert "`../../etc/passwd:10`" in review["body"] and "Ghost file" in review["body"]


def test_finding_past_the_end_of_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, review, comments = _run(tmp_path, monkeypatch, _finding(line=999, title="Beyond"))
    assert not comments and review is not None
    [f] = out.findings
    assert f["placement"] == "body" and "line 999" in f["note"]
    assert "`app.py:999`" in review["body"] and "line 999 is not part of the diff" in review["body"]


def test_end_line_before_line_is_swapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, _, comments = _run(tmp_path, monkeypatch, _finding(line=12, end_line=10))
    [c] = comments
    assert (c["start_line"], c["line"]) == (10, 12)
    assert out.findings[0]["note"] == "end_line was before line; the range was swapped"


def test_suggestion_with_backticks_gets_a_longer_fence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    replacement = 'doc = """\n```python\nx = 1\n```\n"""'
    out, _, comments = _run(tmp_path, monkeypatch, _finding(line=10, end_line=12, suggestion=replacement))
    [c] = comments
    assert f"````suggestion\n{replacement}\n````" in c["body"]


def test_suggestion_on_a_narrowed_range_is_not_a_one_click_commit(tmp_path: Path, monkeypatch) -> None:
    # lines 10..20 are not all in the diff: the comment is narrowed, the suggestion shown as plain code
    out, _, comments = _run(tmp_path, monkeypatch, _finding(line=10, end_line=20, suggestion="z = 0\n"))
    [c] = comments
    assert "```suggestion" not in c["body"] and "Suggested replacement for lines 10-20" in c["body"]


def test_finding_with_line_zero_is_kept_with_a_note(tmp_path: Path, monkeypatch) -> None:
    # issue #12, item 12: one bad number no longer fails the whole answer (tests/test_attack_findings.py)
    out, review, _ = _run(tmp_path, monkeypatch, _finding(line=0))
    assert out.status == "findings" and out.code == 0
    assert out.files["app.py"] == ("reviewed", "")
    [f] = out.findings
    assert f["line"] == 1 and "line 0 is not a line number; the finding was placed at line 1" in f["note"]
    assert review is not None and "`app.py:1`" in review["body"]


def test_duplicate_findings_are_posted_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, _, comments = _run(tmp_path, monkeypatch, _finding(), _finding(severity="high"))
    assert len(comments) == 1 and [f["severity"] for f in out.findings] == ["high"]


def test_a_huge_range_is_clipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, _, comments = _run(tmp_path, monkeypatch, _finding(line=10, end_line=10**9))
    [f] = out.findings
    assert f["end_line"] == 210
    assert len(comments) == 1
