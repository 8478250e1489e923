"""Shared helpers for the bad-input and security tests: build a pull request from a real git repository,
serve it from the fakes, start the action exactly as a runner does, and read back what the user sees.

Tests in this module check the helpers themselves; the cases live in tests/test_bad_input_*.py and
tests/test_security_*.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import plant
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git
from tests.support.runner import RunnerEnv, run_in_process

KEY = f"sk-ant-api03-{uuid.uuid4().hex}-{uuid.uuid4().hex}"
Data = bytes | str


def numbered(n: int, prefix: str = "line", *, at: Mapping[int, str] | None = None, eol: str = "\n") -> str:
    """`n` lines `<prefix> <i>`; `at` replaces line i (1-based)."""
    out = [(at or {}).get(i, f"{prefix} {i}") for i in range(1, n + 1)]
    return eol.join(out) + eol


def make_pr(
    root: Path,
    base: Mapping[str, Data],
    change: Callable[[GitRepo], None] | Mapping[str, Data | None],
    *,
    number: int = 5,
    **pull_kwargs: Any,
) -> PullFixture:
    """A repository with `base` committed on main, then `change` on branch feature (None deletes)."""
    repo = GitRepo.init(root)
    repo.write("README.md", "# project\n")
    repo.write_many(base)
    repo.commit("base")
    repo.checkout_new_branch("feature")
    if callable(change):
        change(repo)
    else:
        for path, data in change.items():
            if data is None:
                repo.delete(path)
            else:
                repo.write(path, data)
    repo.commit("change")
    return pull_from_git(repo, "main", "feature", number, **pull_kwargs)


@dataclass
class World:
    fx: PullFixture
    gh: FakeGitHub
    ai: FakeAnthropicAPI
    env: RunnerEnv


@contextmanager
def pr_world(
    tmp_path: Path,
    fx: PullFixture,
    *,
    inputs: Mapping[str, str] | None = None,
    brain: Any = None,
    known_models: set[str] | None = None,
    event: dict[str, Any] | None = None,
    gh: FakeGitHub | None = None,
) -> Iterator[World]:
    github = gh or FakeGitHub()
    kwargs: dict[str, Any] = {"api_key": KEY, "brain": brain, "strict": False}
    if known_models is not None:
        kwargs["known_models"] = known_models
    with github, FakeAnthropicAPI(**kwargs) as ai:
        github.add_pull(fx)
        env = RunnerEnv.for_pull(tmp_path / "runner", fx, github, ai, KEY, {"min-severity": "info", **(inputs or {})},
                                 event=event)
        yield World(fx, github, ai, env)


@dataclass
class Outcome:
    code: int
    log: str
    outputs: dict[str, str]
    summary: str
    report: dict[str, Any] | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.outputs.get("status", "")

    @property
    def files(self) -> dict[str, tuple[str, str]]:
        return {f["path"]: (f["status"], f["reason"]) for f in (self.report or {}).get("files", [])}

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list((self.report or {}).get("findings", []))

    @property
    def error(self) -> str:
        return str((self.report or {}).get("error") or "")

    def errors_logged(self) -> list[str]:
        return [line for line in self.log.splitlines() if line.startswith("::error")]


def run_action(world: World, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    world.env.reset_files()
    result = run_in_process(world.env, monkeypatch)
    out_file = world.env.tmp / "output.txt"
    outputs = world.env.outputs() if out_file.exists() else {}
    report = None
    if outputs.get("report-path"):
        report = json.loads((world.env.workspace / outputs["report-path"]).read_text(encoding="utf-8"))
    assert "Traceback" not in result.log, result.log
    return Outcome(result.code, result.log, outputs, world.env.summary(), report)


def failed_early(outcome: Outcome, *needles: str) -> None:
    """A run that could not start: exit 2, status failed, one ::error naming the problem, a summary."""
    assert outcome.code == 2, outcome.log
    assert outcome.status == "failed", outcome.outputs
    errors = outcome.errors_logged()
    assert errors, outcome.log
    for needle in needles:
        assert needle in errors[0], errors[0]
        assert needle in outcome.summary, outcome.summary


# -- checks of the helpers ------------------------------------------------------------------------


def test_make_pr_builds_a_reviewable_pull_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_pr(tmp_path / "repo", {"a.py": numbered(5)},
                 {"a.py": numbered(5, at={3: "x = 1  # " + plant("high", "bug", title="t")})})
    with pr_world(tmp_path, fx) as world:
        outcome = run_action(world, monkeypatch)
    assert outcome.code == 0 and outcome.status == "findings"
    assert [(f["path"], f["line"]) for f in outcome.findings] == [("a.py", 3)]
    assert outcome.files["a.py"] == ("reviewed", "")
