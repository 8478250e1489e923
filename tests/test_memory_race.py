"""Issue #17.4: two runs racing on one pull request (a workflow without the README's concurrency group) publish
once — the later run's review — and the earlier one publishes nothing.

Two real runs of the action against the GitHub and Anthropic fakes: run A in a process of its own (the installed
console script, as a runner starts it), run B in this process; A's model requests are held at the Anthropic
fake's gate while B starts, claims the pull request, reviews and publishes."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.runner import RunnerEnv, parse_outputs, run_in_process
from tests.test_memory_pr import KEY, NUMBER, SQL, World, first_push, module, pull_world

BOT = "github-actions[bot]"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from pull_world(tmp_path, monkeypatch)


def runner(w: World, name: str, run_id: int, attempt: int = 1) -> RunnerEnv:
    """A run of the action on the pull request as it is now, numbered `run_id` by GitHub."""
    assert w.fx is not None
    env = RunnerEnv.for_pull(w.tmp / name, w.fx, w.gh, w.ai, KEY, {
        "min-severity": "info", "fail-on": "high", "verify": "false", "report-dir": f"report-{name}"})
    env.extra = {"GITHUB_RUN_ID": str(run_id), "GITHUB_RUN_ATTEMPT": str(attempt)}
    return env


def start(env: RunnerEnv) -> subprocess.Popen[str]:
    """`batch-review action` in a process of its own, with exactly the runner's environment."""
    script = Path(sys.executable).parent / "batch-review"
    return subprocess.Popen([str(script), "action"], cwd=env.workspace, env=env.environ(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@dataclass
class Held:
    """A run of the action in its own process (`held_at_the_model`); `out` is its log once it has ended."""

    process: subprocess.Popen[str]
    out: str = ""

    @property
    def returncode(self) -> int | None:
        return self.process.returncode


@contextlib.contextmanager
def held_at_the_model(w: World, env: RunnerEnv, who: str) -> Iterator[Held]:
    """Start `env`'s run in its own process; the block runs once its first request has reached the model, which
    holds that request (and no later one) until the block ends. The run has ended when the block exits."""
    arrived = threading.Event()
    gate = w.ai.hold(lambda body: not arrived.is_set())
    held = Held(start(env))
    try:
        assert gate.arrived.wait(120), f"run {who} never reached the model"
        arrived.set()
        yield held
    finally:
        gate.open()
        held.out, _ = held.process.communicate(timeout=600)


def ours(w: World, kind: str) -> list[dict[str, Any]]:
    items = {"reviews": w.gh.reviews_for(NUMBER), "inline": w.gh.review_comments}[kind]
    return [i for i in items if i["user"]["login"] == BOT]


def claims_in(body: str, w: World) -> Any:
    from batch_review.memory.claim import read_claim

    return read_claim(body, w.seal())


def test_a_later_run_wins_a_race_and_the_earlier_one_publishes_nothing(world: World) -> None:
    first_push(world)
    a_env = runner(world, "a", 100)
    with held_at_the_model(world, a_env, "A") as a:  # B starts while A waits on the model
        world.push({"src/a.py": module("a", {10: SQL}, tag="2")}, "second push")
        b_env = runner(world, "b", 105)
        b = run_in_process(b_env, world.monkeypatch)
    out = a.out
    head_b = world.repo.rev_parse("feature")

    assert b.code == 1, b.log  # fail-on: high, B's review stands
    assert parse_outputs((b_env.tmp / "output.txt").read_text())["status"] == "findings"
    assert a.returncode == 0, out  # superseded is not a failure
    a_out = parse_outputs((a_env.tmp / "output.txt").read_text())
    assert a_out["status"] == "superseded", out
    summary = (a_env.tmp / "summary.md").read_text()
    assert "superseded" in summary and "run 105 (attempt 1)" in summary, summary

    (review,) = ours(world, "reviews")  # B's review alone, on B's head
    assert review["commit_id"] == head_b
    inline = ours(world, "inline")
    assert len(inline) == len({c["body"] for c in inline}) and inline, inline  # nothing posted twice
    assert all(c["pull_request_review_id"] == review["id"] for c in inline)
    (status,) = world.status_comments()  # one status comment, B's, marked done
    assert f"at `{head_b[:12]}`" in status["body"]
    claim = claims_in(status["body"], world)
    assert (claim.run, claim.attempt, claim.head, claim.done) == (105, 1, head_b, True)
    assert [c["head_sha"] for c in world.gh.check_runs] == [head_b]  # A published no check run either


def test_an_earlier_run_that_starts_after_a_later_one_pays_nothing(world: World) -> None:
    """A re-run of an old workflow run (a smaller run id) after the later run reviewed the pull request: it finds
    the later claim before anything is sent, and publishes nothing."""
    first_push(world)
    later = runner(world, "later", 205)
    assert run_in_process(later, world.monkeypatch).code == 1
    sent, calls, reviews = len(world.ai.requests), len(world.gh.calls), len(ours(world, "reviews"))
    status_before = [dict(c) for c in world.status_comments()]

    world.push({"src/b.py": module("b", tag="late")}, "a push the old run never saw")
    old = runner(world, "old", 200, attempt=2)
    result = run_in_process(old, world.monkeypatch)
    assert result.code == 0, result.log
    outputs = old.outputs()
    assert outputs["status"] == "superseded" and outputs["cost-usd"] == "0.0000"
    assert len(world.ai.requests) == sent  # nothing sent to the model
    writes = [c for c in world.gh.calls[calls:] if c.method != "GET" and c.path != "/graphql"]
    assert writes == []  # nothing posted or edited
    assert len(ours(world, "reviews")) == reviews and world.status_comments() == status_before
    assert old.report()["superseded"].startswith("run 205 (attempt 1)")


def test_a_claim_sealed_with_another_key_blocks_no_one(world: World) -> None:
    """Anyone can write a claim marker naming a huge run id; without the memory key its seal fails, and it is
    ignored (no one can block the reviews of a pull request)."""
    from batch_review.memory.claim import STATUS_MARKER, Claim
    from batch_review.memory.seal import Seal

    first_push(world)
    forged = Seal.make(f"{world.gh.full_name}#{NUMBER}", memory_key=None, api_key="sk-ant-a-guess")
    world.gh.add_issue_comment_as(BOT, NUMBER, Claim(10**12, 1, "f" * 40).to_marker(forged) + "\n" + STATUS_MARKER)
    env = runner(world, "a", 300)
    result = run_in_process(env, world.monkeypatch)
    assert result.code == 1 and env.outputs()["status"] == "findings", result.log
    assert len(ours(world, "reviews")) == 1


def test_of_two_status_comments_the_newest_claim_s_is_kept_and_the_other_deleted(world: World) -> None:
    """Two runs raced to create the status comment (neither found one): the next run reads the one carrying the
    latest claim and deletes the other, so two status comments never stay."""
    from batch_review.memory.claim import Claim, placeholder

    first_push(world)
    seal = world.seal()
    head = world.repo.rev_parse("feature")
    older = world.gh.add_issue_comment_as(BOT, NUMBER, placeholder(Claim(400, 1, head, True), seal, "u", "failed"))
    newer = world.gh.add_issue_comment_as(BOT, NUMBER, placeholder(Claim(401, 1, head, True), seal, "u", "failed"))
    env = runner(world, "next", 402)
    result = run_in_process(env, world.monkeypatch)
    assert result.code == 1, result.log
    (status,) = world.status_comments() or [None]
    assert status is not None and status["id"] == newer["id"] and older["id"] != newer["id"]
    assert "stale comment" in env.report()["published"]["status comment"]
    assert claims_in(status["body"], world).run == 402


def test_a_run_whose_claim_was_written_over_reads_what_was_posted_before_it_posts(world: World) -> None:
    """Run B (the later) claims and waits on the model; run A (an earlier run number) read the comment before B's
    claim landed, so its claim writes over B's, and A reviews and publishes. B, finding its claim gone, reads
    what was posted again before posting: nothing A posted is posted twice, and B's claim ends on the comment."""
    first_push(world)
    b_env = runner(world, "b", 105)
    with held_at_the_model(world, b_env, "B") as b:
        (claimed,) = [c for c in world.gh.issue_comments if "batch-review:claim" in c["body"]]
        world.gh.issue_comments.remove(claimed)  # as if A read the comments before B's claim was written
        a_env = runner(world, "a", 100)
        a = run_in_process(a_env, world.monkeypatch)
        assert a.code == 1 and a_env.outputs()["status"] == "findings", a.log
    assert b.returncode == 1, b.out  # B's review stands: the high finding counts
    inline = ours(world, "inline")
    assert len(inline) == 2 and len({c["body"] for c in inline}) == 2, [c["body"][:60] for c in inline]
    (status,) = world.status_comments()
    claim = claims_in(status["body"], world)
    assert (claim.run, claim.done) == (105, True)


def test_a_run_that_posts_nothing_releases_its_claim(world: World) -> None:
    """A run that claimed the pull request and then failed (every model request refused) says so in the comment
    it created, and marks its claim done: the next run does not take it for a run still at work."""
    first_push(world)
    world.ai.inject("overloaded", times=1000)
    env = runner(world, "a", 500)
    result = run_in_process(env, world.monkeypatch)
    assert result.code == 2 and env.outputs()["status"] == "failed", result.log
    (comment,) = [c for c in world.gh.issue_comments if "batch-review:claim" in c["body"]]
    assert "failed at" in comment["body"] and "posted nothing" in comment["body"]
    claim = claims_in(comment["body"], world)
    assert (claim.run, claim.done) == (500, True)
    world.ai.clear_faults()
    env = runner(world, "b", 501)
    result = run_in_process(env, world.monkeypatch)
    assert result.code == 1, result.log
    assert "has not finished" not in result.log  # not contended
    (status,) = world.status_comments()
    assert status["id"] == comment["id"] and claims_in(status["body"], world).run == 501
