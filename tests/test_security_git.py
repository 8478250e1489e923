"""No code from the repository under review ever runs.

The repository here is as hostile as git allows: its .gitattributes names a filter and a diff driver
for every file, and its configuration defines them (and an fsmonitor, an external diff and hooks) as
commands that leave a trace. Reviewing it locally, or with the action over it as the workspace, must
leave no trace — and still review the files.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from batch_review.filters import FileFilter
from batch_review.gitcmd import DIFF_FLAGS, diff_blobs, git
from batch_review.sources.local_git import collect_local
from tests.support.gitrepo import GitRepo, pull_from_git
from tests.support.runner import pull_request_event
from tests.test_bad_input_world import numbered, pr_world, run_action


def _trap(traces: Path, name: str) -> str:
    return f"touch {traces / name}; cat"


def hostile_repo(root: Path, traces: Path) -> GitRepo:
    traces.mkdir(parents=True, exist_ok=True)
    repo = GitRepo.init(root)
    repo.write("app.py", numbered(6))
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write(".gitattributes", "* filter=evil diff=evil merge=evil\n*.py filter=lfs\n")
    repo.write("app.py", numbered(6, at={3: "changed = 1"}))
    repo.commit("attributes")
    config = {
        "filter.evil.clean": _trap(traces, "filter-clean"),
        "filter.evil.smudge": _trap(traces, "filter-smudge"),
        "filter.evil.process": _trap(traces, "filter-process"),
        "filter.evil.required": "true",
        "filter.lfs.clean": _trap(traces, "lfs-clean"),
        "diff.evil.command": _trap(traces, "diff-command"),
        "diff.evil.textconv": _trap(traces, "textconv"),
        "diff.external": _trap(traces, "diff-external"),
        "core.fsmonitor": _trap(traces, "fsmonitor"),
        "core.hooksPath": str(root / ".git" / "evil-hooks"),
        "core.pager": _trap(traces, "pager"),
    }
    for key, value in config.items():
        repo.run("config", key, value)
    hooks = root / ".git" / "evil-hooks"
    hooks.mkdir()
    for hook in ("post-index-change", "post-checkout", "pre-commit", "reference-transaction"):
        script = hooks / hook
        script.write_text(f"#!/bin/sh\ntouch {traces / ('hook-' + hook)}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    # an uncommitted edit: `git diff` must read the working tree, where a clean filter would run
    (root / "app.py").write_text(numbered(6, at={3: "changed = 2"}))
    os.utime(root / "app.py", (1_000_000_000, 1_000_000_000))
    return repo


def test_the_traps_are_armed(tmp_path: Path) -> None:
    """Plain git, as a careless tool would run it, does spring them (so the test below means something)."""
    traces = tmp_path / "traces"
    repo = hostile_repo(tmp_path / "repo", traces)
    subprocess.run(["git", "diff", "main"], cwd=repo.path, capture_output=True, check=False)
    assert sorted(p.name for p in traces.iterdir())  # e.g. filter-clean, diff-command, fsmonitor


def test_local_review_of_a_hostile_repository_runs_nothing(tmp_path: Path) -> None:
    traces = tmp_path / "traces"
    repo = hostile_repo(tmp_path / "repo", traces)
    home = tmp_path / "home"
    home.mkdir()
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "batch_review.cli", "review", str(repo.path), "--base", "main", "--json", str(report)],
        capture_output=True, text=True, env={"PATH": os.environ["PATH"], "HOME": str(home)}, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(traces.iterdir()) == []
    assert '"path": "app.py"' in report.read_text()


def test_library_git_calls_run_nothing(tmp_path: Path) -> None:
    traces = tmp_path / "traces"
    repo = hostile_repo(tmp_path / "repo", traces)
    collected = collect_local(repo.path, "main", FileFilter())
    assert {f.path for f in collected.files} == {"app.py", ".gitattributes"}
    git(repo.path, "diff", "-z", "--name-only", *DIFF_FLAGS, "main...feature")
    git(repo.path, "ls-tree", "-r", "-z", "HEAD")
    diff_blobs(b"a\n", b"b\n")
    assert list(traces.iterdir()) == []


def test_action_over_a_hostile_workspace_runs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    traces = tmp_path / "traces"
    repo = hostile_repo(tmp_path / "repo", traces)
    fx = pull_from_git(repo, "main", "feature", 3, omit_patch=["app.py"])  # content fetched and diffed here
    event = pull_request_event(fx)
    event["pull_request"]["changed_files"] += 1  # one file "not listed": the checkout is asked to name it
    with pr_world(tmp_path, fx, event=event) as world:
        out = run_action(world, monkeypatch)
    assert out.status == "partial"  # the unlisted file
    assert out.files["app.py"] == ("reviewed", "")
    assert list(traces.iterdir()) == []
