"""Read back what batch-review itself wrote on a pull request: its review threads (GraphQL, with the
token's identity in the same query), its reviews and its status comment (REST). A comment counts only when
the token's identity wrote it (login and account type) and its markers carry batch-review's seal
(memory/seal.py): anything else is never read as state, whatever markers it carries.

Calls: one REST page per 100 issue comments (read first, and once: the run's claim on the pull request is
decided from the same listing, memory/lock.py), one GraphQL query per 100 review threads (the token's identity
comes with the first), one REST page per 100 reviews.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import GitHubError
from ..graphql import graphql
from ..log import log
from ..words import plural
from .claim import STATUS_MARKER, Claim, is_status, read_claim
from .identity import ACTIONS_BOT, Identity, fallback, from_viewer
from .markers import PostedFinding, PullState, own_review_markers, own_state_parts, posted_findings, said_fixed
from .seal import Seal
from .walkthrough import Walkthrough

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
    memory: PullState | None = None  # what the run that posted it reviewed (its state marker), when readable


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
    status_text: str = ""  # the status comment's body, as read
    ignored: int = 0  # comments carrying batch-review markers written by someone else
    walkthrough: Walkthrough | None = None  # the files' summaries the status comment carries
    status_more_ids: list[int] = field(default_factory=list)  # comments holding further parts of the state
    stale_status_ids: list[int] = field(default_factory=list)  # status comments left by a race to create one
    claim: Claim | None = None  # the latest claim on the pull request (memory/claim.py)

    def posted(self) -> set[str]:
        """Fingerprints of every finding batch-review posted on this pull request (any commit)."""
        found = {f.fingerprint for t in self.threads for f in t.findings}
        return found | {f.fingerprint for r in self.reviews for f in r.findings}


# given the issue comments as first listed and the token's identity (the claim on the pull request is decided
# from them, memory/lock.py; the REST memory keeps them when GraphQL cannot be read)
Listed = Callable[[list[Any], Identity], None]


def read_snapshot(gh: Github, repo: Repository, number: int, seal: Seal, listed: Listed | None = None) -> PullSnapshot:
    """Raises GitHubError when GraphQL cannot be read (the caller falls back to a full review).

    The issue comments are listed first: a run that finished before that listing is in the threads and reviews
    read after it, and one still at work left its claim not done there (memory/lock.py). `listed` is called with
    that listing and the token's identity once it is known (the GraphQL `viewer`; when GraphQL cannot be read,
    `identity.fallback`), before the reviews are read; it may raise Superseded."""
    comments = list(repo.get_issue(number).get_comments())
    try:
        snapshot = read_threads(gh, repo, number, seal)
    except GitHubError:
        if listed is not None:
            listed(comments, fallback(gh))
        raise
    if listed is not None:
        listed(comments, snapshot.identity)
    return read_rest(snapshot, repo, number, comments)


def read_threads(gh: Github, repo: Repository, number: int, seal: Seal) -> PullSnapshot:
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
    snapshot = PullSnapshot(identity or fallback(gh), seal)
    for raw in raw_threads:
        _take_thread(snapshot, raw)
    return snapshot


def read_posted(gh: Github, repo: Repository, number: int, seal: Seal) -> set[str]:
    """Fingerprints of every finding batch-review posted on the pull request: its threads and reviews alone (what
    a run reads again before posting when another run was at work). Raises GitHubError as `read_threads`."""
    snapshot = read_threads(gh, repo, number, seal)
    _take_reviews(snapshot, repo.get_pull(number).get_reviews())
    return snapshot.posted()


def read_rest(snapshot: PullSnapshot, repo: Repository, number: int, comments: list[Any] | None = None) -> PullSnapshot:
    """The rest of the snapshot: batch-review's reviews and its status comment (REST; `comments`: the issue
    comments, when they were listed already)."""
    _take_reviews(snapshot, repo.get_pull(number).get_reviews())  # lazy objects: one GET a page each
    _take_status_comment(snapshot, repo.get_issue(number).get_comments() if comments is None else comments)
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
        comments=[_comment(snapshot, c) for c in comments],
    ))


def _comment(snapshot: PullSnapshot, raw: dict[str, Any]) -> ThreadComment:
    login = str((raw.get("author") or {}).get("login") or "")
    return ThreadComment(int(raw.get("databaseId") or 0), login, str(raw.get("body") or ""),
                         _mine(snapshot, raw.get("author")))


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
        try:
            memory = PullState.from_text(body, snapshot.seal)
        except ValueError:  # an unreadable note costs a re-review of its files, never a wrong skip
            memory = None
        snapshot.reviews.append(OwnReview(review.id, review.state, posted_findings(body, snapshot.seal), memory))


def _take_status_comment(snapshot: PullSnapshot, comments: Any) -> None:
    """The status comment (memory/claim.py `find_status`), its state (its parts, when it spilled) and walkthrough.
    One that is ours by author but not by seal (edited, forged under the same identity, or sealed with another
    key) is never taken, and its problem is noted; a new status comment is then written, never over it."""
    found = find_status(list(comments), snapshot.identity, snapshot.seal)
    snapshot.ignored += found.foreign
    snapshot.status_more_ids, snapshot.stale_status_ids = found.more_ids, found.stale_ids
    snapshot.claim = found.claim
    if found.comment is None:
        snapshot.state_problem = found.problem
        return
    body = found.comment.body or ""
    snapshot.status_comment_id, snapshot.state, snapshot.state_problem = found.comment.id, found.state, found.problem
    snapshot.status_text, snapshot.walkthrough = body, Walkthrough.from_text(body, snapshot.seal)


@dataclass
class StatusFound:
    """batch-review's status comment among a pull request's comments, as `find_status` read it."""

    comment: Any = None  # the status comment (PyGithub IssueComment), None when there is none that verifies
    state: PullState | None = None
    problem: str = ""  # why a state that exists could not be read
    claim: Claim | None = None  # the latest sealed claim on the pull request
    more_ids: list[int] = field(default_factory=list)  # batch-review's comments holding further parts of a state
    stale_ids: list[int] = field(default_factory=list)  # other sealed status comments (two runs raced to create one)
    foreign: int = 0  # comments with status markers that the token's identity did not write


def find_status(comments: list[Any], identity: Identity, seal: Seal) -> StatusFound:
    """Of the comments the token's identity wrote with a sealed claim or state, the status comment is the one that
    carries the latest claim (then the newest): two runs that raced to create one leave the loser's behind, which
    the next status write deletes. A state cut into parts is read from the other comments holding its parts."""
    out = StatusFound()
    mine = []
    for comment in comments:
        body = comment.body or ""
        if not is_status(body, seal) and not own_state_parts(body, None):
            continue
        if comment.user is None or not identity.wrote(comment.user.login, comment.user.type):
            out.foreign += 1
            continue
        mine.append(comment)
    more = [c for c in mine if STATUS_MARKER not in (c.body or "") and own_state_parts(c.body, seal)]
    out.more_ids = [c.id for c in more]
    ranked = []
    for comment in mine:
        body = comment.body or ""
        if comment in more:
            continue
        claim = read_claim(body, seal)
        try:
            state = PullState.from_text(body, seal) or PullState.from_parts(body, [c.body or "" for c in more], seal)
        except ValueError as exc:
            if not own_state_parts(body, seal):  # its own seal fails: never taken, never written over
                out.problem = out.problem or f"batch-review's status comment could not be read ({exc})"
                continue
            state, problem = None, f"batch-review's state could not be read whole ({exc})"
        else:
            problem = ""
        if state is None and claim is None and not problem:
            continue  # nothing sealed in it: not batch-review's to trust
        ranked.append(((claim.order if claim else (-1, -1)), comment.id, comment, state, claim, problem))
    if not ranked:
        return out
    ranked.sort(key=lambda r: (r[0], r[1]))
    _, _, out.comment, out.state, out.claim, problem = ranked[-1]
    out.problem = problem or (out.problem if out.state is None else "")  # a claim alone says nothing of a state
    out.stale_ids = [r[1] for r in ranked[:-1]]
    claims = [r[4] for r in ranked if r[4] is not None]
    out.claim = max(claims, key=lambda c: c.order) if claims else None
    return out


@dataclass
class RestMemory:
    """What the REST API alone says when GraphQL could not be read: the findings in comments the token's
    identity wrote. When that identity could only be assumed (an App's installation token cannot read
    `GET /user`), markers written by anyone else may be its own: they are `unsure`, never posted again blindly."""

    identity: Identity
    posted: set[str] = field(default_factory=set)
    unsure: set[str] = field(default_factory=set)
    status_comment_id: int | None = None
    status_more_ids: list[int] = field(default_factory=list)  # comments holding further parts of the state
    foreign_status: bool = False  # a status comment exists that the assumed identity did not write

    @property
    def assumed(self) -> bool:
        return self.identity.how == "assumed"


def read_without_graphql(gh: Github, pull: Any, issue: Any, seal: Seal,
                         listed: tuple[list[Any], Identity] | None = None) -> RestMemory:
    """Reviews, review comments and issue comments through REST (one page per 100 of each; `listed`: the issue
    comments and the token's identity as `read_snapshot` found them, not asked for again)."""
    comments, identity = listed if listed is not None else (None, None)
    found = RestMemory(identity or fallback(gh))
    me = found.identity
    for item in [*pull.get_reviews(), *pull.get_review_comments()]:
        fps = {f.fingerprint for f in posted_findings(item.body, seal)}
        if item.user is not None and me.wrote(item.user.login, item.user.type):
            found.posted |= fps
        elif found.assumed:
            found.unsure |= fps
    status = find_status(list(issue.get_comments()) if comments is None else comments, me, seal)
    if status.comment is not None:  # never one whose seal fails: that is not written over
        found.status_comment_id, found.status_more_ids = status.comment.id, status.more_ids
    found.foreign_status = found.assumed and status.foreign > 0
    found.unsure -= found.posted
    if found.assumed and (found.unsure or found.foreign_status):
        log.info(f"the token's identity is unknown (assumed {ACTIONS_BOT}): batch-review markers written by "
                 "another author may be its own")
    return found
