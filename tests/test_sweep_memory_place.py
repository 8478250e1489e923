"""Issue #16 §6: a sweep reads its memory only from where batch-review put it.

The memory lives outside the repository's tree (the runner's temp folder, which the workflow's cache step
restores; locally the user's cache folder), is opened without following a symlink, is per ref (`release/1`
and `release-1` apart), and anything unreadable there means a full sweep with a note. A committed file at
the old place is just a file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch_review.memory.sweep import local_folder, memory_path
from tests.test_memory_sweep import PARALLEL, sent_paths
from tests.test_sweep_action import KEY, World, assert_every_planted_issue_is_reported, sweep_world


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from sweep_world(tmp_path, monkeypatch)


def _memory_file(world: World) -> Path:
    (path,) = world.tmp.rglob("runner-temp/batch-review-memory/sweep-heads-main-*.json")
    return path


def test_a_memory_file_committed_in_the_repository_is_not_read(world: World) -> None:
    """A merged JSON file at the old place claims every file reviewed with no finding: it hides nothing."""
    env, first = world.run(**PARALLEL)
    forged = json.loads(_memory_file(world).read_text())
    forged["findings"] = []
    for folder in (".batch-review/memory", ".batch-review"):
        world.repo.write(f"{folder}/sweep-heads-main.json", json.dumps(forged))
    world.repo.commit("a memory of our own")
    _memory_file(world).unlink()  # the cache missed
    before = len(world.ai.requests)
    env, second = world.run(**PARALLEL)
    assert len(sent_paths(world, before)) >= 80, second.log  # a full sweep
    assert_every_planted_issue_is_reported(world, env, world.repo.rev_parse("HEAD"))
    assert any("no memory of an earlier sweep" in n for n in env.report()["notes"])


@pytest.mark.parametrize("damage", ["invalid utf-8", "a directory", "a symlink"])
def test_unreadable_memory_means_a_full_sweep_with_a_note(world: World, damage: str) -> None:
    world.run(**PARALLEL)
    path = _memory_file(world)
    path.unlink()
    if damage == "invalid utf-8":
        path.write_bytes(b'{"version": 1, "settings": "\xff\xfe"}')
    elif damage == "a directory":
        path.mkdir()
    else:
        target = world.tmp / "elsewhere.json"
        target.write_text("{}")
        path.symlink_to(target)
    before = len(world.ai.requests)
    env, result = world.run(**PARALLEL)
    assert "Traceback" not in result.log and "internal error" not in result.log, result.log
    assert len(sent_paths(world, before)) >= 80, result.log
    assert any("cannot be read" in n and "a full sweep" in n for n in env.report()["notes"]), env.report()["notes"]
    assert env.outputs()["status"] == "findings"
    assert_every_planted_issue_is_reported(world, env, world.repo.rev_parse("HEAD"))


def test_each_ref_has_its_own_file() -> None:
    folder = Path("/x")
    assert memory_path(folder, "refs/heads/release/1") != memory_path(folder, "refs/heads/release-1")
    assert memory_path(folder, "refs/heads/main") == memory_path(folder, "refs/heads/main")


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1",
           "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
    return subprocess.run([sys.executable, "-m", "batch_review.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_a_local_sweep_leaves_nothing_in_the_repository_and_report_dir_stays_inside(tmp_path: Path) -> None:
    from tests.support.gitrepo import GitRepo

    repo = GitRepo.init(tmp_path / "repo")
    repo.write_many({"a.py": "a = 1\n", ".github/batch-review.yml": "report-dir: ../outside\n"})
    repo.commit("one")
    proc = _cli(tmp_path, "sweep", str(repo.path), "--dry-run")
    assert proc.returncode == 2 and "report-dir: '../outside' is outside the repository" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr and not (tmp_path / "outside").exists()
    assert local_folder(repo.path, {"XDG_CACHE_HOME": str(tmp_path / "c")}).is_relative_to(tmp_path / "c")
