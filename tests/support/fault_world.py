"""A small pull request, both fakes and a runner environment, for the fault and outcome tests.

`make_pr(root, n)` builds a PR of `n` Python files `src/mod_XX.py`, each with one planted finding on a
changed line (`planted_line(path)`), so every file yields exactly one inline comment. `world(...)`
starts the fakes, registers the PR and returns a `World` whose `run()` starts the action as a runner
does. Requests go one file per request (`max-files-per-request: 1`) so a fault can target a file
with `for_file(path)`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import user_text
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git
from tests.support.runner import RunnerEnv, RunResult, run_in_process

KEY = "sk-ant-api03-faults-test-key-7f3a9c"
PLANT_LINE = 6


def file_name(i: int) -> str:
    return f"src/mod_{i:02d}.py"


def make_pr(root: Path, n: int, *, clean: tuple[int, ...] = (), number: int = 7) -> PullFixture:
    """`n` files changed; files whose index is in `clean` get a change without a planted finding."""
    repo = GitRepo.init(root)
    base = {file_name(i): _lines(i, planted=False) for i in range(n)}
    repo.commit_files(base, "base")
    repo.checkout_new_branch("feature")
    head = {file_name(i): _lines(i, planted=i not in clean, changed=True) for i in range(n)}
    repo.commit_files(head, "feature")
    return pull_from_git(repo, "main", "feature", number)


def _lines(i: int, *, planted: bool, changed: bool = False) -> str:
    lines = [f"# module {i} line {k}" for k in range(1, 13)]
    if changed:
        lines[PLANT_LINE - 1] = f"value_{i} = compute({i})" + (
            f"  # PLANT(high,bug): defect number {i}" if planted else ""
        )
    return "\n".join(lines) + "\n"


def for_file(path: str) -> Callable[[dict[str, Any]], bool]:
    """A fault predicate matching the request that carries `path`."""
    needle = f'### "{path}"'
    return lambda body: needle in user_text(body)


def message_requests(ai: FakeAnthropicAPI) -> list[Any]:
    return [r for r in ai.requests if r.method == "POST" and r.path == "/v1/messages"]


def annotation_lines(log: str, level: str = "error") -> list[str]:
    return [line for line in log.splitlines() if re.match(rf"^::{level} file=", line)]


@dataclass
class World:
    fx: PullFixture
    gh: FakeGitHub
    ai: FakeAnthropicAPI
    env: RunnerEnv
    monkeypatch: pytest.MonkeyPatch

    def run(self, **inputs: str) -> RunResult:
        self.env.inputs.update(inputs)
        self.env.reset_files()
        return run_in_process(self.env, self.monkeypatch)

    def files(self) -> dict[str, tuple[str, str]]:
        return {f["path"]: (f["status"], f["reason"]) for f in self.env.report()["files"]}

    def visible_reviews(self) -> list[dict[str, Any]]:
        return [r for r in self.gh.reviews if r["state"] != "PENDING"]


@contextlib.contextmanager
def world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    n: int = 4,
    *,
    clean: tuple[int, ...] = (),
    fork: bool = False,
    build: Callable[[Path], PullFixture] | None = None,
    **fake_options: Any,
) -> Iterator[World]:
    """`build(root)` makes a different pull request (number 7) instead of `make_pr`'s; the other keyword
    arguments go to FakeAnthropicAPI."""
    fx = build(tmp_path / "repo") if build else make_pr(tmp_path / "repo", n, clean=clean)
    fake_options.setdefault("api_key", KEY)
    with FakeGitHub() as gh, FakeAnthropicAPI(**fake_options) as ai:
        gh.add_pull(fx)
        # the review's faults alone: the verification pass has its own (tests/test_verify_pr.py)
        env = RunnerEnv.for_pull(tmp_path / "runner", fx, gh, ai, KEY,
                                 {"min-severity": "info", "max-files-per-request": "1", "verify": "false"}, fork=fork)
        yield World(fx, gh, ai, env, monkeypatch)
