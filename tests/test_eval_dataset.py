"""Bad eval datasets: every problem is named with its line and case, the run fails (exit 2) before
anything is sent, and no traceback is shown. A label on a file outside the change is not an error: it
counts as missed and is named in the report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from batch_review.cli import main
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.support.gitrepo import GitRepo

KEY = "sk-ant-api03-eval-dataset-key-77a0"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropicAPI]:
    with FakeAnthropicAPI(api_key=KEY) as api:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        yield api


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.chdir(tmp_path)
    made = GitRepo.init(tmp_path / "repo")
    made.commit_files({"app.py": "def f(x):\n    return x\n"}, "base")
    made.run("tag", "base")
    made.commit_files({"app.py": "def f(x):\n    return x + 1\n"}, "head")
    made.run("tag", "head")
    (tmp_path / "plain").mkdir()
    (made.path / "sub").mkdir()
    return made


def good(**changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = {"id": "c1", "repo": "repo", "base": "base", "head": "head",
                            "expected": [{"path": "app.py", "line": 2, "severity": "high"}]}
    case.update(changes)
    return case


def run_eval(tmp_path: Path, text: str | bytes, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    dataset = tmp_path / "d.jsonl"
    dataset.write_bytes(text.encode() if isinstance(text, str) else text)
    code = main(["eval", str(dataset), "--json", str(tmp_path / "out.json")])
    out = capsys.readouterr()
    return code, " ".join((out.out + out.err).split())  # rich wraps long lines at the terminal's width


BAD = {
    "invalid JSON": ('{"id": "c1", "repo": ', "d.jsonl line 1: not valid JSON"),
    "not an object": ("[1, 2]", "d.jsonl line 1: must be a JSON object"),
    "missing key": (json.dumps({k: v for k, v in good().items() if k != "head"}), "line 1 (case 'c1'): head: missing"),
    "line as a string": (json.dumps(good(expected=[{"path": "app.py", "line": "2"}])),
                         "line 1 (case 'c1'): expected[0].line: Input should be a valid integer"),
    "line 0": (json.dumps(good(expected=[{"path": "app.py", "line": 0}])), "expected[0].line: Input should be greater"),
    "a typo in a key": (json.dumps(good(expected=[{"path": "app.py", "line": 2, "endline": 3}])),
                        "expected[0].endline: unknown key"),
    "end before line": (json.dumps(good(expected=[{"path": "app.py", "line": 5, "end_line": 3}])),
                        "expected[0].end_line 3 is before its line 5"),
    "unknown severity": (json.dumps(good(expected=[{"path": "app.py", "line": 2, "severity": "urgent"}])),
                         "expected[0].severity: Input should be 'critical'"),
    "a label twice": (json.dumps(good(expected=[{"path": "app.py", "line": 2}, {"path": "app.py", "line": 2}])),
                      "expected[1] repeats expected[0]"),
    "an id twice": (json.dumps(good()) + "\n" + json.dumps(good()),
                    "line 2 (case 'c1'): the id is already used on line 1"),
    "no repository there": (json.dumps(good(repo="missing")), "line 1 (case 'c1'): repo"),
    "a folder that is not a repository": (json.dumps(good(repo="plain")), "is not a git repository"),
    "a folder inside a repository": (json.dumps(good(repo="repo/sub")), "is a folder inside the repository at"),
    "a repository's .git folder": (json.dumps(good(repo="repo/.git")), "is not a git repository (with a work tree)"),
    "unknown base": (json.dumps(good(base="nope")), "line 1 (case 'c1'): base 'nope' is not a commit in"),
    "unknown head": (json.dumps(good(head="0" * 40)), f"head '{'0' * 40}' is not a commit"),
    "a head that looks like an option": (json.dumps(good(head="--output=/tmp/x")),
                                         "head '--output=/tmp/x' is not a commit"),
    "no cases": ("\n\n", "has no cases"),
    "a typo in a context item": (json.dumps(good(context=[{"path": "lib.py", "contain": "def f"}])),
                                 "context[0].contain: unknown key"),
    "an empty context text": (json.dumps(good(context=[{"path": "lib.py", "contains": ""}])),
                              "context[0].contains: String should have at least 1 character"),
}


@pytest.mark.parametrize("text,message", list(BAD.values()), ids=list(BAD))
def test_a_bad_dataset_fails_before_anything_is_sent(
    tmp_path: Path, repo: GitRepo, fake: FakeAnthropicAPI, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    code, shown = run_eval(tmp_path, text, capsys)
    assert code == 2, shown
    assert message in shown, shown
    assert "error (dataset)" in shown and ("nothing was sent" in shown or "has no cases" in shown)
    assert "Traceback" not in shown
    assert fake.requests == []
    assert not (tmp_path / "out.json").exists()


def test_every_problem_is_listed_at_once(
    tmp_path: Path, repo: GitRepo, fake: FakeAnthropicAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [json.dumps(good(id="fine")), "{oops", json.dumps(good(id="c2", base="nope")),
             json.dumps(good(id="c3", repo="plain")), json.dumps({"id": "c4"})]
    code, flat = run_eval(tmp_path, "\n".join(lines), capsys)
    assert code == 2 and "has 4 problem(s)" in flat
    for part in ("line 2: not valid JSON", "line 3 (case 'c2'): base 'nope'", "line 4 (case 'c3'): repo",
                 "line 5 (case 'c4'): repo: missing"):
        assert part in flat, part
    assert fake.requests == []


def test_an_unreadable_dataset(tmp_path: Path, repo: GitRepo, fake: FakeAnthropicAPI,
                               capsys: pytest.CaptureFixture[str]) -> None:
    code, shown = run_eval(tmp_path, b'{"id": "\xff"}\n', capsys)
    assert code == 2 and "cannot be read as UTF-8" in shown and "Traceback" not in shown
    code = main(["eval", str(tmp_path / "absent.jsonl")])
    assert code == 2 and "no such dataset file" in " ".join(capsys.readouterr().err.split())


def test_a_label_outside_the_change_is_missed_and_named(
    tmp_path: Path, repo: GitRepo, fake: FakeAnthropicAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    case = good(expected=[{"path": "app.py", "line": 2}, {"path": "other.py", "line": 1, "severity": "low"}])
    code, shown = run_eval(tmp_path, json.dumps(case), capsys)
    assert code == 0, shown
    report = json.loads((tmp_path / "out.json").read_text())
    entry = report["cases"][0]
    assert entry["unreviewed_labels"] == [{"path": "other.py", "line": 1, "end_line": 1, "severity": "low"}]
    assert report["false_negatives"] == 2 and report["findings"] == 0  # the default brain plants nothing here
    assert report["recall"] == 0.0 and report["precision"] is None
    assert len(fake.requests) == 1


def test_a_case_is_read_from_its_commits_not_the_working_tree(
    tmp_path: Path, repo: GitRepo, fake: FakeAnthropicAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.run("checkout", "-q", "base")
    (repo.path / "app.py").write_text("WORKING TREE TEXT\n")
    code, shown = run_eval(tmp_path, json.dumps(good()), capsys)
    assert code == 0, shown
    sent = json.dumps([r.json for r in fake.requests if r.path == "/v1/messages"])
    assert "return x + 1" in sent and "WORKING TREE TEXT" not in sent
    assert "WORKING TREE TEXT" in (repo.path / "app.py").read_text()  # nothing in the checkout was touched
