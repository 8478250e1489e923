"""The fake GitHub's GraphQL endpoint, driven by PyGithub's own GraphQL client (``requester.graphql_query``):
review threads derived from the REST state, replies, pagination, mutations, identity, pushes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import github
import pytest

from tests.fakes.github_api import FakeGitHub
from tests.support.github_client import pygithub, sample_pull
from tests.support.gitrepo import PullFixture, pull_from_git
from tests.support.graphql_client import PR_1, gql, post_review, raw, threads


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as f:
        yield f
        assert f.server_errors == []


@pytest.fixture
def pr(fake: FakeGitHub, tmp_path: Path) -> PullFixture:
    return fake.add_pull(sample_pull(tmp_path / "repo"))


# -- threads from the REST state --------------------------------------------------------------------------
def test_rest_review_comments_and_replies_are_threads(fake: FakeGitHub, pr: PullFixture) -> None:
    review = post_review(
        fake, pr, [{"path": "app.py", "line": 3, "body": "a"}, {"path": "new.txt", "line": 2, "body": "b"}]
    )
    first, second = fake.review_comments
    pull = pygithub(fake).get_repo(fake.full_name).get_pull(1)
    own_reply = pull.create_review_comment_reply(first["id"], "more")  # REST reply by the token
    fake.reply_as("octocat", first["id"], "I disagree")  # a person's reply

    got = threads(fake)
    assert got["totalCount"] == 2 and got["pageInfo"]["hasNextPage"] is False
    t1, t2 = got["nodes"]
    assert t1["id"].startswith("PRRT_") and t1["id"] != t2["id"]
    assert (t1["path"], t1["line"], t1["originalLine"], t1["diffSide"], t1["isResolved"]) == (
        "app.py",
        3,
        3,
        "RIGHT",
        False,
    )
    assert [(c["body"], c["author"]["login"]) for c in t1["comments"]["nodes"]] == [
        ("a", "github-actions"),  # the Actions bot, without REST's "[bot]"
        ("more", "github-actions"),
        ("I disagree", "octocat"),
    ]
    top, reply, person = t1["comments"]["nodes"]
    assert (top["id"], top["databaseId"]) == (first["node_id"], first["id"]) and top["id"].startswith("PRRC_")
    assert top["pullRequestReview"] == {"databaseId": review.id, "state": "COMMENTED"}
    assert top["replyTo"] is None and reply["replyTo"] == {"databaseId": first["id"]}
    assert reply["databaseId"] == own_reply.id and person["replyTo"] == {"databaseId": first["id"]}
    assert [c["viewerDidAuthor"] for c in t1["comments"]["nodes"]] == [True, True, False]
    assert [c["databaseId"] for c in t2["comments"]["nodes"]] == [second["id"]]
    assert [t.id for t in fake.threads()] == [t1["id"], t2["id"]]


def test_pending_review_comments_are_not_threads(fake: FakeGitHub, pr: PullFixture) -> None:
    fake.add_review_as("octocat", 1, event=None, comments=[{"path": "app.py", "line": 3, "body": "draft"}])
    assert threads(fake)["totalCount"] == 0


def test_threads_paginate_with_cursors_up_to_100(fake: FakeGitHub, pr: PullFixture) -> None:
    spots = [("app.py", n) for n in range(1, 7)] + [("new.txt", 1)]
    post_review(fake, pr, [{"path": path, "line": n, "body": f"c{i}"} for i, (path, n) in enumerate(spots, 1)])
    seen, after, pages = [], None, 0
    while True:
        page = threads(fake, first=3, after=after)
        seen += [t["comments"]["nodes"][0]["body"] for t in page["nodes"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3 and seen == [f"c{n}" for n in range(1, 8)]
    last = gql(
        fake,
        'query($c: String) { repository(owner: "acme", name: "widgets") { pullRequest(number: 1) {'
        " reviewThreads(last: 2, before: $c) { pageInfo { hasPreviousPage } nodes { line } } } } }",
        c=after,
    )["repository"]["pullRequest"]["reviewThreads"]
    assert [t["line"] for t in last["nodes"]] == [4, 5] and last["pageInfo"]["hasPreviousPage"] is True

    with pytest.raises(github.GithubException) as e:
        threads(fake, first=101)
    assert e.value.status == 400
    (err,) = e.value.data["errors"]  # type: ignore[index]
    assert "data" not in e.value.data  # type: ignore[operator]
    assert err["type"] == "EXCESSIVE_PAGINATION"
    assert err["path"] == ["repository", "pullRequest", "reviewThreads"]
    assert err["message"] == (
        "Requesting 101 records on the `reviewThreads` connection exceeds the `first` limit of 100 records."
    )
    q = PR_1 % "reviewThreads { totalCount }"
    (missing,) = raw(fake, q)[1]["errors"]
    assert missing["type"] == "MISSING_PAGINATION_BOUNDARIES" and "`first` or `last`" in missing["message"]
    q = PR_1 % 'reviewThreads(first: 1, after: "x") { totalCount }'
    body = raw(fake, q)[1]
    assert body["data"] == {"repository": {"pullRequest": None}}
    assert body["errors"][0]["type"] == "INVALID_CURSOR_ARGUMENTS"


# -- mutations -----------------------------------------------------------------------------------------------
RESOLVE_TWO = """
mutation($a: ID!, $b: ID!) {
  first: resolveReviewThread(input: {threadId: $a}) { thread { id isResolved } }
  second: resolveReviewThread(input: {threadId: $b, clientMutationId: "x"}) { clientMutationId thread { isResolved } }
}
"""


def test_resolve_and_unresolve_threads_with_aliases(fake: FakeGitHub, pr: PullFixture) -> None:
    post_review(fake, pr, [{"path": "app.py", "line": 3, "body": "a"}, {"path": "new.txt", "line": 1, "body": "b"}])
    t1, t2 = (t["id"] for t in threads(fake)["nodes"])
    data = gql(fake, RESOLVE_TWO, a=t1, b=t2)
    assert data == {
        "first": {"thread": {"id": t1, "isResolved": True}},
        "second": {"clientMutationId": "x", "thread": {"isResolved": True}},
    }
    nodes = threads(fake)["nodes"]
    assert [(t["isResolved"], t["resolvedBy"], t["viewerCanResolve"]) for t in nodes] == [
        (True, {"login": "github-actions[bot]"}, False)
    ] * 2
    assert [t.resolved_by for t in fake.threads()] == ["github-actions[bot]"] * 2
    gql(fake, "mutation($a: ID!) { unresolveReviewThread(input: {threadId: $a}) { thread { isResolved } } }", a=t1)
    assert [t.is_resolved for t in fake.threads()] == [False, True]
    assert [op.kind for op in fake.graphql_ops][-2:] == ["query", "mutation"]
    assert fake.graphql_ops[-1].fields == ["unresolveReviewThread"]


def test_a_person_resolving_by_hand_is_seen(fake: FakeGitHub, pr: PullFixture) -> None:
    post_review(fake, pr, [{"path": "app.py", "line": 3, "body": "a"}])
    fake.resolve_thread_as("octocat", fake.review_comments[0]["id"])
    (t,) = threads(fake)["nodes"]
    assert (t["isResolved"], t["resolvedBy"]) == (True, {"login": "octocat"})


def test_minimize_comments_and_reviews(fake: FakeGitHub, pr: PullFixture) -> None:
    review = post_review(fake, pr, [{"path": "app.py", "line": 3, "body": "a"}])
    issue_comment = pygithub(fake).get_repo(fake.full_name).get_pull(1).create_issue_comment("status")
    inline = fake.review_comments[0]["node_id"]
    q = """mutation($a: ID!, $b: ID!, $c: ID!) {
      a: minimizeComment(input: {subjectId: $a, classifier: OUTDATED}) {
        minimizedComment { isMinimized minimizedReason } }
      b: minimizeComment(input: {subjectId: $b, classifier: OFF_TOPIC}) {
        minimizedComment { isMinimized minimizedReason } }
      c: minimizeComment(input: {subjectId: $c, classifier: RESOLVED}) {
        minimizedComment { ... on PullRequestReview { state } } }
    }"""
    data = gql(fake, q, a=inline, b=issue_comment.raw_data["node_id"], c=review.raw_data["node_id"])
    assert data["a"]["minimizedComment"] == {"isMinimized": True, "minimizedReason": "outdated"}
    assert data["b"]["minimizedComment"] == {"isMinimized": True, "minimizedReason": "off-topic"}
    assert data["c"]["minimizedComment"] == {"state": "COMMENTED"}
    assert fake.minimized_reason(fake.review_comments[0]) == "outdated"
    assert fake.minimized_reason(review.raw_data["node_id"]) == "resolved"
    (c,) = threads(fake)["nodes"][0]["comments"]["nodes"]
    assert (c["isMinimized"], c["minimizedReason"]) == (True, "outdated")
    gql(
        fake,
        "mutation($a: ID!) { unminimizeComment(input: {subjectId: $a}) { unminimizedComment { isMinimized } } }",
        a=inline,
    )
    assert fake.minimized_reason(fake.review_comments[0]) is None


def test_unknown_ids_answer_not_found_with_data(fake: FakeGitHub, pr: PullFixture) -> None:
    post_review(fake, pr, [{"path": "app.py", "line": 3, "body": "a"}])
    good = threads(fake)["nodes"][0]["id"]
    q = """mutation($a: ID!, $b: ID!) {
      ok: resolveReviewThread(input: {threadId: $a}) { thread { isResolved } }
      bad: resolveReviewThread(input: {threadId: $b}) { thread { isResolved } }
    }"""
    _, body = raw(fake, q, a=good, b="PRRT_nope")
    assert body == {
        "data": {"ok": {"thread": {"isResolved": True}}, "bad": None},
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["bad"],
                "locations": [{"line": 3, "column": 7}],
                "message": "Could not resolve to a node with the global id of 'PRRT_nope'.",
            }
        ],
    }
    with pytest.raises(github.UnknownObjectException):  # PyGithub: a lone NOT_FOUND is a 404
        gql(fake, 'mutation { resolveReviewThread(input: {threadId: "PRRT_x"}) { thread { id } } }')
    _, body = raw(fake, '{ repository(owner: "acme", name: "widgets") { pullRequest(number: 7) { id } } }')
    assert body["data"] == {"repository": {"pullRequest": None}}
    assert body["errors"][0]["message"] == "Could not resolve to a PullRequest with the number of 7."


def test_read_only_token_reads_but_every_mutation_is_forbidden(fake: FakeGitHub, pr: PullFixture) -> None:
    post_review(fake, pr, [{"path": "app.py", "line": 3, "body": "a"}])
    fake.read_only = True
    (t,) = threads(fake)["nodes"]
    assert t["viewerCanResolve"] is False
    _, body = raw(fake, "mutation($a: ID!) { resolveReviewThread(input: {threadId: $a}) { thread { id } } }", a=t["id"])
    assert body["data"] == {"resolveReviewThread": None}
    (err,) = body["errors"]
    assert (err["type"], err["message"], err["extensions"]) == (
        "FORBIDDEN",
        "Resource not accessible by integration",
        {"saml_failure": False},
    )
    assert fake.resolved_threads == {}


# -- identity -------------------------------------------------------------------------------------------------
def test_viewer_is_the_actions_bot_by_default_and_can_be_a_person(fake: FakeGitHub, pr: PullFixture) -> None:
    assert gql(fake, "{ viewer { login databaseId } }")["viewer"] == {
        "login": "github-actions[bot]",
        "databaseId": 41898282,
    }
    fake.viewer_login = "octocat"  # a personal access token
    assert gql(fake, "{ viewer { login } }")["viewer"] == {"login": "octocat"}
    post_review(fake, pr, [{"path": "app.py", "line": 3, "body": "a"}])
    assert fake.review_comments[0]["user"]["login"] == "octocat" and fake.reviews[0]["user"]["type"] == "User"
    (c,) = threads(fake)["nodes"][0]["comments"]["nodes"]
    assert (c["author"], c["viewerDidAuthor"]) == ({"login": "octocat"}, True)


def test_comments_by_others_forging_markers(fake: FakeGitHub, pr: PullFixture) -> None:
    marker = "<!-- batch-review:review head=x -->"
    fake.add_issue_comment_as("mallory", 1, marker)
    fake.add_review_as("mallory", 1, marker, comments=[{"path": "app.py", "line": 3, "body": marker}])
    fake.add_review_comment_as("renovate[bot]", 1, "new.txt", 2, marker)
    rest = pygithub(fake).get_repo(fake.full_name).get_pull(1)
    assert [c.user.login for c in rest.get_issue_comments()] == ["mallory"]
    assert [(r.user.login, r.body) for r in rest.get_reviews()] == [("mallory", marker), ("renovate[bot]", "")]
    nodes = threads(fake)["nodes"]
    assert [n["comments"]["nodes"][0]["author"]["login"] for n in nodes] == ["mallory", "renovate"]
    assert not any(n["comments"]["nodes"][0]["viewerDidAuthor"] for n in nodes)
    with pytest.raises(ValueError, match="must be part of the diff"):
        fake.add_review_comment_as("mallory", 1, "app.py", 12, "off the diff")


# -- pushes -------------------------------------------------------------------------------------------------
def test_a_push_moves_or_outdates_threads(fake: FakeGitHub, pr: PullFixture) -> None:
    post_review(
        fake, pr, [{"path": "app.py", "line": 3, "body": "on 3"}, {"path": "app.py", "line": 24, "body": "near 25"}]
    )
    on3, near25 = fake.review_comments
    repo = pr.repo
    repo.checkout("feature")
    text = repo.run("show", "HEAD:app.py").decode().splitlines(keepends=True)
    text[2] = "line 3 changed again\n"  # the first comment's line
    text.insert(10, "inserted\n")  # above the second one: it moves down a line
    repo.write("app.py", "".join(text))
    repo.commit("push")
    pushed = fake.add_pull(pull_from_git(repo, "main", "feature"))

    nodes = threads(fake)["nodes"]
    assert [(t["isOutdated"], t["line"], t["originalLine"]) for t in nodes] == [(True, None, 3), (False, 25, 24)]
    rest = {c.id: c for c in pygithub(fake).get_repo(fake.full_name).get_pull(1).get_review_comments()}
    assert (rest[on3["id"]].line, rest[on3["id"]].position, rest[on3["id"]].original_line) == (None, None, 3)
    assert (rest[near25["id"]].line, rest[near25["id"]].commit_id) == (25, pushed.head_sha)
    assert rest[near25["id"]].original_commit_id == pr.head_sha

    # a reply to an outdated thread still lands in it (GitHub allows it; REST does not re-anchor it)
    reply = pygithub(fake).get_repo(fake.full_name).get_pull(1).create_review_comment_reply(on3["id"], "still?")
    (outdated,) = [t for t in fake.threads() if t.outdated]
    assert [c["id"] for c in outdated.comments] == [on3["id"], reply.id]
