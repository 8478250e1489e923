"""Sweeps end to end: `action.main` with the runner's environment, against the fake Anthropic API and the
fake GitHub, on real git repositories. Each run is a fresh process-level run of the action; the only thing
carried from one run to the next is what the action itself stored (in the audit issue).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest

from batch_review.publishers.issue import split_body
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import plant
from tests.support.gitrepo import GitRepo
from tests.support.runner import RunnerEnv, run_in_process

KEY = "sk-ant-api03-sweep-test-key-5d1c"
SCHEMA = json.loads((Path(__file__).parent / "data/sarif/sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
SEVERITIES = ("critical", "high", "medium", "low", "info")
CATEGORIES = ("security", "bug", "reliability", "performance", "maintainability")


@dataclass(frozen=True)
class Planted:
    path: str
    line: int
    severity: str
    category: str
    title: str


def planted_files(count: int = 80, lines: int = 60) -> tuple[dict[str, str], list[Planted]]:
    """`count` source files of `lines` lines; every third carries a planted issue at a varying line.
    Some paths have spaces and non-ASCII letters (links and SARIF URIs must encode them)."""
    files: dict[str, str] = {}
    planted: list[Planted] = []
    for i in range(count):
        folder = "src/My Module" if i % 10 == 0 else f"src/pkg{i % 7}"
        path = f"{folder}/modül_{i:03d}.py" if i % 20 == 0 else f"{folder}/mod_{i:03d}.py"
        body = [f"def handler_{i}_{n}(request):  # step {n} of the request pipeline" for n in range(1, lines + 1)]
        if i % 3 == 0:
            line = 5 + (i * 7) % (lines - 10)
            severity, category = SEVERITIES[i % 5], CATEGORIES[i % 5]
            title = f"planted issue number {i}"
            body[line - 1] = f"    return eval(request.args[{i}])  # {plant(severity, category, title=title)}"
            planted.append(Planted(path, line, severity, category, title))
        files[path] = "\n".join(body) + "\n"
    files["assets/logo.png"] = "\x00PNG binary\x00" * 10
    files["package-lock.json"] = json.dumps({"lockfileVersion": 3}) + "\n"
    return files, planted


@dataclass
class World:
    tmp: Path
    repo: GitRepo
    planted: list[Planted]
    ai: FakeAnthropicAPI
    gh: FakeGitHub
    monkeypatch: pytest.MonkeyPatch
    runs: int = 0

    def env(self, ref: str = "refs/heads/main", sha: str = "", **inputs: str) -> RunnerEnv:
        self.runs += 1
        defaults = {"anthropic-api-key": KEY, "github-token": self.gh.token, "batch-wait-minutes": "0",
                    "min-severity": "info", "verify": "false"}  # verification in sweeps: tests/test_verify_sweep.py
        return RunnerEnv(
            tmp=self.tmp / f"run{self.runs}", workspace=self.repo.path, api_url=self.gh.base_url,
            anthropic_url=self.ai.base_url, event_name="schedule", event={"schedule": "0 3 * * *"},
            inputs={**defaults, **inputs}, sha=sha or self.repo.rev_parse("HEAD"), ref=ref,
        )

    def run(self, ref: str = "refs/heads/main", sha: str = "", **inputs: str) -> tuple[RunnerEnv, Any]:
        env = self.env(ref, sha, **inputs)
        return env, run_in_process(env, self.monkeypatch)

    def audit_issues(self) -> list[dict[str, Any]]:
        return [i for i in self.gh.issues if split_body(i["body"])[0]]

    def issue_text(self) -> str:
        (issue,) = self.audit_issues()
        comments = [c["body"] for c in self.gh.issue_comments if c["issue_url"] == issue["url"]]
        return "\n".join([issue["body"], *comments])


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from sweep_world(tmp_path, monkeypatch)


def sweep_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """An 80-file repository with planted issues, and both fakes (the `world` fixture)."""
    files, planted = planted_files()
    repo = GitRepo.init(tmp_path / "workspace")
    repo.commit_files(files, "eighty files")
    with FakeAnthropicAPI(api_key=KEY) as ai, FakeGitHub() as gh:
        yield World(tmp_path, repo, planted, ai, gh, monkeypatch)
        assert not gh.server_errors


def blob_url(sha: str, item: Planted) -> str:
    return f"https://github.com/acme/widgets/blob/{sha}/{quote(item.path, safe='/')}#L{item.line}"


def assert_every_planted_issue_is_reported(world: World, env: RunnerEnv, sha: str) -> dict[str, Any]:
    text = world.issue_text()
    report = env.report()
    in_report = {(f["path"], f["line"], f["severity"], f["category"]) for f in report["findings"]}
    sarif = json.loads((env.workspace / env.outputs()["sarif-path"]).read_text(encoding="utf-8"))
    jsonschema.validate(sarif, SCHEMA)
    in_sarif = {
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"])
        for r in sarif["runs"][0]["results"]
    }
    for item in world.planted:
        assert blob_url(sha, item) in text, item
        assert (item.path, item.line, item.severity, item.category) in in_report, item
        assert (quote(item.path, safe="/"), item.line, f"batch-review.{item.category}") in in_sarif, item
    assert len(report["findings"]) == len(world.planted) == len(sarif["runs"][0]["results"])
    assert all("primaryLocationLineHash" in r["partialFingerprints"] for r in sarif["runs"][0]["results"])
    return report


def test_a_pending_sweep_is_collected_by_the_next_run_and_paid_for_once(world: World) -> None:
    sha = world.repo.rev_parse("HEAD")
    env, first = world.run()
    outputs = env.outputs()
    assert first.code == 0, first.log
    assert outputs["status"] == "pending" and outputs["batch-id"].startswith("msgbatch_")
    assert outputs["sarif-path"] == "" and world.ai.batches_created == 1
    assert "Strategy: batch — auto:" in first.log
    assert "request_counts" not in first.log and "processing" in first.log  # progress is in the log
    (issue,) = world.audit_issues()
    is_audit, states, _ = split_body(issue["body"])
    state = states[0] if states else None
    assert is_audit and state is not None and state.batch_ids == [outputs["batch-id"]] and state.commit == sha
    assert "sweep pending" in issue["body"] and issue["labels"][0]["name"] == "batch-review"
    assert "⏳ pending" in env.summary() and outputs["batch-id"] in env.summary()
    assert env.report()["status"] == "pending"

    env, again = world.run()  # the batch has not ended: still pending, nothing submitted
    assert env.outputs()["status"] == "pending" and world.ai.batches_created == 1, again.log

    world.ai.end_batch(outputs["batch-id"])
    env, second = world.run()
    assert second.code == 0, second.log
    assert world.ai.batches_created == 1 and world.ai.count("POST", "/v1/messages") == 0
    assert env.outputs()["status"] == "findings" and env.outputs()["batch-id"] == outputs["batch-id"]
    report = assert_every_planted_issue_is_reported(world, env, sha)
    assert report["engine"] == "batch" and report["head_sha"] == sha
    assert {f["path"] for f in report["files"] if f["status"] == "skipped"} >= {"assets/logo.png",
                                                                                 "package-lock.json"}
    assert report["files_failed"] == 0 and report["usage"]["requests"] == report["requests"]
    (issue,) = world.audit_issues()
    assert split_body(issue["body"])[1] == []  # the state is gone once collected
    assert "Skipped files" in issue["body"] and "batch prices" in issue["body"]
    assert float(env.outputs()["cost-usd"]) > 0

    env, third = world.run()  # the next sweep of the same commit: every file was reviewed, nothing is paid for
    assert third.code == 0, third.log
    assert world.ai.batches_created == 1 and world.ai.count("POST", "/v1/messages") == 0
    assert env.outputs()["status"] == "findings" and env.outputs()["cost-usd"] == "0.0000"
    report = assert_every_planted_issue_is_reported(world, env, sha)  # carried: in the report, issue and SARIF
    assert {f["carried_from"] for f in report["findings"]} == {sha}
    assert report["files_unchanged"] == report["files_reviewed"] + report["files_unchanged"] > 0
    assert len(world.audit_issues()) == 1


def test_results_map_to_the_swept_commit_when_head_moved(world: World) -> None:
    swept = world.repo.rev_parse("HEAD")
    env, first = world.run()
    batch_id = env.outputs()["batch-id"]
    # HEAD moves: every file gains ten lines at the top, so every planted line number changes
    shifted = {}
    for item in world.planted:
        content = world.repo.run("show", f"{swept}:{item.path}").decode()
        shifted[item.path] = "# moved\n" * 10 + content
    moved = world.repo.commit_files(shifted, "move everything down")
    world.ai.end_batch(batch_id)
    env, second = world.run(**{"upload-sarif": "true"})
    assert env.outputs()["status"] == "findings", second.log
    assert world.ai.batches_created == 1
    assert_every_planted_issue_is_reported(world, env, swept)  # lines and links of the swept commit
    assert swept != moved and moved not in world.issue_text()
    (upload,) = world.gh.sarif_uploads
    assert upload["commit_sha"] == swept and upload["ref"] == "refs/heads/main"
    jsonschema.validate(upload["sarif"], SCHEMA)
    assert len(upload["sarif"]["runs"][0]["results"]) == len(world.planted)
    assert "uploaded to code scanning" in env.summary()


def test_a_shallow_checkout_fetches_the_swept_commit(world: World, tmp_path: Path) -> None:
    origin = world.repo
    swept = origin.rev_parse("HEAD")

    def fresh_checkout(name: str) -> GitRepo:  # what actions/checkout gives every run: depth 1
        GitRepo(tmp_path).run("clone", "-q", "--depth=1", f"file://{origin.path}", str(tmp_path / name))
        return GitRepo(tmp_path / name)

    world.repo = fresh_checkout("run1")
    env, first = world.run()
    batch_id = env.outputs()["batch-id"]
    origin.commit_files({"src/pkg1/mod_001.py": "changed = True\n"}, "later")
    world.repo = fresh_checkout("run2")
    assert world.repo.try_rev_parse(f"{swept}^{{commit}}") is None  # the swept commit is not in this checkout
    world.ai.end_batch(batch_id)
    env, second = world.run()
    assert env.outputs()["status"] == "findings", second.log
    assert "fetching it from origin" in second.log
    assert_every_planted_issue_is_reported(world, env, swept)


def test_a_small_sweep_goes_parallel_and_a_forced_batch_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo.init(tmp_path / "workspace")
    repo.commit_files({"app.py": f"x = eval(input())  # {plant('high', 'security', title='eval')}\n"}, "one")
    with FakeAnthropicAPI(api_key=KEY) as ai, FakeGitHub() as gh:
        w = World(tmp_path, repo, [Planted("app.py", 1, "high", "security", "eval")], ai, gh, monkeypatch)
        env, result = w.run()
        assert env.outputs()["status"] == "findings" and ai.batches_created == 0, result.log
        assert "Strategy: parallel — auto: 1 request —" in result.log
        assert env.report()["engine"] == "parallel" and "standard prices" in w.issue_text()
        assert_every_planted_issue_is_reported(w, env, repo.rev_parse("HEAD"))
        env, result = w.run(strategy="batch", **{"full-review": "true"})  # unchanged: only a full review sends it
        assert env.outputs()["status"] == "pending" and ai.batches_created == 1
        assert "Strategy: batch — strategy: batch is set" in result.log


def test_a_dry_run_plans_without_touching_anything(world: World) -> None:
    env, result = world.run(**{"dry-run": "true"})
    assert result.code == 0, result.log
    assert env.outputs()["status"] == "pending" and env.report()["dry_run"] is True
    assert world.ai.batches_created == 0 and world.gh.issues == []
    # it only looks for a pending sweep (and asks GitHub who the token is: a GraphQL query, no mutation)
    assert all(c.method == "GET" or (c.path == "/graphql" and "mutation" not in str(c.json)) for c in world.gh.calls)
    assert re.search(r"estimated \$[0-9.]+ in parallel, \$[0-9.]+ as a batch", result.log)


def test_without_issues_write_nothing_is_submitted(world: World) -> None:
    world.gh.read_only = True
    env, result = world.run()
    assert result.code == 2 and env.outputs()["status"] == "failed"
    assert world.ai.batches_created == 0  # the state store is checked before anything is paid for
    assert "issues: write" in result.log


def test_gone_results_are_submitted_again_and_the_state_follows(world: World) -> None:
    env, first = world.run()
    old = env.outputs()["batch-id"]
    world.ai.end_batch(old)
    world.ai.forget_results(old)  # 29 days later, nobody collected it
    env, second = world.run()
    new = env.outputs()["batch-id"]
    assert env.outputs()["status"] == "pending" and new != old and world.ai.batches_created == 2, second.log
    assert "submitted again" in env.summary() and "no longer available" in env.summary()
    (issue,) = world.audit_issues()
    assert split_body(issue["body"])[1][0].batch_ids == [new]
    world.ai.end_batch(new)
    env, third = world.run()
    assert env.outputs()["status"] == "findings" and world.ai.batches_created == 2, third.log
    assert_every_planted_issue_is_reported(world, env, world.repo.rev_parse("HEAD"))


def test_errored_and_expired_requests_are_tried_again_and_canceled_ones_fail(world: World) -> None:
    env, first = world.run()
    batch_id = env.outputs()["batch-id"]
    ids = [r["custom_id"] for r in world.ai.batches[batch_id].requests]
    world.ai.end_batch(batch_id, {ids[0]: "errored", ids[1]: "expired", ids[2]: "canceled"})
    env, second = world.run()
    report = env.report()
    assert env.outputs()["status"] == "partial", second.log
    assert world.ai.count("POST", "/v1/messages") == 2 and world.ai.batches_created == 1
    failed = [f for f in report["files"] if f["status"] == "failed"]
    assert failed and all(f["reason"].startswith("canceled") for f in failed)
    assert report["files_reviewed"] + len(failed) == 80
    assert "Second tries: 2 of 2" in env.summary()


def test_a_lowered_budget_still_collects_the_sweep_already_paid_for(world: World) -> None:
    env, first = world.run()
    batch_id = env.outputs()["batch-id"]
    world.ai.end_batch(batch_id)
    env, second = world.run(**{"budget-usd": "0.0001"})  # far below the plan's estimate
    assert second.code == 0, second.log
    assert env.outputs()["status"] == "findings" and world.ai.batches_created == 1
    assert "exceeds budget-usd" not in second.log
    assert_every_planted_issue_is_reported(world, env, world.repo.rev_parse("HEAD"))
    env, third = world.run(**{"budget-usd": "0.0001", "full-review": "true"})  # a new sweep is checked first
    assert env.outputs()["status"] == "failed" and world.ai.batches_created == 1, third.log
    assert "exceeds budget-usd" in third.log


def test_a_batch_whose_worst_case_passes_the_budget_is_not_sent(world: World) -> None:
    """#17.3: a batch cannot be stopped once sent, so `budget-usd` holds its worst case (every answer using all
    of max-output-tokens), not its estimate."""
    env, dry = world.run(**{"dry-run": "true"})
    estimated = float(re.findall(r"\$([\d.]+) as a batch", dry.log)[0])
    cap = f"{estimated * 1.8:.2f}"  # the estimate fits; 7 answers of 8,192 tokens would not
    env, run = world.run(**{"budget-usd": cap})
    assert env.outputs()["status"] == "failed" and world.ai.batches_created == 0, run.log
    assert f"exceeds budget-usd ${float(cap):.2f}, and a batch cannot be stopped once sent" in run.log
    assert "lower max-output-tokens" in env.summary()


def test_a_pending_state_someone_else_wrote_or_edited_is_not_collected(world: World) -> None:
    """The pending sweep's state in the audit issue is sealed (memory/seal.py): a person who edits it (here: the
    seal taken off, the batch id pointed elsewhere) does not make the next run collect their batch; the run
    ignores that state and submits its own."""
    env, first = world.run()
    pending = env.outputs()["batch-id"]
    assert first.code == 0 and env.outputs()["status"] == "pending", first.log
    (issue,) = world.audit_issues()
    line = next(x for x in issue["body"].split("\n") if x.startswith("<!-- batch-review:state "))
    assert re.search(r"\} [0-9a-f]{16,} -->$", line), line  # sealed
    forged = re.sub(r"\} [0-9a-f]+ -->$", "} -->", line).replace(pending, "msgbatch_01someoneelse")
    issue["body"] = issue["body"].replace(line, forged)
    assert split_body(issue["body"])[1][0].batch_ids == ["msgbatch_01someoneelse"]  # readable without the key

    env, second = world.run()
    assert second.code == 0, second.log
    assert world.ai.batches_created == 2 and env.outputs()["batch-id"] not in ("msgbatch_01someoneelse", pending)
    assert "msgbatch_01someoneelse" not in second.log
