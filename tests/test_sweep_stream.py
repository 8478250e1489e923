"""A sweep's batches are written to disk request by request and sent from there (engines/batch_body.py):
what the fake API received holds every planned file's every line exactly once, across several batches when
the plan is over a batch's limit, and the plan's counts are what was sent; the sweep is then collected.

Runs `batch-review sweep` in this process (the batch limits are module constants a test may shrink) on a
real git repository, against the fake Messages API through the real `anthropic` client.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from batch_review.cli import main
from batch_review.engines import batch as batch_module
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.model_brain import parse_sections, plant, user_text
from tests.support.gitrepo import GitRepo

KEY = "sk-ant-api03-sweep-stream-key-7c1e"


def repository(tmp: Path) -> tuple[GitRepo, dict[str, str]]:
    """40 small files (every fifth with a planted issue) and one file too big for one request."""
    files: dict[str, str] = {}
    for i in range(40):
        lines = [f"def step_{i}_{n}(value):  # step {n} of module {i}" for n in range(1, 21)]
        if i % 5 == 0:
            lines[7] = f"    return eval(value)  # {plant('high', 'security', title=f'eval in module {i}')}"
        files[f"src/pkg{i % 4}/mod_{i:02d}.py"] = "\n".join(lines) + "\n"
    files["src/big.py"] = "".join(f"LONG_NAME_{n} = compute_something_rather_long({n}, 'text {n}')\n"
                                  for n in range(1, 3001))
    repo = GitRepo.init(tmp / "repo")
    repo.commit_files(files, "a repository")
    return repo, files


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with FakeAnthropicAPI(api_key=KEY) as api:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        yield api


def sweep(repo: GitRepo, *args: str) -> int:
    return main(["sweep", *args, "--no-verify", str(repo.path)])


def lines_sent(fake: FakeAnthropicAPI, batch_ids: list[str]) -> Counter[tuple[str, int]]:
    """(path, line) of every code line under review in the batches' requests, counted."""
    seen: Counter[tuple[str, int]] = Counter()
    for batch_id in batch_ids:
        for item in fake.batches[batch_id].requests:
            for section in parse_sections(user_text(item["params"])):
                seen.update((section.path, number) for number, _, _ in section.lines)
    return seen


@pytest.mark.parametrize("limit", ["requests", "bytes"])
def test_every_planned_line_is_sent_once_across_split_batches(
    tmp_path: Path, fake: FakeAnthropicAPI, monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    repo, files = repository(tmp_path)
    if limit == "requests":
        monkeypatch.setattr(batch_module, "MAX_BATCH_REQUESTS", 3)
    else:
        monkeypatch.setattr(batch_module, "MAX_BATCH_BYTES", 90_000)
    out = tmp_path / "submitted.json"
    assert sweep(repo, "--submit", "--json", str(out)) == 0
    report = json.loads(out.read_text())
    state = json.loads((repo.path / ".batch-review" / "sweep-state.json").read_text())
    ids = state["batch_ids"]
    assert len(ids) >= 2 and ids == report["batch_ids"] and state["complete"]

    items = [item for i in ids for item in fake.batches[i].requests]
    assert len(items) == report["requests"] == state["requests"]  # the plan's count is what was sent
    assert len({item["custom_id"] for item in items}) == len(items)  # no request twice
    if limit == "requests":
        assert [len(fake.batches[i].requests) for i in ids[:-1]] == [3] * (len(ids) - 1)
    else:  # measured on the bodies the SDK really sent
        bodies = [r.raw for r in fake.requests if r.method == "POST" and r.path == "/v1/messages/batches"]
        assert len(bodies) == len(ids) and all(len(b) <= 90_000 for b in bodies)

    expected = Counter((path, n) for path, text in files.items() for n in range(1, text.count("\n") + 1))
    assert lines_sent(fake, ids) == expected  # every line of every file, each exactly once
    pending = {f["path"] for f in report["files"] if f["status"] == "pending"}
    assert pending == set(files)

    for batch_id in ids:
        fake.end_batch(batch_id)
    collected = tmp_path / "collected.json"
    assert sweep(repo, "--collect", "--json", str(collected), "--fail-on", "none") == 0
    final = json.loads(collected.read_text())
    assert {f["path"] for f in final["files"] if f["status"] == "reviewed"} == set(files)
    assert {(f["path"], f["line"]) for f in final["findings"]} == {
        (f"src/pkg{i % 4}/mod_{i:02d}.py", 8) for i in range(0, 40, 5)}
    assert fake.batches_created == len(ids)  # collected, nothing submitted again
    assert not (repo.path / ".batch-review" / "sweep-state.json").exists()


def test_a_batch_creation_retried_by_the_sdk_sends_the_whole_body_again(
    tmp_path: Path, fake: FakeAnthropicAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, files = repository(tmp_path)
    fake.batch_create_faults = ["overloaded"]  # the first attempt is answered 529; the SDK tries again
    out = tmp_path / "submitted.json"
    assert sweep(repo, "--submit", "--json", str(out)) == 0
    posts = [r for r in fake.requests if r.method == "POST" and r.path == "/v1/messages/batches"]
    assert [p.status for p in posts] == [529, 200]
    assert posts[0].raw == posts[1].raw and posts[1].json is not None  # the spooled body, read again in full
    (batch_id,) = json.loads(out.read_text())["batch_ids"]
    expected = Counter((path, n) for path, text in files.items() for n in range(1, text.count("\n") + 1))
    assert lines_sent(fake, [batch_id]) == expected
