"""Issue #12, items 11, 12 and 14: findings misplaced by what the model answers.

11. A finding on a file its request did not show goes in the review body with a note, never inline.
12. Line numbers below 1 are fixed with a note (a bad `end_line` dropped, a bad `line` moved), never put in
    SARIF or a check run, and never fail the whole answer (the other findings of a pack are kept); the
    output schema asks for `minimum: 1`.
14. A suggestion that changes nothing (the same lines, whitespace aside) or repeats the neighbouring line
    is not posted as a one-click change; the finding is kept, with a note.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from batch_review.prompt import output_schema
from tests.fakes.model_brain import review_answer, user_text
from tests.test_bad_input_world import Outcome, make_pr, numbered, pr_world, run_action

BASE = numbered(30, "# row")
HEAD = numbered(30, "# row", at={10: "x = compute()", 11: "y = x + 1", 12: "print(y)"})


def _finding(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"path": "app.py", "line": 11, "end_line": None, "severity": "medium",
                            "category": "bug", "title": "A finding", "body": "Body text.",
                            "suggestion": None, "confidence": 0.8}
    return {**base, **overrides}


def _run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, brain: Callable[[dict[str, Any]], str],
    files: dict[str, tuple[str, str]] | None = None, **inputs: str,
) -> tuple[Outcome, Any]:
    files = files or {"app.py": (BASE, HEAD)}
    fx = make_pr(tmp_path / "repo", {p: b for p, (b, _) in files.items()}, {p: h for p, (_, h) in files.items()})
    with pr_world(tmp_path, fx, brain=brain, inputs=inputs) as world:
        out = run_action(world, monkeypatch)
        out.extra.update(reviews=list(world.gh.reviews), comments=list(world.gh.review_comments),
                         checks=list(world.gh.check_runs), sent=[r.json for r in world.ai.requests
                                                                 if r.path == "/v1/messages"])
    return out, out.extra


def _answering(*findings: dict[str, Any]) -> Callable[[dict[str, Any]], str]:
    return lambda body: review_answer(list(findings), user_text(body))


# ---- 11: a file the request did not show -----------------------------------------------------------------


def test_a_finding_on_a_file_its_request_did_not_show_goes_in_the_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = numbered(30, "# other", at={11: "z = 2"})

    def brain(body: dict[str, Any]) -> str:  # asked about app.py, it reports on other.py (line 11 is in its diff)
        shown = user_text(body)
        found = [_finding(path="other.py", title="Seen elsewhere")] if '### "app.py"' in shown else []
        return review_answer(found, shown)

    files = {"app.py": (BASE, HEAD), "other.py": (numbered(30, "# other"), other)}
    out, seen = _run(tmp_path, monkeypatch, brain, files, **{"max-files-per-request": "1"})
    assert out.code == 0 and out.status == "findings"
    [f] = out.findings
    assert (f["path"], f["line"], f["placement"]) == ("other.py", 11, "body")
    assert "its request did not show it" in f["note"]
    assert seen["comments"] == []  # not inline, though other.py:11 is a line of the diff
    [review] = seen["reviews"]
    assert "Seen elsewhere" in review["body"] and "`other.py:11`" in review["body"]
    assert "did not show the model" in review["body"]


# ---- 12: line numbers below 1 ----------------------------------------------------------------------------


def test_a_line_zero_does_not_discard_the_other_findings_of_its_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = numbered(30, "# other", at={11: "z = 2"})
    brain = _answering(_finding(line=0, title="Nowhere"), _finding(path="other.py", title="Real one"),
                       _finding(title="Also real", line=10))
    files = {"app.py": (BASE, HEAD), "other.py": (numbered(30, "# other"), other)}
    out, seen = _run(tmp_path, monkeypatch, brain, files)
    assert out.code == 0 and out.status == "findings", out.files  # not partial: nothing failed
    assert out.files == {"app.py": ("reviewed", ""), "other.py": ("reviewed", "")}
    by_title = {f["title"]: f for f in out.findings}
    assert set(by_title) == {"Nowhere", "Real one", "Also real"}
    assert by_title["Nowhere"]["line"] == 1 and "line 0 is not a line number" in by_title["Nowhere"]["note"]
    assert by_title["Nowhere"]["placement"] == "body"
    assert {(c["path"], c["line"]) for c in seen["comments"]} == {("other.py", 11), ("app.py", 10)}


def test_an_end_line_below_one_is_dropped_not_swapped_into_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, seen = _run(tmp_path, monkeypatch, _answering(_finding(line=11, end_line=-3)))
    [f] = out.findings
    assert (f["line"], f["end_line"]) == (11, None)
    assert "end_line -3 is not a line number and was dropped" in f["note"]
    [comment] = seen["comments"]
    assert comment["line"] == 11 and comment.get("start_line") is None
    annotations = [a for run in seen["checks"] for a in run["annotations"]]
    assert [(a["start_line"], a["end_line"]) for a in annotations] == [(11, 11)]
    sarif = json.loads(_sarif(tmp_path, out).read_text())
    regions = [loc["physicalLocation"]["region"] for r in sarif["runs"][0]["results"] for loc in r["locations"]]
    assert all(region["startLine"] >= 1 and region.get("endLine", 1) >= 1 for region in regions), regions


def test_a_line_below_one_takes_a_good_end_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, seen = _run(tmp_path, monkeypatch, _answering(_finding(line=-2, end_line=12)))
    [f] = out.findings
    assert (f["line"], f["end_line"]) == (12, None)
    assert "line -2 is not a line number; the finding was placed at line 12" in f["note"]
    assert [c["line"] for c in seen["comments"]] == [12]


def test_the_output_schema_asks_for_line_numbers_of_at_least_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    finding = output_schema()["$defs"]["ModelFinding"]["properties"]
    # the API's structured outputs take no `minimum`: the SDK's transform_schema moves it into the description
    assert "{minimum: 1}" in finding["line"]["description"]
    integer = next(v for v in finding["end_line"]["anyOf"] if v.get("type") == "integer")
    assert "{minimum: 1}" in integer["description"]
    _, seen = _run(tmp_path, monkeypatch, _answering())
    sent = seen["sent"][0]["output_config"]["format"]["schema"]["$defs"]["ModelFinding"]["properties"]
    assert "{minimum: 1}" in sent["line"]["description"]


def _sarif(tmp_path: Path, out: Outcome) -> Path:
    return tmp_path / "repo" / out.outputs["sarif-path"]


# ---- 14: suggestions that change nothing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suggestion", "why"),
    [
        ("y = x + 1", "it is the same as the lines it replaces"),
        ("    y = x  +  1  \n", "it is the same as the lines it replaces (whitespace aside)"),
        ("x = compute()\ny = x + 2", "it repeats line 10, which it does not replace"),
        ("y = x + 2\nprint(y)\n", "it repeats line 12, which it does not replace"),
    ],
    ids=["identical", "whitespace", "repeats-above", "repeats-below"],
)
def test_a_suggestion_that_changes_nothing_is_dropped_and_the_finding_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suggestion: str, why: str
) -> None:
    out, seen = _run(tmp_path, monkeypatch, _answering(_finding(suggestion=suggestion)))
    [f] = out.findings
    assert f["suggestion"] is None and f"its suggestion was dropped: {why}" in f["note"]
    [comment] = seen["comments"]
    assert comment["line"] == 11 and "A finding" in comment["body"]
    assert "```suggestion" not in comment["body"] and "Suggested replacement" not in comment["body"]
    sarif = json.loads(_sarif(tmp_path, out).read_text())
    assert all("fixes" not in r for r in sarif["runs"][0]["results"])


def test_a_suggestion_that_changes_something_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, seen = _run(tmp_path, monkeypatch, _answering(_finding(suggestion="y = x + 2\n")))
    [f] = out.findings
    assert f["suggestion"] == "y = x + 2\n" and f["note"] == ""
    [comment] = seen["comments"]
    assert "```suggestion\ny = x + 2\n```" in comment["body"]
