"""Talking GraphQL to :class:`tests.fakes.github_api.FakeGitHub` with PyGithub's own GraphQL client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.support.github_client import pygithub

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub
    from tests.support.gitrepo import PullFixture

THREADS = """
query Threads($owner: String!, $name: String!, $number: Int!, $first: Int!, $after: String) {
  viewer { login databaseId }
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          id isResolved isOutdated path line startLine originalLine diffSide viewerCanResolve
          resolvedBy { login }
          comments(first: 50) {
            totalCount
            nodes {
              id databaseId body createdAt isMinimized minimizedReason viewerDidAuthor
              author { login }
              pullRequestReview { databaseId state }
              replyTo { databaseId }
            }
          }
        }
      }
    }
  }
}
"""


PR_1 = '{ repository(owner: "acme", name: "widgets") { pullRequest(number: 1) { %s } } }'


def gql(fake: FakeGitHub, query: str, **variables: Any) -> dict[str, Any]:
    """``data`` of a successful query, through PyGithub (which raises on any ``errors``)."""
    _, body = pygithub(fake).requester.graphql_query(query, variables)
    assert "errors" not in body
    return body["data"]  # type: ignore[no-any-return]


def raw(fake: FakeGitHub, query: str, **variables: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The whole answer, errors included (GitHub sends them with HTTP 200), as PyGithub receives it."""
    gh = pygithub(fake, retry=0)
    body = {"query": query, "variables": variables}
    return gh.requester.requestJsonAndCheck("POST", gh.requester.graphql_url, input=body)  # type: ignore[return-value]


def threads(fake: FakeGitHub, first: int = 100, after: str | None = None) -> dict[str, Any]:
    data = gql(fake, THREADS, owner="acme", name="widgets", number=1, first=first, after=after)
    return data["repository"]["pullRequest"]["reviewThreads"]  # type: ignore[no-any-return]


def post_review(fake: FakeGitHub, pr: PullFixture, comments: list[dict[str, Any]]) -> Any:
    repo = pygithub(fake).get_repo(fake.full_name)
    return repo.get_pull(pr.number).create_review(
        commit=repo.get_commit(pr.head_sha), body="review", event="COMMENT", comments=comments
    )
