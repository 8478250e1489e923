"""Run `batch-review action` exactly as a GitHub runner starts a Docker action, against the fakes.

`RunnerEnv` builds the environment a runner gives a container (INPUT_* with hyphens kept, GITHUB_*),
writes the event payload, and reads back the outputs file and step summary. `run_in_process` calls the
action's entry point in this process (fast); the container test runs the installed console script.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.support.gitrepo import PullFixture

REPOSITORY = "acme/widgets"


def pull_request_event(fx: PullFixture, *, action: str = "synchronize", fork: bool = False) -> dict[str, Any]:
    head_repo = "someone/widgets" if fork or fx.fork else REPOSITORY
    return {
        "action": action,
        "number": fx.number,
        "pull_request": {
            "number": fx.number,
            "state": "closed" if fx.state != "open" else "open",
            "draft": fx.draft,
            "title": fx.title,
            "body": fx.body,
            "commits": len(fx.commits),
            "changed_files": fx.changed_files,
            "html_url": f"https://github.com/{REPOSITORY}/pull/{fx.number}",
            "head": {"sha": fx.head_sha, "ref": fx.head_ref, "repo": {"full_name": head_repo}},
            "base": {"sha": fx.base_sha, "ref": fx.base_ref, "repo": {"full_name": REPOSITORY}},
        },
        "repository": {"full_name": REPOSITORY},
    }


@dataclass
class RunnerEnv:
    tmp: Path
    workspace: Path
    api_url: str
    anthropic_url: str
    event_name: str = "pull_request"
    event: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    sha: str = "0" * 40
    ref: str = "refs/pull/1/merge"
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_pull(
        cls,
        tmp: Path,
        fx: PullFixture,
        gh: FakeGitHub,
        ai: FakeAnthropicAPI,
        key: str,
        inputs: Mapping[str, str] | None = None,
        *,
        event: dict[str, Any] | None = None,
        fork: bool = False,
    ) -> RunnerEnv:
        """A `pull_request` run on `fx` (its event unless `event` is given), served by the fakes `gh` and
        `ai`, with the API key and the token as inputs, then `inputs`."""
        return cls(
            tmp=tmp, workspace=fx.repo.path, api_url=gh.base_url, anthropic_url=ai.base_url,
            event=event if event is not None else pull_request_event(fx, fork=fork), sha=fx.head_sha,
            inputs={"anthropic-api-key": key, "github-token": gh.token, **(inputs or {})},
        )

    def environ(self) -> dict[str, str]:
        self.tmp.mkdir(parents=True, exist_ok=True)
        event_path = self.tmp / "event.json"
        event_path.write_text(json.dumps(self.event), encoding="utf-8")
        home = self.tmp / "home"
        home.mkdir(exist_ok=True)
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_SHA": self.sha,
            "GITHUB_REF": self.ref,
            "GITHUB_RUN_ID": "4242",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": self.api_url,
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_OUTPUT": str(self.tmp / "output.txt"),
            "GITHUB_STEP_SUMMARY": str(self.tmp / "summary.md"),
            "ANTHROPIC_BASE_URL": self.anthropic_url,
            # one runner temp for every run of a test (a workflow's cache step restores batch-review's memory there)
            "RUNNER_TEMP": str(self.tmp.parent / "runner-temp"),
        }
        for name, value in self.inputs.items():
            env[f"INPUT_{name.upper()}"] = value  # hyphens kept, as the runner does
        env.update(self.extra)
        return env

    def outputs(self) -> dict[str, str]:
        return parse_outputs((self.tmp / "output.txt").read_text(encoding="utf-8"))

    def summary(self) -> str:
        path = self.tmp / "summary.md"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def report(self) -> dict[str, Any]:
        path = self.workspace / self.outputs()["report-path"]
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def reset_files(self) -> None:
        for name in ("output.txt", "summary.md"):
            (self.tmp / name).unlink(missing_ok=True)


_OUTPUT = re.compile(r"^(?P<name>[^<\n]+)<<(?P<delim>\S+)\n(?P<value>.*?)\n(?P=delim)\n", re.M | re.S)


def parse_outputs(text: str) -> dict[str, str]:
    """`$GITHUB_OUTPUT` as the runner reads it (heredoc form); the last value of a name wins."""
    return {m["name"]: m["value"] for m in _OUTPUT.finditer(text)}


@dataclass
class RunResult:
    code: int
    log: str


def run_in_process(env: RunnerEnv, monkeypatch: pytest.MonkeyPatch) -> RunResult:
    """Call the action's entry point with exactly the runner's environment (os.environ replaced)."""
    from batch_review.action import main

    environ = env.environ()
    for key in list(os.environ):
        if key.startswith(("INPUT_", "GITHUB_", "ANTHROPIC_", "RUNNER_")):
            monkeypatch.delenv(key, raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(env.workspace)
    stream = io.StringIO()
    code = main(environ=dict(os.environ), stream=stream)
    return RunResult(code, stream.getvalue())
