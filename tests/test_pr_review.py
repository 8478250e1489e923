"""Issue #2, end to end: a 12-file pull request with planted issues, reviewed through the real
anthropic and PyGithub clients against the loopback fakes, started as the runner starts the action."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import planted_brain, user_text
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git
from tests.support.runner import RunnerEnv, run_in_process

KEY = "sk-ant-api03-e2e-test-key-000000"


def _lines(n: int, prefix: str) -> list[str]:
    return [f"{prefix} line {i}" for i in range(1, n + 1)]


def build_twelve_file_pr(root: Path) -> PullFixture:
    repo = GitRepo.init(root)
    auth = _lines(40, "# auth")
    db = _lines(30, "# db")
    util = _lines(20, "# util")
    guide = _lines(12, "guide")
    guide[5] = "guide line 6  <!-- PLANT(info,documentation): example is outdated -->"  # unchanged context
    big = _lines(60, "# big")
    clean = _lines(10, "# clean")
    repo.write("src/auth.py", "\n".join(auth) + "\n")
    repo.write("src/db.py", "\n".join(db) + "\n")
    repo.write("src/util.py", "\n".join(util))  # no newline at end of file
    repo.write("src/old_name.py", "def fetch(url):\n    return get(url)\n" + "\n".join(_lines(15, "# old")) + "\n")
    repo.write("docs/guide.md", "\r\n".join(guide) + "\r\n")  # CRLF
    repo.write("src/big.py", "\n".join(big) + "\n")
    repo.write("src/clean.py", "\n".join(clean) + "\n")
    repo.write("assets/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    repo.write("package-lock.json", '{"lockfileVersion": 3}\n')
    repo.write("src/removed.py", "x = 1\n")
    repo.write("vendor/lib.js", "function a() {}\n")
    repo.commit("base")
    repo.checkout_new_branch("feature")

    auth[9:12] = ["PASSWORD = 'hunter2'  # PLANT(critical,security): hard-coded password", "# auth changed"]
    repo.write("src/auth.py", "\n".join(auth) + "\n")
    db[19] = "query = 'SELECT * FROM t WHERE id=' + user_id  # PLANT(high,security): SQL built by concatenation"
    repo.write("src/db.py", "\n".join(db) + "\n")
    util[5:8] = [
        "for i in range(len(items) + 1):  # PLANT(medium,bug,end=+2): off-by-one reads past the end"
        "|suggest=for item in items:\\n    total += item\\n    print(total)",
        "    total += items[i]",
        "    print(total)",
    ]
    repo.write("src/util.py", "\n".join(util))
    repo.write("src/new_module.py", "def helper():\n    return 1  # PLANT(low,maintainability): duplicates helper\n")
    repo.rename("src/old_name.py", "src/renamed.py")
    repo.write(
        "src/renamed.py",
        "def fetch(url):\n    return get(url)  # PLANT(medium,reliability): no timeout on the request\n"
        + "\n".join(_lines(15, "# old")) + "\n",
    )
    guide[4] = "guide line 5 edited"  # the planted line 6 stays as context inside this hunk
    repo.write("docs/guide.md", "\r\n".join(guide) + "\r\n")
    big[30] = "eval(data)  # PLANT(high,security): eval on request data"
    repo.write("src/big.py", "\n".join(big) + "\n")
    clean[3] = "# clean line 4, caf\xe9 edited"
    repo.write("src/clean.py", ("\n".join(clean) + "\n").encode("latin-1"))  # not UTF-8
    repo.write("assets/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x01")
    repo.write("package-lock.json", '{"lockfileVersion": 3, "x": 1}\n')
    repo.delete("src/removed.py")
    repo.write("vendor/lib.js", "function a() { return 1 }\n")
    repo.commit("feature work")
    return pull_from_git(repo, "main", "feature", 7, omit_patch=["src/big.py"])


def planted_lines(fx: PullFixture) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for record in fx.files:
        path = str(record["filename"])
        entry = fx.repo.entry(fx.head_sha, path)
        if entry is None or record["status"] == "removed":
            continue
        text = fx.repo.read_blob(entry.sha).decode("utf-8", "replace")
        for number, line in enumerate(text.split("\n"), 1):
            if "PLANT(" in line:
                found.setdefault(path, []).append(number)
    return found


def brain_with_strays(body: dict[str, Any]) -> str:
    """The planted brain, plus what a real model also does: name a line it was not shown, a ghost file."""
    answer = json.loads(planted_brain(body))
    if '### "src/db.py"' in user_text(body):  # the request that shows src/db.py (every request's map names it)
        for extra in ({"path": "src/db.py", "line": 1, "title": "module has no docstring"},
                      {"path": "src/ghost.py", "line": 3, "title": "file that is not in the PR"}):
            answer["findings"].append({**extra, "end_line": None, "severity": "low", "category": "documentation",
                                       "body": "Stray finding.", "suggestion": None, "confidence": 0.5})
    return json.dumps(answer)


@pytest.fixture
def world(tmp_path: Path):
    fx = build_twelve_file_pr(tmp_path / "repo")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY, brain=brain_with_strays, strict=True) as ai:
        gh.add_pull(fx)
        env = RunnerEnv.for_pull(tmp_path / "runner", fx, gh, ai, KEY, {"min-severity": "info", "fail-on": "high"})
        yield fx, gh, ai, env


def test_twelve_file_pr_gets_one_review_at_exact_lines(world, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai, env = world
    planted = planted_lines(fx)
    result = run_in_process(env, monkeypatch)

    assert result.code == 1, result.log  # fail-on: high, and a critical and two highs exist
    assert len(gh.reviews) == 1
    review = gh.reviews[0]
    assert review["commit_id"] == fx.head_sha
    assert review["state"] == "COMMENTED"
    comments = {(c["path"], c["line"]): c for c in gh.review_comments}
    expected_inline = {
        ("src/auth.py", planted["src/auth.py"][0]),
        ("src/db.py", planted["src/db.py"][0]),
        ("src/util.py", planted["src/util.py"][0] + 2),  # a range: GitHub's `line` is its last line
        ("src/new_module.py", planted["src/new_module.py"][0]),
        ("src/renamed.py", planted["src/renamed.py"][0]),
        ("docs/guide.md", planted["docs/guide.md"][0]),
    }
    assert set(comments) == expected_inline
    util = comments[("src/util.py", planted["src/util.py"][0] + 2)]
    assert util["start_line"] == planted["src/util.py"][0]
    assert "```suggestion\nfor item in items:\n    total += item\n    print(total)\n```" in util["body"]
    assert all(c["side"] == "RIGHT" for c in gh.review_comments)
    assert all("<!-- batch-review:finding " in c["body"] for c in gh.review_comments)

    body = review["body"]
    assert "eval on request data" in body and f"`src/big.py:{planted['src/big.py'][0]}`" in body
    assert "module has no docstring" in body and "file that is not in the PR" in body
    assert body.count("<!-- batch-review:finding ") == 3

    outputs = env.outputs()
    assert outputs["findings-count"] == "9"
    assert outputs["highest-severity"] == "critical"
    assert outputs["status"] == "findings"
    assert outputs["cost-usd"] != "0.0000"
    assert outputs["batch-id"] == ""

    report = env.report()
    files = {f["path"]: (f["status"], f["reason"]) for f in report["files"]}
    assert files["assets/logo.png"] == ("skipped", "binary")
    assert files["package-lock.json"] == ("skipped", "lock file")
    assert files["src/removed.py"] == ("skipped", "deleted")
    assert files["vendor/lib.js"] == ("skipped", "vendored")
    for path in ("src/auth.py", "src/db.py", "src/util.py", "src/new_module.py", "src/renamed.py",
                 "docs/guide.md", "src/big.py", "src/clean.py"):
        assert files[path] == ("reviewed", ""), path
    assert len(files) == 12
    placements = {(f["path"], f["line"]): f["placement"] for f in report["findings"]}
    assert placements[("src/big.py", planted["src/big.py"][0])] == "body"
    assert placements[("src/db.py", 1)] == "body"
    assert sum(1 for p in placements.values() if p == "inline") == 6

    summary = env.summary()
    assert "hard-coded password" in summary and "lock file" in summary and "| 9 |" not in summary
    assert len(gh.check_runs) == 1 and gh.check_runs[0]["conclusion"] == "failure"
    shown = [line for line in result.log.splitlines() if not line.startswith("::add-mask::")]
    assert result.log.splitlines()[0] == f"::add-mask::{KEY}"  # the runner hides it from then on
    assert not any(KEY in line for line in shown) and KEY not in summary


def test_second_run_on_the_same_head_posts_nothing_new(world, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai, env = world
    first = run_in_process(env, monkeypatch)
    assert first.code == 1
    comments_before = len(gh.review_comments)
    env.reset_files()
    second = run_in_process(env, monkeypatch)
    assert second.code == 1
    assert len(gh.reviews) == 1
    assert len(gh.review_comments) == comments_before
    report = env.report()
    # every file was reviewed at this head already: nothing is sent again, every finding is carried
    assert {f["placement"] for f in report["findings"]} == {"carried"}
    assert {f["carried_from"] for f in report["findings"]} == {fx.head_sha}
    assert env.outputs()["findings-count"] == "9"
    assert "nothing new" in report["published"]["review"]


def test_progress_is_logged_in_groups_as_n_of_m(world, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai, env = world
    env.inputs["max-files-per-request"] = "1"
    result = run_in_process(env, monkeypatch)
    lines = result.log.splitlines()
    groups = [line.removeprefix("::group::") for line in lines if line.startswith("::group::")]
    assert groups[:3] == ["Collect", "Plan", "Review (8 requests, engine parallel)"]
    assert lines.count("::endgroup::") == len(groups)
    review = lines[lines.index("::group::Review (8 requests, engine parallel)") :]
    shown = [line for line in review[: review.index("::endgroup::")] if line.startswith("[")]
    progress = [line for line in shown if not line.startswith("[verify ")]
    assert [line.split("]")[0].split(" · ")[0] for line in progress] == [f"[{n}/8" for n in range(1, 9)]
    checks = [line for line in shown if line.startswith("[verify ")]  # verified while the review runs (#18.2)
    assert checks and [line.split("]")[0] for line in checks] == [f"[verify {n}" for n in range(1, len(checks) + 1)]
    assert all(" ✓ " in line for line in progress)
    assert any("src/auth.py — 1 finding" in line for line in progress)


def test_the_others_go_out_as_soon_as_the_streamed_warm_up_answer_begins(
    world, monkeypatch: pytest.MonkeyPatch
) -> None:
    fx, gh, ai, env = world
    env.inputs["max-files-per-request"] = "1"  # eight requests, four at a time
    env.inputs["max-concurrency"] = "4"
    env.inputs["verify"] = "false"  # the review's requests alone
    ai.latency, ai.ttft = 1.0, 0.05
    run_in_process(env, monkeypatch)
    warm, *rest = sorted((r for r in ai.requests if r.path == "/v1/messages"), key=lambda r: r.started)
    assert warm.json.get("stream") is True and not any(r.json.get("stream") for r in rest)
    assert warm.usage["cache_creation_input_tokens"] > 0
    assert all(r.usage["cache_read_input_tokens"] > 0 for r in rest)
    # released at message_start: three more in flight while the warm-up still streams, not after it
    assert len([r for r in rest if r.started < warm.finished]) == 3
    report = env.report()
    assert report["usage"]["requests"] == 8 and "failed" not in {f["status"] for f in report["files"]}


def test_system_prompt_is_cached_and_code_is_numbered_and_fenced(world, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai, env = world
    env.inputs["max-files-per-request"] = "1"  # one request per file: eight requests, in waves of two
    env.inputs["max-concurrency"] = "2"
    env.inputs["verify"] = "false"  # the review's requests alone (verification's: tests/test_verify_pr.py)
    run_in_process(env, monkeypatch)
    messages = [r for r in ai.requests if r.path == "/v1/messages"]
    assert len(messages) == 8
    systems = {json.dumps(r.json["system"], sort_keys=True) for r in messages}
    assert len(systems) == 1  # identical in every request
    assert messages[0].json["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert messages[0].json["output_config"]["format"]["type"] == "json_schema"
    reads = [r for r in messages if (r.usage or {}).get("cache_read_input_tokens", 0) > 0]
    assert len(reads) == len(messages) - 1  # one request warms the cache; every later one reads it
    text = messages[0].json["messages"][0]["content"][0]["text"]
    assert "untrusted" in text and '<code nonce="' in text and "</code nonce=" in text
    for request in messages:
        assert "temperature" not in request.json and "tools" not in request.json
