"""Issue #10.2 and #17.1, verification in sweeps: the run that collects a review batch an earlier run submitted
verifies through the Messages API and delivers; a review batch that ends within its own run's wait is verified
as a batch too, and a verification batch still running when the wait ends is collected by the next run — which
collects the review's batch again (free) and submits neither again; a run that paid second tries at standard
price verifies through the Messages API, so it never ends pending on them. The action as a runner
starts it, against both fakes, on a real git repository; runs share only what the action stored.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from batch_review.publishers.issue import split_body
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import is_verification, verdict, verification_items
from tests.support.gitrepo import GitRepo
from tests.test_sweep_action import KEY, World, planted_files

DROP_REASON = "the argument is a constant index, not user input"


@dataclass
class Verifier:
    """Drops the planted issues whose number is a multiple of six; keeps the others."""

    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, body: dict[str, Any]) -> str:
        with self.lock:
            self.calls += 1
        return json.dumps({"verdicts": [verdict(i, not dropped(i["title"]), DROP_REASON if dropped(i["title"])
                                                else "eval of request data", 0.9)
                                        for i in verification_items(body)]})


def dropped(title: str) -> bool:
    return title.startswith("planted issue number ") and int(title.rsplit(" ", 1)[1]) % 6 == 0


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    files, planted = planted_files(count=40)
    repo = GitRepo.init(tmp_path / "workspace")
    repo.commit_files(files, "forty files")
    with FakeAnthropicAPI(api_key=KEY, verifier=Verifier()) as ai, FakeGitHub() as gh:
        yield World(tmp_path, repo, planted, ai, gh, monkeypatch)
        assert not gh.server_errors


def kinds(ai: FakeAnthropicAPI, batch_id: str) -> set[bool]:
    """Whether the requests of a batch are verification requests (True) or review requests (False)."""
    return {is_verification(r["params"]) for r in ai.batches[batch_id].requests}


def state_of(world: World) -> Any:
    (issue,) = world.audit_issues()
    states = split_body(issue["body"])[1]
    return states[0] if states else None


def test_the_nightly_sweep_delivers_verified_findings_in_the_run_that_collects_it(world: World) -> None:
    """#17.1: night 1 submits the review batch; the morning run collects it, verifies the findings through the
    Messages API and publishes them (audit issue, SARIF) — no verification batch, no third run."""
    expected_dropped = sorted(p.title for p in world.planted if dropped(p.title))
    assert expected_dropped and len(expected_dropped) < len(world.planted)

    env, first = world.run(verify="true")  # night: the review batch is submitted; the wait (0) ends first
    review_batch = env.outputs()["batch-id"]
    assert env.outputs()["status"] == "pending" and world.ai.batches_created == 1, first.log
    assert kinds(world.ai, review_batch) == {False}

    world.ai.end_batch(review_batch)
    env, second = world.run(verify="true")  # morning: collected, verified, delivered
    assert second.code == 0, second.log
    assert world.ai.batches_created == 1, second.log  # no verification batch
    sent = [r for r in world.ai.requests if r.path == "/v1/messages"]
    assert sent and all(is_verification(r.json) for r in sent)  # the review is not paid again
    assert "Verification goes through the Messages API" in second.log
    report, outputs = env.report(), env.outputs()
    assert outputs["status"] == "findings" and outputs["batch-id"] == review_batch
    assert sorted(f["title"] for f in report["filtered"]) == expected_dropped
    titles = {f["title"] for f in report["findings"]}
    assert titles == {p.title for p in world.planted} - set(expected_dropped)
    assert {f["verification"]["status"] for f in report["findings"]} == {"kept"}
    assert report["verification"]["engine"] == "parallel" and report["verification"]["cost_usd"] > 0
    assert state_of(world) is None  # collected: the state is gone, a third run has nothing to collect
    sarif = json.loads((env.workspace / outputs["sarif-path"]).read_text(encoding="utf-8"))
    assert len(sarif["runs"][0]["results"]) == len(titles)
    assert all(title in world.issue_text() for title in titles)
    assert not any(title in world.issue_text() for title in expected_dropped)


def test_a_verification_batch_left_pending_is_collected_once_by_the_next_run(world: World) -> None:
    """The review batch ends within the run's wait, so the verification goes as a batch too (half price); it is
    still running when the wait ends: the next run collects both and submits neither again."""
    expected_dropped = sorted(p.title for p in world.planted if dropped(p.title))
    created: list[str] = []

    def end_the_review(batch: dict[str, Any]) -> None:
        created.append(batch["id"])
        if len(created) == 1:
            world.ai.end_batch(batch["id"])

    world.ai.on_batch_created = end_the_review
    env, first = world.run(**{"verify": "true", "batch-wait-minutes": "0.02"})
    review_batch, verify_batch = created
    assert kinds(world.ai, verify_batch) == {True}
    checks = world.ai.batches[verify_batch].requests
    assert len(checks) > 1 and len({json.dumps(r["params"]["system"]) for r in checks}) == 1  # one cacheable prefix
    outputs = env.outputs()
    assert outputs["status"] == "pending" and outputs["batch-id"] == f"{review_batch},{verify_batch}", first.log
    state = state_of(world)
    assert state.batch_ids == [review_batch] and state.verify.batch_ids == [verify_batch]

    world.ai.end_batch(verify_batch)
    env, second = world.run(verify="true")
    assert second.code == 0, second.log
    assert world.ai.batches_created == 2 and world.ai.count("POST", "/v1/messages") == 0  # nothing paid twice
    report, outputs = env.report(), env.outputs()
    assert outputs["status"] == "findings" and outputs["batch-id"] == f"{review_batch},{verify_batch}"
    assert sorted(f["title"] for f in report["filtered"]) == expected_dropped
    assert report["verification"]["engine"] == "batch" and report["verification"]["cost_usd"] > 0
    assert state_of(world) is None


def test_a_verification_batch_that_ends_in_the_wait_is_collected_by_the_same_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, planted = planted_files(count=40)
    repo = GitRepo.init(tmp_path / "workspace")
    repo.commit_files(files, "forty files")
    with FakeAnthropicAPI(api_key=KEY, verifier=Verifier(), auto_end_after_polls=1) as ai, FakeGitHub() as gh:
        w = World(tmp_path, repo, planted, ai, gh, monkeypatch)
        env, run = w.run(**{"batch-wait-minutes": "1", "verify": "true"})
        assert run.code == 0, run.log
        assert env.outputs()["status"] == "findings" and ai.batches_created == 2
        assert sorted(kinds(ai, i).pop() for i in ai.batches) == [False, True]
        assert ai.count("POST", "/v1/messages") == 0
        assert len(env.report()["filtered"]) == sum(1 for p in planted if dropped(p.title))
        assert state_of(w) is None


def test_second_tries_paid_at_standard_price_make_verification_go_through_the_messages_api(
    world: World,
) -> None:
    env, first = world.run(verify="true")
    review_batch = env.outputs()["batch-id"]
    errored = world.ai.batches[review_batch].requests[0]["custom_id"]
    world.ai.end_batch(review_batch, {errored: "errored"})  # sent again through the Messages API
    env, second = world.run(verify="true")
    assert second.code == 0, second.log
    assert env.outputs()["status"] == "findings" and world.ai.batches_created == 1
    sent = [r for r in world.ai.requests if r.path == "/v1/messages"]
    assert sum(not is_verification(r.json) for r in sent) == 1  # the second try
    assert sum(is_verification(r.json) for r in sent) > 1  # the verification, at once
    assert "Verification goes through the Messages API" in second.log
    report = env.report()
    assert report["verification"]["engine"] == "parallel" and report["filtered"]
    assert state_of(world) is None


def test_a_local_sweep_collect_delivers_verified_findings(tmp_path: Path) -> None:
    """#17.1, locally: `sweep --submit`, then `sweep --collect` verifies and reports in that same run."""
    import os
    import subprocess

    from tests.test_sweep_cli import SCRIPT

    files, planted = planted_files(count=12, lines=20)
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files(files, "twelve files")
    home = tmp_path / "home"
    home.mkdir()
    with FakeAnthropicAPI(api_key=KEY, verifier=Verifier()) as ai:
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1",
               "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": ai.base_url}

        def sweep(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([SCRIPT, "sweep", *args, str(repo.path)], env=env, capture_output=True, text=True,
                                  timeout=120)

        submitted = sweep("--submit")
        assert submitted.returncode == 0 and ai.batches_created == 1, submitted.stdout + submitted.stderr
        (batch_id,) = ai.batches
        ai.end_batch(batch_id)
        report_path = tmp_path / "report.json"
        collected = sweep("--collect", "--json", str(report_path))
        out = collected.stdout + collected.stderr
        assert collected.returncode == 0, out
        assert ai.batches_created == 1, out  # no verification batch: verified through the Messages API
        report = json.loads(report_path.read_text(encoding="utf-8"))
        assert report["status"] == "findings"
        shown = [p for p in planted if p.severity != "info"]  # min-severity low
        assert report["verification"]["engine"] == "parallel" and report["verification"]["checked"] == len(shown)
        kept = {f["title"] for f in report["findings"]}
        assert kept == {p.title for p in shown if not dropped(p.title)}
        assert {f["verification"]["status"] for f in report["findings"]} == {"kept"}
        assert not (repo.path / ".batch-review" / "sweep-state.json").exists()
