"""Targeted context end to end: the action on a pull request (real PyGithub and anthropic clients, the
loopback fakes) and the local CLI. What the model receives is each change with its enclosing function
and its class line, at exact head line numbers; a finding on a context line outside GitHub's hunks
counts as shown, and goes in the review body because GitHub cannot take it inline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import planted_brain, user_text
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git
from tests.support.runner import RunnerEnv, run_in_process

KEY = "sk-ant-api03-context-e2e-key-0000"
PAD_PY = "".join(f"def pad{i}(x):\n    return x + {i}\n\n\n" for i in range(40))  # lines 1-160
PAD_GO = "".join(f"func pad{i}(x int) int {{\n\treturn x + {i}\n}}\n\n" for i in range(40))


def python_module() -> str:
    body = "".join(f"        s{i} = step({i})\n" for i in range(40))
    body = body.replace("s3 = step(3)", "s3 = step(3)  # PLANT(high,bug): a problem in unchanged code")
    return PAD_PY + "class Store:\n    def save(self, x):\n" + body + "        return x\n" + PAD_PY


def go_module() -> str:
    body = "".join(f"\tv{i} := step({i})\n" for i in range(40))
    return "package p\n\n" + PAD_GO + "func (s *Store) Load(x int) int {\n" + body + "\treturn x\n}\n\n" + PAD_GO


def build(root: Path) -> PullFixture:
    repo = GitRepo.init(root)
    repo.write("src/store.py", python_module())
    repo.write("src/store.go", go_module())
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("src/store.py", python_module().replace(
        "s30 = step(30)", "s30 = step(30) + 1  # PLANT(medium,bug): the changed line"))
    repo.write("src/store.go", go_module().replace("v30 := step(30)", "v30 := step(31)"))
    repo.commit("change")
    return pull_from_git(repo, "main", "feature")


# src/store.py: 161 `class Store:`, 162 `def save`, 163-202 the body (163+3 = 166 the planted context
# line, 193 the changed line), 203 `return x`. src/store.go: 163 `func (s *Store) Load`, 194 changed.
CONTEXT_LINE, CHANGED_LINE = 166, 193


World = tuple[PullFixture, FakeGitHub, FakeAnthropicAPI]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    fx = build(tmp_path / "repo")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai:
        gh.add_pull(fx)
        yield fx, gh, ai


def sent_sections(ai: FakeAnthropicAPI) -> dict[str, list[str]]:
    """Each file's lines as the model received them (header first), over every request."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for request in ai.requests:
        if request.path != "/v1/messages":
            continue
        for line in user_text(request.json).splitlines():
            if line.startswith('### "'):
                path = json.JSONDecoder().raw_decode(line, 4)[0]
                current = sections.setdefault(path, [line])
            elif line.startswith("</code"):
                current = None
            elif current is not None:
                current.append(line)
    return sections


def head_queries(gh: FakeGitHub) -> int:
    """GraphQL queries for head content (other features query GraphQL too)."""
    return sum(1 for c in gh.calls if c.path == "/graphql" and "e0" in ((c.json or {}).get("variables") or {}))


def numbers(lines: list[str]) -> list[int]:
    return [int(line[:3]) for line in lines[1:] if line[:3].strip().isdigit()]


def run_action(tmp_path: Path, fx: PullFixture, gh: FakeGitHub, ai: FakeAnthropicAPI, monkeypatch: pytest.MonkeyPatch,
               workspace: Path | None = None) -> Any:
    env = RunnerEnv.for_pull(tmp_path / "runner", fx, gh, ai, KEY, {"min-severity": "info", "check-run": "false",
                                                                    "verify": "false"})  # what the reviewer sees
    if workspace is not None:
        env.workspace = workspace
    result = run_in_process(env, monkeypatch)
    assert result.code == 0, result.log
    return env


def test_the_model_sees_each_function_whole_and_a_context_finding_goes_in_the_body(
        tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai = world
    env = run_action(tmp_path, fx, gh, ai, monkeypatch)

    sections = sent_sections(ai)
    py, go = sections["src/store.py"], sections["src/store.go"]
    assert py[0] == '### "src/store.py" (changes with their enclosing definitions, new-file line numbers)'
    assert numbers(py) == [161, *range(162, 204)]  # the class line, then the whole method
    assert py[1:3] == ["161 class Store:", "162     def save(self, x):"]
    assert f"{CHANGED_LINE}+        s30 = step(30) + 1  # PLANT(medium,bug): the changed line" in py
    assert "   -        s30 = step(30)" in py
    assert numbers(go) == list(range(163, 206))  # the method, from its signature to its brace
    assert not any("pad" in line for line in py + go)
    assert head_queries(gh) == 0  # the workspace held the head blobs

    (review,) = gh.reviews
    assert [(c["path"], c["line"]) for c in gh.review_comments] == [("src/store.py", CHANGED_LINE)]
    assert "a problem in unchanged code" in review["body"]
    assert f"line {CONTEXT_LINE} is not part of the diff" in review["body"]
    findings = {f["line"]: f for f in env.report()["findings"]}
    assert findings[CONTEXT_LINE]["placement"] == "body"
    assert "not among the lines shown" not in json.dumps(findings[CONTEXT_LINE])
    assert findings[CHANGED_LINE]["placement"] == "inline"


def test_without_the_head_in_the_workspace_one_graphql_query_gives_the_same_prompt(
        tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai = world
    run_action(tmp_path / "a", fx, gh, ai, monkeypatch)
    local = sent_sections(ai)
    bare = tmp_path / "bare-workspace"  # a runner without a checkout step
    bare.mkdir()
    with FakeGitHub() as gh2, FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai2:
        gh2.add_pull(fx)
        run_action(tmp_path / "b", fx, gh2, ai2, monkeypatch, workspace=bare)
        assert head_queries(gh2) == 1
        assert sent_sections(ai2) == local
        assert len(gh2.review_comments) == 1


def test_the_local_cli_shows_the_working_tree_function(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("src/store.py", python_module())
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("src/store.py", python_module().replace("s30 = step(30)", "s30 = step(30) + 1"))  # not committed
    home = tmp_path / "home"
    home.mkdir()
    report = tmp_path / "report.json"
    with FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai:
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "ANTHROPIC_API_KEY": KEY,
               "ANTHROPIC_BASE_URL": ai.base_url}
        command = [sys.executable, "-m", "batch_review.cli", "review", str(repo.path), "--base", "main",
                   "--json", str(report), "--no-verify"]  # what the reviewer sees
        proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        py = sent_sections(ai)["src/store.py"]
    assert numbers(py) == [161, *range(162, 204)]
    findings = json.loads(report.read_text())["findings"]
    assert [(f["line"], f["note"]) for f in findings] == [(CONTEXT_LINE, "")]
