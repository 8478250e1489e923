"""The fake GitHub driven by PyGithub: faults and retries, read-only tokens, issues, checks, SARIF, GHES."""

from __future__ import annotations

import base64
import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import github
import pytest

from tests.fakes.github_api import FakeGitHub
from tests.support.github_client import pygithub, sample_pull
from tests.support.gitrepo import PullFixture


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as f:
        yield f
        assert f.server_errors == []


@pytest.fixture
def pr(fake: FakeGitHub, tmp_path: Path) -> PullFixture:
    return fake.add_pull(sample_pull(tmp_path / "repo"))


def post_review(fake: FakeGitHub, pr: PullFixture, gh: github.Github | None = None) -> Any:
    repo = (gh or pygithub(fake)).get_repo(fake.full_name)
    return repo.get_pull(pr.number).create_review(
        commit=repo.get_commit(pr.head_sha),
        body="review",
        event="COMMENT",
        comments=[{"path": "app.py", "line": 3, "body": "c"}],
    )


def test_lost_502_response_is_retried_and_posts_twice(fake: FakeGitHub, pr: PullFixture) -> None:
    """The hazard: GithubRetry retries a POST on 5xx, so a review whose response was lost is created twice."""
    fake.inject("POST", r"/pulls/1/reviews$", 502, after_effect=True)
    post_review(fake, pr)
    assert fake.count("POST", r"/pulls/1/reviews$") == 2
    assert len(fake.reviews) == 2 and len(fake.review_comments) == 2
    assert [c.status for c in fake.calls if c.method == "POST"] == [502, 200]


def test_injected_fault_without_effect_and_no_retry(fake: FakeGitHub, pr: PullFixture) -> None:
    fake.inject("POST", r"/pulls/1/reviews$", 502, times=2)
    with pytest.raises(github.GithubException) as e:
        post_review(fake, pr, pygithub(fake, retry=0))
    assert e.value.status == 502 and fake.reviews == []
    post_review(fake, pr)  # one fault left, the default retry gets past it
    assert len(fake.reviews) == 1 and fake.count("POST", "reviews") == 3


def test_secondary_rate_limit_403_with_retry_after_is_retried(fake: FakeGitHub, pr: PullFixture) -> None:
    fake.secondary_rate_limit("POST", r"/pulls/1/reviews$")
    start = time.monotonic()
    post_review(fake, pr)
    assert time.monotonic() - start >= 0.9  # urllib3 obeyed retry-after: 1
    assert fake.count("POST", r"/reviews$") == 2 and len(fake.reviews) == 1
    first = next(c for c in fake.calls if c.method == "POST")
    assert first.status == 403


def test_secondary_rate_limit_429_on_get(fake: FakeGitHub, pr: PullFixture) -> None:
    fake.secondary_rate_limit("GET", r"/pulls/1/files$", status=429)
    files = list(pygithub(fake).get_repo(fake.full_name).get_pull(1).get_files())
    assert len(files) == 4 and fake.count("GET", r"/files$") == 2


def test_read_only_token_gets_403_on_every_write(fake: FakeGitHub, pr: PullFixture) -> None:
    fake.read_only = True
    with pytest.raises(github.GithubException) as e:
        post_review(fake, pr)
    assert e.value.status == 403
    assert e.value.data["message"] == "Resource not accessible by integration"
    assert fake.count("POST", r"/reviews$") == 1  # a 403 that is no rate limit is not retried
    with pytest.raises(github.GithubException):
        pygithub(fake).get_repo(fake.full_name).create_issue("t")
    assert fake.reviews == [] and fake.issues == []
    assert len(list(pygithub(fake).get_repo(fake.full_name).get_pull(1).get_files())) == 4  # reads still work


def test_issues_create_list_by_label_and_edit(fake: FakeGitHub, pr: PullFixture) -> None:
    repo = pygithub(fake).get_repo(fake.full_name)
    a = repo.create_issue("sweep: a", body="first", labels=["batch-review", "bug"])
    b = repo.create_issue("sweep: b", body="second", labels=["batch-review"])
    repo.create_issue("other", body="third")
    assert a.number == 2  # numbers are shared with pull requests
    assert {lab["name"] for lab in fake.labels} == {"batch-review", "bug"}  # auto-created
    found = repo.get_issues(state="open", labels=[repo.get_label("batch-review")])
    assert sorted(i.number for i in found) == [a.number, b.number]
    assert [i.number for i in repo.get_issues(labels=["bug"])] == [a.number]
    everything = list(repo.get_issues())
    assert any(i.pull_request is not None and i.number == 1 for i in everything)  # PRs are issues too
    b.edit(state="closed", body="done")
    assert repo.get_issue(b.number).state == "closed"
    assert [i.number for i in repo.get_issues(state="closed")] == [b.number]
    a.create_comment("hello")
    assert [c.body for c in repo.get_issue(a.number).get_comments()] == ["hello"]
    pr_comment = repo.get_pull(1).create_issue_comment("on the PR")
    assert pr_comment.user.login == "github-actions[bot]" and len(fake.issue_comments) == 2
    with pytest.raises(github.GithubException) as e:
        a.create_comment("x" * 65537)
    assert e.value.status == 422 and "too long" in json.dumps(e.value.data)
    repo.create_label("triage", "ff0000")
    with pytest.raises(github.GithubException):
        repo.create_label("triage", "ff0000")
    assert "triage" in [lab.name for lab in repo.get_labels()]


def annotations(n: int, start: int = 1) -> list[dict[str, Any]]:
    return [
        {"path": "app.py", "start_line": i, "end_line": i, "annotation_level": "warning", "message": f"m{i}"}
        for i in range(start, start + n)
    ]


def test_check_runs_cap_annotations_and_append(fake: FakeGitHub, pr: PullFixture) -> None:
    repo = pygithub(fake).get_repo(fake.full_name)
    with pytest.raises(github.GithubException) as e:
        repo.create_check_run(
            "review", pr.head_sha, output={"title": "t", "summary": "s", "annotations": annotations(51)}
        )
    assert e.value.status == 422 and fake.check_runs == []
    with pytest.raises(github.GithubException):
        repo.create_check_run("review", pr.head_sha, output={"title": "t", "summary": "s" * 65536})
    with pytest.raises(github.GithubException):
        repo.create_check_run("review", "0" * 40)  # not a commit of the repository
    run = repo.create_check_run(
        "review",
        pr.head_sha,
        status="in_progress",
        output={"title": "t", "summary": "s", "annotations": annotations(50)},
    )
    run.edit(output={"title": "t", "summary": "s2", "annotations": annotations(50, 51)}, conclusion="neutral")
    stored = fake.check_runs[0]
    assert len(stored["annotations"]) == 100 and stored["annotations"][-1]["message"] == "m100"
    again = repo.get_check_run(run.id)
    assert (again.status, again.conclusion, again.output.summary) == ("completed", "neutral", "s2")
    assert again.output.annotations_count == 100
    assert len(list(again.get_annotations())) == 100


def sarif_payload(doc: Any) -> str:
    return base64.b64encode(gzip.compress(json.dumps(doc).encode())).decode()


def test_sarif_upload_decoding(fake: FakeGitHub, pr: PullFixture) -> None:
    req = pygithub(fake).requester
    url = f"/repos/{fake.full_name}/code-scanning/sarifs"
    doc = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "batch-review"}}, "results": []}]}
    ok = {"commit_sha": pr.head_sha, "ref": "refs/pull/1/head"}
    _, data = req.requestJsonAndCheck("POST", url, input={**ok, "sarif": sarif_payload(doc)})
    assert data["url"] == f"{fake.repo_api}/code-scanning/sarifs/{data['id']}"
    assert fake.sarif_uploads[0]["sarif"] == doc and fake.sarif_uploads[0]["ref"] == "refs/pull/1/head"
    assert fake.calls[-1].status == 202
    bad = [
        ({**ok, "sarif": "not base64!!"}, 400),
        ({**ok, "sarif": base64.b64encode(json.dumps(doc).encode()).decode()}, 400),  # base64 but not gzip
        ({**ok, "ref": "main", "sarif": sarif_payload(doc)}, 422),
        ({**ok, "commit_sha": "abc", "sarif": sarif_payload(doc)}, 422),
    ]
    for body, status in bad:
        with pytest.raises(github.GithubException) as e:
            req.requestJsonAndCheck("POST", url, input=body)
        assert e.value.status == status
    fake.sarif_max_compressed_bytes = 10
    with pytest.raises(github.GithubException) as e:
        req.requestJsonAndCheck("POST", url, input={**ok, "sarif": sarif_payload(doc)})
    assert e.value.status == 413 and len(fake.sarif_uploads) == 1


def test_ghes_prefix(tmp_path: Path) -> None:
    with FakeGitHub(prefix="/api/v3") as fake:
        fake.add_pull(sample_pull(tmp_path / "repo"))
        assert fake.base_url.endswith("/api/v3")
        gh = pygithub(fake, per_page=2)
        p = gh.get_repo(fake.full_name).get_pull(1)
        assert [f.filename for f in p.get_files()] == ["app.py", "blob.bin", "gone.txt", "new.txt"]
        assert fake.count("GET", r"/pulls/1/files$") == 2
        assert p.raw_data["url"] == f"{fake.base_url}/repos/acme/widgets/pulls/1"  # lazy p.url is relative
        assert post_review(fake, fake.pulls[1]).state == "COMMENTED"
        assert fake.server_errors == []
