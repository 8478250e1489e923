"""GitRepo builds real repositories; pull_from_git computes what GitHub's /pulls/{n}/files returns."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git

WEIRD = ["with space.txt", "quo\"te's.txt", "ünï cødé.txt", "tab\there.txt", "new\nline.txt", "*.glob?[x]"]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    home = tmp_path / "home"
    home.mkdir()
    # a hostile global configuration must not leak in
    (home / ".gitconfig").write_text(
        "[commit]\n\tgpgsign = true\n[diff]\n\tnoprefix = true\n\tcontext = 9\n[core]\n\tautocrlf = true\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    r = GitRepo.init(tmp_path / "repo")
    r.write("keep.txt", "keep\n")
    r.commit("base")
    r.checkout_new_branch("feature")
    return r


def pull(repo: GitRepo, **kwargs: object) -> PullFixture:
    repo.commit("change")
    return pull_from_git(repo, "main", "feature", **kwargs)  # type: ignore[arg-type]


def test_modified_file_record(repo: GitRepo) -> None:
    repo.checkout("main")
    repo.write("m.txt", "".join(f"{i}\n" for i in range(1, 21)))
    repo.commit("add m")
    repo.checkout("feature")
    repo.run("merge", "-q", "main")
    repo.write("m.txt", "".join(f"{i}\n" if i != 10 else "ten\n" for i in range(1, 21)))
    pr = pull(repo)
    f = pr.file("m.txt")
    assert (f["status"], f["additions"], f["deletions"], f["changes"]) == ("modified", 1, 1, 2)
    assert f["patch"] == "@@ -7,7 +7,7 @@\n 7\n 8\n 9\n-10\n+ten\n 11\n 12\n 13"  # 3 lines of context
    assert f["sha"] == repo.run("rev-parse", "HEAD:m.txt").decode().strip()
    assert pr.head_sha == repo.rev_parse("feature") and pr.commits[-1] == pr.head_sha


def test_merge_base_excludes_later_base_changes(repo: GitRepo) -> None:
    repo.write("feature.txt", "f\n")
    repo.commit("feature work")
    repo.checkout("main")
    repo.write("main-only.txt", "m\n")
    repo.commit("main moves on")
    pr = pull_from_git(repo, "main", "feature")
    assert [f["filename"] for f in pr.files] == ["feature.txt"]
    assert pr.base_sha == repo.rev_parse("main") != pr.merge_base_sha


def test_rename_with_and_without_changes(repo: GitRepo) -> None:
    repo.write("a.txt", "".join(f"line {i}\n" for i in range(20)))
    repo.write("b.txt", "".join(f"other {i}\n" for i in range(20)))
    repo.commit("two files")
    base = repo.rev_parse("HEAD")
    repo.rename("a.txt", "dir/a renamed.txt")
    repo.rename("b.txt", "b2.txt")
    repo.write("b2.txt", "".join(f"other {i}\n" for i in range(19)) + "changed\n")
    repo.commit("renames")
    pr = pull_from_git(repo, base, "feature")
    pure, edited = pr.file("dir/a renamed.txt"), pr.file("b2.txt")
    assert (pure["status"], pure["previous_filename"], pure["changes"]) == ("renamed", "a.txt", 0)
    assert "patch" not in pure
    assert (edited["status"], edited["previous_filename"], edited["additions"]) == ("renamed", "b.txt", 1)
    assert edited["patch"].endswith("-other 19\n+changed")


def test_deletion(repo: GitRepo) -> None:
    base_blob = repo.run("rev-parse", "HEAD:keep.txt").decode().strip()
    repo.delete("keep.txt")
    f = pull(repo).file("keep.txt")
    assert (f["status"], f["sha"], f["deletions"], f["patch"]) == ("removed", base_blob, 1, "@@ -1 +0,0 @@\n-keep")


def test_binary_has_no_patch_key(repo: GitRepo) -> None:
    repo.write("img.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    f = pull(repo).file("img.png")
    assert f["status"] == "added" and "patch" not in f and (f["additions"], f["deletions"]) == (0, 0)


def test_crlf_kept_in_patch(repo: GitRepo) -> None:
    repo.write("win.txt", "one\r\ntwo\r\n")
    assert pull(repo).file("win.txt")["patch"] == "@@ -0,0 +1,2 @@\n+one\r\n+two\r"


def test_non_utf8_content_replaced(repo: GitRepo) -> None:
    repo.write("latin.txt", "café\n".encode("latin-1"))
    f = pull(repo).file("latin.txt")
    assert f["patch"] == "@@ -0,0 +1 @@\n+caf\ufffd" and f["additions"] == 1


def test_weird_paths_are_exact(repo: GitRepo) -> None:
    for name in WEIRD:
        repo.write(name, f"{name}\n")
    repo.write("dir with space/sub dir/x.txt", "x\n")
    pr = pull(repo)
    assert sorted(f["filename"] for f in pr.files) == sorted([*WEIRD, "dir with space/sub dir/x.txt"])
    assert pr.file("new\nline.txt")["patch"] == "@@ -0,0 +1,2 @@\n+new\n+line.txt"
    for name in WEIRD:
        entry = repo.entry("feature", name)
        assert entry is not None and entry.path == name


def test_no_newline_at_eof(repo: GitRepo) -> None:
    repo.write("keep.txt", "keep\nmore")
    f = pull(repo).file("keep.txt")
    assert f["patch"] == "@@ -1 +1,2 @@\n keep\n+more\n\\ No newline at end of file"


def test_omitted_and_oversized_patches(repo: GitRepo) -> None:
    repo.write("small.txt", "s\n")
    repo.write("skip.txt", "s\n")
    repo.write("large.txt", "x" * 500 + "\n")
    pr = pull(repo, omit_patch=["skip.txt"], patch_limit_bytes=200)
    assert "patch" in pr.file("small.txt")
    assert "patch" not in pr.file("skip.txt") and "patch" not in pr.file("large.txt")
    assert pr.file("large.txt")["additions"] == 1  # counts stay


def test_symlink(repo: GitRepo) -> None:
    repo.symlink("link", "keep.txt")
    f = pull(repo).file("link")
    assert f["status"] == "added"
    assert f["patch"] == "@@ -0,0 +1 @@\n+keep.txt\n\\ No newline at end of file"
    entry = repo.entry("feature", "link")
    assert entry is not None and entry.mode == "120000"


def test_submodule_gitlink(repo: GitRepo) -> None:
    target = repo.rev_parse("main")
    repo.gitlink("vendor/lib", target)
    f = pull(repo).file("vendor/lib")
    assert (f["status"], f["sha"]) == ("added", target)
    assert f["patch"] == f"@@ -0,0 +1 @@\n+Subproject commit {target}"


def test_mode_change_and_type_change(repo: GitRepo) -> None:
    repo.write("run.sh", "echo\n")
    repo.write("was-file", "x\n")
    repo.commit("more")
    base = repo.rev_parse("HEAD")
    repo.chmod("run.sh", executable=True)
    repo.delete("was-file")
    repo.symlink("was-file", "run.sh")
    repo.commit("modes")
    pr = pull_from_git(repo, base, "feature")
    assert pr.file("run.sh")["status"] == "changed" and "patch" not in pr.file("run.sh")
    assert pr.file("was-file")["status"] == "changed"


def test_fixture_metadata(repo: GitRepo) -> None:
    repo.write("x.txt", "x\n")
    pr = pull(repo, title="T", draft=True, fork=True)
    assert (pr.number, pr.title, pr.draft, pr.fork, pr.state) == (1, "T", True, True, "open")
    assert (pr.base_ref, pr.head_ref, pr.changed_files, pr.additions) == ("main", "feature", 1, 1)
    assert b"diff --git a/x.txt b/x.txt" in pr.diff
    log = repo.run("log", "-1", "--format=%an|%G?").decode().strip()
    assert log == "Test Author|N"  # not signed despite the hostile global config


def test_commit_files_fast_path(repo: GitRepo) -> None:
    files = {name: f"{name}\n" for name in WEIRD} | {f"bulk/{i}.txt": f"{i}\n" for i in range(50)}
    sha = repo.commit_files(files, "bulk")
    pr = pull_from_git(repo, "main", "feature")
    assert pr.head_sha == sha and sorted(f["filename"] for f in pr.files) == sorted(files)
    assert pr.file("new\nline.txt")["patch"] == "@@ -0,0 +1,2 @@\n+new\n+line.txt"
    repo.write("after.txt", "more\n")  # ordinary commits still build on top
    repo.commit("after")
    assert {f["filename"] for f in pull_from_git(repo, "main", "feature").files} == {*files, "after.txt"}
