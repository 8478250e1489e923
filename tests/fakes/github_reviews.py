"""Routes: pull request reviews and review comments, with GitHub's all-or-nothing validation."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.fakes import github_json as J
from tests.fakes.github_diffmap import DiffLine, DiffMap, side_and_line
from tests.fakes.github_pulls import get_pr
from tests.fakes.github_server import HttpError, Request, Response, fail, not_found, paginate, route

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub
    from tests.support.gitrepo import PullFixture

REVIEW_DOC = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
COMMENT_DOC = "https://docs.github.com/rest/pulls/comments#create-a-review-comment-for-a-pull-request"
MSG_LINE = (
    "Pull request review thread line must be part of the diff and Pull request review thread diff hunk can't be blank"
)
MSG_PATH = "Pull request review thread path is invalid and Pull request review thread diff hunk can't be blank"
MSG_HUNK = "Pull request review thread start line must be part of the same hunk as the line."
MSG_PRECEDE = "Pull request review thread start line must precede the end line."
MSG_APPROVE = "GitHub Actions is not permitted to approve pull requests."
MSG_PENDING = "User can only have one pending review per pull request"
MSG_TOO_LONG = "Body is too long (maximum is 65536 characters)"
MAX_BODY = 65536
STATES = {"COMMENT": "COMMENTED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "APPROVE": "APPROVED"}
# which field the single-comment endpoint names for each failure
FIELDS = {
    MSG_LINE: ("line", "could not be resolved"),
    MSG_PATH: ("path", "could not be resolved"),
    MSG_HUNK: ("start_line", "must be part of the same hunk as the line."),
    MSG_PRECEDE: ("start_line", "must precede the end line."),
}


class CommentError(Exception):
    pass


@dataclass
class Anchor:
    path: str
    side: str | None
    line: int | None
    start_side: str | None
    start_line: int | None
    end: DiffLine | None
    dmap: DiffMap | None


@functools.lru_cache(maxsize=4096)
def diffmap(patch: str) -> DiffMap:
    return DiffMap(patch)


def unprocessable(message: str, doc: str = REVIEW_DOC) -> HttpError:
    return fail(422, "Unprocessable Entity", [message], doc=doc)


def anchor(pr: PullFixture, c: dict[str, Any]) -> Anchor:
    """Where comment ``c`` lands in ``pr``'s diff; :class:`CommentError` (a GitHub message) if nowhere."""
    path = c.get("path")
    rec = next((f for f in pr.files if f["filename"] == path), None)
    if rec is None or not isinstance(path, str):
        raise CommentError(MSG_PATH)
    if c.get("subject_type") == "file":
        return Anchor(path, None, None, None, None, None, None)
    patch = rec.get("patch")
    if not isinstance(patch, str):
        raise CommentError(MSG_LINE)  # no patch (binary, too large): no line comments
    dm = diffmap(patch)
    if c.get("line") is not None:
        side = c.get("side") or "RIGHT"
        end = dm.locate(side, int(c["line"]))
        if end is None:
            raise CommentError(MSG_LINE)
        line = int(c["line"])
    elif c.get("position") is not None:
        found = dm.at_position(int(c["position"]))
        if found is None:
            raise CommentError(MSG_LINE)
        end = found
        side, line = side_and_line(end)
    else:
        raise CommentError(MSG_LINE)
    start_line, start_side = c.get("start_line"), None
    if start_line is not None:
        if c.get("line") is None:
            raise CommentError(MSG_LINE)
        start_side = c.get("start_side") or side
        start = dm.locate(start_side, int(start_line))
        if start is None or start.hunk != end.hunk:
            raise CommentError(MSG_HUNK)
        if start.position >= end.position:
            raise CommentError(MSG_PRECEDE)
    return Anchor(path, side, line, start_side, start_line, end, dm)


def check_commit(pr: PullFixture, commit_id: str) -> bool:
    return commit_id in {pr.head_sha, pr.base_sha, pr.merge_base_sha, *pr.commits}


def comment_json(
    fake: FakeGitHub,
    pr: PullFixture,
    review_id: int,
    commit_id: str,
    a: Anchor,
    body: str,
    in_reply_to: int | None = None,
) -> dict[str, Any]:
    ident = fake.next_id("review_comment")
    api = f"{fake.repo_api}/pulls/comments/{ident}"
    html = f"{fake.repo_web}/pull/{pr.number}#discussion_r{ident}"
    pr_api = f"{fake.repo_api}/pulls/{pr.number}"
    ts = J.now()
    out: dict[str, Any] = {
        "url": api,
        "pull_request_review_id": review_id,
        "id": ident,
        "node_id": J.node_id("PullRequestReviewComment", ident),
        "diff_hunk": a.dmap.hunk_text(a.end) if a.dmap and a.end else "",
        "path": a.path,
        "position": a.end.position if a.end else None,
        "original_position": a.end.position if a.end else None,
        "commit_id": commit_id,
        "original_commit_id": commit_id,
        "user": J.bot(fake),
        "body": body,
        "created_at": ts,
        "updated_at": ts,
        "html_url": html,
        "pull_request_url": pr_api,
        "author_association": "NONE",
        "_links": {"self": {"href": api}, "html": {"href": html}, "pull_request": {"href": pr_api}},
        "start_line": a.start_line,
        "original_start_line": a.start_line,
        "start_side": a.start_side,
        "line": a.line,
        "original_line": a.line,
        "side": a.side,
        "subject_type": "file" if a.end is None else "line",
    }
    if in_reply_to is not None:
        out["in_reply_to_id"] = in_reply_to
    return out


THREAD_FIELDS = (
    "diff_hunk", "path", "position", "original_position", "commit_id", "original_commit_id", "start_line",
    "original_start_line", "start_side", "line", "original_line", "side", "subject_type",
)  # fmt: skip


def reply_json(fake: FakeGitHub, pr: PullFixture, review_id: int, parent: dict[str, Any], body: str) -> dict[str, Any]:
    """A reply sits where its thread sits, even when a push made the thread outdated."""
    nowhere = Anchor(parent["path"], None, None, None, None, None, None)  # the thread's fields are copied below
    out = comment_json(fake, pr, review_id, parent["commit_id"], nowhere, body, parent["id"])
    out.update({k: parent[k] for k in THREAD_FIELDS})
    if parent["id"] in fake.outdated_comments:
        fake.outdated_comments.add(out["id"])
    return out


def get_review(fake: FakeGitHub, number: str, review_id: str) -> dict[str, Any]:
    for r in fake.reviews_for(int(number)):
        if r["id"] == int(review_id):
            return r
    raise not_found()


def _require_body(event: str | None, body: str) -> None:
    if len(body) > MAX_BODY:
        raise unprocessable(MSG_TOO_LONG)
    if event in ("COMMENT", "REQUEST_CHANGES") and not body.strip():
        raise unprocessable(f"Review body is required for {event}")


@route("GET", r"{repo}/pulls/(?P<number>\d+)/reviews")
def list_reviews(fake: FakeGitHub, req: Request, number: str) -> Any:
    get_pr(fake, number)
    return paginate(fake, req, fake.reviews_for(int(number)))


@route("POST", r"{repo}/pulls/(?P<number>\d+)/reviews")
def create_review(fake: FakeGitHub, req: Request, number: str) -> Any:
    pr = get_pr(fake, number)
    data = req.json or {}
    event, body = data.get("event"), data.get("body") or ""
    commit_id = data.get("commit_id") or pr.head_sha
    if event == "APPROVE":
        raise unprocessable(MSG_APPROVE)
    _require_body(event, body)
    if not check_commit(pr, commit_id):
        raise unprocessable("end_commit_oid is not part of the pull request")
    if event is None and any(r["state"] == "PENDING" for r in fake.reviews_for(pr.number)):
        raise unprocessable(MSG_PENDING)
    anchors = []
    for c in data.get("comments") or []:
        if len(c.get("body") or "") > MAX_BODY:
            raise unprocessable(MSG_TOO_LONG)
        try:
            anchors.append((anchor(pr, c), c.get("body") or ""))
        except CommentError as e:
            raise unprocessable(str(e)) from None
    state = STATES[event] if event else "PENDING"
    review = J.review(fake, pr.number, fake.next_id("review"), body=body, state=state, commit_id=commit_id)
    fake.reviews.append(review)
    for a, text in anchors:
        fake.review_comments.append(comment_json(fake, pr, review["id"], commit_id, a, text))
    return review


@route("GET", r"{repo}/pulls/(?P<number>\d+)/reviews/(?P<review_id>\d+)")
def show_review(fake: FakeGitHub, req: Request, number: str, review_id: str) -> Any:
    return get_review(fake, number, review_id)


@route("PUT", r"{repo}/pulls/(?P<number>\d+)/reviews/(?P<review_id>\d+)")
def update_review(fake: FakeGitHub, req: Request, number: str, review_id: str) -> Any:
    review = get_review(fake, number, review_id)
    body = (req.json or {}).get("body") or ""
    if len(body) > MAX_BODY:
        raise unprocessable(MSG_TOO_LONG)
    review["body"] = body
    return review


@route("DELETE", r"{repo}/pulls/(?P<number>\d+)/reviews/(?P<review_id>\d+)")
def delete_review(fake: FakeGitHub, req: Request, number: str, review_id: str) -> Any:
    review = get_review(fake, number, review_id)
    if review["state"] != "PENDING":
        raise unprocessable("Can not delete a non-pending pull request review")
    fake.reviews.remove(review)
    fake.review_comments[:] = [c for c in fake.review_comments if c["pull_request_review_id"] != review["id"]]
    return review


@route("POST", r"{repo}/pulls/(?P<number>\d+)/reviews/(?P<review_id>\d+)/events")
def submit_review(fake: FakeGitHub, req: Request, number: str, review_id: str) -> Any:
    review = get_review(fake, number, review_id)
    data = req.json or {}
    event = data.get("event")
    if review["state"] != "PENDING":
        raise unprocessable("Can not submit a non-pending pull request review")
    if event == "APPROVE":
        raise unprocessable(MSG_APPROVE)
    body = data.get("body") or review["body"] or ""
    _require_body(event, body)
    review.update(body=body, state=STATES[event], submitted_at=J.now())
    return review


@route("PUT", r"{repo}/pulls/(?P<number>\d+)/reviews/(?P<review_id>\d+)/dismissals")
def dismiss_review(fake: FakeGitHub, req: Request, number: str, review_id: str) -> Any:
    review = get_review(fake, number, review_id)
    if review["state"] == "PENDING":
        raise unprocessable("Can not dismiss a pending pull request review")
    review["state"] = "DISMISSED"
    return review


def visible_comments(fake: FakeGitHub, number: int) -> list[dict[str, Any]]:
    pending = {r["id"] for r in fake.reviews if r["state"] == "PENDING"}
    url = f"{fake.repo_api}/pulls/{number}"
    return [
        c for c in fake.review_comments if c["pull_request_url"] == url and c["pull_request_review_id"] not in pending
    ]


@route("GET", r"{repo}/pulls/(?P<number>\d+)/reviews/(?P<review_id>\d+)/comments")
def list_review_comments_of_review(fake: FakeGitHub, req: Request, number: str, review_id: str) -> Any:
    review = get_review(fake, number, review_id)
    return paginate(fake, req, fake.comments_for_review(review["id"]))


@route("GET", r"{repo}/pulls/(?P<number>\d+)/comments")
def list_pull_comments(fake: FakeGitHub, req: Request, number: str) -> Any:
    get_pr(fake, number)
    return paginate(fake, req, visible_comments(fake, int(number)))


@route("POST", r"{repo}/pulls/(?P<number>\d+)/comments")
def create_pull_comment(fake: FakeGitHub, req: Request, number: str) -> Any:
    """A single review comment (wrapped in its own COMMENTED review, as GitHub does); errors are objects."""
    pr = get_pr(fake, number)
    data = req.json or {}
    body = data.get("body") or ""

    def invalid(field: str, message: str, code: str = "custom") -> HttpError:
        err = {"resource": "PullRequestReviewComment", "code": code, "field": field, "message": message}
        return fail(422, "Validation Failed", [err], doc=COMMENT_DOC)

    if len(body) > MAX_BODY:
        raise invalid("body", MSG_TOO_LONG)
    reply_to = data.get("in_reply_to")
    if reply_to is not None:
        parent = next((c for c in visible_comments(fake, pr.number) if c["id"] == int(reply_to)), None)
        if parent is None:
            raise not_found()
        commit_id = parent["commit_id"]
        review = J.review(fake, pr.number, fake.next_id("review"), body="", state="COMMENTED", commit_id=commit_id)
        fake.reviews.append(review)
        comment = reply_json(fake, pr, review["id"], parent, body)
        fake.review_comments.append(comment)
        return Response(201, comment)
    else:
        commit_id = data.get("commit_id") or ""
        if not commit_id:
            raise invalid("commit_id", "commit_id can't be blank", "missing_field")
        if not check_commit(pr, commit_id):
            raise invalid("end_commit_oid", "end_commit_oid is not part of the pull request")
        try:
            a = anchor(pr, data)
        except CommentError as e:
            field, message = FIELDS[str(e)]
            raise invalid(f"pull_request_review_thread.{field}", message) from None
    review = J.review(fake, pr.number, fake.next_id("review"), body="", state="COMMENTED", commit_id=commit_id)
    fake.reviews.append(review)
    comment = comment_json(fake, pr, review["id"], commit_id, a, body)
    fake.review_comments.append(comment)
    return Response(201, comment)


def _find_comment(fake: FakeGitHub, comment_id: str) -> dict[str, Any]:
    for c in fake.review_comments:
        if c["id"] == int(comment_id):
            return c
    raise not_found()


@route("GET", r"{repo}/pulls/comments/(?P<comment_id>\d+)")
def get_pull_comment(fake: FakeGitHub, req: Request, comment_id: str) -> Any:
    return _find_comment(fake, comment_id)


@route("PATCH", r"{repo}/pulls/comments/(?P<comment_id>\d+)")
def edit_pull_comment(fake: FakeGitHub, req: Request, comment_id: str) -> Any:
    c = _find_comment(fake, comment_id)
    body = (req.json or {}).get("body") or ""
    if len(body) > MAX_BODY:
        raise unprocessable(MSG_TOO_LONG, COMMENT_DOC)
    c.update(body=body, updated_at=J.now())
    return c


@route("DELETE", r"{repo}/pulls/comments/(?P<comment_id>\d+)")
def delete_pull_comment(fake: FakeGitHub, req: Request, comment_id: str) -> Any:
    fake.review_comments.remove(_find_comment(fake, comment_id))
    return Response(204, None)


@route("POST", r"{repo}/pulls/(?P<number>\d+)/comments/(?P<comment_id>\d+)/replies")
def reply_pull_comment(fake: FakeGitHub, req: Request, number: str, comment_id: str) -> Any:
    req.json = {"body": (req.json or {}).get("body") or "", "in_reply_to": int(comment_id)}
    return create_pull_comment(fake, req, number)
