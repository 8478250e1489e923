"""Issue #17.4: a status comment that cannot be written loses nothing and pays for nothing twice. The review
batch-review posts carries the state of its run (which file versions it reviewed), so the next run reads what
was reviewed from it; a run that posted no review leaves a short review note with its state instead. Started as
a runner starts the action, against the GitHub fake (REST and GraphQL) and the Anthropic fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_memory_pr import LEAK, SQL, World, first_push, module, pull_world

NEW_COMMENT = r"/issues/7/comments$"
EDIT_COMMENT = r"/issues/comments/\d+$"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from pull_world(tmp_path, monkeypatch)


def test_a_status_comment_that_cannot_be_written_costs_nothing_twice(world: World) -> None:
    first_push(world)
    fault = world.gh.inject("POST", NEW_COMMENT, 500, times=100, body={"message": "Server Error"})
    env, first, sent = world.run()

    assert first.code == 1, first.log  # fail-on: high, as the findings say; not "failed"
    assert sorted(sent) == ["src/a.py", "src/b.py", "src/c.py"]
    assert env.outputs()["status"] == "findings" and env.outputs()["findings-count"] == "2"
    assert fault.hits >= 1 and world.status_comments() == []
    assert len(world.our_reviews()) == 1 and len(world.gh.review_comments) == 2  # the findings are posted
    said = env.report()["published"]["status comment"]
    assert said.startswith("failed: ") and "kept in this run's review" in said
    assert "::warning title=batch-review%3A status comment not written::" in first.log
    assert "status comment" in env.summary()

    world.gh.clear_faults()
    env, second, sent = world.run()  # the same head again: everything was reviewed, nothing is paid again
    assert sent == [], second.log
    assert second.code == 1 and env.outputs()["findings-count"] == "2"
    report = env.report()
    assert report["files_unchanged"] == 3 and report["files_reviewed"] == 0
    assert {f["path"] for f in report["findings"]} == {"src/a.py", "src/b.py"}
    assert any("status comment holds no state for these settings" in n for n in report["notes"])
    assert len(world.status_comments()) == 1 and len(world.our_reviews()) == 1  # nothing posted twice
    assert len(world.gh.review_comments) == 2


def test_a_clean_run_without_a_status_comment_leaves_a_review_note(world: World) -> None:
    world.push({"src/c.py": module("c", tag="x"), "src/d.py": module("d", tag="y")}, "nothing to find")
    world.gh.inject("POST", NEW_COMMENT, 500, times=100, body={"message": "Server Error"})
    env, first, sent = world.run()

    assert first.code == 0 and env.outputs()["status"] == "clean", first.log
    assert sorted(sent) == ["src/c.py", "src/d.py"]
    [note] = world.our_reviews()
    assert note["state"] == "COMMENTED" and "could not update its status comment" in note["body"]
    assert "batch-review:pr-state" in note["body"]
    assert "kept in a review note" in env.report()["published"]["status comment"]

    world.gh.clear_faults()
    env, second, sent = world.run()
    assert sent == [] and env.outputs()["status"] == "clean", second.log
    assert len(world.our_reviews()) == 1 and len(world.status_comments()) == 1


def test_a_stale_status_comment_and_a_later_review_are_read_together(world: World) -> None:
    first_push(world)
    world.run()  # status comment written: a, b, c reviewed
    world.push({"src/d.py": module("d", {5: SQL}), "src/b.py": module("b", {20: LEAK}, tag="z")}, "second push")
    world.gh.inject("PATCH", EDIT_COMMENT, 502, times=100, body={"message": "Bad Gateway"})
    env, second, sent = world.run()
    assert sorted(sent) == ["src/b.py", "src/d.py"], second.log
    assert env.outputs()["findings-count"] == "3"
    assert env.report()["published"]["status comment"].startswith("failed: ")

    world.gh.clear_faults()
    env, third, sent = world.run()  # the status comment still says "first push"; the second review says the rest
    assert sent == [], third.log
    assert env.outputs()["findings-count"] == "3" and env.outputs()["status"] == "findings"
    assert {f["path"] for f in env.report()["findings"]} == {"src/a.py", "src/b.py", "src/d.py"}


def test_an_app_token_during_a_graphql_outage_posts_nothing_twice(world: World) -> None:
    """The App's installation token cannot read `GET /user`, and GraphQL (which says who it is) is down: the
    markers the App wrote cannot be told from anyone else's, so the findings they carry are not posted again."""
    world.gh.viewer_login = "review-app[bot]"
    first_push(world)
    env, first, _ = world.run()
    assert {c["user"]["login"] for c in world.gh.review_comments} == {"review-app[bot]"}
    assert sorted(c["path"] for c in world.gh.review_comments) == ["src/a.py", "src/b.py"]

    world.push({"src/d.py": module("d", {5: SQL})}, "second push")
    outage = world.gh.inject("POST", r"/graphql$", 502, times=1000, body={"message": "Bad Gateway"})
    env, second, sent = world.run()
    assert outage.hits > 0
    assert sorted(sent) == ["src/a.py", "src/b.py", "src/c.py", "src/d.py"], second.log  # memory unreadable
    assert sorted(c["path"] for c in world.gh.review_comments) == ["src/a.py", "src/b.py", "src/d.py"]  # d only
    outputs, report = env.outputs(), env.report()
    assert outputs["status"] == "partial" and outputs["findings-count"] == "3"
    assert second.code == 1, second.log  # fail-on: high still counts the withheld ones
    assert report["withheld"] == 2
    held = {f["path"]: f["placement"] for f in report["findings"]}
    assert held == {"src/a.py": "report", "src/b.py": "report", "src/d.py": "inline"}
    assert "::warning title=batch-review%3A findings withheld::2 findings not posted" in second.log
    assert "2 findings not posted" in env.summary()
    assert len([c for c in world.gh.issue_comments if "batch-review:pr-state" in c["body"]]) == 1  # not twice
    assert {a["start_line"] for a in world.gh.check_runs[-1]["annotations"]} >= {5, 10, 20}

    world.gh.clear_faults()
    env, third, sent = world.run()  # GraphQL answers again: nothing is paid or posted again
    assert sent == [] and env.outputs()["status"] == "findings", third.log
    assert len(world.gh.review_comments) == 3
