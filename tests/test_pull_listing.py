"""Issue #16 §4: past GitHub's 3,000-file listing, every changed file is still found (the merge base's and the
head's trees compared by blob id) and reviewed; nothing is left `incomplete`. Real git repositories, served by
the GitHub fake (which lists at most 3,000 files of a pull request and truncates big recursive trees)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.model_brain import plant
from tests.support.gitrepo import GitRepo, pull_from_git
from tests.test_bad_input_world import pr_world, run_action

MANY = 3005
LATE = f"src/f{MANY - 1:05d}.txt"  # past the listing (the fake lists paths in git's order)
RISK = plant("high", "security", title="token written to the log")


def many_files(tmp_path: Path) -> GitRepo:
    """A base with an untouched `lib/`, and a branch adding 3,005 files, the last one with a planted finding."""
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files({"README.md": "base\n", **{f"lib/l{i}.txt": f"lib {i}\n" for i in range(40)}}, "base")
    repo.checkout_new_branch("many")
    files = {f"src/f{i:05d}.txt": f"file {i}\n" for i in range(MANY)}
    files[LATE] = f"log(token)  # {RISK}\n"
    repo.commit_files(files, "many files")
    return repo


def calls(world: object, pattern: str) -> list[str]:
    """The paths (with `?recursive=1` when asked so) of the GitHub calls matching `pattern`."""
    import re

    return [c.path + ("?recursive=1" if c.query.get("recursive") else "")  # type: ignore[attr-defined]
            for c in world.gh.calls if re.search(pattern, c.path)]  # type: ignore[attr-defined]


def test_every_file_of_a_3005_file_pull_request_is_reviewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = pull_from_git(many_files(tmp_path), "main", "many", 9)
    with pr_world(tmp_path, fx, inputs={"max-files-per-request": "50", "verify": "false"}) as world:
        out = run_action(world, monkeypatch)
        trees, blobs = calls(world, r"/git/trees/"), calls(world, r"/git/blobs/")
        listing = calls(world, r"/pulls/9/files")
        compares = calls(world, r"/compare/")
        rest = [c for c in world.gh.calls if c.path != "/graphql"]
        queries = len(world.gh.calls) - len(rest)
        charged = world.gh.rate_limit - world.gh.rate_remaining  # a second count: the REST rate limit it used
    assert out.report is not None
    assert out.status == "findings", out.log
    states = {state for state, _ in out.files.values()}
    assert len(out.files) == MANY and states == {"reviewed"}, {s: w for s, w in out.files.values() if s != "reviewed"}
    assert "NOT reviewed" not in out.summary and "not listed" not in out.summary
    (finding,) = out.report["findings"]
    assert finding["path"] == LATE and finding["placement"] == "body"  # no diff position GitHub gave: the body
    assert any("comparing the merge base's and the head's trees" in n for n in out.report["notes"])
    body = world.gh.reviews[-1]["body"]
    assert LATE in body and "token written to the log" in body
    # the calls it took: the 3,000 listed (30 pages), one comparison for the merge base, two trees
    assert len(listing) == 30 and len(compares) == 1 and blobs == []
    assert fx.head_sha in " ".join(trees) and all(t.endswith("?recursive=1") for t in trees), trees
    assert len(trees) <= 3  # the merge base's and the head's (and the base's, for memory, unless the checkout has it)
    assert charged == len(rest) and len(rest) <= 45 and queries <= 3
    print(f"GitHub calls for a 3,005-file pull request: {len(rest)} REST (trees {len(trees)}, listing "
          f"{len(listing)}), {queries} GraphQL")


def test_a_truncated_tree_is_walked_a_level_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHub cuts a recursive listing (here past 100 entries): the trees are walked one level at a time, only
    into the directories whose ids differ (`lib/` is never listed), and nothing is missed."""
    repo = many_files(tmp_path)
    lib = repo.run("rev-parse", "main:lib").decode().strip()
    fx = pull_from_git(repo, "main", "many", 9)
    with pr_world(tmp_path, fx, inputs={"dry-run": "true"}) as world:
        world.gh.tree_max_entries = 100
        out = run_action(world, monkeypatch)
        trees = calls(world, r"/git/trees/")
    assert out.report is not None
    whys = {why for _, why in out.files.values()}
    assert len(out.files) == MANY and all(why.startswith("not reviewed: dry") for why in whys), out.log[-3000:]
    assert any("walked a level at a time" in n for n in out.report["notes"]), out.report["notes"]
    assert not any(lib in t for t in trees)  # the unchanged directory was never listed
    assert len(trees) <= 2 + 2 + 1 + 1, trees  # two recursive (cut), the roots, `src/` (only in the head), memory's


def test_past_the_listing_a_rename_is_a_deletion_and_an_addition(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files({"README.md": "base\n", "zz/old_name.py": "def keep():\n    return 1\n"}, "base")
    repo.checkout_new_branch("many")
    repo.commit_files({f"src/f{i:05d}.txt": f"file {i}\n" for i in range(3000)}, "many files")
    repo.run("reset", "-q", "--hard")  # commit_files leaves the working tree alone
    repo.run("mv", "zz/old_name.py", "zz/new_name.py")
    repo.commit("a rename")
    fx = pull_from_git(repo, "main", "many", 9)
    assert any(f["filename"] == "zz/new_name.py" for f in fx.files[3000:])  # past the listing
    with pr_world(tmp_path, fx, inputs={"dry-run": "true", "include": "zz/**"}) as world:
        out = run_action(world, monkeypatch)
    assert out.files["zz/old_name.py"] == ("skipped", "deleted")
    assert out.files["zz/new_name.py"][1].startswith("not reviewed: dry"), out.files["zz/new_name.py"]


def test_when_the_trees_cannot_be_read_the_unlisted_files_are_named_and_not_reviewed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback: GitHub refuses the tree listing; the run is partial, says how many files were not listed,
    and names them from the checkout when it can."""
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("README.md", "base\n")
    repo.commit("base")
    repo.checkout_new_branch("many")
    repo.commit_files({f"src/f{i:05d}.txt": f"file {i}\n" for i in range(MANY)}, "many files")
    fx = pull_from_git(repo, "main", "many", 9)
    with pr_world(tmp_path, fx, inputs={"include": "src/f0000*.txt"}) as world:
        world.gh.inject("GET", r"/git/trees/", 409, times=10)
        out = run_action(world, monkeypatch)
    assert out.status == "partial" and out.code == 0
    assert "5 of its 3,005 changed files were not listed and are NOT reviewed" in out.summary
    unlisted = {p: why for p, (state, why) in out.files.items() if why.startswith("not reviewed")}
    assert sorted(unlisted) == [f"src/f{i:05d}.txt" for i in range(3000, 3005)]
    assert all("first 3,000 files" in why for why in unlisted.values())
    assert sum(1 for state, _ in out.files.values() if state == "reviewed") == 10


def test_without_a_checkout_the_blobs_come_from_graphql_and_a_truncated_one_from_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No git objects in the workspace: the unlisted files' blobs are read through GraphQL, many a query; one
    GitHub truncates there (too large for `Blob.text`) is read whole through REST."""
    repo = many_files(tmp_path)
    big = "\n".join(f"line_{i} = {i}" for i in range(400)) + "\n"
    repo.commit_files({"src/f03003.txt": big}, "one of the unlisted files grows")
    fx = pull_from_git(repo, "main", "many", 9)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pr_world(tmp_path, fx, inputs={"dry-run": "true", "include": "src/f030*.txt"}) as world:
        world.env.workspace = empty
        world.gh.blob_text_limit = 1000
        out = run_action(world, monkeypatch)
        blobs = calls(world, r"/git/blobs/")
    assert out.report is not None
    planned = sorted(p for p, (_, why) in out.files.items() if why.startswith("not reviewed: dry"))
    assert planned == [f"src/f{i:05d}.txt" for i in range(3000, MANY)], out.log
    assert len(blobs) == 1 and blobs[0].rsplit("/", 1)[1] == repo.entry(fx.head_sha, "src/f03003.txt").sha
