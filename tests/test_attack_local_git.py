"""Issue #12, item 15: the local CLI on what real git repositories hold.

A file replaced by a symlink (or a symlink by a file) is a type change, which git prints as two patches;
a file named with `@@` must not be mistaken for a hunk header; and in a shallow clone the missing merge
base is explained with the way to fetch more history. `batch-review review` runs as a user starts it.
"""

from __future__ import annotations

from pathlib import Path

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.model_brain import plant
from tests.support.gitrepo import GitRepo
from tests.test_bad_input_local import Cli, cli
from tests.test_bad_input_world import KEY, numbered


def _branch(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write_many({"app.py": numbered(8), "config.py": "debug = False\n", "we@@ird.py": "w = 1\n",
                     "target.py": "t = 1\n"})
    repo.symlink("alias.py", "target.py")
    repo.commit("base")
    repo.checkout_new_branch("feature")
    return repo


def _review(tmp_path: Path, repo: GitRepo, *args: str) -> Cli:
    with FakeAnthropicAPI(api_key=KEY, strict=False) as ai:
        env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": ai.base_url}
        return cli(tmp_path, str(repo.path), "--base", "main", *args, env=env)


def test_a_file_replaced_by_a_symlink_and_back_does_not_fail_the_review(tmp_path: Path) -> None:
    repo = _branch(tmp_path)
    repo.delete("config.py")
    repo.symlink("config.py", "target.py")  # a file became a symlink: skipped
    repo.delete("alias.py")
    repo.write("alias.py", "alias = 2  # " + plant("high", "bug", title="symlink became a file") + "\n")
    repo.write("app.py", numbered(8, at={4: "x = 4  # " + plant("low", "style", title="plain change")}))
    repo.commit("type changes")
    result = _review(tmp_path, repo)
    assert result.code == 0, result.out + result.err
    assert result.report is not None and result.report["status"] == "findings"
    assert result.files == {"config.py": ("skipped", "symlink"), "alias.py": ("reviewed", ""),
                            "app.py": ("reviewed", "")}
    found = {(f["path"], f["line"], f["title"]) for f in result.report["findings"]}
    assert found == {("alias.py", 1, "symlink became a file"), ("app.py", 4, "plain change")}


def test_files_named_with_at_signs_are_reviewed(tmp_path: Path) -> None:
    repo = _branch(tmp_path)
    repo.write("we@@ird.py", "w = 2  # " + plant("high", "bug", title="in a weird name") + "\n")
    repo.write("new @@ -1 +1 @@.py", "n = 1  # " + plant("medium", "bug", title="in a hunk-like name") + "\n")
    repo.commit("at signs")
    result = _review(tmp_path, repo)
    assert result.code == 0, result.out + result.err
    assert result.report is not None and result.report["status"] == "findings"
    assert result.files["we@@ird.py"] == result.files["new @@ -1 +1 @@.py"] == ("reviewed", "")
    found = {(f["path"], f["line"]) for f in result.report["findings"]}
    assert found == {("we@@ird.py", 1), ("new @@ -1 +1 @@.py", 1)}


def test_a_shallow_clone_says_so_and_how_to_fetch_more(tmp_path: Path) -> None:
    origin = _branch(tmp_path)
    origin.write("app.py", numbered(8, at={2: "feature = 1"}))
    origin.commit("feature work")
    origin.checkout("main")
    origin.write("config.py", "debug = True\n")
    origin.commit("main moves on")
    clone = tmp_path / "clone"
    GitRepo(tmp_path).run("clone", "-q", "--depth", "1", "--no-single-branch", "--branch", "feature",
                          f"file://{origin.path}", str(clone))
    result = cli(tmp_path, str(clone), "--base", "origin/main")
    assert result.code == 2, result.out + result.err
    assert result.report is not None and result.report["status"] == "failed"
    error = result.report["error"]
    assert "no merge base of origin/main and HEAD" in error and "shallow" in error
    assert "git fetch --unshallow" in error and "--deepen" in error
    assert "shallow" in result.out
