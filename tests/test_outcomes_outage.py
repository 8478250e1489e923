"""Issue #17.2, never green on an outage: a run that reviewed none of the files it planned is `failed` (exit 2,
check run failure), whether every request was overloaded or the API could not be reached at all; a partial run's
check run is never green, and `fail-on-partial` decides whether it fails the job (exit 3)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.support.fault_world import KEY, file_name, for_file, message_requests, world
from tests.support.gitrepo import GitRepo
from tests.test_provider_bedrock import SCRIPT


def _overloaded() -> tuple[str, int, dict[str, str], str]:
    body = json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"},
                       "request_id": "req_outage"})
    return ("custom", 529, {"retry-after-ms": "10"}, body)


def _closed_port() -> int:
    """A loopback port nothing listens on: every connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_request_overloaded_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        w.ai.inject(_overloaded(), times=1000)
        result = w.run()  # fail-on: none — an outage must fail the step all the same

        assert result.code == 2, result.log
        outputs = w.env.outputs()
        assert outputs["status"] == "failed" and outputs["findings-count"] == "0"
        assert len(message_requests(w.ai)) == 15  # each of the 3 requests: one attempt and the SDK's 4 retries
        [check] = w.gh.check_runs
        assert check["conclusion"] == "failure" and "failed" in check["output"]["title"]
        report = w.env.report()
        assert report["error_kind"] == "nothing-reviewed"
        assert report["error"].startswith(f"nothing was reviewed: all 3 planned files failed ({file_name(0)}: ")
        assert "overloaded_error" in report["error"]
        assert {f["status"] for f in report["files"]} == {"failed"}
        assert "::error title=batch-review failed (nothing-reviewed)::nothing was reviewed" in result.log
        assert w.env.summary().startswith("## batch-review · ❌")
        assert not w.gh.reviews


def test_an_unreachable_api_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, 2) as w:
        w.env.anthropic_url = f"http://127.0.0.1:{_closed_port()}"
        result = w.run(**{"max-retry-wait": "1"})

        assert result.code == 2, result.log
        assert w.env.outputs()["status"] == "failed"
        assert [c["conclusion"] for c in w.gh.check_runs] == ["failure"]
        report = w.env.report()
        assert report["error_kind"] == "nothing-reviewed"
        assert "APIConnectionError" in report["error"] or "connection" in report["error"].lower(), report["error"]
        assert not w.gh.reviews and not w.ai.requests


def test_a_partial_run_is_neutral_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        w.ai.inject(_overloaded(), times=1000, match=for_file(file_name(1)))
        result = w.run()

        assert result.code == 0, result.log
        assert w.env.outputs()["status"] == "partial"
        assert [c["conclusion"] for c in w.gh.check_runs] == ["neutral"]  # never success


def test_fail_on_partial_fails_the_job_and_the_check_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        w.ai.inject(_overloaded(), times=1000, match=for_file(file_name(1)))
        result = w.run(**{"fail-on-partial": "true"})

        assert result.code == 3, result.log
        outputs = w.env.outputs()
        assert outputs["status"] == "partial" and outputs["findings-count"] == "2"
        [check] = w.gh.check_runs
        assert check["conclusion"] == "failure" and "partial" in check["output"]["title"]
        assert len(w.gh.review_comments) == 2  # what was reviewed is still posted


def test_fail_on_findings_wins_over_fail_on_partial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        w.ai.inject(_overloaded(), times=1000, match=for_file(file_name(1)))
        result = w.run(**{"fail-on-partial": "true", "fail-on": "high"})

        assert result.code == 1, result.log


def test_a_local_review_with_the_api_unreachable_exits_2(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write_many({"a.py": "x = 1\n", "b.py": "y = 2\n"})
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write_many({"a.py": "x = 10\n", "b.py": "y = 20\n"})
    repo.commit("feature")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "COLUMNS": "200", "NO_COLOR": "1",
           "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{_closed_port()}"}
    report_path = tmp_path / "report.json"
    done = subprocess.run([SCRIPT, "review", str(repo.path), "--base", "main", "--no-verify", "--json",
                           str(report_path)], env=env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 2, done.stdout + done.stderr
    report = json.loads(report_path.read_text())
    assert report["status"] == "failed" and report["error_kind"] == "nothing-reviewed"
    assert "Traceback" not in done.stdout + done.stderr and KEY not in done.stdout + done.stderr


def test_a_local_review_refuses_strategy_batch_before_anything_is_sent(tmp_path: Path) -> None:
    """#17.4: a local review keeps no batch state; a batch would end pending and the next run would pay again."""
    from tests.fakes.anthropic_api import FakeAnthropicAPI

    repo = GitRepo.init(tmp_path / "repo")
    repo.write_many({".github/batch-review.yml": "strategy: batch\n", "a.py": "x = 1\n"})
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("a.py", "x = 10\n")
    repo.commit("feature")
    with FakeAnthropicAPI(api_key=KEY) as ai:
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "COLUMNS": "200", "NO_COLOR": "1",
               "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": ai.base_url}
        done = subprocess.run([SCRIPT, "review", str(repo.path), "--base", "main"], env=env, capture_output=True,
                              text=True, timeout=120)

        assert done.returncode == 2, done.stdout + done.stderr
        said = " ".join((done.stdout + done.stderr).split())
        assert "error (config): strategy: batch (from the config file) is for sweeps" in said
        assert "batch-review sweep --submit" in said and "Traceback" not in said
        assert not ai.requests  # no batch created, nothing paid
        assert not (repo.path / ".batch-review").exists()


def test_a_local_partial_review_with_fail_on_partial_exits_3(tmp_path: Path) -> None:
    from tests.fakes.anthropic_api import FakeAnthropicAPI

    repo = GitRepo.init(tmp_path / "repo")
    repo.write_many({".github/batch-review.yml": "max-files-per-request: 1\n", "a.py": "x = 1\n", "b.py": "y = 2\n"})
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write_many({"a.py": "x = 10\n", "b.py": "y = 20\n"})
    repo.commit("feature")
    report_path = tmp_path / "report.json"
    with FakeAnthropicAPI(api_key=KEY) as ai:
        ai.inject("refusal", times=10, match=for_file("b.py"))
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "COLUMNS": "200", "NO_COLOR": "1",
               "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": ai.base_url}
        args = [SCRIPT, "review", str(repo.path), "--base", "main", "--no-verify", "--json", str(report_path)]
        plain = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        strict = subprocess.run([*args, "--fail-on-partial"], env=env, capture_output=True, text=True, timeout=120)

    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert strict.returncode == 3, strict.stdout + strict.stderr
    report = json.loads(report_path.read_text())
    assert report["status"] == "partial" and report["files_reviewed"] == 1 and report["files_failed"] == 1
