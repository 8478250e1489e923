"""Issue #12, paying twice: a local sweep killed between `batches.create` and saving the batch's id (#3),
and a sweep of a folder that is not a git repository (#4). The installed console script in a subprocess,
against the fake Anthropic API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.support.gitrepo import GitRepo
from tests.test_sweep_action import planted_files
from tests.test_sweep_cli import KEY, SCRIPT, cli


@pytest.fixture
def fake() -> Iterator[FakeAnthropicAPI]:
    with FakeAnthropicAPI(api_key=KEY) as api:
        yield api


def test_a_run_killed_between_create_and_save_is_collected_not_paid_twice(
    tmp_path: Path, fake: FakeAnthropicAPI
) -> None:
    files, _ = planted_files(count=12, lines=20)
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files(files, "twelve files")
    state_file = repo.path / ".batch-review" / "sweep-state.json"
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "ANTHROPIC_API_KEY": KEY,
           "ANTHROPIC_BASE_URL": fake.base_url, "NO_COLOR": "1"}
    running: dict[str, Any] = {}
    # the batch is created, then the process dies before the answer reaches it: no state names the batch
    fake.on_batch_created = lambda batch: os.kill(running["proc"].pid, signal.SIGKILL)
    running["proc"] = subprocess.Popen([SCRIPT, "sweep", "--submit", str(repo.path)], env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert running["proc"].wait(timeout=60) == -signal.SIGKILL
    fake.on_batch_created = None
    assert fake.batches_created == 1
    state = json.loads(state_file.read_text())
    assert state["batch_ids"] == [] and state["creating_requests"] > 0  # only the intent was saved
    (orphan,) = fake.batches

    status = cli(tmp_path, "--status", str(repo.path), base_url=fake.base_url)
    assert "No batch was recorded" not in status.stdout  # the intent counts as pending

    fake.end_batch(orphan)
    collected = cli(tmp_path, "--collect", str(repo.path), base_url=fake.base_url)
    out = collected.stdout + collected.stderr
    assert collected.returncode == 0, out
    assert fake.batches_created == 1 and fake.count("POST", "/v1/messages") == 0  # found, not paid for again
    assert orphan in out and "created by the run that stopped" in out
    assert "status findings" in out and not state_file.exists()


def test_a_stale_intent_with_no_batch_to_find_submits_the_missing_requests(
    tmp_path: Path, fake: FakeAnthropicAPI
) -> None:
    """The run died after saving its intent but before the API created anything: nothing fits, so the
    requests are submitted (once), with a note."""
    files, _ = planted_files(count=6, lines=20)
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files(files, "six files")
    dry = cli(tmp_path, "--submit", str(repo.path), base_url=fake.base_url)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    state_file = repo.path / ".batch-review" / "sweep-state.json"
    state = json.loads(state_file.read_text())
    fake.end_batch(state["batch_ids"][0])
    # as if that batch had never been created: the state holds only the intent, an hour before it
    state.update(batch_ids=[], complete=False, creating_at="2020-01-01T00:00:00Z", creating_requests=3)
    state_file.write_text(json.dumps(state))
    collected = cli(tmp_path, "--collect", str(repo.path), base_url=fake.base_url)
    out = collected.stdout + collected.stderr
    assert "none fits" in out and fake.batches_created == 2, out


def test_a_sweep_of_a_plain_folder_completes_and_never_sweeps_its_own_state(
    tmp_path: Path, fake: FakeAnthropicAPI
) -> None:
    files, _ = planted_files(count=9, lines=20)
    folder = tmp_path / "plain"
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    submitted = cli(tmp_path, "--submit", str(folder), base_url=fake.base_url)
    assert submitted.returncode == 0 and fake.batches_created == 1, submitted.stdout + submitted.stderr
    assert (folder / ".batch-review" / "sweep-state.json").is_file()
    (batch_id,) = fake.batches
    fake.end_batch(batch_id)
    report = tmp_path / "report.json"
    collected = cli(tmp_path, "--collect", str(folder), "--json", str(report), base_url=fake.base_url)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert fake.batches_created == 1  # the plan did not "change" by sweeping its own state file
    paths = [f["path"] for f in json.loads(report.read_text())["files"]]
    assert not any(p.startswith(".batch-review") for p in paths) and json.loads(report.read_text())["status"] in (
        "findings", "clean")
    again = cli(tmp_path, str(folder), base_url=fake.base_url)  # nothing changed: nothing is sent
    assert again.returncode == 0 and fake.batches_created == 1, again.stdout + again.stderr
