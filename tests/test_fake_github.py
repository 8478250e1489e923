"""The fake GitHub driven by the real PyGithub client: reads, pagination, reviews and their rules."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import github
import pytest

from tests.fakes.github_api import FakeGitHub
from tests.support.github_client import many_files_pull, pygithub, sample_pull
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git

LINE_MSG = (
    "Pull request review thread line must be part of the diff and Pull request review thread diff hunk can't be blank"
)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as f:
        yield f
        assert f.server_errors == []


@pytest.fixture
def pr(fake: FakeGitHub, tmp_path: Path) -> PullFixture:
    return fake.add_pull(sample_pull(tmp_path / "repo"))


def raw_get(fake: FakeGitHub, path: str, token: str | None = None) -> tuple[int, dict[str, str], object]:
    req = urllib.request.Request(fake.base_url + path, headers={"Authorization": f"token {token or fake.token}"})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def test_pull_and_files_shapes(fake: FakeGitHub, pr: PullFixture) -> None:
    p = pygithub(fake).get_repo(fake.full_name).get_pull(1)
    assert (p.number, p.state, p.draft, p.head.sha, p.base.ref) == (1, "open", False, pr.head_sha, "main")
    assert p.head.repo.full_name == "acme/widgets" and p.head.repo.fork is False
    assert p.changed_files == 4
    files = {f.filename: f for f in p.get_files()}
    assert files["app.py"].status == "modified" and files["app.py"].patch.startswith("@@ -1,6 +1,6 @@")
    assert files["gone.txt"].status == "removed"
    assert files["blob.bin"].patch is None and "patch" not in files["blob.bin"].raw_data
    assert files["app.py"].contents_url.startswith(fake.base_url + "/repos/acme/widgets/contents/app.py")


def test_250_files_paginated_with_link_headers(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.add_pull(many_files_pull(tmp_path / "r", 250))
    p = pygithub(fake).get_repo(fake.full_name).get_pull(1)
    names = [f.filename for f in p.get_files()]
    assert names == [f"src/f{i:05d}.txt" for i in range(250)]
    assert fake.count("GET", r"/pulls/1/files$") == 9  # 30 a page by default
    status, headers, body = raw_get(fake, "/repos/acme/widgets/pulls/1/files?per_page=100")
    assert status == 200 and len(body) == 100  # type: ignore[arg-type]
    base = f"{fake.base_url}/repositories/1296269/pulls/1/files"
    assert headers["Link"] == f'<{base}?per_page=100&page=2>; rel="next", <{base}?per_page=100&page=3>; rel="last"'
    _, headers, body = raw_get(fake, "/repos/acme/widgets/pulls/1/files?per_page=500&page=3")
    assert len(body) == 50 and 'rel="prev"' in headers["Link"] and 'rel="next"' not in headers["Link"]  # type: ignore[arg-type]
    for h in (
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-used",
        "x-ratelimit-resource",
        "x-github-request-id",
    ):
        assert h in {k.lower() for k in headers}


def test_3500_files_capped_at_3000(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.add_pull(many_files_pull(tmp_path / "r", 3500))
    gh = pygithub(fake, per_page=100)
    p = gh.get_repo(fake.full_name).get_pull(1)
    assert p.changed_files == 3500
    assert len(list(p.get_files())) == 3000
    assert p.get_files().totalCount == 3000
    status, _, _ = raw_get(fake, "/repos/acme/widgets/pulls/1")
    assert status == 200


def test_diff_media_type_refused_past_300_files(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.add_pull(many_files_pull(tmp_path / "r", 301))
    req = urllib.request.Request(
        fake.base_url + "/repos/acme/widgets/pulls/1",
        headers={"Authorization": f"token {fake.token}", "Accept": "application/vnd.github.diff"},
    )
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req)
    assert e.value.code == 406


def test_contents_and_blobs(fake: FakeGitHub, tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "r")
    repo.write("dir/a.txt", "base\n")
    repo.write("big.bin", b"x" * (1024 * 1024 + 1))
    base = repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("dir/a.txt", "head\n")
    repo.write("dir/new.txt", "new\n")
    repo.symlink("link", "dir/a.txt")
    repo.write("dir/sp ace\nü%.txt", "odd\n")
    repo.gitlink("sub", base)
    head = repo.commit("head")
    fake.add_pull(pull_from_git(repo, "main", "feature"))
    r = pygithub(fake).get_repo(fake.full_name)
    assert r.get_contents("dir/a.txt", ref=base).decoded_content == b"base\n"
    head_file = r.get_contents("dir/a.txt", ref=head)
    assert head_file.decoded_content == b"head\n"
    assert r.get_git_blob(head_file.sha).content.replace("\n", "") == base64.b64encode(b"head\n").decode()
    with pytest.raises(github.UnknownObjectException):
        r.get_contents("dir/new.txt", ref=base)
    listing = r.get_contents("dir", ref="feature")
    assert sorted(c.path for c in listing) == ["dir/a.txt", "dir/new.txt", "dir/sp ace\nü%.txt"]
    assert r.get_contents("dir/sp ace\nü%.txt", ref=head).decoded_content == b"odd\n"
    big = r.get_contents("big.bin", ref=head)
    assert (big.encoding, big.raw_data["content"], big.size) == ("none", "", 1024 * 1024 + 1)
    with pytest.raises(AssertionError):  # PyGithub asserts on encoding "none": use the blobs API instead
        _ = big.decoded_content
    assert len(base64.b64decode(r.get_git_blob(big.sha).content)) == 1024 * 1024 + 1
    assert r.get_contents("link", ref=head).decoded_content == b"head\n"  # symlink to a file: the file
    assert r.get_contents("sub", ref=head).type == "submodule"
    with pytest.raises(github.UnknownObjectException):
        r.get_git_blob("0" * 40)


def test_auth_and_user(fake: FakeGitHub, pr: PullFixture) -> None:
    status, _, body = raw_get(fake, "/repos/acme/widgets", token="wrong")
    assert status == 401 and body["message"] == "Bad credentials"  # type: ignore[index]
    with pytest.raises(github.BadCredentialsException):
        _ = (
            github.Github(auth=github.Auth.Token("nope"), base_url=fake.base_url, lazy=True)
            .get_repo(fake.full_name)
            .get_pull(1)
            .title
        )
    with pytest.raises(github.GithubException) as e:
        _ = pygithub(fake).get_user().login
    assert e.value.status == 403 and e.value.data["message"] == "Resource not accessible by integration"
    status, _, _ = raw_get(fake, "/repos/other/repo")
    assert status == 404


def review_ctx(fake: FakeGitHub, pr: PullFixture) -> tuple[github.PullRequest.PullRequest, github.Commit.Commit]:
    repo = pygithub(fake).get_repo(fake.full_name)
    return repo.get_pull(pr.number), repo.get_commit(pr.head_sha)


def test_create_review_stores_comments_at_right_lines(fake: FakeGitHub, pr: PullFixture) -> None:
    p, head = review_ctx(fake, pr)
    comments = [
        {"path": "app.py", "line": 3, "body": "added line"},
        {"path": "app.py", "line": 3, "side": "LEFT", "body": "deleted line"},
        {"path": "app.py", "line": 22, "body": "context line"},
        {"path": "app.py", "line": 25, "side": "LEFT", "body": "deleted in hunk 2"},
        {"path": "app.py", "start_line": 2, "line": 4, "body": "range"},
        {"path": "new.txt", "line": 3, "body": "new file"},
        {"path": "gone.txt", "line": 1, "side": "LEFT", "body": "removed file"},
    ]
    review = p.create_review(commit=head, body="summary", event="COMMENT", comments=comments)
    assert review.state == "COMMENTED" and review.commit_id == pr.head_sha and review.user.type == "Bot"
    assert review.user.login == "github-actions[bot]" and review.submitted_at is not None
    stored = [(c.path, c.line, c.side, c.start_line, c.body) for c in p.get_review_comments()]
    assert stored == [
        ("app.py", 3, "RIGHT", None, "added line"),
        ("app.py", 3, "LEFT", None, "deleted line"),
        ("app.py", 22, "RIGHT", None, "context line"),
        ("app.py", 25, "LEFT", None, "deleted in hunk 2"),
        ("app.py", 4, "RIGHT", 2, "range"),
        ("new.txt", 3, "RIGHT", None, "new file"),
        ("gone.txt", 1, "LEFT", None, "removed file"),
    ]
    assert all(c["pull_request_review_id"] == review.id for c in fake.review_comments)
    assert fake.review_comments[0]["diff_hunk"].endswith("+line 3 changed")
    assert [r.id for r in p.get_reviews()] == [review.id]
    comment_req = next(c for c in fake.calls if c.method == "POST")
    assert comment_req.json["commit_id"] == pr.head_sha


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ({"path": "app.py", "line": 10, "body": "outside hunks"}, LINE_MSG),
        ({"path": "app.py", "line": 28, "body": "RIGHT past the end"}, LINE_MSG),
        ({"path": "new.txt", "line": 1, "side": "LEFT", "body": "LEFT of an added file"}, LINE_MSG),
        ({"path": "blob.bin", "line": 1, "body": "binary, no patch"}, LINE_MSG),
        (
            {"path": "nope.py", "line": 1, "body": "not in the PR"},
            "Pull request review thread path is invalid and Pull request review thread diff hunk can't be blank",
        ),
        (
            {"path": "app.py", "start_line": 2, "line": 23, "body": "start in another hunk"},
            "Pull request review thread start line must be part of the same hunk as the line.",
        ),
        (
            {"path": "app.py", "start_line": 4, "line": 4, "body": "start == line"},
            "Pull request review thread start line must precede the end line.",
        ),
    ],
)
def test_one_bad_comment_rejects_whole_review(fake: FakeGitHub, pr: PullFixture, comment: dict, message: str) -> None:
    p, head = review_ctx(fake, pr)
    good = {"path": "app.py", "line": 3, "body": "fine"}
    with pytest.raises(github.GithubException) as e:
        p.create_review(commit=head, body="b", event="COMMENT", comments=[good, comment])
    assert e.value.status == 422
    assert e.value.data == {
        "message": "Unprocessable Entity",
        "errors": [message],
        "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
        "status": "422",
    }
    assert fake.reviews == [] and fake.review_comments == []


def test_review_rules(fake: FakeGitHub, pr: PullFixture) -> None:
    p, head = review_ctx(fake, pr)
    with pytest.raises(github.GithubException) as e:
        p.create_review(commit=head, body="lgtm", event="APPROVE")
    assert e.value.status == 422
    assert e.value.data["errors"] == ["GitHub Actions is not permitted to approve pull requests."]
    for event in ("COMMENT", "REQUEST_CHANGES"):
        with pytest.raises(github.GithubException) as e:
            p.create_review(commit=head, event=event)
        assert e.value.status == 422
    with pytest.raises(github.GithubException) as e:
        p.create_review(commit=head, body="x" * 65537, event="COMMENT")
    assert e.value.data["errors"] == ["Body is too long (maximum is 65536 characters)"]
    with pytest.raises(github.GithubException) as e:
        p.create_review(commit=head, body="x", event="NOPE")
    assert e.value.status == 422 and e.value.data["message"].startswith("Invalid request.")
    with pytest.raises(github.GithubException):
        p.create_review(commit=pygithub(fake).get_repo(fake.full_name).get_commit("f" * 40), body="x", event="COMMENT")
    assert fake.reviews == []
    changes = p.create_review(commit=head, body="please fix", event="REQUEST_CHANGES")
    assert changes.state == "CHANGES_REQUESTED"


def test_pending_review_one_per_user_submit_and_delete(fake: FakeGitHub, pr: PullFixture) -> None:
    p, head = review_ctx(fake, pr)
    pending = p.create_review(commit=head, comments=[{"path": "app.py", "line": 3, "body": "draft"}])
    assert pending.state == "PENDING" and pending.submitted_at is None
    assert list(p.get_review_comments()) == []  # drafts are not listed
    with pytest.raises(github.GithubException) as e:
        p.create_review(commit=head, body="again")
    assert e.value.status == 422
    assert e.value.data["errors"] == ["User can only have one pending review per pull request"]
    pending.delete()
    assert fake.reviews == [] and fake.review_comments == []
    second = p.create_review(commit=head, comments=[{"path": "app.py", "line": 3, "body": "draft"}])
    requester = pygithub(fake).requester
    _, data = requester.requestJsonAndCheck(
        "POST", f"/repos/acme/widgets/pulls/1/reviews/{second.id}/events", input={"event": "COMMENT", "body": "done"}
    )
    assert data["state"] == "COMMENTED" and data["submitted_at"]
    assert [c.body for c in p.get_review_comments()] == ["draft"]
    with pytest.raises(github.GithubException) as e:
        p.get_review(second.id).delete()
    assert e.value.status == 422  # only pending reviews can be deleted


def test_single_review_comment_errors_are_objects(fake: FakeGitHub, pr: PullFixture) -> None:
    p, head = review_ctx(fake, pr)
    with pytest.raises(github.GithubException) as e:
        p.create_review_comment("x", head, "app.py", line=10)
    assert e.value.data["message"] == "Validation Failed"
    assert e.value.data["errors"] == [
        {
            "resource": "PullRequestReviewComment",
            "code": "custom",
            "field": "pull_request_review_thread.line",
            "message": "could not be resolved",
        }
    ]
    ok = p.create_review_comment("y", head, "app.py", line=3)
    assert ok.line == 3 and ok.pull_request_review_id == fake.reviews[0]["id"]


def test_concurrent_requests_overlap(fake: FakeGitHub, pr: PullFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """All eight requests are inside the fake's latency sleep at once (a barrier proves it, no clock)."""
    import tests.fakes.github_api as module

    barrier = threading.Barrier(8, timeout=20)
    real_sleep = time.sleep

    def sleep_together(seconds: float) -> None:
        barrier.wait()  # raises BrokenBarrierError if the server handled requests one at a time
        real_sleep(seconds)

    monkeypatch.setattr(module.time, "sleep", sleep_together)
    fake.latency = 0.01
    threads = [threading.Thread(target=raw_get, args=(fake, "/repos/acme/widgets/pulls/1")) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not barrier.broken
    assert fake.count("GET", r"/pulls/1$") == 8
