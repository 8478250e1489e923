"""Issue #12, item 10: a file whose patch GitHub omits is diffed against the merge base, not the base tip.

When `main` moved after the branch point, its own changes are not the pull request's: diffing against the
base branch's tip would show them to the model as the PR's (reverted), and findings would land on code the
PR never touched. A real git repository: main moves after the feature branch is cut.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fakes.model_brain import user_text
from tests.support.gitrepo import GitRepo, pull_from_git
from tests.test_bad_input_world import numbered, pr_world, run_action

BASE = numbered(60, "row")
FEATURE = numbered(60, "row", at={5: "feature_change = True"})
MAIN_LATER = numbered(60, "row", at={50: "main_moved_on = True"})


def _repo(root: Path) -> GitRepo:
    repo = GitRepo.init(root)
    repo.write_many({"big.py": BASE, "small.py": "a = 1\n"})
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write_many({"big.py": FEATURE, "small.py": "a = 2\n"})
    repo.commit("feature")
    repo.checkout("main")
    repo.write("big.py", MAIN_LATER)  # main moves on after the branch point, in the same file
    repo.commit("main moves on")
    return repo


@pytest.mark.parametrize("omitted", [True, False], ids=["patch-omitted", "patch-given"])
def test_an_omitted_patch_shows_only_the_pull_requests_own_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, omitted: bool
) -> None:
    repo = _repo(tmp_path / "repo")
    fx = pull_from_git(repo, "main", "feature", 5, omit_patch=["big.py"] if omitted else [])
    assert fx.base_sha != fx.merge_base_sha
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
        sent = "\n".join(user_text(r.json) for r in world.ai.requests if r.path == "/v1/messages")
        compares = world.gh.count("GET", r"/compare/")
    assert out.code == 0, out.log
    assert out.files["big.py"] == ("reviewed", "")
    assert "feature_change = True" in sent  # the pull request's change is shown...
    assert "main_moved_on" not in sent  # ...and not main's later change, as if the PR had reverted it
    assert not re.search(r"^ *50\+", sent, re.M)  # line 50 is not an added line of this pull request
    assert compares == (1 if omitted else 0)  # one request, and only when a patch was omitted
