"""The eval dataset's build (eval/build.py): whole release sources from sdists fetched by pinned sha256, no
comment of the fix left in a case's diff, context items that exist in the head tree; and the context
recall's own readers (recall.py) on plain inputs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from batch_review.evaluation.dataset import ContextItem
from batch_review.evaluation.recall import context_reached, definition_span, shown_rows
from eval.build import leaked_comments, load_recipes, make_case, not_shipped, release
from eval.hunks import unified
from eval.sdists import FetchError, archive
from tests.support.eval_data import build_dataset

OLD = b"def f(x):\n    return x\n\n\ndef g():\n    pass\n"
NEW = b"def f(x):\n    # a negative x would wrap around: clamp it first\n    return max(x, 0)\n\n\ndef g():\n    pass\n"


def test_the_comment_a_fix_added_is_removed_from_the_base(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "m.py").write_bytes(OLD)
    (tmp_path / "new" / "m.py").write_bytes(NEW)
    recipe = {"id": "t", "path": "m.py", "hunks": [0]}
    made = make_case(recipe, tmp_path / "old", tmp_path / "new")
    assert made["head"] == OLD and b"clamp" not in made["base"] and b"max(x, 0)" in made["base"]
    diff = unified(made["base"], made["head"], "m.py").decode()
    assert "-    return max(x, 0)" in diff and "+    return x" in diff and "clamp" not in diff
    assert made["labels"] == [[2, 2]]
    # without the stripping, the diff would delete the fix's explanation: the leak check names it
    assert leaked_comments(unified(NEW, OLD, "m.py"), OLD) == ["# a negative x would wrap around: clamp it first"]


def test_a_head_mixing_two_releases_is_refused(tmp_path: Path) -> None:
    """A fix that changes a signature and a body: undoing only the body would make code that never shipped
    (how click-add-completion-class-return was built before); undoing both gives the old release's function."""
    old = b"def add(cls) -> None:\n    register(cls)\n"
    new = b"def add(cls: T) -> T:\n    register(cls)\n    return cls\n"
    for side, text in (("old", old), ("new", new)):
        (tmp_path / side).mkdir()
        (tmp_path / side / "m.py").write_bytes(text)
    with pytest.raises(SystemExit, match="never shipped"):
        make_case({"id": "t", "path": "m.py", "hunks": [1], "buggy": "1.0"}, tmp_path / "old", tmp_path / "new")
    assert not_shipped(new, b"def add(cls: T) -> T:\n    register(cls)\n", old) == ["add"]
    made = make_case({"id": "t", "path": "m.py", "hunks": [0, 1], "label_hunks": [1], "buggy": "1.0"},
                     tmp_path / "old", tmp_path / "new")
    assert made["head"] == old and made["labels"] == [[2, 3]]  # around the spot where `return cls` was


def test_no_case_diff_adds_or_deletes_a_comment_only_the_fix_has(tmp_path: Path) -> None:
    dataset = build_dataset(tmp_path)
    pins, recipes = load_recipes()
    by_id = {r["id"]: r for r in recipes}
    for line in dataset.read_text().splitlines():
        case = json.loads(line)
        recipe = by_id[case["id"]]
        repo = dataset.parent / case["repo"]
        diff = subprocess.run(["git", "-C", str(repo), "diff", case["base"], case["head"]], capture_output=True,
                              check=True).stdout
        assert diff.count(b"\ndiff --git ") == 0 and diff.startswith(b"diff --git"), case["id"]  # one file changed
        buggy = (release(pins, recipe["project"], recipe["buggy"]) / recipe["path"]).read_bytes()
        assert leaked_comments(diff, buggy) == [], case["id"]
        files = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "--name-only", case["head"]],
                               capture_output=True, text=True, check=True).stdout.split()
        assert len(files) > 20 and recipe["path"] in files  # the package's whole source, not the one file
        assert not any(part == "tests" for f in files for part in f.split("/")[:-1])
        for item in case.get("context", []):
            shown = subprocess.run(["git", "-C", str(repo), "show", f"{case['head']}:{item['path']}"],
                                   capture_output=True, text=True, check=True).stdout
            assert item["contains"] in shown and item["path"] != recipe["path"]


def test_every_recipe_is_pinned_and_twelve_need_another_file() -> None:
    pins, recipes = load_recipes()
    for recipe in recipes:
        for version in (recipe["buggy"], recipe["fixed"]):
            assert len(pins[recipe["project"]][version]) == 64, (recipe["id"], version)
    crossing = [r for r in recipes if any(item["path"] != r["path"] for item in r.get("context", []))]
    assert len(crossing) >= 12
    assert all(r.get("title") and r.get("description") for r in crossing)
    assert "flask-app-factory-kwargs" not in {r["id"] for r in recipes}


def test_an_archive_that_does_not_match_its_pin_is_never_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_REVIEW_EVAL_CACHE", str(tmp_path))
    with pytest.raises(FetchError) as refused:
        archive("click", "8.1.4", "0" * 64)
    assert "pinned sha256" in str(refused.value.code) and "0" * 64 in str(refused.value.code)
    assert not list((tmp_path / "sdists").glob("*.tar.gz"))


def test_the_recall_readers() -> None:
    text = '### "a.py" (changes)\n 9 def f():\n10+    return 1\n</code nonce="x">\n11 not a row of a.py'
    assert shown_rows([text]) == {"a.py": {9: "def f():", 10: "    return 1"}}
    source = "import os\n\n\nclass A:\n    @staticmethod\n    def f():\n        return 1\n"
    assert definition_span(source, 7, 7) == (5, 7)  # the innermost definition, decorator included
    assert definition_span(source, 1, 1) == (1, 1)  # module level: the statement
    assert definition_span(source, 2, 2) is None  # between statements: none
    item = ContextItem("lib/x.py", "def helper(a):\n    return a")
    assert context_reached(item, ['### "lib/x.py"\n 3 def helper(a):\n 4     return a'])
    assert not context_reached(item, ["def helper(a):\n    return a"])  # the code without its path
    assert not context_reached(item, ['lib/x.py\n    return a\ndef helper(a):'])  # out of order
