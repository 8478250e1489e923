"""Read back what batch-review itself wrote on a pull request: its review threads (GraphQL, with the
token's identity in the same query), its reviews and its status comment (REST). A comment counts only when
the token's identity wrote it (login and account type) and its markers carry batch-review's seal
(memory/seal.py): anything else is never read as state, whatever markers it carries.

Calls: one GraphQL query per 100 review threads, one REST page per 100 reviews, one per 100 issue comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..graphql import graphql
from ..log import log
from ..words import plural
from .identity import Identity, fallback, from_viewer
from .markers import PostedFinding, PullState, own_review_markers, posted_findings, said_fixed
from .seal import Seal

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

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
            nodes { databaseId body author { login __typename } pullRequestReview { databaseId } }
          }
        }
      }
    }
  }
}
"""


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


@dataclass
class OwnReview:
    id: int
    state: str  # COMMENTED, CHANGES_REQUESTED, DISMISSED, …
    findings: list[PostedFinding]


@dataclass
class PullSnapshot:
    """batch-review's own work on one pull request, as GitHub holds it."""

    identity: Identity
    seal: Seal
    threads: list[Thread] = field(default_factory=list)
    reviews: list[OwnReview] = field(default_factory=list)
    state: PullState | None = None
    state_problem: str = ""  # why a state comment that exists could not be read
    status_comment_id: int | None = None
    ignored: int = 0  # comments carrying batch-review markers written by someone else

    def posted(self) -> set[str]:
        """Fingerprints of every finding batch-review posted on this pull request (any commit)."""
        found = {f.fingerprint for t in self.threads for f in t.findings}
        return found | {f.fingerprint for r in self.reviews for f in r.findings}


def read_snapshot(gh: Github, repo: Repository, number: int, seal: Seal) -> PullSnapshot:
    """Raises GitHubError when GraphQL cannot be read (the caller falls back to a full review)."""
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
    snapshot = PullSnapshot(identity or fallback(gh), seal)
    for raw in raw_threads:
        _take_thread(snapshot, raw)
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
    seal = snapshot.seal
    findings = posted_findings(first.get("body"), seal)
    if not _mine(snapshot, first.get("author")) or not findings:
        snapshot.ignored += 1 if posted_findings(first.get("body"), None) else 0
        return
    total = (raw.get("comments") or {}).get("totalCount") or len(comments)
    others = any(not _mine(snapshot, c.get("author")) for c in comments[1:])
    said = {fp for c in comments[1:] if _mine(snapshot, c.get("author")) for fp in said_fixed(c.get("body"), seal)}
    review = first.get("pullRequestReview") or {}
    snapshot.threads.append(Thread(
        id=str(raw.get("id")), resolved=bool(raw.get("isResolved")),
        resolved_by=str((raw.get("resolvedBy") or {}).get("login") or ""),
        comment_id=int(first.get("databaseId") or 0),
        review_id=review.get("databaseId") if isinstance(review.get("databaseId"), int) else None,
        findings=findings, others_replied=others or total > len(comments), said_fixed=said,
    ))


def _mine(snapshot: PullSnapshot, author: Any) -> bool:
    """A GraphQL author (`{login, __typename}`) is the token's identity."""
    author = author if isinstance(author, dict) else {}
    return snapshot.identity.wrote(author.get("login"), author.get("__typename"))


def _rest_mine(snapshot: PullSnapshot, user: Any) -> bool:
    """A REST `user` is the token's identity."""
    return user is not None and snapshot.identity.wrote(user.login, user.type)


def _take_reviews(snapshot: PullSnapshot, reviews: Any) -> None:
    """batch-review's reviews: by its identity, with a sealed review marker no earlier review carried (a later
    review quoting one, seal and all — another workflow under the same identity — is not batch-review's)."""
    seen: set[str] = set()
    for review in reviews:  # oldest first
        body = review.body or ""
        own = own_review_markers(body, snapshot.seal) if _rest_mine(snapshot, review.user) else set()
        if not own or own & seen:
            snapshot.ignored += 1 if "<!-- batch-review:" in body else 0
            continue
        seen |= own
        snapshot.reviews.append(OwnReview(review.id, review.state, posted_findings(body, snapshot.seal)))


def _take_status_comment(snapshot: PullSnapshot, comments: Any) -> None:
    """The status comment: the (first) one the token's identity wrote whose state's seal verifies. One that
    is ours by author but not by seal (edited, forged under the same identity, or sealed with another key)
    is never taken, and its problem is noted; a new status comment is then written, never over it."""
    problem = ""
    for comment in comments:
        body = comment.body or ""
        if "<!-- batch-review:pr-state" not in body:
            continue
        if not _rest_mine(snapshot, comment.user):
            snapshot.ignored += 1
            continue
        try:
            state = PullState.from_text(body, snapshot.seal)
        except ValueError as exc:
            problem = problem or f"batch-review's status comment could not be read ({exc})"
            continue
        snapshot.status_comment_id, snapshot.state = comment.id, state
        return
    snapshot.state_problem = problem
