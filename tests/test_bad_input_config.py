"""Bad options, through the action: the run fails before any request, with one ::error that names the
option (and the config file's key), the `status` output `failed`, exit code 2 and a step summary."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.gitrepo import GitRepo, pull_from_git
from tests.test_bad_input_world import failed_early, make_pr, numbered, pr_world, run_action


@pytest.mark.parametrize(("inputs", "needle"), [
    ({"mode": "revue"}, "input mode: Input should be 'auto', 'review', 'sweep' or 'converse' (got 'revue')"),
    ({"fail-on": "hgh"}, "input fail-on: must be one of critical, high, medium, low, info, none (got 'hgh')"),
    ({"min-severity": "urgent"}, "input min-severity: Input should be"),
    ({"max-concurrency": "eight"}, "input max-concurrency: Input should be a valid integer"),
    ({"report-dir": "../../outside"}, "report-dir: '../../outside' is outside the workspace"),
    ({"instructions": "../../etc/passwd"}, "instructions: the path '../../etc/passwd' is outside the repository"),
    ({"config-file": "conf/none.yml"}, "config-file: 'conf/none.yml' does not exist"),
    ({"budget-usd": "inf"}, "input budget-usd: Input should be a finite number"),  # #17.3: a cap is a number
    ({"budget-usd": "nan"}, "input budget-usd: Input should be a finite number"),
    ({"budget-usd": "1e400"}, "input budget-usd: Input should be a finite number"),
])
def test_bad_input_fails_before_any_request(tmp_path: Path, inputs: dict[str, str], needle: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_pr(tmp_path / "repo", {"a.py": "a\n"}, {"a.py": "b\n"})
    with pr_world(tmp_path, fx, inputs=inputs) as world:
        out = run_action(world, monkeypatch)
        assert not world.gh.calls and not world.ai.requests
    failed_early(out, needle)


@pytest.mark.parametrize(("text", "needle"), [
    ("mode: [review\n", ".github/batch-review.yml: not valid YAML"),
    ("max_concurency: 4\n", "unknown option 'max_concurency' (did you mean 'max-concurrency'?)"),
    ("max-inline-comments: many\n", ".github/batch-review.yml: max-inline-comments: Input should be a valid"),
])
def test_invalid_config_file_names_the_key(tmp_path: Path, text: str, needle: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    fx = make_pr(tmp_path / "repo", {".github/batch-review.yml": text, "a.py": "a\n"}, {"a.py": "b\n"})
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
        assert not world.ai.requests
    failed_early(out, needle)


def test_instructions_symlink_out_of_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "runner-secret.txt"
    secret.write_text("TOP-SECRET-RUNNER-FILE\n")

    repo = GitRepo.init(tmp_path / "repo")  # the link is on the base branch: a PR's own files never count
    repo.symlink("docs/review.md", os.path.relpath(secret, repo.path / "docs"))
    repo.write("a.py", numbered(2))
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("a.py", numbered(3))
    repo.commit("change")
    fx = pull_from_git(repo, "main", "feature", 5)
    with pr_world(tmp_path, fx, inputs={"instructions": "docs/review.md"}) as world:
        out = run_action(world, monkeypatch)
        sent = b"".join(r.raw for r in world.ai.requests)
    failed_early(out, f"instructions: 'docs/review.md' is a symlink at {fx.base_sha[:7]} (base of ",
                 "refused (a link could lead outside the repository)")
    assert b"TOP-SECRET-RUNNER-FILE" not in sent


def test_instructions_file_inside_the_repository_reaches_the_system_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fx = make_pr(tmp_path / "repo", {".github/review-guide.md": "Watch for N+1 queries.\n"},
                 {"a.py": numbered(3)})
    with pr_world(tmp_path, fx, inputs={"instructions": ".github/review-guide.md"}) as world:
        out = run_action(world, monkeypatch)
        systems = [r.json["system"] for r in world.ai.requests if r.path == "/v1/messages"]
    assert out.status == "clean"
    assert systems and "Watch for N+1 queries." in systems[0][-1]["text"]
