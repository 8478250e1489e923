"""A pull request's head content for targeted context: read from the workspace's git objects when it
holds the head blobs (no API call), else through GitHub's GraphQL API, many files a query; a file that
cannot be had is shown as hunks, with a note, never a failure. Real PyGithub against the GitHub fake;
real git repositories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from batch_review.filters import FileFilter
from batch_review.github_client import make_github
from batch_review.plan import Budget, Plan, make_plan
from batch_review.prompt import render_request
from batch_review.sources.head_content import GRAPHQL_FILES, read_blobs
from batch_review.sources.pull_request import collect_pull_request, pull_info
from tests.fakes.github_api import FakeGitHub
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git
from tests.support.runner import pull_request_event

PAD = "".join(f"def pad{i}(x):\n    return x + {i}\n\n\n" for i in range(40))  # lines 1-160


def module(name: str) -> str:
    return PAD + f"def {name}(x):\n" + "".join(f"    s{i} = {i}\n" for i in range(30)) + "    return x\n" + PAD


def build(root: Path, count: int) -> PullFixture:
    repo = GitRepo.init(root)
    for i in range(count):
        repo.write(f"src/m{i:03d}.py", module(f"work{i}"))
    repo.write("vendor/lib.py", module("vendored"))
    repo.commit("base")
    repo.checkout_new_branch("feature")
    for i in range(count):
        repo.write(f"src/m{i:03d}.py", module(f"work{i}").replace("s15 = 15", "s15 = 16"))
    repo.write("vendor/lib.py", module("vendored").replace("s15 = 15", "s15 = 16"))
    repo.commit("change")
    return pull_from_git(repo, "main", "feature")


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as gh:
        yield gh


def plan_for(fake: FakeGitHub, fx: PullFixture, workspace: Path | None, budget: Budget | None = None) -> Plan:
    fake.add_pull(fx)
    repo = make_github(fake.token, fake.base_url).get_repo("acme/widgets")  # the client the action makes
    collected = collect_pull_request(repo, pull_info(pull_request_event(fx)), FileFilter(), workspace)
    return make_plan(collected.files, collected.skipped, budget or Budget())


def shown(plan: Plan, path: str) -> list[tuple[int, int]]:
    view = plan.files[path].view
    assert view is not None
    return view.shown


def graphql_paths(fake: FakeGitHub) -> list[list[str]]:
    """The files each GraphQL query asked for, in order."""
    return [sorted(v.split(":", 1)[1] for k, v in (c.json.get("variables") or {}).items() if k.startswith("e"))
            for c in fake.calls if c.path == "/graphql"]


def test_a_workspace_holding_the_head_blobs_costs_no_api_call(tmp_path: Path, fake: FakeGitHub) -> None:
    fx = build(tmp_path / "repo", 3)
    plan = plan_for(fake, fx, fx.repo.path)
    assert [c.path for c in fake.calls] == ["/repos/acme/widgets/pulls/1/files"]  # the file list, nothing more
    for i in range(3):
        assert shown(plan, f"src/m{i:03d}.py") == [(161, 192)]  # the whole function around line 177
    assert plan.notes == [] and plan.context.whole_lines == plan.context.changed_lines == 6


def test_without_the_blobs_one_graphql_query_fetches_every_planned_file(tmp_path: Path, fake: FakeGitHub) -> None:
    fx = build(tmp_path / "repo", 3)
    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()
    plan = plan_for(fake, fx, elsewhere)
    assert graphql_paths(fake) == [["src/m000.py", "src/m001.py", "src/m002.py"]]  # not the vendored file
    assert fake.count("GET", "/contents/|/git/blobs/") == 0
    for i in range(3):
        assert shown(plan, f"src/m{i:03d}.py") == [(161, 192)]
    assert plan.notes == []


def test_the_same_prompt_whichever_way_the_content_came(tmp_path: Path) -> None:
    fx = build(tmp_path / "repo", 2)
    texts = []
    for workspace in (fx.repo.path, tmp_path / "nowhere"):
        with FakeGitHub() as gh:
            plan = plan_for(gh, fx, workspace)
        texts.append([render_request(r, plan.rows) for r in plan.requests])
    assert texts[0] == texts[1]
    assert "\n161 def work0(x):\n" in texts[0][0] and "pad1(x)" not in texts[0][0]


def test_many_files_take_one_query_per_forty(tmp_path: Path, fake: FakeGitHub) -> None:
    fx = build(tmp_path / "repo", GRAPHQL_FILES + 5)
    plan = plan_for(fake, fx, None)
    assert [len(paths) for paths in graphql_paths(fake)] == [GRAPHQL_FILES, 5]
    assert plan.context.whole_lines == plan.context.changed_lines == 2 * (GRAPHQL_FILES + 5)


def test_a_blob_github_truncates_is_shown_as_hunks_with_a_note(tmp_path: Path, fake: FakeGitHub) -> None:
    fx = build(tmp_path / "repo", 2)
    repo = fx.repo
    repo.checkout("main")
    repo.write("src/big.py", module("big") + "# padding\n" * 2000)
    repo.commit("big base")
    repo.checkout("feature")
    repo.run("merge", "-q", "main")
    repo.write("src/big.py", (module("big") + "# padding\n" * 2000).replace("s15 = 15", "s15 = 16"))
    repo.commit("big change")
    fx = pull_from_git(repo, "main", "feature")
    fake.blob_text_limit = 15_000  # below big.py, above the others
    plan = plan_for(fake, fx, None)
    assert shown(plan, "src/big.py") == [(174, 180)]  # GitHub's hunk only
    assert shown(plan, "src/m000.py") == [(161, 192)]
    assert len(plan.notes) == 1
    assert "src/big.py: its head content is unavailable (truncated by GitHub: 23,075 bytes)" in plan.notes[0]
    assert len(graphql_paths(fake)) == 1


@pytest.mark.parametrize("fault", [
    (502, None),
    (200, {"data": None, "errors": [{"message": "Something went wrong while executing your query. This may be the "
                                                "result of a timeout, or it could be a GitHub bug."}]}),
])
def test_a_query_github_cannot_serve_is_split_in_halves(tmp_path: Path, fake: FakeGitHub,
                                                        fault: tuple[int, dict[str, object] | None]) -> None:
    fx = build(tmp_path / "repo", 4)
    fake.inject("POST", "^/graphql$", fault[0], times=1, body=fault[1])
    plan = plan_for(fake, fx, None)
    assert graphql_paths(fake) == [["src/m000.py", "src/m001.py", "src/m002.py", "src/m003.py"],
                                   ["src/m000.py", "src/m001.py"], ["src/m002.py", "src/m003.py"]]
    assert plan.notes == [] and all(shown(plan, f"src/m{i:03d}.py") == [(161, 192)] for i in range(4))


def test_graphql_down_means_hunks_with_a_note_and_a_bounded_number_of_queries(tmp_path: Path,
                                                                              fake: FakeGitHub) -> None:
    fx = build(tmp_path / "repo", 4)
    fake.inject("POST", "^/graphql$", 502, times=1000)
    plan = plan_for(fake, fx, None)
    assert len(graphql_paths(fake)) == 7  # 4 files, halved down to single files: 1 + 2 + 4 queries
    assert all(shown(plan, f"src/m{i:03d}.py") == [(174, 180)] for i in range(4))
    assert plan.notes == ["4 file(s) were shown as their diff's hunks only, without the code around them ("
                          + "; ".join(f"src/m{i:03d}.py: its head content is unavailable (GitHub's GraphQL API "
                                      "failed: GitHub 502 Bad Gateway)" for i in range(4)) + ")"]


def test_a_token_graphql_refuses_is_asked_once(tmp_path: Path, fake: FakeGitHub) -> None:
    fx = build(tmp_path / "repo", GRAPHQL_FILES + 5)
    fake.inject("POST", "^/graphql$", 403, times=1000, body={"message": "Resource not accessible by integration"})
    plan = plan_for(fake, fx, None)
    assert len(graphql_paths(fake)) == 1
    assert plan.context.whole_lines == 0 and len(plan.files) == GRAPHQL_FILES + 5
    assert "Resource not accessible by integration" in plan.notes[0]


def test_a_workspace_at_the_base_reads_what_it_has_and_asks_for_the_rest(tmp_path: Path, fake: FakeGitHub) -> None:
    fx = build(tmp_path / "repo", 2)
    base = GitRepo.init(tmp_path / "base-checkout")
    for i in range(2):
        base.write(f"src/m{i:03d}.py", module(f"work{i}"))
    base.write("src/m000.py", module("work0").replace("s15 = 15", "s15 = 16"))  # holds m000's head blob only
    base.commit("a checkout with one of the head blobs")
    plan = plan_for(fake, fx, base.path)
    assert graphql_paths(fake) == [["src/m001.py"]]
    assert shown(plan, "src/m000.py") == shown(plan, "src/m001.py") == [(161, 192)]


def test_hunks_mode_still_fetches_head_content_once_for_fingerprints(tmp_path: Path, fake: FakeGitHub) -> None:
    fx = build(tmp_path / "repo", 3)
    plan = plan_for(fake, fx, None, Budget(context="hunks"))
    assert len(graphql_paths(fake)) == 1  # one query for the three files, whatever reads them later
    assert all(f.view is None for f in plan.files.values())
    load = plan.files["src/m000.py"].load
    assert load is not None and load().split(b"\n")[176] == b"    s15 = 16"  # line 177: the whole head is known
    assert len(graphql_paths(fake)) == 1


def test_read_blobs_never_fails(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "r")
    repo.write("a.txt", "hello\r\nworld")
    repo.commit("a")
    blob = repo.entry("HEAD", "a.txt")
    assert blob is not None
    missing = "0" * 40
    assert read_blobs(repo.path, [blob.sha, missing, "not-a-sha"]) == {blob.sha: b"hello\r\nworld"}
    plain = tmp_path / "plain"
    plain.mkdir()
    assert read_blobs(plain, [blob.sha]) == {}
    assert read_blobs(tmp_path / "absent", [blob.sha]) == {}
