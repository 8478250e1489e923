"""Cost, said before it is spent — as a user sees it from `batch-review review` with its output piped: the
plan's totals agree with the log and the report, a plan over budget-usd says so, paths and request ids stay
whole, counts are in words ("1 file"), and an error is printed once."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.support.gitrepo import GitRepo

KEY = "sk-ant-api03-cost-cli-key-5151"
SCRIPT = shutil.which("batch-review", path=str(Path(sys.executable).parent)) or "batch-review"
LONG = ("services/payments/internal/reconciliation/adapters/legacy_mainframe_bridge/"
        "settlement_batch_reconciliation_adapter_with_a_very_long_name.py")


def repo_with_change(root: Path, paths: list[str]) -> GitRepo:
    repo = GitRepo.init(root)
    for path in paths:
        repo.write(path, "def f(x):\n    return x\n")
    repo.commit("base")
    for path in paths:
        repo.write(path, "def f(x):\n    return eval(x)\n")
    repo.commit("change")
    return repo


def review(
    tmp: Path, repo: GitRepo, *args: str, key: str | None = None, base_url: str = ""
) -> subprocess.CompletedProcess[str]:
    """The console script with stdout and stderr piped (not a terminal), no COLUMNS set."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp)}
    if key:
        env["ANTHROPIC_API_KEY"] = key
    if base_url:
        env["ANTHROPIC_BASE_URL"] = base_url
    return subprocess.run([SCRIPT, "review", str(repo.path), "--base", "HEAD~1", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_piped_plan_keeps_paths_and_ids_whole_and_its_numbers_agree(tmp_path: Path) -> None:
    repo = repo_with_change(tmp_path / "repo", [LONG])
    report_path = tmp_path / "report.json"
    done = review(tmp_path, repo, "--dry-run", "--json", str(report_path))
    out = done.stdout
    assert done.returncode == 0, out + done.stderr

    report = json.loads(report_path.read_text())
    lines = out.splitlines()
    assert any(LONG in line for line in lines), out  # the path on one line, not folded or cut with "…"
    assert "…" not in out
    [request_id] = re.findall(r"settlement_batch\S*-[0-9a-f]{20}", out)
    assert len(request_id) > 40 and request_id in out
    assert "Plan: 1 file in 1 request" in out and "1 files" not in out and "file(s)" not in out

    logged = re.search(r"~([\d,]+) input and ~([\d,]+) output tokens; estimated \$([\d.]+) in parallel", out)
    shown = re.search(r"Estimated tokens: ~([\d,]+) input .*?, ~([\d,]+) output\. Estimated cost: \$([\d.]+) in "
                      r"parallel", out)
    assert logged and shown, out
    assert logged.groups() == shown.groups()  # the log line and the plan say the same
    assert float(shown[3]) == pytest.approx(report["estimated_cost_usd"], abs=1e-4)


def test_a_plan_over_budget_says_so(tmp_path: Path) -> None:
    repo = repo_with_change(tmp_path / "repo", ["a.py", "b.py"])
    done = review(tmp_path, repo, "--dry-run", "--budget-usd", "0.0001")
    assert done.returncode == 0, done.stdout + done.stderr
    warning = re.search(r"warning: the estimated cost \$([\d.]+) exceeds budget-usd \$0\.0001: a run would send "
                        r"nothing", done.stdout)
    assert warning and float(warning[1]) > 0.0001, done.stdout
    assert "Plan: 2 files in 1 request" in done.stdout

    within = review(tmp_path, repo, "--dry-run", "--budget-usd", "100")
    assert "exceeds budget-usd" not in within.stdout


def test_an_api_error_is_printed_once(tmp_path: Path) -> None:
    repo = repo_with_change(tmp_path / "repo", ["a.py"])
    with FakeAnthropicAPI(api_key=KEY) as fake:
        done = review(tmp_path, repo, key="sk-ant-api03-wrong-key-0000", base_url=fake.base_url)
    both = done.stdout + done.stderr
    assert done.returncode == 2, both
    assert both.count("invalid x-api-key") == 1, both
    assert "status failed (anthropic)" in done.stdout
    assert "not reviewed: a.py — the run failed (anthropic)" in done.stdout
    assert "[1/1] ✗ a.py — refused: the run stops" in done.stdout
