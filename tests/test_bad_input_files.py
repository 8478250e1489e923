"""Bad input, file by file: what lands in a pull request and how the action treats each one.

Every case runs the action as a runner starts it and asserts what the user sees: exit code, status
output, the report's per-file outcome (reviewed, or skipped with a named reason) and the review.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fakes.model_brain import plant
from tests.support.gitrepo import GitRepo
from tests.test_bad_input_world import make_pr, numbered, pr_world, run_action

P_HIGH = plant("high", "bug", title="planted")


def _inline(world_gh: object) -> dict[tuple[str, int], dict[str, object]]:
    comments = world_gh.review_comments  # type: ignore[attr-defined]
    return {(c["path"], c["line"]): c for c in comments}


def test_binary_file_is_skipped_as_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_pr(tmp_path / "repo", {"img/logo.svgz": b"\x1f\x8b\x08\x00" + bytes(range(256))},
                 {"img/logo.svgz": b"\x1f\x8b\x08\x00" + bytes(range(255, -1, -1)), "a.py": "x = 1\n"})
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
    assert out.code == 0 and out.status == "clean"
    assert out.files["img/logo.svgz"] == ("skipped", "binary")
    assert out.files["a.py"] == ("reviewed", "")
    assert "binary" in out.summary


def test_nul_bytes_in_a_text_file_skip_it_as_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_pr(tmp_path / "repo", {"data.txt": "a\n"}, {"data.txt": "a\n\0b " + P_HIGH + "\n"})
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
    assert out.files["data.txt"] == ("skipped", "binary")
    assert out.status == "clean" and not out.findings


def test_huge_file_is_skipped_with_its_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = "".join(f"value_{i} = {i}\n" for i in range(80_000))  # ~1.3 MB
    fx = make_pr(tmp_path / "repo", {"old/table.py": big},
                 {"new/table.py": big, "old/table.py": big + "extra = 1  # " + P_HIGH + "\n"},
                 patch_limit_bytes=300_000)  # GitHub omits the patch of the new file, not of the small change
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
    assert out.files["new/table.py"] == ("skipped", "larger than 1 MB")
    assert out.files["old/table.py"] == ("reviewed", "")  # a small change to a huge file: its hunks
    assert [(f["path"], f["line"]) for f in out.findings] == [("old/table.py", 80_001)]


def test_large_diff_without_patch_is_still_reviewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = numbered(400, "# row")
    fx = make_pr(tmp_path / "repo", {"src/big.py": base},
                 {"src/big.py": numbered(400, "# row", at={200: "eval(x)  # " + P_HIGH})}, omit_patch=["src/big.py"])
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
        review = world.gh.reviews[0]
    assert out.files["src/big.py"] == ("reviewed", "")
    assert [(f["line"], f["placement"]) for f in out.findings] == [(200, "body")]
    assert "`src/big.py:200`" in review["body"]


def test_latin1_file_is_reviewed_at_exact_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = numbered(12, "# caf\xe9", at={7: "x = 'na\xefve'  # " + P_HIGH})
    fx = make_pr(tmp_path / "repo", {"legacy.py": numbered(12, "# caf\xe9").encode("latin-1")},
                 {"legacy.py": text.encode("latin-1")})
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
        inline = _inline(world.gh)
    assert out.files["legacy.py"] == ("reviewed", "")
    assert set(inline) == {("legacy.py", 7)}


def test_mixed_encodings_in_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = "# utf-8: caf\xe9\n".encode() + "# latin-1: caf\xe9\n".encode("latin-1") + b"# cp1252: \x93q\x94\n"
    head = base + b"\xff\xfe broken\n" + ("y = 2  # " + P_HIGH + "\n").encode()
    fx = make_pr(tmp_path / "repo", {"mixed.py": base}, {"mixed.py": head})
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
        inline = _inline(world.gh)
    assert out.files["mixed.py"] == ("reviewed", "")
    assert set(inline) == {("mixed.py", 5)}


def test_crlf_file_reviewed_without_carriage_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_pr(tmp_path / "repo", {"win.py": numbered(10, eol="\r\n")},
                 {"win.py": numbered(10, eol="\r\n", at={4: "z = 3  # " + plant("low", "bug", suggest="z = 4")})})
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
        inline = _inline(world.gh)
    assert set(inline) == {("win.py", 4)}
    body = str(inline[("win.py", 4)]["body"])
    assert "\r" not in body and "```suggestion\nz = 4\n```" in body
    assert "\r" not in out.findings[0]["title"]


def test_file_without_final_newline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_pr(tmp_path / "repo", {"last.py": "a = 1\nb = 2"}, {"last.py": "a = 1\nb = 3  # " + P_HIGH})
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
        inline = _inline(world.gh)
    assert out.files["last.py"] == ("reviewed", "")
    assert set(inline) == {("last.py", 2)}


WEIRD_PATHS = [
    "dir with space/my file.py",
    'quo"ted\\back.py',
    "ünïcødé/日本語.py",
    "new\nline.py",
    "tab\there.py",
    "brackets[/b]@everyone.py",
    "evil\n::error title=forged::from a file name.py",
]


def test_weird_paths_are_reviewed_under_their_exact_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = {p: numbered(4) for p in WEIRD_PATHS}
    head = {p: numbered(4, at={2: "v = 1  # " + P_HIGH}) for p in WEIRD_PATHS}
    fx = make_pr(tmp_path / "repo", base, head)
    with pr_world(tmp_path, fx, inputs={"max-files-per-request": "2"}) as world:
        out = run_action(world, monkeypatch)
        inline = _inline(world.gh)
    assert out.status == "findings", out.log
    assert set(inline) == {(p, 2) for p in WEIRD_PATHS}
    for p in WEIRD_PATHS:
        assert out.files[p] == ("reviewed", ""), p
    # the summary's findings table stays one row per finding: no path breaks out of its cell
    table = out.summary.split("### Findings")[1].split("### Files")[0].strip().splitlines()
    assert len(table) == 2 + len(WEIRD_PATHS)
    assert all(len(re.split(r"(?<!\\)\|", row)) == 6 for row in table), table
    shown = [line for line in out.log.splitlines() if line.startswith("::") and not line.startswith("::add-mask")]
    assert all(line.split("::")[1].split(" ")[0] in ("group", "endgroup", "notice", "warning", "error")
               for line in shown), shown


def test_symlink_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def change(repo: GitRepo) -> None:
        repo.write("target.py", "t = 1\n")
        repo.symlink("link.py", "target.py")
        repo.symlink("dangling.py", "../../etc/passwd")

    fx = make_pr(tmp_path / "repo", {}, change)
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
    assert out.files["link.py"] == ("skipped", "symlink")
    assert out.files["dangling.py"] == ("skipped", "symlink")
    assert out.files["target.py"] == ("reviewed", "")


def test_submodule_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def change(repo: GitRepo) -> None:
        repo.gitlink("third/lib", "a" * 40)

    fx = make_pr(tmp_path / "repo", {}, change)
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
    assert out.files["third/lib"] == ("skipped", "submodule")
    assert out.status == "clean" and "nothing to review" in out.summary.lower()


def test_rename_without_change_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def change(repo: GitRepo) -> None:
        repo.rename("old/name.py", "new/name.py")
        repo.write("b.py", "b = 2\n")

    fx = make_pr(tmp_path / "repo", {"old/name.py": numbered(30)}, change)
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
    assert out.files["new/name.py"] == ("skipped", "renamed without changes")
    assert out.files["b.py"] == ("reviewed", "")
    assert out.status == "clean"


def test_mode_change_only_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def change(repo: GitRepo) -> None:
        repo.chmod("run.sh", True)

    fx = make_pr(tmp_path / "repo", {"run.sh": "echo hi\n"}, change)
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
        blob_reads = world.gh.count("GET", r"/git/blobs/|/contents/")
    assert out.files["run.sh"] == ("skipped", "mode change only")
    assert blob_reads == 0


def test_unicode_line_separators_and_lone_carriage_returns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planted = numbered(8, at={2: "a = 'x\u2028y'", 3: "b = 1\rc = 2", 4: "page\x0cbreak", 5: "nel\x85here",
                              6: "z = 0  # " + P_HIGH})
    fx = make_pr(tmp_path / "repo", {"odd.py": numbered(8)}, {"odd.py": planted})
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
        inline = _inline(world.gh)
    assert out.files["odd.py"] == ("reviewed", "")
    assert set(inline) == {("odd.py", 6)}  # the separators did not shift the numbering
