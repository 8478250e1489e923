"""The fake GitHub's GraphQL endpoint on the wire: blobs, GitHub's error shapes, points and headers, faults,
global ids, every field of the schema subset, and the GHES path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import github
import pytest
from graphql import GraphQLInterfaceType, GraphQLObjectType, get_named_type, is_leaf_type

from tests.fakes.github_api import FakeGitHub
from tests.fakes.github_graphql import schema
from tests.support.github_client import pygithub, sample_pull
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git
from tests.support.graphql_client import PR_1, gql, post_review, raw, threads


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as f:
        yield f
        assert f.server_errors == []


@pytest.fixture
def pr(fake: FakeGitHub, tmp_path: Path) -> PullFixture:
    return fake.add_pull(sample_pull(tmp_path / "repo"))


# -- blobs -------------------------------------------------------------------------------------------------
BLOBS = """query($o: String!, $n: String!) { repository(owner: $o, name: $n) {
  %s
} }"""
BLOB_FIELDS = "... on Blob { oid text isBinary byteSize isTruncated }"


def blobs(fake: FakeGitHub, expressions: list[str]) -> dict[str, Any]:
    fields = "\n".join(
        f"f{i}: object(expression: {e!r}) {{ {BLOB_FIELDS} }}".replace("'", '"') for i, e in enumerate(expressions)
    )
    return gql(fake, BLOBS % fields, o="acme", n="widgets")["repository"]  # type: ignore[no-any-return]


def test_many_blobs_in_one_query(fake: FakeGitHub, pr: PullFixture) -> None:
    head = pr.head_sha
    got = blobs(
        fake, [f"{head}:app.py", f"{head}:blob.bin", f"{head}:nope.txt", f"{pr.base_sha}:gone.txt", "feature:new.txt"]
    )
    app = pr.repo.run("show", f"{head}:app.py").decode()
    assert got["f0"] == {
        "oid": pr.repo.run("rev-parse", f"{head}:app.py").decode().strip(),
        "text": app,
        "isBinary": False,
        "byteSize": len(app),
        "isTruncated": False,
    }
    assert got["f1"]["isBinary"] is True and got["f1"]["text"] is None and got["f1"]["byteSize"] == 3
    assert got["f2"] is None  # a missing path is null, not an error
    assert got["f3"]["text"] == "bye\n" and got["f4"]["text"] == "a\nb\nc\n"
    assert fake.count("POST", "^/graphql$") == 1
    tree = gql(
        fake, BLOBS % f'd: object(expression: "{head}:") {{ __typename ... on Tree {{ oid }} }}', o="acme", n="widgets"
    )
    assert tree["repository"]["d"]["__typename"] == "Tree"


def test_large_blobs_are_truncated(fake: FakeGitHub, tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "big")
    repo.write("README", "x\n")
    repo.commit("base")
    repo.checkout_new_branch("big")
    repo.write("big.txt", "é" * 300_000)  # 600,000 bytes of two-byte characters
    repo.write("small.txt", "hello\n")
    repo.commit("big")
    fake.add_pull(pull_from_git(repo, "main", "big"))
    got = blobs(fake, ["big:big.txt", "big:small.txt"])
    assert got["f0"]["isTruncated"] is True and got["f0"]["byteSize"] == 600_000
    assert got["f0"]["text"] == "é" * 256_000  # GitHub cuts Blob.text at 512,000 bytes
    assert got["f1"]["isTruncated"] is False
    fake.blob_text_limit = 5
    got = blobs(fake, ["big:big.txt"])
    assert got["f0"]["text"] == "éé"  # never half a character


# -- errors, transport ------------------------------------------------------------------------------------
def test_queries_the_real_schema_rejects_get_githubs_shape(fake: FakeGitHub, pr: PullFixture) -> None:
    q = "query Q " + PR_1 % "reviewThreads(first: 1) { nodes { pullRequestReview { databaseId } } }"
    _, body = raw(fake, q)
    assert body == {
        "errors": [
            {
                "path": ["query Q", "repository", "pullRequest", "reviewThreads", "nodes", "pullRequestReview"],
                "extensions": {
                    "code": "undefinedField",
                    "typeName": "PullRequestReviewThread",
                    "fieldName": "pullRequestReview",
                },
                "locations": [{"line": 1, "column": q.index("pullRequestReview") + 1}],
                "message": "Field 'pullRequestReview' doesn't exist on type 'PullRequestReviewThread'",
            }
        ]
    }
    with pytest.raises(github.GithubException) as e:
        gql(fake, q)
    assert e.value.status == 400
    _, body = raw(fake, "{ viewer { login } }}")
    assert body == {
        "errors": [{"message": 'Parse error on "}" (RCURLY) at [1, 21]', "locations": [{"line": 1, "column": 21}]}]
    }
    _, body = raw(
        fake,
        'query($n: Int!) { repository(owner: "acme", name: "widgets") { pullRequest(number: $n) { id } } }',
        n="1x",
    )
    (err,) = body["errors"]
    assert err["message"] == "Variable $n of type Int! was provided invalid value"
    assert err["extensions"]["problems"] == [{"path": [], "explanation": 'Could not coerce value "1x" to Int'}]
    _, body = raw(fake, '{ repository(owner: "acme") { id } }')
    assert body["errors"][0]["message"] == "Field 'repository' is missing required arguments: name"
    assert [op.errors for op in fake.graphql_ops][-1] == ["Field 'repository' is missing required arguments: name"]


def test_rate_limit_points_cost_and_headers(fake: FakeGitHub, pr: PullFixture) -> None:
    q = """{ repository(owner: "acme", name: "widgets") { pullRequest(number: 1) {
      reviewThreads(first: 100) { nodes { comments(first: 100) { totalCount } } }
      reviews(first: 100) { nodes { comments(first: 100) { totalCount } } } } }
      rateLimit { cost limit remaining used resetAt } }"""
    headers, body = pygithub(fake).requester.graphql_query(q, {})
    assert body["data"]["rateLimit"]["cost"] == 2  # (1 + 100 + 1 + 100) requests / 100, as GitHub counts
    assert body["data"]["rateLimit"]["remaining"] == 998 and body["data"]["rateLimit"]["limit"] == 1000
    assert headers["x-ratelimit-resource"] == "graphql" and headers["x-ratelimit-remaining"] == "998"
    assert fake.rate_remaining == fake.rate_limit  # the REST budget is another one
    fake.graphql_rate_remaining = 0
    _, body = raw(fake, "{ viewer { login } }")
    assert body == {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for installation ID 1."}]}


def test_faults_calls_and_node_lookup(fake: FakeGitHub, pr: PullFixture) -> None:
    post_review(fake, pr, [{"path": "app.py", "line": 3, "body": "a"}])
    fake.inject("POST", r"^/graphql$", 502)
    with pytest.raises(github.GithubException) as e:
        pygithub(fake, retry=0).requester.graphql_query("{ viewer { login } }", {})
    assert e.value.status == 502
    thread_id = threads(fake)["nodes"][0]["id"]  # the default retry would have passed a 502; none is left
    node = gql(
        fake, "query($i: ID!) { node(id: $i) { __typename ... on PullRequestReviewThread { path } } }", i=thread_id
    )
    assert node == {"node": {"__typename": "PullRequestReviewThread", "path": "app.py"}}
    assert fake.count("POST", r"^/graphql$") == 3 and [c.status for c in fake.calls if c.path == "/graphql"] == [
        502,
        200,
        200,
    ]
    assert [(op.kind, op.name) for op in fake.graphql_ops] == [("query", "Threads"), ("query", None)]


def test_global_ids_are_the_rest_node_ids(fake: FakeGitHub, pr: PullFixture) -> None:
    review = post_review(fake, pr, [{"path": "app.py", "line": 3, "body": "a"}])
    pull = pygithub(fake).get_repo(fake.full_name).get_pull(1)
    q = """query($p: ID!, $r: ID!, $c: ID!) { nodes(ids: [$p, $r, $c]) {
      __typename ... on PullRequest { number } ... on PullRequestReview { databaseId }
      ... on PullRequestReviewComment { databaseId } } }"""
    ids = {"p": pull.raw_data["node_id"], "r": review.raw_data["node_id"], "c": fake.review_comments[0]["node_id"]}
    assert ids["p"].startswith("PR_") and ids["r"].startswith("PRR_") and ids["c"].startswith("PRRC_")
    assert gql(fake, q, **ids)["nodes"] == [
        {"__typename": "PullRequest", "number": 1},
        {"__typename": "PullRequestReview", "databaseId": review.id},
        {"__typename": "PullRequestReviewComment", "databaseId": fake.review_comments[0]["id"]},
    ]


def select_all(t: Any, seen: frozenset[str], args: dict[str, str], alias: str = "") -> str:
    """A selection of every field of ``t`` (fragments for each type of an interface, their fields aliased
    apart), each type once a path."""
    if isinstance(t, GraphQLInterfaceType):
        kinds = [k for k in schema().get_possible_types(t) if k.name not in seen]
        return "__typename " + " ".join(f"... on {k.name} {{ {select_all(k, seen, args, k.name)} }}" for k in kinds)
    parts = ["__typename"]
    for name, f in t.fields.items():
        inner = get_named_type(f.type)
        given = [f"{a}: {args[a]}" for a in f.args if a in args]
        call = (f"{alias}_{name}: " if alias else "") + (f"{name}({', '.join(given)})" if given else name)
        if is_leaf_type(inner):
            parts.append(call)
        elif inner.name not in seen:
            parts.append(f"{call} {{ {select_all(inner, seen | {inner.name}, args)} }}")
    return " ".join(parts)


def test_every_field_of_the_schema_subset_resolves(fake: FakeGitHub, pr: PullFixture) -> None:
    """Each field kept from GitHub's schema has a resolver that answers with the right type."""
    post_review(fake, pr, [{"path": "app.py", "line": 3, "body": "a"}])
    fake.reply_as("octocat", fake.review_comments[0]["id"], "b")
    fake.add_issue_comment_as("octocat", 1, "c")
    fake.resolve_thread_as("octocat", fake.review_comments[0]["id"])
    args = {
        "owner": '"acme"',
        "name": '"widgets"',
        "number": "1",
        "expression": f'"{pr.head_sha}:app.py"',
        "first": "5",
    }
    s = schema()
    roots = {k: v for k, v in s.query_type.fields.items() if k not in ("node", "nodes")}  # Node: every type
    query = select_all(GraphQLObjectType("Query", roots), frozenset({"Query"}), args)
    data = gql(fake, "{" + query.removeprefix("__typename") + "}")
    thread = data["repository"]["pullRequest"]["reviewThreads"]["nodes"][0]
    assert thread["comments"]["totalCount"] == 2 and thread["resolvedBy"]["login"] == "octocat"
    assert data["repository"]["object"]["__typename"] == "Blob"
    for field_name, arg in (
        ("resolveReviewThread", thread["id"]),
        ("minimizeComment", thread["comments"]["nodes"][0]["id"]),
    ):
        mutation_type = s.mutation_type
        assert mutation_type is not None
        payload = get_named_type(mutation_type.fields[field_name].type)
        input_ = (
            f'{{threadId: "{arg}"}}'
            if field_name == "resolveReviewThread"
            else f'{{subjectId: "{arg}", classifier: SPAM}}'
        )
        fields = select_all(payload, frozenset({payload.name, "Repository", "PullRequest"}), args)  # done above
        assert gql(fake, f"mutation {{ {field_name}(input: {input_}) {{ {fields} }} }}")[field_name]


def test_ghes_graphql_lives_outside_the_rest_prefix(tmp_path: Path) -> None:
    with FakeGitHub(prefix="/api/v3") as fake:
        fake.add_pull(sample_pull(tmp_path / "repo"))
        gh = pygithub(fake)
        assert gh.requester.graphql_url == fake.graphql_url == f"{fake.host_url}/api/graphql"
        assert gql(fake, "{ viewer { login } }") == {"viewer": {"login": "github-actions[bot]"}}
        assert fake.calls[-1].path == "/graphql"
        with pytest.raises(github.GithubException) as e:
            gh.requester.requestJsonAndCheck(
                "POST", f"{fake.base_url}/graphql", input={"query": "{ viewer { login } }"}
            )
        assert e.value.status == 404
        assert fake.server_errors == []
