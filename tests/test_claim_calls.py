"""What a push review costs on GitHub, call by call: the claim on the pull request (memory/lock.py) shares the
memory's reads — the issue comments are listed once, the token's identity comes with the review threads, and the
claim is checked again before posting with one GET of the status comment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_memory_pr import NUMBER, SQL, World, first_push, module, pull_world

GRAPHQL = {"commits(": "commits", "reviewThreads": "threads", "viewer": "viewer", "resolveReviewThread": "resolve"}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from pull_world(tmp_path, monkeypatch)


def named(call: Any) -> str:
    """`GET /issues/7/comments`, `GRAPHQL threads+viewer` (what a GraphQL query reads)."""
    if call.path == "/graphql":
        query = (call.json or {}).get("query") or ""
        return "GRAPHQL " + "+".join(label for key, label in GRAPHQL.items() if key in query)
    return f"{call.method} {call.path.removeprefix('/repos/acme/widgets')}"


def calls_of_a_run(world: World, **inputs: str) -> tuple[list[str], Any]:
    before = len(world.gh.calls)
    env, result, _ = world.run(**inputs)
    return [named(c) for c in world.gh.calls[before:]], env


def status_id(world: World) -> int:
    (status,) = world.status_comments()
    return int(status["id"])


def test_a_push_lists_the_comments_once_and_checks_its_claim_with_one_get(world: World) -> None:
    first_push(world)
    world.run()
    status = status_id(world)
    world.push({"src/c.py": module("c", tag="y")}, "second push")

    calls, env = calls_of_a_run(world)

    assert env.outputs()["status"] == "findings"
    assert calls == [
        f"GET /pulls/{NUMBER}/files",
        "GRAPHQL commits",  # the pull request's intent
        f"GET /issues/{NUMBER}/comments",  # the status comment: its claim and the state, read once
        "GRAPHQL threads+viewer",  # the memory's threads, and who the token is
        f"PATCH /issues/comments/{status}",  # this run's claim, before anything is paid
        f"GET /pulls/{NUMBER}/reviews",
        f"GET /issues/comments/{status}",  # the claim checked again before posting
        f"PATCH /issues/comments/{status}",  # the status comment, its claim done
        "POST /check-runs",
    ]


def test_a_push_that_fixes_a_finding_adds_only_the_resolution_and_the_review(world: World) -> None:
    first_push(world)
    world.run()
    status = status_id(world)
    world.push({"src/a.py": module("a"), "src/d.py": module("d", {5: SQL})}, "fix a, a new problem in d")

    calls, env = calls_of_a_run(world)

    assert env.outputs()["status"] == "findings"
    assert calls == [
        f"GET /pulls/{NUMBER}/files",
        "GRAPHQL commits",
        f"GET /issues/{NUMBER}/comments",
        "GRAPHQL threads+viewer",
        f"PATCH /issues/comments/{status}",
        f"GET /pulls/{NUMBER}/reviews",
        f"GET /issues/comments/{status}",
        f"POST /pulls/{NUMBER}/reviews",  # d's finding
        "GRAPHQL resolve",  # a's thread
        f"PATCH /issues/comments/{status}",
        "POST /check-runs",
    ]


def test_the_first_run_creates_the_status_comment_and_checks_it_with_a_listing(world: World) -> None:
    """A run that found no status comment created one: another run may have created one at the same moment, so
    its check lists the comments (the claims of both are compared), as before."""
    first_push(world)

    calls, env = calls_of_a_run(world)

    status = status_id(world)
    assert env.outputs()["status"] == "findings"
    assert calls == [
        f"GET /pulls/{NUMBER}/files",
        "GRAPHQL commits",
        f"GET /issues/{NUMBER}/comments",
        "GRAPHQL threads+viewer",
        f"POST /issues/{NUMBER}/comments",  # the claim, in a new status comment
        f"GET /pulls/{NUMBER}/reviews",
        f"GET /issues/{NUMBER}/comments",
        f"POST /pulls/{NUMBER}/reviews",
        f"PATCH /issues/comments/{status}",
        "POST /check-runs",
    ]
