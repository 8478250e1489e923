"""provider: bedrock, end to end: the real `AsyncAnthropicBedrock` (SigV4 by botocore) against the loopback
Bedrock fake, started as the runner starts the action; a sweep through the CLI goes parallel with a note."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.bedrock import FakeBedrock
from tests.fakes.github_api import FakeGitHub
from tests.support.gitrepo import GitRepo
from tests.support.runner import RunnerEnv, run_in_process
from tests.test_pr_review import brain_with_strays, build_twelve_file_pr
from tests.test_sweep_action import planted_files

MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SCRIPT = shutil.which("batch-review", path=str(Path(sys.executable).parent)) or "batch-review"


def _bedrock_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeBedrock, gh: FakeGitHub,
                 inputs: dict[str, str] | None = None) -> tuple[RunnerEnv, Any]:
    fx = build_twelve_file_pr(tmp_path / "repo")
    gh.add_pull(fx)
    for name in ("AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    env = RunnerEnv.for_pull(tmp_path / "runner", fx, gh, fake, "", {
        "provider": "bedrock", "model": MODEL, "min-severity": "info", "fail-on": "high",
        "max-files-per-request": "1", "max-concurrency": "2", "verify": "false", **(inputs or {})})
    env.extra.update(fake.env())
    return env, fx


def unmasked(log: str) -> str:
    """The log as a runner shows it: `::add-mask::` lines (which tell the runner what to hide) left out."""
    return "\n".join(line for line in log.splitlines() if not line.startswith("::add-mask::"))


def _model_requests(fake: FakeBedrock) -> list[Any]:
    return [r for r in fake.requests if r.path.startswith("/model/")]


def test_pr_review_through_bedrock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub() as gh, FakeBedrock(brain=brain_with_strays) as fake:
        env, fx = _bedrock_run(tmp_path, monkeypatch, fake, gh)
        result = run_in_process(env, monkeypatch)

        assert result.code == 1, result.log  # fail-on: high; no API key was needed
        assert len(gh.reviews) == 1 and gh.reviews[0]["commit_id"] == fx.head_sha
        outputs = env.outputs()
        assert (outputs["status"], outputs["findings-count"]) == ("findings", "9")
        assert outputs["cost-usd"] != "0.0000"

        sent = _model_requests(fake)
        assert len(sent) == 8 and all(r.status == 200 for r in sent)
        assert fake.signatures_checked == len(sent)  # every request signed, verified with botocore's signer
        for rec in sent:
            body = json.loads(rec.raw)
            assert rec.path.startswith(f"/model/{MODEL}/")
            assert body["anthropic_version"] == "bedrock-2023-05-31" and "model" not in body
            assert body["output_config"]["format"]["type"] == "json_schema"  # structured output: InvokeModel has it
            assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}  # prompt caching too
            assert rec.headers["x-amz-security-token"] == fake.session_token
            assert f"/{fake.region}/bedrock/aws4_request" in rec.headers["authorization"]
        # more than one wave: the smallest request went first as an AWS event stream, and the others read the
        # system prompt from the cache it wrote
        streamed = [r for r in sent if r.path.endswith("/invoke-with-response-stream")]
        assert len(streamed) == 1
        later = [r for r in sent if r is not streamed[0]]
        assert all(r.usage["cache_read_input_tokens"] > 0 for r in later)

        report = env.report()
        assert report["usage"]["cache_read_tokens"] > 0
        everything = unmasked(result.log) + env.summary() + json.dumps(report)
        assert fake.secret_key not in everything and fake.session_token not in everything


def test_a_throttled_request_is_retried_by_the_sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub() as gh, FakeBedrock(brain=brain_with_strays) as fake:
        env, _ = _bedrock_run(tmp_path, monkeypatch, fake, gh)
        throttled = fake.inject("throttling", times=1, match=lambda body: not body.get("stream"))
        result = run_in_process(env, monkeypatch)

        assert result.code == 1, result.log
        assert throttled.hits == 1 and env.outputs()["status"] == "findings"
        statuses = [r.status for r in _model_requests(fake)]
        assert statuses.count(429) == 1 and statuses.count(200) == 8


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("access_denied", "AccessDeniedException: You don't have access to the model with the specified model ID. "
                          "(HTTP 403, request "),
        ("invalid_model", "ValidationException: The provided model identifier is invalid. (HTTP 400, request "),
    ],
)
def test_a_fatal_bedrock_error_stops_the_run_with_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str, expected: str
) -> None:
    with FakeGitHub() as gh, FakeBedrock(brain=brain_with_strays) as fake:
        env, _ = _bedrock_run(tmp_path, monkeypatch, fake, gh, {"max-concurrency": "1"})
        fake.inject(fault, times=100)
        result = run_in_process(env, monkeypatch)

        assert result.code == 2, result.log
        assert f"Amazon Bedrock refused the run — {expected}" in result.log
        assert env.outputs()["status"] == "failed" and not gh.reviews
        assert len(_model_requests(fake)) == 1  # nothing more was sent after the first refusal


def test_a_provider_message_echoing_the_session_token_is_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeGitHub() as gh, FakeBedrock(brain=brain_with_strays) as fake:
        env, _ = _bedrock_run(tmp_path, monkeypatch, fake, gh, {"max-concurrency": "1"})
        echo = json.dumps({"message": f"User with session {fake.session_token} is not authorized"})
        fake.inject(("custom", 403, {"x-amzn-ErrorType": "AccessDeniedException:http://x/"}, echo), times=100)
        result = run_in_process(env, monkeypatch)

        assert result.code == 2
        assert "User with session *** is not authorized" in result.log
        everything = unmasked(result.log) + env.summary() + json.dumps(env.report())
        assert fake.session_token not in everything


def test_no_aws_credentials_fail_the_action_with_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub() as gh, FakeBedrock() as fake:
        env, _ = _bedrock_run(tmp_path, monkeypatch, fake, gh)
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            env.extra.pop(name)
            monkeypatch.delenv(name, raising=False)
        result = run_in_process(env, monkeypatch)

        assert result.code == 2
        assert "provider bedrock: no AWS credentials were found" in result.log
        assert "aws-actions/configure-aws-credentials" in result.log
        assert not _model_requests(fake)


def test_a_sweep_goes_parallel_with_a_note(tmp_path: Path) -> None:
    files, _ = planted_files(count=12, lines=20)
    repo = GitRepo.init(tmp_path / "repo")
    repo.write(".github/batch-review.yml", f"provider: bedrock\nmodel: {MODEL}\nmax-files-per-request: 2\n")
    repo.commit("config")
    repo.commit_files(files, "twelve files")
    with FakeBedrock() as fake:
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "COLUMNS": "200", "NO_COLOR": "1", **fake.env()}
        report_path = tmp_path / "report.json"
        done = subprocess.run([SCRIPT, "sweep", str(repo.path), "--json", str(report_path)], env=env,
                              capture_output=True, text=True, timeout=120)

        assert done.returncode == 0, done.stdout + done.stderr
        note = "Strategy parallel: auto: Amazon Bedrock has no Message Batches API, so the sweep goes parallel"
        report = json.loads(report_path.read_text())
        assert any(n.startswith(note) for n in report["notes"]), report["notes"]
        assert report["engine"] == "parallel" and report["status"] in ("findings", "clean")
        assert {r.path.split("/")[-1] for r in fake.requests} <= {"invoke", "invoke-with-response-stream"}
        assert not (repo.path / ".batch-review" / "sweep-state.json").exists()


def test_strategy_batch_with_bedrock_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write(".github/batch-review.yml", f"provider: bedrock\nmodel: {MODEL}\n")
    repo.write("a.py", "x = 1\n")
    repo.commit("one file")
    with FakeBedrock() as fake:
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "COLUMNS": "200", **fake.env()}
        done = subprocess.run([SCRIPT, "sweep", str(repo.path), "--strategy", "batch"], env=env,
                              capture_output=True, text=True, timeout=60)

        assert done.returncode == 2
        assert "strategy: batch — Amazon Bedrock has no Message Batches API" in done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr and not fake.requests
