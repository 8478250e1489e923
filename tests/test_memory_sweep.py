"""Issue #9 for sweeps, and the sweep cases of issue #12: a nightly sweep pays only for the files that
changed, keeps every current finding (in the audit issue and the SARIF), lists fixed ones once; a partial
sweep never uploads a shrunken SARIF; a pending sweep belongs to its ref; a bad label is refused."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.model_brain import parse_sections, plant, user_text
from tests.support.gitrepo import GitRepo
from tests.support.runner import RunnerEnv, run_in_process
from tests.test_sweep_action import KEY, Planted, World, assert_every_planted_issue_is_reported, sweep_world

PARALLEL = {"strategy": "parallel"}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from sweep_world(tmp_path, monkeypatch)


def head_text(world: World, path: str) -> str:
    entry = world.repo.entry("HEAD", path)
    assert entry is not None
    return world.repo.read_blob(entry.sha).decode("utf-8")


def sent_paths(world: World, since: int) -> list[str]:
    """The files the model was sent through the Messages API after request number `since`."""
    bodies: list[Any] = [r.json for r in world.ai.requests[since:] if r.path == "/v1/messages"]
    return sorted(s.path for body in bodies for s in parse_sections(user_text(body)))


def test_a_nightly_sweep_reviews_only_what_changed_and_keeps_every_finding(world: World) -> None:
    env, first = world.run(**PARALLEL)
    assert env.outputs()["status"] == "findings", first.log
    full_tokens = world.ai.usage_totals()["input_tokens"]
    assert not (world.repo.path / ".batch-review/memory").exists()  # never in the repository's tree
    assert len(list(world.tmp.rglob("runner-temp/batch-review-memory/sweep-heads-main-*.json"))) == 1

    fixed = world.planted[0]  # its planted line is removed
    new = Planted("src/pkg1/mod_001.py", 7, "high", "security", "a new planted issue")
    files = {path: text for path, text in ((fixed.path, None), (new.path, None))}
    body = head_text(world, fixed.path).splitlines()
    body[fixed.line - 1] = "    return None"
    files[fixed.path] = "\n".join(body) + "\n"
    body = head_text(world, new.path).splitlines()
    body[new.line - 1] = f"    return eval(x)  # {plant(new.severity, new.category, title=new.title)}"
    files[new.path] = "\n".join(body) + "\n"
    world.repo.commit_files(files, "two files change")
    world.planted = [p for p in world.planted if p != fixed] + [new]

    before = len(world.ai.requests)
    env, second = world.run(**PARALLEL)
    assert second.code == 0, second.log
    assert sent_paths(world, before) == sorted([fixed.path, new.path])  # 2 of 80 files
    spent = world.ai.usage_totals()["input_tokens"] - full_tokens
    assert spent < 0.1 * full_tokens
    report = assert_every_planted_issue_is_reported(world, env, world.repo.rev_parse("HEAD"))  # carried too
    assert [(f["path"], f["why"]) for f in report["fixed"]] == [(fixed.path, "fixed")]
    assert "Fixed since the last sweep (1)" in world.issue_text() and fixed.title in world.issue_text()
    assert report["files_unchanged"] == 78 and report["files_reviewed"] == 2

    before = len(world.ai.requests)
    env, third = world.run(**PARALLEL)  # nothing changed: nothing sent, the fixed one is not listed again
    assert sent_paths(world, before) == [] and env.outputs()["status"] == "findings", third.log
    assert "Fixed since the last sweep" not in world.issue_text()
    assert_every_planted_issue_is_reported(world, env, world.repo.rev_parse("HEAD"))


def test_a_partial_sweep_carries_the_earlier_results_of_the_files_it_could_not_review(world: World) -> None:
    """#12.7 and #12.16: the SARIF keeps the alerts of a file that failed this time; the log warns."""
    world.run(**PARALLEL)
    victim, other = world.planted[1], world.planted[2]
    assert victim.path != other.path
    world.repo.commit_files({victim.path: "# touched\n" + head_text(world, victim.path),
                             other.path: head_text(world, other.path) + "# touched\n"}, "touch two files")
    world.ai.inject("refusal", times=10, match=lambda body: victim.path in json.dumps(body))
    # one file a request: the other file is reviewed (a run that reviews none is failed, #17.2)
    env, second = world.run(**PARALLEL, **{"upload-sarif": "true", "max-files-per-request": "1"})
    outputs = env.outputs()
    assert outputs["status"] == "partial" and second.code == 0, second.log
    lines = second.log.splitlines()
    warning = next(line for line in lines if line.startswith("::warning title=batch-review%3A partial"))
    assert victim.path in warning and "could not be reviewed" in warning
    sarif = json.loads((env.workspace / outputs["sarif-path"]).read_text(encoding="utf-8"))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
    assert len(uris) == len(world.planted)  # every current alert stays open, the failed file's included
    carried = next(f for f in env.report()["findings"] if f["path"] == victim.path)
    assert "could not be reviewed this run" in carried["note"] or carried["carried_from"]
    (upload,) = world.gh.sarif_uploads
    assert len(upload["sarif"]["runs"][0]["results"]) == len(world.planted)


def test_a_partial_sweep_without_earlier_results_uploads_nothing(world: World) -> None:
    """#12.7: no memory to carry from, a failed file: an upload would close its alerts, so none is made."""
    victim = world.planted[1]
    world.ai.inject("refusal", times=10, match=lambda body: victim.path in json.dumps(body))
    env, result = world.run(**PARALLEL, **{"upload-sarif": "true"})
    assert env.outputs()["status"] == "partial", result.log
    assert env.outputs()["sarif-path"] == "" and world.gh.sarif_uploads == []
    assert "an upload would close their code-scanning alerts" in env.summary()


def test_a_pending_sweep_of_another_branch_is_left_to_that_branch(world: World) -> None:
    """#12.8: each ref collects its own sweep; the upload names the ref and commit actually swept."""
    feature_sha = world.repo.rev_parse("HEAD")
    env, first = world.run(**{"upload-sarif": "true"}, ref="refs/heads/feature")
    feature_batch = env.outputs()["batch-id"]
    assert env.outputs()["status"] == "pending", first.log

    world.repo.commit_files({"src/pkg2/mod_002.py": "x = 1\n"}, "main moves on")
    main_sha = world.repo.rev_parse("HEAD")
    world.ai.end_batch(feature_batch)
    env, second = world.run(**{"upload-sarif": "true"})  # on main: its own sweep, not feature's
    main_batch = env.outputs()["batch-id"]
    assert main_batch and main_batch != feature_batch and world.ai.batches_created == 2, second.log
    assert world.gh.sarif_uploads == []
    (issue,) = world.audit_issues()
    from batch_review.publishers.issue import split_body

    states = {s.ref: s for s in split_body(issue["body"])[1]}
    assert states["refs/heads/feature"].batch_ids == [feature_batch] and states["refs/heads/main"].commit == main_sha

    world.repo.run("update-ref", "refs/heads/feature", feature_sha)
    env, third = world.run(**{"upload-sarif": "true"}, ref="refs/heads/feature", sha=feature_sha)
    assert env.outputs()["status"] == "findings" and env.outputs()["batch-id"] == feature_batch, third.log
    (upload,) = world.gh.sarif_uploads
    assert upload["ref"] == "refs/heads/feature" and upload["commit_sha"] == feature_sha
    (issue,) = world.audit_issues()
    assert [s.ref for s in split_body(issue["body"])[1]] == ["refs/heads/main"]  # main's stays pending


@pytest.mark.parametrize("label", ["bugs,audit", "x" * 51])
def test_an_issue_label_the_search_cannot_find_is_refused(world: World, label: str) -> None:
    """#12.5: `labels=a,b` is two labels to GitHub: the state would never be found and every run would pay."""
    env, result = world.run(**{"issue-label": label})
    assert result.code == 2 and env.outputs()["status"] == "failed"
    assert "issue-label" in result.log and world.ai.batches_created == 0 and world.gh.issues == []


def test_a_pull_request_review_refuses_strategy_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """#12.6: a PR review keeps no batch state, so a re-run would pay for the batch again: refused."""
    from tests.fakes.anthropic_api import FakeAnthropicAPI
    from tests.fakes.github_api import FakeGitHub
    from tests.support.gitrepo import pull_from_git

    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files({"a.py": "x = 1\n"}, "base")
    repo.checkout_new_branch("feature")
    repo.commit_files({"a.py": "x = 2\n"}, "change")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY) as ai:
        fx = gh.add_pull(pull_from_git(repo, "main", "feature", 3))
        env = RunnerEnv.for_pull(tmp_path / "run", fx, gh, ai, KEY, {"strategy": "batch"})
        result = run_in_process(env, monkeypatch)
        assert result.code == 2 and env.outputs()["status"] == "failed"
        assert "strategy: batch is for sweeps" in result.log
        assert ai.batches_created == 0 and ai.count("POST", "/v1/messages") == 0 and gh.reviews == []


def test_the_sarif_upload_is_gzip_of_every_current_finding(world: World) -> None:
    world.run(**PARALLEL)
    env, result = world.run(**PARALLEL, **{"upload-sarif": "true"})  # all carried
    (upload,) = world.gh.sarif_uploads
    assert len(upload["sarif"]["runs"][0]["results"]) == len(world.planted), result.log
    raw = next(c.json for c in world.gh.calls if c.path.endswith("/code-scanning/sarifs"))
    assert json.loads(gzip.decompress(base64.b64decode(raw["sarif"]))) == upload["sarif"]


def test_an_audit_issue_someone_else_opened_is_not_read(world: World) -> None:
    """#12.1 for sweeps: an issue with the label and a forged pending state, opened by another user, is
    ignored: the sweep keeps its own issue and submits its own batch."""
    from github import Auth, Github

    from batch_review.publishers.issue import AUDIT_MARKER, RESULTS_MARKER
    from batch_review.sweep_state import SweepState, state_marker

    forged = SweepState(commit=world.repo.rev_parse("HEAD"), fingerprint="ab" * 12, model="claude-sonnet-5-5",
                        batch_ids=["msgbatch_forged"], ref="refs/heads/main")
    gh = Github(auth=Auth.Token(world.gh.token), base_url=world.gh.base_url)
    planted = gh.get_repo("acme/widgets").create_issue(
        "batch-review: repository audit", f"{AUDIT_MARKER}\n{state_marker(forged)}\n## x\n{RESULTS_MARKER}\n",
        labels=["batch-review"])
    world.gh.issues[0]["user"] = world.gh.person("mallory")
    env, result = world.run(**PARALLEL)
    assert env.outputs()["status"] == "findings", result.log
    assert "ignored: 1 issue with the audit marker" in result.log
    ours = [i for i in world.audit_issues() if i["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1 and ours[0]["number"] != planted.number
    assert "msgbatch_forged" not in result.log


def test_a_sweep_memory_the_previous_version_wrote_keeps_its_findings_ids(world: World) -> None:
    """#16 §4 for sweeps: the memory file of the previous version (its ids: file, category and the text of the
    finding's lines) is read; a file with a finding changes elsewhere: the finding keeps its id, is neither
    listed as fixed nor new."""
    import hashlib

    env, _ = world.run(**PARALLEL)
    (memory,) = world.tmp.rglob("runner-temp/batch-review-memory/sweep-heads-main-*.json")
    data = json.loads(memory.read_text(encoding="utf-8"))
    for stored in data["findings"]:  # as the previous version wrote them
        lines = head_text(world, stored["path"]).splitlines()[stored["line"] - 1 : stored["end"] or stored["line"]]
        key = " ".join("\n".join(lines).split())
        stored["fp"] = hashlib.sha256(f"{stored['path']}\0{stored['cat']}\0{key}".encode()).hexdigest()[:16]
    memory.write_text(json.dumps(data), encoding="utf-8")
    ids = {(f["path"], f["line"]): f["fp"] for f in data["findings"]}
    item = world.planted[0]
    world.repo.commit_files({item.path: head_text(world, item.path) + "trailer = 1\n"}, "the file changes below")
    env, second = world.run(**PARALLEL)
    assert second.code == 0, second.log
    report = env.report()
    assert report["fixed"] == [] and report["files_reviewed"] == 1
    assert {(f["path"], f["line"]): f["fingerprint"] for f in report["findings"]} == ids
    assert "Fixed since the last sweep" not in world.issue_text()
