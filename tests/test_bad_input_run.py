"""Bad input around the run: the pull request's state and size, the event payload, the secrets.

Each case starts the action as a runner does and checks what the user sees: the exit code, the
`status` output, the one ::error (or ::notice) that says why, the step summary and the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import plant
from tests.test_bad_input_world import KEY, failed_early, make_pr, numbered, pr_world, run_action

P_HIGH = plant("high", "bug", title="planted")


@pytest.fixture
def small_pr(tmp_path: Path):
    return make_pr(tmp_path / "repo", {"a.py": numbered(6)}, {"a.py": numbered(6, at={2: "x = 1  # " + P_HIGH})})


# -- the pull request's state and size ------------------------------------------------------------


def test_draft_pr_ends_pending_with_a_notice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_pr(tmp_path / "repo", {"a.py": "a\n"}, {"a.py": "b  # " + P_HIGH + "\n"}, draft=True)
    with pr_world(tmp_path, fx, inputs={"anthropic-api-key": ""}) as world:  # no key needed to skip a draft
        out = run_action(world, monkeypatch)
        assert world.ai.count("POST", "/v1/messages") == 0
        assert not world.gh.reviews and not world.gh.check_runs
    assert out.code == 0 and out.status == "pending"
    assert any(line.startswith("::notice") and "is a draft" in line for line in out.log.splitlines())
    assert "is a draft" in out.summary and "review-drafts" in out.summary


def test_draft_pr_is_reviewed_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_pr(tmp_path / "repo", {"a.py": "a\n"}, {"a.py": "b  # " + P_HIGH + "\n"}, draft=True)
    with pr_world(tmp_path, fx, inputs={"review-drafts": "true"}) as world:
        out = run_action(world, monkeypatch)
    assert out.status == "findings"


def test_closed_pr_ends_pending_with_a_notice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_pr(tmp_path / "repo", {"a.py": "a\n"}, {"a.py": "b\n"}, state="closed")
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
        assert world.ai.count("POST", "/v1/messages") == 0 and not world.gh.reviews
    assert out.code == 0 and out.status == "pending"
    assert any(line.startswith("::notice") and "closed" in line for line in out.log.splitlines())


def test_empty_pr_is_clean_and_says_nothing_to_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_pr(tmp_path / "repo", {"a.py": "a\n"}, {})
    assert fx.files == []
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
        assert world.ai.count("POST", "/v1/messages") == 0 and not world.gh.reviews
    assert out.code == 0 and out.status == "clean"
    assert "nothing to review: no changed files" in out.summary
    assert out.report and "nothing to review: no changed files" in out.report["notes"]
    assert "::notice" in out.log


def test_deletion_only_pr_is_clean_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_pr(tmp_path / "repo", {"a.py": "a\n", "b/c.py": "c\n"}, {"a.py": None, "b/c.py": None})
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
    assert out.status == "clean" and out.code == 0
    assert out.files == {"a.py": ("skipped", "deleted"), "b/c.py": ("skipped", "deleted")}
    assert "nothing to review: all 2 changed file(s) were skipped (2 deleted)" in out.summary


# -- the event payload ----------------------------------------------------------------------------


def test_missing_event_payload_file(tmp_path: Path, small_pr, monkeypatch: pytest.MonkeyPatch) -> None:
    with pr_world(tmp_path, small_pr) as world:
        world.env.extra["GITHUB_EVENT_PATH"] = str(tmp_path / "nowhere.json")
        out = run_action(world, monkeypatch)
    failed_early(out, "does not exist")


def test_unset_event_path(tmp_path: Path, small_pr, monkeypatch: pytest.MonkeyPatch) -> None:
    with pr_world(tmp_path, small_pr) as world:
        world.env.extra["GITHUB_EVENT_PATH"] = ""
        out = run_action(world, monkeypatch)
    failed_early(out, "event payload is missing or empty")


def test_malformed_event_payload(tmp_path: Path, small_pr, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"pull_request": {"number": 5,', encoding="utf-8")
    with pr_world(tmp_path, small_pr) as world:
        world.env.extra["GITHUB_EVENT_PATH"] = str(bad)
        out = run_action(world, monkeypatch)
    failed_early(out, "not valid JSON")


@pytest.mark.parametrize("payload", [
    {"pull_request": {"number": 5, "head": {"sha": "abc"}, "base": {"sha": "def"}}},
    {"pull_request": {"number": 5, "head": None, "base": []}},
    {"pull_request": {"number": "five", "head": {"sha": "a" * 40}, "base": {"sha": "b" * 40}}},
    {"pull_request": {"number": 5, "head": {"sha": "g" * 40}, "base": {"sha": "b" * 40}}},
    ["not", "an", "object"],
])
def test_event_payload_of_the_wrong_shape(tmp_path: Path, small_pr, payload, monkeypatch) -> None:
    with pr_world(tmp_path, small_pr, event=payload) as world:
        out = run_action(world, monkeypatch)
        assert not world.gh.calls
    failed_early(out)
    assert "payload" in out.errors_logged()[0]


def test_unknown_event_with_mode_auto(tmp_path: Path, small_pr, monkeypatch: pytest.MonkeyPatch) -> None:
    with pr_world(tmp_path, small_pr) as world:
        world.env.event_name = "push"
        out = run_action(world, monkeypatch)
    failed_early(out, "'push'", "set mode")


def test_review_mode_on_a_push_event(tmp_path: Path, small_pr, monkeypatch: pytest.MonkeyPatch) -> None:
    with pr_world(tmp_path, small_pr, inputs={"mode": "review"}, event={"ref": "refs/heads/main"}) as world:
        world.env.event_name = "push"
        out = run_action(world, monkeypatch)
    failed_early(out, "mode: review needs a pull_request")


def test_missing_repository_variable(tmp_path: Path, small_pr, monkeypatch: pytest.MonkeyPatch) -> None:
    with pr_world(tmp_path, small_pr) as world:
        world.env.extra["GITHUB_REPOSITORY"] = ""
        out = run_action(world, monkeypatch)
    failed_early(out, "GITHUB_REPOSITORY")


def test_pull_request_github_does_not_know(tmp_path: Path, small_pr, monkeypatch: pytest.MonkeyPatch) -> None:
    event = json.loads(json.dumps(__import__("tests.support.runner", fromlist=["x"]).pull_request_event(small_pr)))
    event["number"] = event["pull_request"]["number"] = 404
    with pr_world(tmp_path, small_pr, event=event) as world:
        out = run_action(world, monkeypatch)
    assert out.code == 2 and out.status == "failed"
    assert "could not read pull request #404: GitHub 404" in out.error


# -- secrets --------------------------------------------------------------------------------------


def test_missing_api_key(tmp_path: Path, small_pr, monkeypatch: pytest.MonkeyPatch) -> None:
    with pr_world(tmp_path, small_pr, inputs={"anthropic-api-key": ""}) as world:
        out = run_action(world, monkeypatch)
        assert not world.gh.calls
    failed_early(out, "anthropic-api-key", "dry-run")


def test_fork_pr_without_a_key_is_pending_not_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_pr(tmp_path / "repo", {"a.py": "a\n"}, {"a.py": "b\n"}, fork=True)
    with pr_world(tmp_path, fx, inputs={"anthropic-api-key": ""}) as world:
        out = run_action(world, monkeypatch)
    assert out.code == 0 and out.status == "pending"
    assert any(line.startswith("::warning") and "fork" in line for line in out.log.splitlines())


def test_missing_github_token(tmp_path: Path, small_pr, monkeypatch: pytest.MonkeyPatch) -> None:
    with pr_world(tmp_path, small_pr, inputs={"github-token": ""}) as world:
        out = run_action(world, monkeypatch)
    failed_early(out, "github-token")


def test_github_token_github_refuses(tmp_path: Path, small_pr, monkeypatch: pytest.MonkeyPatch) -> None:
    with pr_world(tmp_path, small_pr, inputs={"github-token": "ghs_wrong"}) as world:
        out = run_action(world, monkeypatch)
    assert out.code == 2 and out.status == "failed"
    assert "GitHub 401 Bad credentials" in out.error


def test_unknown_model_fails_with_the_api_message(tmp_path: Path, small_pr, monkeypatch) -> None:
    with pr_world(tmp_path, small_pr, inputs={"model": "claude-nonexistent-9"}) as world:
        out = run_action(world, monkeypatch)
        assert not world.gh.reviews
    assert out.code == 2 and out.status == "failed"
    assert "not_found_error" in out.error and "claude-nonexistent-9" in out.error
    assert out.files["a.py"][0] == "failed"
    assert KEY not in out.log.replace(f"::add-mask::{KEY}", "")


def test_unknown_model_with_no_known_price_still_plans(tmp_path: Path, small_pr, monkeypatch) -> None:
    with pr_world(tmp_path, small_pr, inputs={"model": "claude-future-1", "dry-run": "true"}) as world:
        out = run_action(world, monkeypatch)
    assert out.status == "pending" and out.code == 0
    assert "no price known for claude-future-1" in out.log


def test_pr_event_on_a_ghes_style_api_url(tmp_path: Path, small_pr, monkeypatch: pytest.MonkeyPatch) -> None:
    with pr_world(tmp_path, small_pr, gh=FakeGitHub(prefix="/api/v3")) as world:
        out = run_action(world, monkeypatch)
    assert out.status == "findings"


def test_an_internal_error_is_a_named_failure(tmp_path: Path, small_pr, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug in planning")

    monkeypatch.setattr("batch_review.pipeline.make_plan", broken)
    with pr_world(tmp_path, small_pr) as world:
        out = run_action(world, monkeypatch)
    failed_early(out, "internal error — ZeroDivisionError: a bug in planning")
