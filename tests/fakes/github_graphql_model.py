"""The GraphQL objects of the fake GitHub, built from the state its REST routes keep.

Each object is a dict keyed by GraphQL field name (graphql-core's default resolver reads it; a callable
value is called with the field's arguments) with ``__typename`` for interfaces. Resolvers raise
:class:`Failure` for GitHub's typed errors (``NOT_FOUND``, ``FORBIDDEN``, …); it and the pagination of
connections are ``github_graphql_resolving.py``'s.
"""

from __future__ import annotations

import base64
import codecs
import functools
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes import github_json as J
from tests.fakes.github_graphql_resolving import Failure, Obj, connection, forbidden, no_node
from tests.fakes.github_pulls import commit_json, repos
from tests.fakes.github_threads import Thread, threads_for

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub
    from tests.support.gitrepo import GitRepo, PullFixture

__all__ = [  # Failure, forbidden, no_node and Obj are github_graphql_resolving's; imported from here too
    "Ctx", "Failure", "GitObject", "Obj", "actor", "authored", "cat_file", "commit_node", "forbidden", "git_object",
    "legacy_id", "no_node", "object_node", "pull_commit_node", "pull_node", "repository_node", "review_comment_node",
    "review_node", "thread_node", "user_node",
]


@dataclass
class GitObject:
    oid: str
    kind: str  # blob, tree, commit, tag
    data: bytes


@dataclass
class Ctx:
    fake: FakeGitHub
    cost: int = 1
    node_count: int = 0
    expressions: list[str] = field(default_factory=list)  # every object(expression:|oid:) of the request
    objects: dict[str, GitObject | None] | None = None
    extra_errors: list[dict[str, Any]] = field(default_factory=list)  # errors of single list items

    @functools.cached_property
    def reviews(self) -> dict[int, dict[str, Any]]:  # by id; comments and reviews do not change during a request
        return {r["id"]: r for r in self.fake.reviews}

    @functools.cached_property
    def review_comments(self) -> dict[int, dict[str, Any]]:
        return {c["id"]: c for c in self.fake.review_comments}


# -- git objects ------------------------------------------------------------------------------------
def cat_file(repo: GitRepo, names: Sequence[str]) -> dict[str, GitObject]:
    """Look up many ``<rev>:<path>`` expressions (or object ids) with one ``git cat-file --batch``."""
    names = [n for n in dict.fromkeys(names) if n and "\n" not in n and "\r" not in n]
    if not names:
        return {}
    out = repo.run("cat-file", "--batch", input="".join(f"{n}\n" for n in names).encode("utf-8", "surrogateescape"))
    found, pos = {}, 0
    for name in names:
        end = out.index(b"\n", pos)
        head = out[pos:end].decode("utf-8", "surrogateescape").split()
        pos = end + 1
        if len(head) == 3 and head[1] in ("blob", "tree", "commit", "tag"):
            size = int(head[2])
            found[name] = GitObject(head[0], head[1], out[pos : pos + size])
            pos += size + 1
    return found


def git_object(ctx: Ctx, name: str) -> GitObject | None:
    """The object ``name`` names; the first lookup fetches every expression of the request at once."""
    if ctx.objects is None:
        ctx.objects = {}
    if name not in ctx.objects:
        wanted = [n for n in dict.fromkeys([*ctx.expressions, name]) if n not in ctx.objects]
        for repo in repos(ctx.fake):
            ctx.objects.update(cat_file(repo, [n for n in wanted if ctx.objects.get(n) is None]))
        for n in wanted:
            ctx.objects.setdefault(n, None)
    return ctx.objects[name]


def object_node(ctx: Ctx, obj: GitObject | None) -> Obj | None:
    if obj is None or obj.kind not in ("blob", "tree", "commit"):
        return None
    if obj.kind == "commit":
        return commit_node(ctx, obj.oid)
    web = f"{ctx.fake.repo_web}/commit/{obj.oid}"
    out: Obj = {
        "__typename": obj.kind.capitalize(),
        "id": legacy_id(obj.kind.capitalize(), obj.oid),
        "oid": obj.oid,
        "abbreviatedOid": obj.oid[:7],
        "commitUrl": web,
        "commitResourcePath": urllib.parse.urlsplit(web).path,
        "repository": lambda info: repository_node(ctx),
    }
    if obj.kind == "tree":
        entries, rest = [], obj.data
        while rest:
            head, _, rest = rest.partition(b"\0")
            mode, _, name = head.partition(b" ")
            oid, rest = rest[:20].hex(), rest[20:]
            kind = {"40000": "tree", "160000": "commit"}.get(mode.decode(), "blob")
            entries.append({"mode": int(mode, 8), "name": name.decode("utf-8", "replace"), "oid": oid,
                            "path": None, "type": kind})
        out["entries"] = entries
    if obj.kind == "blob":
        binary = b"\0" in obj.data[:8000]  # git's own test for binary content
        limit = ctx.fake.blob_text_limit
        text = codecs.getincrementaldecoder("utf-8")("replace").decode(obj.data[:limit])  # no half character
        out.update(byteSize=len(obj.data), isBinary=binary, isTruncated=len(obj.data) > limit and not binary)
        out["text"] = None if binary else text
    return out


def legacy_id(kind: str, oid: str) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{J.REPO_ID}:{oid}".encode()).decode()


def commit_node(ctx: Ctx, oid: str) -> Obj:
    web = f"{ctx.fake.repo_web}/commit/{oid}"

    def message(info: Any) -> str:
        for repo in repos(ctx.fake):
            if repo.object_type(oid) == "commit":
                return str(commit_json(ctx.fake, repo, oid)["commit"]["message"])
        return ""

    return {
        "__typename": "Commit",
        "id": legacy_id("Commit", oid),
        "oid": oid,
        "abbreviatedOid": oid[:7],
        "message": message,
        "url": web,
        "commitUrl": web,
        "commitResourcePath": urllib.parse.urlsplit(web).path,
        "repository": lambda info: repository_node(ctx),
    }


# -- actors -----------------------------------------------------------------------------------------
def actor(rest_user: dict[str, Any] | None) -> Obj | None:
    """A REST ``user`` as a GraphQL Actor: a bot's login loses its ``[bot]`` suffix here."""
    if rest_user is None:
        return None
    bot = rest_user.get("type") == "Bot"
    url = rest_user["html_url"]
    return {
        "__typename": "Bot" if bot else "User",
        "login": rest_user["login"].removesuffix("[bot]") if bot else rest_user["login"],
        "id": rest_user["node_id"],
        "databaseId": rest_user["id"],
        "name": None,
        "url": url,
        "resourcePath": urllib.parse.urlsplit(url).path,
        "avatarUrl": lambda info, size=None: rest_user["avatar_url"] + (f"&s={size}" if size else ""),
    }


def user_node(fake: FakeGitHub, login: str) -> Obj:
    """A User as GraphQL's ``viewer`` and ``resolvedBy`` show it (an app's token: ``name[bot]``)."""
    node = actor(J.user(fake, login, bot=login.endswith("[bot]")))
    assert node is not None
    return {**node, "__typename": "User", "login": login}


def authored(ctx: Ctx, obj: dict[str, Any], kind: str) -> Obj:
    """Fields common to comments and reviews (``obj`` is the REST JSON)."""
    fake = ctx.fake
    mine, writable = obj["user"]["login"] == fake.viewer_login, not fake.read_only
    created = obj.get("created_at") or obj.get("submitted_at") or J.now()
    updated = obj.get("updated_at") or created
    return {
        "__typename": kind,
        "id": obj["node_id"],
        "databaseId": obj["id"],
        "fullDatabaseId": str(obj["id"]),
        "body": obj["body"] or "",
        "bodyText": obj["body"] or "",
        "author": actor(obj["user"]),
        "authorAssociation": obj["author_association"],
        "createdAt": created,
        "updatedAt": updated,
        "publishedAt": created,
        "lastEditedAt": updated if updated != created else None,
        "url": obj["html_url"],
        "isMinimized": obj["node_id"] in fake.minimized,
        "minimizedReason": fake.minimized.get(obj["node_id"]),
        "viewerCanMinimize": writable,
        "viewerCanDelete": writable and mine,
        "viewerCanUpdate": writable and mine,
        "viewerDidAuthor": mine,
        "repository": lambda info: repository_node(ctx),
    }


# -- repository, pull request, reviews, threads ---------------------------------------------------
def repository_node(ctx: Ctx) -> Obj:
    fake = ctx.fake
    rest = J.repository(fake)

    def pull_request(info: Any, number: int) -> Obj:
        pr = fake.pulls.get(number)
        if pr is None:
            raise Failure("NOT_FOUND", f"Could not resolve to a PullRequest with the number of {number}.")
        return pull_node(ctx, pr)

    def obj(info: Any, expression: str | None = None, oid: str | None = None) -> Obj | None:
        name = oid if oid is not None else expression
        return object_node(ctx, git_object(ctx, name)) if name else None

    return {
        "__typename": "Repository",
        "id": rest["node_id"],
        "databaseId": rest["id"],
        "name": fake.repo,
        "nameWithOwner": fake.full_name,
        "url": rest["html_url"],
        "pullRequest": pull_request,
        "object": obj,
    }


def pull_node(ctx: Ctx, pr: PullFixture) -> Obj:
    fake = ctx.fake
    rest = J.pull(fake, pr)

    def reviews(info: Any, author: str | None = None, states: list[str] | None = None, **args: Any) -> Obj:
        items = [
            r
            for r in fake.reviews_for(pr.number)
            if (r["state"] != "PENDING" or r["user"]["login"] == fake.viewer_login)
            and (states is None or r["state"] in states)
            and (author is None or author in (r["user"]["login"], r["user"]["login"].removesuffix("[bot]")))
        ]
        return connection(items, args, lambda r: review_node(ctx, pr, r))

    def comments(info: Any, orderBy: Any = None, **args: Any) -> Obj:
        items = [c for c in fake.issue_comments if c["issue_url"] == rest["issue_url"]]
        return connection(items, args, lambda c: {**authored(ctx, c, "IssueComment"), "pullRequest": node})

    node: Obj = {
        "__typename": "PullRequest",
        "id": rest["node_id"],
        "databaseId": rest["id"],
        "fullDatabaseId": str(rest["id"]),
        "number": pr.number,
        "title": pr.title,
        "url": rest["html_url"],
        "state": "MERGED" if pr.state == "merged" else pr.state.upper(),
        "isDraft": pr.draft,
        "author": actor(rest["user"]),
        "headRefName": pr.head_ref,
        "headRefOid": pr.head_sha,
        "baseRefName": pr.base_ref,
        "baseRefOid": pr.base_sha,
        "repository": lambda info: repository_node(ctx),
        "reviewThreads": lambda info, **a: connection(
            threads_for(fake, pr.number), a, lambda t: thread_node(ctx, pr, t)
        ),
        "reviews": reviews,
        "comments": comments,
        "body": pr.body or "",
        "commits": lambda info, **a: connection(pr.commits[:250], a, lambda sha: pull_commit_node(ctx, pr, sha, node)),
    }
    return node


def pull_commit_node(ctx: Ctx, pr: PullFixture, sha: str, pull: Obj) -> Obj:
    """A commit of a pull request (GitHub lists at most 250 of them, oldest first, as REST does)."""
    return {
        "__typename": "PullRequestCommit",
        "id": legacy_id("PullRequestCommit", f"{pr.number}:{sha}"),
        "commit": commit_node(ctx, sha),
        "pullRequest": pull,
        "url": f"{ctx.fake.repo_web}/pull/{pr.number}/commits/{sha}",
    }


def review_node(ctx: Ctx, pr: PullFixture, review: dict[str, Any]) -> Obj:
    fake = ctx.fake
    mine = [c for c in fake.review_comments if c["pull_request_review_id"] == review["id"]]
    return {
        **authored(ctx, review, "PullRequestReview"),
        "state": review["state"],
        "submittedAt": review.get("submitted_at"),
        "commit": commit_node(ctx, review["commit_id"]),
        "pullRequest": lambda info: pull_node(ctx, pr),
        "comments": lambda info, **a: connection(mine, a, lambda c: review_comment_node(ctx, pr, c)),
    }


def review_comment_node(ctx: Ctx, pr: PullFixture, c: dict[str, Any]) -> Obj:
    fake = ctx.fake
    review = ctx.reviews.get(c["pull_request_review_id"])
    parent = ctx.review_comments.get(c.get("in_reply_to_id") or -1)
    return {
        **authored(ctx, c, "PullRequestReviewComment"),
        "diffHunk": c["diff_hunk"],
        "path": c["path"],
        "line": c["line"],
        "startLine": c["start_line"],
        "originalLine": c["original_line"],
        "originalStartLine": c["original_start_line"],
        "outdated": c["id"] in fake.outdated_comments,
        "subjectType": str(c["subject_type"]).upper(),
        "state": "PENDING" if review is not None and review["state"] == "PENDING" else "SUBMITTED",
        "commit": commit_node(ctx, c["commit_id"]),
        "originalCommit": commit_node(ctx, c["original_commit_id"]),
        "replyTo": (lambda info: review_comment_node(ctx, pr, parent)) if parent is not None else None,
        "pullRequestReview": (lambda info: review_node(ctx, pr, review)) if review is not None else None,
        "pullRequest": lambda info: pull_node(ctx, pr),
    }


def thread_node(ctx: Ctx, pr: PullFixture, t: Thread) -> Obj:
    fake, root = ctx.fake, t.root
    writable = not fake.read_only
    return {
        "__typename": "PullRequestReviewThread",
        "id": t.id,
        "isResolved": t.is_resolved,
        "isCollapsed": t.is_resolved,
        "isOutdated": t.outdated,
        "path": root["path"],
        "line": root["line"],
        "startLine": root["start_line"],
        "originalLine": root["original_line"],
        "originalStartLine": root["original_start_line"],
        "diffSide": root["side"] or "RIGHT",
        "startDiffSide": root["start_side"] if root["start_line"] is not None else None,
        "subjectType": str(root["subject_type"]).upper(),
        "resolvedBy": user_node(fake, t.resolved_by) if t.resolved_by else None,
        "viewerCanReply": writable,
        "viewerCanResolve": writable and not t.is_resolved,
        "viewerCanUnresolve": writable and t.is_resolved,
        "pullRequest": lambda info: pull_node(ctx, pr),
        "repository": lambda info: repository_node(ctx),
        "comments": lambda info, **a: connection(t.comments, a, lambda c: review_comment_node(ctx, pr, c)),
    }
