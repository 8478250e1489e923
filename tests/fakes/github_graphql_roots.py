"""The GraphQL roots of the fake GitHub: Query's fields, the mutations, and lookups by global id."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.fakes import github_json as J
from tests.fakes.github_graphql_model import (
    Ctx,
    Failure,
    Obj,
    authored,
    forbidden,
    git_object,
    no_node,
    object_node,
    pull_node,
    repository_node,
    review_comment_node,
    review_node,
    thread_node,
    user_node,
)
from tests.fakes.github_threads import MINIMIZED_REASONS, find_thread

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub
    from tests.support.gitrepo import PullFixture


# -- lookups by id ----------------------------------------------------------------------------------
def pr_of(fake: FakeGitHub, obj: dict[str, Any]) -> PullFixture | None:
    url = obj.get("pull_request_url") or obj.get("issue_url") or ""
    tail = url.rsplit("/", 1)[-1]
    return fake.pulls.get(int(tail)) if tail.isdigit() else None


def node_by_id(ctx: Ctx, ident: str) -> Obj | None:
    fake = ctx.fake
    if ident.startswith("PRRT_") and (t := find_thread(fake, ident)) is not None and t.id == ident:
        return thread_node(ctx, fake.pulls[t.number], t)
    if ident == J.repository(fake)["node_id"]:
        return repository_node(ctx)
    for pr in fake.pulls.values():
        if ident == J.node_id("PullRequest", 500000000 + pr.number):  # as J.pull writes it
            return pull_node(ctx, pr)
    for c in fake.review_comments:
        if c["node_id"] == ident and (pr := pr_of(fake, c)) is not None:
            return review_comment_node(ctx, pr, c)
    for r in fake.reviews:
        if r["node_id"] == ident and (pr := pr_of(fake, r)) is not None:
            return review_node(ctx, pr, r)
    for ic in fake.issue_comments:
        if ic["node_id"] == ident:
            pr = pr_of(fake, ic)
            return {**authored(ctx, ic, "IssueComment"), "pullRequest": pull_node(ctx, pr) if pr else None}
    try:
        kind, oid = base64.b64decode(ident, validate=True).decode().split(f"{J.REPO_ID}:", 1)
    except ValueError:
        return None
    if kind in ("06:Commit", "04:Blob", "04:Tree") and len(oid) == 40:
        obj = git_object(ctx, oid)
        return object_node(ctx, obj) if obj is not None and obj.kind == kind[3:].lower() else None
    return None


def minimizable(ctx: Ctx, ident: str) -> Obj:
    node = node_by_id(ctx, ident)
    if node is None or node["__typename"] not in ("IssueComment", "PullRequestReviewComment", "PullRequestReview"):
        raise no_node(ident)
    return node


# -- the roots ------------------------------------------------------------------------------------------
def root(ctx: Ctx) -> Obj:
    fake = ctx.fake

    def repository(info: Any, owner: str, name: str, followRenames: bool = True) -> Obj:
        if (owner.lower(), name.lower()) != (fake.owner.lower(), fake.repo.lower()):
            raise Failure("NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'.")
        return repository_node(ctx)

    def node(info: Any, id: str) -> Obj:
        found = node_by_id(ctx, id)
        if found is None:
            raise no_node(id)
        return found

    def nodes(info: Any, ids: list[str]) -> list[Obj | None]:
        out = [node_by_id(ctx, i) for i in ids]
        for n, (i, found) in enumerate(zip(ids, out, strict=True)):
            if found is None:
                where = [{"line": f.loc.start_token.line, "column": f.loc.start_token.column} for f in info.field_nodes]
                key = info.path.key
                ctx.extra_errors.append(
                    {"type": "NOT_FOUND", "path": [key, n], "locations": where, "message": no_node(i).args[0]}
                )
        return out

    def rate_limit(info: Any, dryRun: bool = False) -> Obj:
        limit, remaining = fake.graphql_rate_limit, fake.graphql_rate_remaining
        reset = datetime.fromtimestamp(fake.graphql_rate_reset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "cost": ctx.cost,
            "limit": limit,
            "remaining": remaining,
            "used": limit - remaining,
            "resetAt": reset,
            "nodeCount": ctx.node_count,
        }

    def set_resolved(resolved: bool) -> Callable[..., Obj]:
        def mutate(info: Any, input: dict[str, Any]) -> Obj:
            if fake.read_only:
                raise forbidden()
            t = find_thread(fake, input["threadId"])
            if t is None or t.id != input["threadId"]:
                raise no_node(input["threadId"])
            if resolved:
                fake.resolved_threads[t.root["id"]] = fake.viewer_login
            else:
                fake.resolved_threads.pop(t.root["id"], None)
            t = find_thread(fake, t.id)
            assert t is not None
            return {
                "clientMutationId": input.get("clientMutationId"),
                "thread": thread_node(ctx, fake.pulls[t.number], t),
            }

        return mutate

    def set_minimized(hide: bool) -> Callable[..., Obj]:
        def mutate(info: Any, input: dict[str, Any]) -> Obj:
            if fake.read_only:
                raise forbidden()
            subject = minimizable(ctx, input["subjectId"])
            if hide:
                fake.minimized[subject["id"]] = MINIMIZED_REASONS[input["classifier"]]
            else:
                fake.minimized.pop(subject["id"], None)
            key = "minimizedComment" if hide else "unminimizedComment"
            return {"clientMutationId": input.get("clientMutationId"), key: minimizable(ctx, subject["id"])}

        return mutate

    return {
        "id": "MDU6UXVlcnk=",  # base64("05:Query"), Query's node id
        "viewer": lambda info: user_node(fake, fake.viewer_login),
        "repository": repository,
        "rateLimit": rate_limit,
        "node": node,
        "nodes": nodes,
        "resolveReviewThread": set_resolved(True),
        "unresolveReviewThread": set_resolved(False),
        "minimizeComment": set_minimized(True),
        "unminimizeComment": set_minimized(False),
    }
