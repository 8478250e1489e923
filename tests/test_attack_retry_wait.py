"""Issue #12, item 2: a huge `retry-after` must not hang the run.

The Anthropic SDK and urllib3 (under PyGithub) sleep as long as a response tells them to. Every wait is
capped by `max-retry-wait` (default 60 s): past it the request fails with the reason and the run goes on
(`partial`), or — when GitHub will not list the pull request's files — fails with the reason at once.
pytest-timeout guards against a hang; the assertions are on what the user sees.
"""

from __future__ import annotations

import json
from email.utils import formatdate
from pathlib import Path
from typing import Any

import anthropic
import pytest

from batch_review.engines.client import make_client
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.support.fault_world import KEY, file_name, for_file, message_requests, world

REVIEWS = r"/pulls/7/reviews$"
FAR = formatdate(4102444800, usegmt=True)  # 2100-01-01: an HTTP date far ahead


def _rate_limited(headers: dict[str, str]) -> tuple[str, int, dict[str, str], str]:
    body = json.dumps({"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down."},
                       "request_id": "req_test"})
    return ("custom", 429, headers, body)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("headers", "asked"),
    [({"retry-after": "86400"}, "86400 s"), ({"retry-after-ms": "1e308"}, "1e+305 s"), ({"retry-after": FAR}, " s")],
    ids=["seconds", "milliseconds", "http-date"],
)
def test_a_huge_anthropic_retry_after_fails_the_file_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, headers: dict[str, str], asked: str
) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        fault = w.ai.inject(_rate_limited(headers), times=10, match=for_file(file_name(1)))
        result = w.run()

        assert result.code == 0, result.log
        assert fault.hits == 1  # not retried: the SDK would have slept that long first
        status, reason = w.files()[file_name(1)]
        assert status == "failed"
        assert "rate_limit_error" in reason and asked in reason
        assert "more than max-retry-wait 60 s" in reason and "the API asked to wait" in reason
        assert w.files()[file_name(0)] == w.files()[file_name(2)] == ("reviewed", "")
        assert w.env.outputs()["status"] == "partial"
        assert "max-retry-wait" in w.env.summary()
        assert len(w.gh.review_comments) == 2


@pytest.mark.timeout(60)
def test_max_retry_wait_is_an_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, 2) as w:
        w.ai.inject(_rate_limited({"retry-after": "10"}), times=10, match=for_file(file_name(0)))
        result = w.run(**{"max-retry-wait": "5"})

        assert result.code == 0, result.log
        status, reason = w.files()[file_name(0)]
        assert status == "failed" and "the API asked to wait 10 s, more than max-retry-wait 5 s" in reason
        assert w.env.outputs()["status"] == "partial"


def test_a_wait_within_the_cap_is_still_obeyed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, 2) as w:
        fault = w.ai.inject(_rate_limited({"retry-after-ms": "50"}), times=1, match=for_file(file_name(0)))
        result = w.run()

        assert result.code == 0, result.log
        assert fault.hits == 1
        assert [r.status for r in message_requests(w.ai) if for_file(file_name(0))(r.json)] == [429, 200]
        assert w.env.outputs()["status"] == "findings"


@pytest.mark.timeout(30)
def test_the_batch_engines_client_does_not_sleep_through_a_huge_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeAnthropicAPI(api_key=KEY) as ai:
        ai.inject(_rate_limited({"retry-after": "86400"}), times=10)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", ai.base_url)
        client = make_client(KEY, 30, 4, max_retry_wait=60)
        with pytest.raises(anthropic.RateLimitError):
            client.messages.create(model="claude-sonnet-5-5", max_tokens=100,
                                   messages=[{"role": "user", "content": "hi"}])
        assert len(message_requests(ai)) == 1


# ---- GitHub ---------------------------------------------------------------------------------------------


def _limit(w: Any, method: str, path: str, status: int, retry_after: str) -> None:
    w.gh.secondary_rate_limit(method, path, status=status, times=20, retry_after=retry_after)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("status", "retry_after", "asked"), [(403, "86400", "86400 s"), (429, FAR, " s")])
def test_a_huge_github_retry_after_on_the_files_fails_the_run_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int, retry_after: str, asked: str
) -> None:
    with world(tmp_path, monkeypatch, 2) as w:
        _limit(w, "GET", r"/pulls/7/files$", status, retry_after)
        result = w.run()

        assert result.code == 2, result.log
        report = w.env.report()
        assert report["status"] == "failed"
        assert "GitHub asked to wait" in report["error"] and asked in report["error"]
        assert "more than max-retry-wait 60 s" in report["error"]
        assert "max-retry-wait" in w.env.summary()
        assert w.gh.count("GET", r"/pulls/7/files$") == 1  # not slept through, not retried
        assert message_requests(w.ai) == []


@pytest.mark.timeout(60)
def test_a_huge_github_retry_after_on_the_review_post_fails_it_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 2) as w:
        _limit(w, "POST", REVIEWS, 403, "86400")
        result = w.run()

        assert result.code == 2, result.log  # findings nobody can see on the PR: not a green run
        report = w.env.report()
        assert report["error_kind"] == "publish"
        assert "GitHub asked to wait 86400 s, more than max-retry-wait 60 s" in report["error"]
        assert len(report["findings"]) == 2 and "defect number 1" in w.env.summary()
        assert w.gh.count("POST", REVIEWS) == 1


@pytest.mark.timeout(30)
def test_the_github_clients_cap_is_max_retry_wait(tmp_path: Path) -> None:
    """What the jobs pass as `max_wait` (the `max-retry-wait` input) caps reads and writes alike."""
    from github.GithubException import GithubException

    from batch_review import github_client
    from batch_review.errors import GitHubError
    from tests.fakes.github_api import FakeGitHub
    from tests.support.github_client import sample_pull

    saved = github_client._max_wait
    try:
        with FakeGitHub() as gh:
            gh.add_pull(sample_pull(tmp_path / "repo", 3))
            client = github_client.make_github(gh.token, gh.base_url, max_wait=5)
            pull = client.get_repo(gh.full_name).get_pull(3)
            gh.secondary_rate_limit("GET", r"/pulls/3/files$", status=429, times=5, retry_after=10)
            with pytest.raises(GithubException) as read:
                list(pull.get_files())
            assert "GitHub asked to wait 10 s, more than max-retry-wait 5 s" in github_client.describe(read.value)
            gh.secondary_rate_limit("POST", r"/pulls/3/reviews$", status=403, times=5, retry_after=10)
            with pytest.raises(GitHubError) as write:
                github_client.post_once(lambda: pull.create_review(body="x", event="COMMENT"), lambda: None, "a review")
            assert "GitHub asked to wait 10 s, more than max-retry-wait 5 s" in write.value.message
            assert gh.count("GET", r"/pulls/3/files$") == 1 and gh.count("POST", r"/pulls/3/reviews$") == 1
    finally:
        github_client._max_wait = saved
