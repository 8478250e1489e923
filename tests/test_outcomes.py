"""Issue #4, honest outcomes: `clean` only when every planned file was reviewed and nothing was found; a
failed file makes the run `partial` and is named; the check run carries the same conclusion, with its
annotations in groups of 50; a check run the token may not create is noted, never fatal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fault_world import PLANT_LINE, file_name, for_file, world
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git

CHECK_RUNS = r"/check-runs"


def test_clean_only_when_every_planned_file_was_reviewed_and_nothing_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 3, clean=(0, 1, 2)) as w:
        result = w.run(**{"fail-on": "low"})

        assert result.code == 0, result.log
        assert w.env.outputs()["status"] == "clean"
        assert set(w.files().values()) == {("reviewed", "")}
        assert w.env.summary().startswith("## batch-review · ✅ clean")
        assert [c["conclusion"] for c in w.gh.check_runs] == ["success"]
        assert w.gh.reviews == []  # nothing to say


def test_a_failed_file_makes_the_run_partial_and_is_named_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 3, clean=(0, 1, 2)) as w:
        w.ai.inject("refusal", times=1, match=for_file(file_name(1)))
        result = w.run(**{"fail-on": "low"})

        assert result.code == 0, result.log  # no finding at fail-on; partial is reported, not hidden
        outputs = w.env.outputs()
        assert outputs["status"] == "partial" and outputs["findings-count"] == "0"
        reason = "the model declined to review this code (refusal)"
        assert w.files()[file_name(1)] == ("failed", reason)
        summary = w.env.summary()
        assert "partial" in summary.splitlines()[0]
        assert f"| `{file_name(1)}` | {reason} |" in summary
        assert [c["conclusion"] for c in w.gh.check_runs] == ["neutral"]  # never success
        assert "partial" in w.gh.check_runs[0]["output"]["title"]
        assert w.gh.reviews == []  # nothing to post: no review; the pull request's status comment says it
        [status] = [c for c in w.gh.issue_comments if "batch-review:status" in c["body"]]
        assert "Not reviewed (failed)" in status["body"] and file_name(1) in status["body"]


def _many_findings(root: Path, count: int = 110) -> PullFixture:
    repo = GitRepo.init(root)
    repo.commit_files({"src/big.py": "".join(f"x_{i} = {i}\n" for i in range(count))}, "base")
    repo.checkout_new_branch("feature")
    text = "".join(f"x_{i} = {i} + 1  # PLANT(medium,bug): finding {i}\n" for i in range(count))
    repo.commit_files({"src/big.py": text}, "feature")
    return pull_from_git(repo, "main", "feature", 7)


def test_the_check_run_carries_every_annotation_in_groups_of_50(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, build=_many_findings) as w:
        result = w.run(**{"fail-on": "medium", "max-request-tokens": "20000"})

        assert result.code == 1, result.log
        assert w.env.outputs()["findings-count"] == "110"
        [run] = w.gh.check_runs
        assert run["conclusion"] == "failure"
        assert w.gh.count("POST", CHECK_RUNS) == 1 and w.gh.count("PATCH", CHECK_RUNS) == 2  # 50 + 50 + 10
        sent = [len(c.json["output"]["annotations"]) for c in w.gh.calls if "check-runs" in c.path]
        assert sent == [50, 50, 10]
        lines = sorted(a["start_line"] for a in run["annotations"])
        assert lines == list(range(1, 111))
        assert {a["annotation_level"] for a in run["annotations"]} == {"warning"}
        assert "110 annotations" in w.env.report()["published"]["check run"]


def test_a_check_run_the_token_may_not_create_is_noted_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 2) as w:
        w.gh.inject("POST", CHECK_RUNS, 403, body={"message": "Resource not accessible by integration",
                                                   "documentation_url": "https://docs.github.com/rest"})
        result = w.run()

        assert result.code == 0, result.log
        assert w.env.outputs()["status"] == "findings"
        assert w.gh.check_runs == []
        assert len(w.gh.reviews) == 1 and len(w.gh.review_comments) == 2
        note = w.env.report()["published"]["check run"]
        assert note.startswith("skipped") and "checks: write" in note
        assert "checks: write" in w.env.summary()
        assert sorted(c["line"] for c in w.gh.review_comments) == [PLANT_LINE, PLANT_LINE]
