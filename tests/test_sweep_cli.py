"""`batch-review sweep` on a local repository, as a user runs it: the installed console script in a
subprocess, pointed at the fake API by ANTHROPIC_BASE_URL, state kept in <repo>/.batch-review/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.support.gitrepo import GitRepo
from tests.test_sweep_action import SCHEMA, planted_files

KEY = "sk-ant-api03-cli-sweep-key-91b2"
SCRIPT = shutil.which("batch-review", path=str(Path(sys.executable).parent)) or "batch-review"


@pytest.fixture
def fake() -> Iterator[FakeAnthropicAPI]:
    with FakeAnthropicAPI(api_key=KEY) as api:
        yield api


def cli(tmp: Path, *args: str, key: str | None = KEY, base_url: str = "") -> subprocess.CompletedProcess[str]:
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1"}
    if key:
        env["ANTHROPIC_API_KEY"] = key
    if base_url:
        env["ANTHROPIC_BASE_URL"] = base_url
    # the review's batches alone: a sweep's verification batch is tested in tests/test_verify_sweep.py
    return subprocess.run([SCRIPT, "sweep", *args, "--no-verify"], env=env, capture_output=True, text=True,
                          timeout=60)


def test_submit_status_collect(tmp_path: Path, fake: FakeAnthropicAPI) -> None:
    files, planted = planted_files(count=12, lines=20)
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files(files, "twelve files")
    path, url = str(repo.path), fake.base_url
    state_file = repo.path / ".batch-review" / "sweep-state.json"

    submitted = cli(tmp_path, "--submit", path, base_url=url)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    assert "Strategy: batch — --submit sends the sweep as a batch" in submitted.stdout
    assert "Pending" in submitted.stdout and "--collect" in submitted.stdout
    state = json.loads(state_file.read_text())
    assert state["commit"] == repo.rev_parse("HEAD") and len(state["batch_ids"]) == 1
    assert fake.batches_created == 1

    again = cli(tmp_path, "--submit", path, base_url=url)
    assert again.returncode == 0 and "already pending" in again.stdout and fake.batches_created == 1

    status = cli(tmp_path, "--status", path, base_url=url)
    assert status.returncode == 0 and state["batch_ids"][0] in status.stdout and "in_progress" in status.stdout

    early = cli(tmp_path, "--collect", path, base_url=url)
    assert early.returncode == 0 and "Pending" in early.stdout and state_file.exists()

    fake.end_batch(state["batch_ids"][0])
    repo.commit_files({"later.py": "x = 1\n"}, "HEAD moves on")  # collect still maps to the swept commit
    out_json, out_sarif = tmp_path / "report.json", tmp_path / "out.sarif"
    collected = cli(tmp_path, "--collect", path, "--min-severity", "info", "--fail-on", "critical",
                    "--json", str(out_json), "--sarif", str(out_sarif), base_url=url)
    assert collected.returncode == 1, collected.stdout + collected.stderr  # a critical finding, --fail-on critical
    assert not state_file.exists() and fake.batches_created == 1
    report = json.loads(out_json.read_text())
    assert report["status"] == "findings" and report["head_sha"] == state["commit"]
    assert {(f["path"], f["line"]) for f in report["findings"]} == {(p.path, p.line) for p in planted}
    sarif = json.loads(out_sarif.read_text())
    jsonschema.validate(sarif, SCHEMA)
    assert len(sarif["runs"][0]["results"]) == len(planted)
    assert "planted issue number 0" in collected.stdout

    nothing = cli(tmp_path, "--collect", path, base_url=url)
    assert nothing.returncode == 2 and "nothing to collect" in nothing.stdout
    status = cli(tmp_path, "--status", path, base_url=url)
    assert status.returncode == 0 and "No sweep is pending" in status.stdout


def test_dry_run_and_no_key_show_the_plan_with_both_prices(tmp_path: Path) -> None:
    files, _ = planted_files(count=5, lines=20)
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files(files, "five files")
    for args, key in ((("--dry-run",), KEY), ((), None)):
        shown = cli(tmp_path, *args, str(repo.path), key=key, base_url="http://127.0.0.1:9")
        assert shown.returncode == 0, shown.stdout + shown.stderr
        assert "in parallel" in shown.stdout and "as a batch" in shown.stdout and "Plan:" in shown.stdout
        assert not (repo.path / ".batch-review" / "sweep-state.json").exists()
    assert "No ANTHROPIC_API_KEY" in shown.stdout


def test_submit_refuses_the_parallel_strategy(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files({"a.py": "x = 1\n"}, "one")
    refused = cli(tmp_path, "--submit", "--strategy", "parallel", str(repo.path), base_url="http://127.0.0.1:9")
    assert refused.returncode == 2 and "--strategy parallel" in refused.stderr
