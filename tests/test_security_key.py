"""The API key appears nowhere: a random key is planted and everything the run leaves behind is scanned.

Scanned: the captured log (but for the first line, the `::add-mask::` command the runner swallows),
$GITHUB_OUTPUT, the step summary, every file under the report folder, every request line, header and
body the GitHub fake received, the review, its comments and the check run, and the prompts sent to the
model. Three runs: a normal review; one where the API answers 401 with an error that echoes the key;
one where the code under review itself contains the key and the model quotes it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import plant
from tests.test_bad_input_world import KEY, Outcome, World, make_pr, numbered, pr_world, run_action


class RecordingGitHub(FakeGitHub):
    """The GitHub fake, also keeping every raw request: method, path, headers and body bytes."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[tuple[str, str, dict[str, str], bytes]] = []

    def _handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Any:
        self.raw.append((method, raw_path, dict(headers), body))
        return super()._handle(method, raw_path, headers, body)


def _everything(world: World, out: Outcome, gh: RecordingGitHub) -> dict[str, str]:
    env = world.env
    places: dict[str, str] = {
        "log (after the add-mask line)": "\n".join(out.log.splitlines()[1:]),
        "$GITHUB_OUTPUT": (env.tmp / "output.txt").read_text(encoding="utf-8"),
        "step summary": out.summary,
        # what we wrote (GitHub's own fields, such as a comment's diff_hunk, quote the code under review)
        "reviews": json.dumps([r["body"] for r in gh.reviews]),
        "review comments": json.dumps([(c["path"], c["body"]) for c in gh.review_comments]),
        "check runs": json.dumps([(r["output"], r.get("annotations")) for r in gh.check_runs]),
        "prompts": "\n".join(r.raw.decode("utf-8", "replace") for r in world.ai.requests),
    }
    report_dir = env.workspace / ".batch-review"
    for path in report_dir.rglob("*"):
        if path.is_file():
            places[f"report file {path.name}"] = path.read_bytes().decode("utf-8", "replace")
    for i, (method, raw_path, headers, body) in enumerate(gh.raw):
        places[f"GitHub request {i} {method} {raw_path}"] = (
            raw_path + json.dumps(headers) + body.decode("utf-8", "replace")
        )
    return places


def _assert_nowhere(world: World, out: Outcome, gh: RecordingGitHub) -> None:
    assert out.log.splitlines()[0] == f"::add-mask::{KEY}"  # first thing, before any other line
    places = _everything(world, out, gh)
    assert any(name.startswith("report file") for name in places)
    assert any(name.startswith("GitHub request") for name in places)
    leaks = [name for name, text in places.items() if KEY in text]
    assert not leaks, leaks
    # nor a recognisable piece of it (a truncated echo)
    leaks = [name for name, text in places.items() if KEY[13:45] in text]
    assert not leaks, leaks


def _pr(tmp_path: Path, code_line: str):
    return make_pr(tmp_path / "repo", {"app.py": numbered(10)}, {"app.py": numbered(10, at={4: code_line})})


def test_key_appears_nowhere_in_a_normal_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gh = RecordingGitHub()
    fx = _pr(tmp_path, "x = eval(y)  # " + plant("high", "security", title="eval"))
    with pr_world(tmp_path, fx, gh=gh) as world:
        out = run_action(world, monkeypatch)
        assert out.status == "findings" and gh.reviews and gh.check_runs
        _assert_nowhere(world, out, gh)


def test_key_echoed_by_a_401_is_masked_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gh = RecordingGitHub()
    fx = _pr(tmp_path, "x = 1")
    body = json.dumps({
        "type": "error",
        "error": {"type": "authentication_error", "message": f"invalid x-api-key: {KEY} (sent as {KEY[:40]}…)"},
        "request_id": "req_echo",
    }).encode()
    with pr_world(tmp_path, fx, gh=gh) as world:
        world.ai.inject(("custom", 401, {"request-id": f"req_{KEY}"}, body), times=50)
        out = run_action(world, monkeypatch)
        assert out.code == 2 and out.status == "failed"
        assert "authentication_error" in out.error and "***" in out.error
        assert any(line.startswith("::error") and "authentication_error" in line for line in out.log.splitlines())
        assert gh.check_runs and gh.check_runs[0]["conclusion"] == "failure"
        places = _everything(world, out, gh)
        leaks = [name for name, text in places.items() if KEY in text]
        assert not leaks, leaks
        assert out.log.splitlines()[0] == f"::add-mask::{KEY}"


def test_key_committed_in_the_code_is_not_repeated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gh = RecordingGitHub()
    fx = _pr(tmp_path, f"API_KEY = '{KEY}'  # " + plant("critical", "security", title=f"hard-coded key {KEY}"))
    with pr_world(tmp_path, fx, gh=gh) as world:
        out = run_action(world, monkeypatch)
        assert out.status == "findings"
        places = _everything(world, out, gh)
        posted = places["review comments"] + places["reviews"] + places["check runs"]
        assert "hard-coded key ***" in posted and KEY not in posted
        places.pop("prompts")  # the code under review holds the key, so the prompt must too
        leaks = [name for name, text in places.items() if KEY in text]
        assert not leaks, leaks


def test_key_from_the_environment_is_masked_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gh = RecordingGitHub()
    fx = _pr(tmp_path, "x = 1")
    with pr_world(tmp_path, fx, gh=gh, inputs={"anthropic-api-key": ""}) as world:
        world.env.extra["ANTHROPIC_API_KEY"] = KEY
        world.ai.inject(("custom", 401, {}, json.dumps({"type": "error", "error": {
            "type": "authentication_error", "message": f"bad key {KEY}"}}).encode()), times=50)
        out = run_action(world, monkeypatch)
        assert out.status == "failed"
        _assert_nowhere(world, out, gh)
