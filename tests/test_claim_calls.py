"""What a push review costs on GitHub, call by call: the claim on the pull request (memory/lock.py) shares the
memory's reads — the issue comments are listed once, the token's identity comes with the review threads, and the
claim is checked again before posting with one GET of the status comment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.runner import parse_outputs, run_in_process
from tests.test_memory_pr import NUMBER, SQL, World, first_push, module, pull_world
from tests.test_memory_race import claims_in, held_at_the_model, ours, runner

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


def test_a_later_run_s_claim_on_the_status_comment_is_seen_by_the_one_get(world: World) -> None:
    """Run A edits the status comment an earlier run left and waits on the model; run B (a later run number)
    claims that same comment, reviews and publishes. A's check — one GET of the comment — sees B's claim: A
    publishes nothing, and reads nothing else."""
    first_push(world)
    assert run_in_process(runner(world, "prior", 90), world.monkeypatch).code == 1
    status = status_id(world)
    world.push({"src/c.py": module("c", tag="y")}, "a push for run A")
    a_env = runner(world, "a", 100)
    with held_at_the_model(world, a_env, "A") as a:
        world.push({"src/d.py": module("d", {12: SQL})}, "a push for run B")
        b_env = runner(world, "b", 105)
        b = run_in_process(b_env, world.monkeypatch)
        mark = len(world.gh.calls)

    assert b.code == 1 and b_env.outputs()["status"] == "findings", b.log
    assert a.returncode == 0 and parse_outputs((a_env.tmp / "output.txt").read_text())["status"] == "superseded", a.out
    assert [named(c) for c in world.gh.calls[mark:]] == [f"GET /issues/comments/{status}"]
    (review_b,) = [r for r in ours(world, "reviews") if r["commit_id"] == world.repo.rev_parse("feature")]
    assert review_b and len(ours(world, "reviews")) == 2  # the prior run's and B's: none of A's
    claim = claims_in(world.status_comments()[0]["body"], world)
    assert (claim.run, claim.done) == (105, True)


@pytest.mark.parametrize("meanwhile", ["written over", "deleted"])
def test_a_claim_gone_from_the_status_comment_means_a_listing_and_a_second_read(world: World, meanwhile: str) -> None:
    """Run B edits the status comment an earlier run left and waits on the model. Meanwhile its claim is gone from
    that comment: written over by run A (an earlier run number that read the comment before B's claim landed),
    which reviews and publishes — or the comment is deleted. B's GET shows no claim of its own: it lists the
    comments again, and reads what was posted before it posts — nothing is posted twice, and B's claim ends on the
    one status comment."""
    first_push(world)
    assert run_in_process(runner(world, "prior", 90), world.monkeypatch).code == 1
    (before,) = world.status_comments()
    body_before = before["body"]
    world.push({"src/d.py": module("d", {12: SQL})}, "a push with a new problem")
    b_env = runner(world, "b", 105)
    with held_at_the_model(world, b_env, "B") as b:
        (status,) = world.status_comments()
        assert claims_in(status["body"], world).run == 105
        if meanwhile == "deleted":
            world.gh.issue_comments.remove(status)
        else:  # as if run A read the comment before B's claim landed, and wrote its own over it
            status["body"] = body_before
            a_env = runner(world, "a", 100)
            a = run_in_process(a_env, world.monkeypatch)
            assert a.code == 1 and a_env.outputs()["status"] == "findings", a.log
        mark = len(world.gh.calls)

    assert b.returncode == 1, b.out
    calls = [named(c) for c in world.gh.calls[mark:]]
    assert calls[:3] == [f"GET /issues/comments/{status['id']}", f"GET /issues/{NUMBER}/comments",
                         "GRAPHQL threads+viewer"], calls  # the claim, then what was posted meanwhile
    inline = ours(world, "inline")
    assert len(inline) == len({c["body"] for c in inline}) == 3, [c["body"][:60] for c in inline]  # a, b, d
    (final,) = world.status_comments()
    claim = claims_in(final["body"], world)
    assert (claim.run, claim.done) == (105, True)


def test_a_claim_that_cannot_be_written_is_a_note_and_the_run_posts_as_before(world: World) -> None:
    """GitHub refuses the claim's edit of the status comment: the run goes on unlocked (as before the claim
    existed), says so in its report, posts its review and status comment, and reads the claim no second time."""
    first_push(world)
    world.run()
    status = status_id(world)
    world.push({"src/d.py": module("d", {12: SQL})}, "a push with a new problem")
    fault = world.gh.inject("PATCH", rf"/issues/comments/{status}$", 422, times=1,
                            body={"message": "Validation Failed"})

    calls, env = calls_of_a_run(world)

    assert fault.hits == 1
    assert env.outputs()["status"] == "findings"
    assert any(n.startswith("this run's claim on the pull request could not be written") for n in env.report()["notes"])
    assert f"GET /issues/comments/{status}" not in calls  # nothing claimed, nothing to check
    assert len(world.our_reviews()) == 2 and calls.count(f"PATCH /issues/comments/{status}") == 2
    assert f"at `{world.repo.rev_parse('feature')[:12]}`" in world.status_comments()[0]["body"]


def test_during_a_graphql_outage_the_identity_is_asked_once_and_the_comments_listed_once(world: World) -> None:
    """GraphQL (which says who the token is) is down: the claim and the REST memory share one `GET /user` and one
    listing of the comments; the review is posted once, nothing posted twice."""
    first_push(world)
    world.run()
    status = status_id(world)
    world.push({"src/d.py": module("d", {5: SQL})}, "second push")
    outage = world.gh.inject("POST", r"/graphql$", 502, times=1000, body={"message": "Bad Gateway"})

    calls, env = calls_of_a_run(world)

    assert outage.hits > 0 and env.outputs()["status"] == "findings"
    assert calls.count("GET /user") == 1, calls
    assert calls.count(f"GET /issues/{NUMBER}/comments") == 1, calls
    assert calls.count(f"GET /issues/comments/{status}") == 1, calls  # the claim, checked again
    assert len(world.our_reviews()) == 2 and len(world.status_comments()) == 1
