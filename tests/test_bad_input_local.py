"""Bad input through the local CLI: `batch-review review` started as a user starts it (a subprocess,
HOME in a temporary folder), checked by its exit code, what it prints and the JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.model_brain import plant
from tests.support.gitrepo import GitRepo
from tests.test_bad_input_world import KEY, numbered


@dataclass
class Cli:
    code: int
    out: str
    err: str
    report: dict[str, Any] | None

    @property
    def files(self) -> dict[str, tuple[str, str]]:
        return {f["path"]: (f["status"], f["reason"]) for f in (self.report or {}).get("files", [])}


def cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Cli:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    report = tmp_path / "report.json"
    report.unlink(missing_ok=True)
    environ = {"PATH": os.environ["PATH"], "HOME": str(home), "COLUMNS": "200", **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "batch_review.cli", "review", *args, "--json", str(report)],
        capture_output=True, text=True, env=environ, timeout=60, check=False,
    )
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
    return Cli(proc.returncode, proc.stdout, proc.stderr, data)


def _branch(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("app.py", numbered(8))
    repo.write("old.txt", "old\n")
    repo.commit("base")
    repo.checkout_new_branch("feature")
    return repo


def test_not_a_git_repository(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    result = cli(tmp_path, str(folder), "--base", "main")
    assert result.code == 2 and "not inside a git repository" in result.out + result.err


def test_base_that_is_not_a_commit(tmp_path: Path) -> None:
    repo = _branch(tmp_path)
    repo.commit("empty")
    result = cli(tmp_path, str(repo.path), "--base", "no-such-branch")
    assert result.code == 2 and "--base 'no-such-branch' is not a commit" in result.out
    assert result.report is not None and result.report["status"] == "failed"


def test_no_base_branch_found(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo", branch="trunk")
    repo.write("a.py", "a\n")
    repo.commit("only")
    result = cli(tmp_path, str(repo.path))
    assert result.code == 2 and "no base branch found" in result.out and "--base" in result.out


def test_invalid_config_file_and_flag_values(tmp_path: Path) -> None:
    repo = _branch(tmp_path)
    (repo.path / ".github").mkdir()
    (repo.path / ".github" / "batch-review.yml").write_text("max_concurency: 4\n")
    result = cli(tmp_path, str(repo.path), "--base", "main")
    assert result.code == 2 and "did you mean 'max-concurrency'" in result.err
    (repo.path / ".github" / "batch-review.yml").unlink()
    result = cli(tmp_path, str(repo.path), "--base", "main", "--max-concurrency", "lots")
    assert result.code == 2 and "flag max-concurrency: Input should be a valid integer" in result.err
    result = cli(tmp_path, str(repo.path), "--base", "main", "--instructions", "../../etc/passwd")
    assert result.code == 2 and "outside the repository" in result.err


def test_hostile_file_names_and_contents_without_a_key(tmp_path: Path) -> None:
    repo = _branch(tmp_path)
    repo.write("app.py", numbered(8, at={3: "changed = True"}))
    repo.write("c[/b][bold]x.py", "markup = 1\n")  # rich markup in a name must not crash the printer
    repo.write("esc\x1b[31mred.py", "esc = 1\n")
    repo.write("new\nline.py", "nl = 1\n")
    repo.write("latin1.py", "caf\xe9 = 1\n".encode("latin-1"))
    repo.write("crlf.py", "a = 1\r\nb = 2\r\n")
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0")
    repo.write("data.bin.txt", b"text\0with nul\n")
    repo.symlink("link.py", "app.py")
    repo.gitlink("vendored-lib", "b" * 40)
    repo.write(os.fsdecode(b"raw\xffname.py"), "raw = 1\n")  # a name that is not UTF-8
    repo.delete("old.txt")
    repo.commit("hostile")
    result = cli(tmp_path, str(repo.path), "--base", "main")
    assert result.code == 0, result.out + result.err
    assert "No ANTHROPIC_API_KEY is set" in result.out
    assert result.report is not None and result.report["status"] == "pending"
    files = result.files
    for name in ("app.py", "c[/b][bold]x.py", "esc\x1b[31mred.py", "new\nline.py", "latin1.py", "crlf.py",
                 "raw\\xffname.py"):
        assert files[name] == ("pending", "not reviewed: no API key"), name
    assert files["logo.png"] == ("skipped", "binary")
    assert files["data.bin.txt"] == ("skipped", "binary")
    assert files["link.py"] == ("skipped", "symlink")
    assert files["vendored-lib"] == ("skipped", "submodule")
    assert files["old.txt"] == ("skipped", "deleted")
    assert "\x1b" not in result.out and "esc\\x1b[31mred.py" in result.out


def test_review_with_the_fake_api_and_fail_on(tmp_path: Path) -> None:
    repo = _branch(tmp_path)
    repo.write("app.py", numbered(8, at={5: "eval(data)  # " + plant("high", "security", title="eval of data")}))
    repo.write("weird [name].py", "w = 1  # " + plant("low", "style", title="[bold]not markup[/bold]") + "\n")
    repo.commit("planted")
    with FakeAnthropicAPI(api_key=KEY, strict=False) as ai:
        env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": ai.base_url}
        result = cli(tmp_path, str(repo.path), "--base", "main", "--fail-on", "high", env=env)
    assert result.code == 1, result.out + result.err
    assert result.report is not None and result.report["status"] == "findings"
    assert {(f["path"], f["line"]) for f in result.report["findings"]} == {("app.py", 5), ("weird [name].py", 1)}
    assert "eval of data" in result.out and "[bold]not markup[/bold]" in result.out
    assert KEY not in result.out + result.err


def test_unknown_model_through_the_cli(tmp_path: Path) -> None:
    repo = _branch(tmp_path)
    repo.write("app.py", numbered(8, at={2: "x = 2"}))
    repo.commit("change")
    with FakeAnthropicAPI(api_key=KEY, strict=False) as ai:
        env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": ai.base_url}
        result = cli(tmp_path, str(repo.path), "--base", "main", "--model", "claude-nope-1", env=env)
    assert result.code == 2 and result.report is not None and result.report["status"] == "failed"
    assert "not_found_error" in result.report["error"] and "claude-nope-1" in result.out


@pytest.mark.parametrize("flag", ["--min-severity", "--fail-on"])
def test_unknown_severity_flag_is_refused_by_the_parser(tmp_path: Path, flag: str) -> None:
    result = cli(tmp_path, str(tmp_path), flag, "urgent")
    assert result.code == 2 and "invalid choice: 'urgent'" in result.err


def test_a_branch_without_changes_says_nothing_to_review(tmp_path: Path) -> None:
    repo = _branch(tmp_path)
    with FakeAnthropicAPI(api_key=KEY, strict=False) as ai:
        env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": ai.base_url}
        result = cli(tmp_path, str(repo.path), "--base", "main", env=env)
        assert ai.count("POST", "/v1/messages") == 0
    assert result.code == 0 and result.report is not None and result.report["status"] == "clean"
    assert "nothing to review: no changed files" in result.out
