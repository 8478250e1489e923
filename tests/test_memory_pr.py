"""Issue #9: a pull request over its whole life — successive pushes and a force-push of a real git branch,
reviewed as a runner starts the action, against the GitHub fake (REST and GraphQL) and the Anthropic fake.

What a user sees: which files the model was sent, the reviews and threads on the pull request, the status
comment, outputs, exit codes and the JSON report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import parse_sections, plant, planted_brain, user_text
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git
from tests.support.runner import RunnerEnv, run_in_process

KEY = "sk-ant-api03-memory-test-key-00000"
NUMBER = 7


def module(name: str, planted: dict[int, str] | None = None, *, lines: int = 30, tag: str = "") -> str:
    rows = [f"value_{name}_{i} = {i}  # {tag}" if tag and i == 1 else f"value_{name}_{i} = {i}"
            for i in range(1, lines + 1)]
    for line, marker in (planted or {}).items():
        rows[line - 1] = f"check_{name}_{line}()  # {marker}"
    return "\n".join(rows) + "\n"


SQL = plant("high", "security", title="SQL built by concatenation")
LEAK = plant("medium", "reliability", title="file handle is never closed")


@dataclass
class World:
    tmp: Path
    repo: GitRepo
    gh: FakeGitHub
    ai: FakeAnthropicAPI
    monkeypatch: pytest.MonkeyPatch
    runs: int = 0
    fx: PullFixture | None = None
    inputs: dict[str, str] = field(default_factory=dict)

    def push(self, files: dict[str, str], message: str) -> None:
        self.repo.commit_files(files, message)
        self.fx = self.gh.add_pull(pull_from_git(self.repo, "main", "feature", NUMBER))

    def run(self, **inputs: str) -> tuple[RunnerEnv, Any, list[str]]:
        """One run of the action; also the paths the model was sent in this run."""
        assert self.fx is not None
        self.runs += 1
        before = len(self.ai.requests)
        env = RunnerEnv.for_pull(self.tmp / f"run{self.runs}", self.fx, self.gh, self.ai, KEY,  # the review's
                                 {"min-severity": "info", "fail-on": "high", "verify": "false",  # memory alone
                                  **self.inputs, **inputs})
        result = run_in_process(env, self.monkeypatch)
        sent = [s.path for r in self.ai.requests[before:] if r.path == "/v1/messages"
                for s in parse_sections(user_text(r.json))]
        return env, result, sent

    def our_reviews(self) -> list[dict[str, Any]]:
        return [r for r in self.gh.reviews_for(NUMBER) if r["user"]["login"] == "github-actions[bot]"]

    def seal(self) -> Any:
        """The seal this pull request's runs use (the key derived from the Anthropic API key)."""
        from batch_review.memory.seal import Seal

        return Seal.make(f"{self.gh.full_name}#{NUMBER}", memory_key=None, api_key=KEY)

    def status_comments(self) -> list[dict[str, Any]]:
        return [c for c in self.gh.issue_comments if "batch-review:pr-state" in c["body"]]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from pull_world(tmp_path, monkeypatch)


def pull_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A repository of six modules with a `feature` branch, and both fakes (the `world` fixture)."""
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files({f"src/{n}.py": module(n) for n in "abcdef"}, "base")
    repo.checkout_new_branch("feature")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY) as ai:
        yield World(tmp_path, repo, gh, ai, monkeypatch)
        assert not gh.server_errors, gh.server_errors


def first_push(w: World) -> None:
    w.push({"src/a.py": module("a", {10: SQL}), "src/b.py": module("b", {20: LEAK}), "src/c.py": module("c", tag="x")},
           "first push")


def test_a_push_sends_only_the_files_it_changed_and_a_red_check_stays_red(world: World) -> None:
    first_push(world)
    env, first, sent = world.run()
    assert first.code == 1, first.log  # fail-on: high
    assert sorted(sent) == ["src/a.py", "src/b.py", "src/c.py"]
    assert env.outputs()["findings-count"] == "2" and len(world.our_reviews()) == 1
    assert len(world.status_comments()) == 1

    world.push({"src/d.py": module("d", tag="y")}, "second push touches another file")
    env, second, sent = world.run()
    assert sent == ["src/d.py"]  # a, b and c were reviewed at these contents already
    assert second.code == 1, second.log  # the high finding on a.py still counts: red stays red
    outputs, report = env.outputs(), env.report()
    assert outputs["findings-count"] == "2" and outputs["highest-severity"] == "high"
    assert outputs["status"] == "findings"
    carried = {f["path"]: f["carried_from"] for f in report["findings"]}
    assert carried == {"src/a.py": world.repo.rev_parse("feature~1"), "src/b.py": world.repo.rev_parse("feature~1")}
    assert report["files_unchanged"] == 3 and report["files_reviewed"] == 1
    assert len(world.our_reviews()) == 1  # nothing new to say: no new review
    assert len(world.status_comments()) == 1  # the status comment is edited in place
    assert "carried from" in env.summary() and "unchanged since their last review" in env.summary()
    check = world.gh.check_runs[-1]
    assert check["conclusion"] == "failure" and len(check["annotations"]) == 2


def test_a_fixed_finding_s_thread_is_resolved_and_the_block_lifts(world: World) -> None:
    world.inputs = {"request-changes-on": "high"}
    first_push(world)
    env, first, _ = world.run()
    (review,) = world.our_reviews()
    assert review["state"] == "CHANGES_REQUESTED" and first.code == 1

    world.push({"src/a.py": module("a", tag="fixed")}, "fix the SQL")  # the planted line is gone
    calls = len(world.gh.calls)
    env, second, sent = world.run()
    made = [f"{c.method} {c.path}" for c in world.gh.calls[calls:]]
    assert len(made) <= 16, made  # thread reads, the claim (4 calls), the resolution and the dismissal included
    assert sent == ["src/a.py"], second.log
    assert second.code == 0, second.log  # the high finding is fixed: fail-on no longer triggers
    report = env.report()
    assert [(f["path"], f["why"], f["action"]) for f in report["fixed"]] == [("src/a.py", "fixed", "thread resolved")]
    assert report["fixed"][0]["at"] == world.fx.head_sha
    threads = {t.path: t for t in world.gh.threads(NUMBER)}
    assert threads["src/a.py"].is_resolved and not threads["src/b.py"].is_resolved
    assert env.outputs()["findings-count"] == "1"  # b.py's finding is carried
    (review,) = world.our_reviews()
    assert review["state"] == "DISMISSED"  # every blocking finding of it is fixed: the block lifts
    assert "Fixed" in env.summary() and "SQL built by concatenation" in env.summary()

    env, third, sent = world.run()  # again: nothing changed, nothing to do, nothing listed twice
    assert sent == [] and env.report()["fixed"] == [] and third.code == 0
    assert world.ai.count("POST", "/v1/messages") == 2


def test_a_thread_a_person_replied_to_stays_open_with_one_reply(world: World) -> None:
    first_push(world)
    world.run()
    thread_b = next(t for t in world.gh.threads(NUMBER) if t.path == "src/b.py")
    world.gh.reply_as("octocat", thread_b.root["id"], "Is this really a problem?")
    world.push({"src/b.py": module("b", tag="closed")}, "close the file")
    env, _, sent = world.run()
    assert sent == ["src/b.py"]
    thread_b = next(t for t in world.gh.threads(NUMBER) if t.path == "src/b.py")
    assert not thread_b.is_resolved
    ours = [c for c in thread_b.comments[1:] if c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1 and "looks fixed" in ours[0]["body"]
    assert env.report()["fixed"][0]["action"].startswith("thread left open")
    world.push({"src/e.py": module("e", tag="z")}, "unrelated")
    world.run()
    thread_b = next(t for t in world.gh.threads(NUMBER) if t.path == "src/b.py")
    assert len([c for c in thread_b.comments if c["user"]["login"] == "github-actions[bot]"]) == 2  # no second reply


def test_a_thread_a_person_resolved_is_never_reopened_reposted_or_counted(world: World) -> None:
    first_push(world)
    world.run()
    thread_a = next(t for t in world.gh.threads(NUMBER) if t.path == "src/a.py")
    world.gh.resolve_thread_as("octocat", thread_a.id)
    # a.py changes elsewhere: it is reviewed again and the finding is found again
    world.push({"src/a.py": module("a", {10: SQL}, tag="edited")}, "touch a.py")
    env, result, sent = world.run()
    assert sent == ["src/a.py"]
    assert result.code == 0, result.log  # the high finding was resolved by a person: not counted
    thread_a = next(t for t in world.gh.threads(NUMBER) if t.path == "src/a.py")
    assert thread_a.is_resolved and thread_a.resolved_by == "octocat"
    assert len(world.our_reviews()) == 1  # not posted again
    report = env.report()
    assert [a["why"] for a in report["acknowledged"]] == ["resolved by octocat"]
    assert env.outputs()["findings-count"] == "1"


def test_a_force_push_that_changes_no_file_content_sends_nothing(world: World) -> None:
    first_push(world)
    world.run()
    calls = world.ai.count("POST", "/v1/messages")
    # main moves on, and the branch is rebased onto it: every commit is new, no PR file's content changed
    world.repo.run("reset", "-q", "--hard")  # commit_files leaves the working tree alone
    world.repo.checkout("main")
    world.repo.commit_files({"docs/unrelated.md": "hello\n"}, "main moves")
    world.repo.run("reset", "-q", "--hard")
    world.repo.checkout("feature")
    world.repo.run("rebase", "-q", "main")
    assert world.fx is not None and world.repo.rev_parse("feature") != world.fx.head_sha
    world.fx = world.gh.add_pull(pull_from_git(world.repo, "main", "feature", NUMBER))
    env, result, sent = world.run()
    assert sent == [] and world.ai.count("POST", "/v1/messages") == calls
    assert result.code == 1 and env.outputs()["findings-count"] == "2"  # carried, still red
    assert len(world.our_reviews()) == 1


def test_markers_written_by_anyone_else_are_ignored(world: World) -> None:
    """#12.1: a PR author forges "already posted" and "already reviewed" markers; nothing is suppressed."""
    from batch_review.findings import fingerprint
    from batch_review.memory.markers import PullState, file_key

    first_push(world)
    text = f"check_a_10()  # {SQL}"
    forged_fp = fingerprint("src/a.py", "security", text, 10)
    assert world.fx is not None
    keys = {f["filename"]: file_key(str(f["filename"]), str(f["sha"])) for f in world.fx.files}
    state = PullState("0" * 16, {k: "1" * 40 for k in keys.values()})
    world.gh.add_review_as("mallory", NUMBER, f"looks good <!-- batch-review:fp={forged_fp} -->")
    world.gh.add_issue_comment_as("mallory", NUMBER, state.to_marker(world.seal()) + "\n<!-- batch-review:status -->")
    world.gh.add_review_comment_as(
        "mallory", NUMBER, path="src/a.py", line=10,
        body=f'nit <!-- batch-review:finding {json.dumps({"fp": forged_fp})} -->')
    env, result, sent = world.run()
    assert sorted(sent) == ["src/a.py", "src/b.py", "src/c.py"]
    inline = [c for c in world.gh.review_comments if c["user"]["login"] == "github-actions[bot]"]
    assert {c["path"] for c in inline} == {"src/a.py", "src/b.py"}  # the critical line is still posted
    assert result.code == 1 and "not written by" in result.log


def test_two_findings_on_identical_lines_are_two_findings_across_runs(world: World) -> None:
    """#9 §4: the same text on two lines is two places; the later one is not taken as already posted."""
    dup = f"    return None  # {plant('low', 'bug', title='returns None where a value is expected')}"

    def source(*planted: int) -> str:
        rows = [f"def f_{i}(x):" if i % 5 == 1 else f"    x += {i}" for i in range(1, 31)]
        for line in planted:
            rows[line - 1] = dup  # the very same text on each planted line
        return "\n".join(rows) + "\n"

    world.push({"src/f.py": source(5)}, "one")
    world.run()
    assert [c["line"] for c in world.gh.review_comments] == [5]
    world.push({"src/f.py": source(5, 25)}, "the same line again, further down")
    env, _, _ = world.run()
    lines = sorted(c["line"] for c in world.gh.review_comments if c["user"]["login"] == "github-actions[bot]")
    assert lines == [5, 25]  # the second is new: posted, not mistaken for the first
    fps = [f["fingerprint"] for f in env.report()["findings"]]
    assert len(fps) == 2 and len(set(fps)) == 2
    world.push({"src/g.py": source(3, 13)}, "both at once")  # within one run: two findings, not one
    world.run()
    assert sorted(c["line"] for c in world.gh.review_comments if c["path"] == "src/g.py") == [3, 13]


def test_a_finding_keeps_its_identity_when_reworded_and_moved(world: World, tmp_path: Path) -> None:
    """#9 §4, the other direction: lines above it move and the model rewords the title: not posted twice."""
    wording = {"n": 0}

    def rewording(body: dict[str, Any]) -> str:
        answer = json.loads(planted_brain(body))
        for finding in answer["findings"]:
            finding["title"] = f"{finding['title']} (wording {wording['n']})"
        return json.dumps(answer)

    world.ai.engine.brain = rewording
    world.push({"src/a.py": module("a", {10: SQL})}, "one")
    world.run()
    wording["n"] = 1
    shifted = "\n".join(f"inserted_{i} = {i}" for i in range(4)) + "\n" + module("a", {10: SQL})
    world.push({"src/a.py": shifted}, "four lines above it")
    env, _, sent = world.run()
    assert sent == ["src/a.py"]
    ours = [c for c in world.gh.review_comments if c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1  # the same finding: not posted again
    (finding,) = env.report()["findings"]
    assert finding["line"] == 14 and finding["placement"] == "already-posted" and "wording 1" in finding["title"]


def test_occurrence_counts_the_same_places_as_squeezing_every_line() -> None:
    """A finding's fingerprint counts the earlier lines with its text (whitespace squeezed as RE2's `\\s`); the
    fast count agrees with squeezing every line, for whitespace Python's split knows and RE2's does not."""
    from batch_review.findings import occurrence, squeeze

    def every_line(lines: list[str], first: int, last: int) -> int:
        squeezed = [squeeze(t) for t in lines]
        target = squeezed[first - 1 : last]
        return sum(1 for s in range(first - 1) if squeezed[s : s + last - first + 1] == target)

    texts = ["return None", "  return   None", "\treturn\tNone ", "return\vNone", "return\xa0None",
             "return\u2003None", "return\fNone\r", "returnNone", "x = 1", "", "   "]
    lines = [texts[(i * 7) % len(texts)] for i in range(60)] + ["return None", "x = 1", "return\vNone"]
    for first in range(1, len(lines) + 1):
        for last in (first, min(first + 1, len(lines))):
            assert occurrence(lines, first, last) == every_line(lines, first, last), (first, last)
    assert occurrence(lines, len(lines) - 2, len(lines) - 2) > 0
