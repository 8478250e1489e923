"""Read back what batch-review itself wrote on a pull request: its review threads (GraphQL, with the
token's identity in the same query), its reviews and its status comment (REST). Comments written by
anyone else are never read as state, whatever markers they carry.

Calls: one GraphQL query per 100 review threads, one REST page per 100 reviews, one per 100 issue comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..graphql import graphql
from ..log import log
from ..words import plural
from .identity import Identity, fallback, from_viewer
from .markers import PostedFinding, PullState, posted_findings

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

FIXED_REPLY = "<!-- batch-review:fixed fp={fp} -->"
THREADS_QUERY = """
query($owner: String!, $name: String!, $number: Int!, $after: String) {
  viewer { login }
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id isResolved path
          resolvedBy { login }
          comments(first: 50) {
            totalCount
            nodes { databaseId body author { login } pullRequestReview { databaseId } }
          }
        }
      }
    }
  }
}
"""


@dataclass(frozen=True)
class ThreadComment:
    """One comment of a thread, as read (the first 50 of a thread)."""

    id: int  # REST id
    login: str
    body: str
    mine: bool  # written by the token's identity


@dataclass
class Thread:
    """A review thread whose first comment batch-review wrote."""

    id: str
    resolved: bool
    resolved_by: str  # login, "" when unknown or unresolved
    comment_id: int  # the first comment's REST id
    review_id: int | None
    findings: list[PostedFinding]
    others_replied: bool  # someone other than batch-review wrote in the thread
    said_fixed: set[str] = field(default_factory=set)  # fingerprints batch-review already replied "fixed" to
    comments: list[ThreadComment] = field(default_factory=list)  # the thread so far, oldest first


@dataclass
class OwnReview:
    id: int
    state: str  # COMMENTED, CHANGES_REQUESTED, DISMISSED, …
    findings: list[PostedFinding]


@dataclass
class PullSnapshot:
    """batch-review's own work on one pull request, as GitHub holds it."""

    identity: Identity
    threads: list[Thread] = field(default_factory=list)
    reviews: list[OwnReview] = field(default_factory=list)
    state: PullState | None = None
    state_problem: str = ""  # why a state comment that exists could not be read
    status_comment_id: int | None = None
    status_text: str = ""  # the status comment's body, as read
    ignored: int = 0  # comments carrying batch-review markers written by someone else

    def posted(self) -> set[str]:
        """Fingerprints of every finding batch-review posted on this pull request (any commit)."""
        found = {f.fingerprint for t in self.threads for f in t.findings}
        return found | {f.fingerprint for r in self.reviews for f in r.findings}


def read_snapshot(gh: Github, repo: Repository, number: int) -> PullSnapshot:
    """Raises GitHubError when GraphQL cannot be read (the caller falls back to a full review)."""
    return read_rest(read_threads(gh, repo, number), repo, number)


def read_threads(gh: Github, repo: Repository, number: int) -> PullSnapshot:
    """Only batch-review's review threads and the token's identity (GraphQL; a conversation needs no more until
    it dismisses a finding). Raises GitHubError when GraphQL cannot be read."""
    owner, _, name = repo.full_name.partition("/")
    raw_threads: list[dict[str, Any]] = []
    identity: Identity | None = None
    after: str | None = None
    while True:
        data = graphql(gh, THREADS_QUERY, {"owner": owner, "name": name, "number": number, "after": after},
                       what=f"read the review threads of pull request #{number}")
        identity = identity or from_viewer(data)
        pr = ((data.get("repository") or {}).get("pullRequest") or {})
        connection = pr.get("reviewThreads") or {}
        raw_threads += [t for t in connection.get("nodes") or [] if isinstance(t, dict)]
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            break
        after = page.get("endCursor")
    snapshot = PullSnapshot(identity or fallback(gh))
    for raw in raw_threads:
        _take_thread(snapshot, raw)
    return snapshot


def read_rest(snapshot: PullSnapshot, repo: Repository, number: int) -> PullSnapshot:
    """The rest of the snapshot: batch-review's reviews and its status comment (REST)."""
    _take_reviews(snapshot, repo.get_pull(number).get_reviews())  # lazy objects: one GET a page each
    _take_status_comment(snapshot, repo.get_issue(number).get_comments())
    if snapshot.ignored:
        log.info(f"ignored: {plural(snapshot.ignored, 'comment')} with batch-review markers, not written by "
                 f"{snapshot.identity.login}")
    return snapshot


def _take_thread(snapshot: PullSnapshot, raw: dict[str, Any]) -> None:
    comments = [c for c in ((raw.get("comments") or {}).get("nodes") or []) if isinstance(c, dict)]
    if not comments:
        return
    first = comments[0]
    author = (first.get("author") or {}).get("login")
    findings = posted_findings(first.get("body"))
    if not snapshot.identity.wrote(author):
        snapshot.ignored += 1 if findings else 0
        return
    if not findings:
        return
    total = (raw.get("comments") or {}).get("totalCount") or len(comments)
    others = any(not snapshot.identity.wrote((c.get("author") or {}).get("login")) for c in comments[1:])
    said = {
        f.fingerprint for c in comments[1:] if snapshot.identity.wrote((c.get("author") or {}).get("login"))
        for f in findings if FIXED_REPLY.format(fp=f.fingerprint) in (c.get("body") or "")
    }
    review = first.get("pullRequestReview") or {}
    snapshot.threads.append(Thread(
        id=str(raw.get("id")), resolved=bool(raw.get("isResolved")),
        resolved_by=str((raw.get("resolvedBy") or {}).get("login") or ""),
        comment_id=int(first.get("databaseId") or 0),
        review_id=review.get("databaseId") if isinstance(review.get("databaseId"), int) else None,
        findings=findings, others_replied=others or total > len(comments), said_fixed=said,
        comments=[_comment(snapshot, c) for c in comments],
    ))


def _comment(snapshot: PullSnapshot, raw: dict[str, Any]) -> ThreadComment:
    login = str((raw.get("author") or {}).get("login") or "")
    return ThreadComment(int(raw.get("databaseId") or 0), login, str(raw.get("body") or ""),
                         snapshot.identity.wrote(login))


def _take_reviews(snapshot: PullSnapshot, reviews: Any) -> None:
    for review in reviews:
        login = review.user.login if review.user is not None else None
        findings = posted_findings(review.body)
        if not snapshot.identity.wrote(login):
            snapshot.ignored += 1 if findings else 0
            continue
        if "<!-- batch-review:review" in (review.body or "") or findings:
            snapshot.reviews.append(OwnReview(review.id, review.state, findings))


def _take_status_comment(snapshot: PullSnapshot, comments: Any) -> None:
    for comment in comments:
        body = comment.body or ""
        if "<!-- batch-review:pr-state" not in body:
            continue
        if not snapshot.identity.wrote(comment.user.login if comment.user is not None else None):
            snapshot.ignored += 1
            continue
        snapshot.status_comment_id, snapshot.status_text = comment.id, body
        try:
            snapshot.state = PullState.from_text(body)
        except ValueError as exc:
            snapshot.state_problem = f"batch-review's status comment could not be read ({exc})"
        return
