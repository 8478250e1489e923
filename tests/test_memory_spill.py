"""Issue #17.4: a state that outgrows one comment (GitHub caps a comment's body at 65,536 characters) spills into
further sealed comments instead of breaking memory.

A real 3,000-file pull request with some 2,100 open findings, reviewed by the action against the GitHub fake
(which refuses a longer body with GitHub's 422) and the Anthropic fake: the next push sends only what changed;
a continuation comment that is deleted or edited costs a full review with a note, as a broken seal does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from batch_review.memory.claim import STATUS_MARKER
from batch_review.memory.markers import PullState, own_state_parts
from batch_review.memory.seal import Seal
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import plant
from tests.support.gitrepo import GitRepo
from tests.test_converse import review_comment_event, talk
from tests.test_memory_pr import KEY, NUMBER, World

FILES = 3000
FOUND = 2100  # files with one planted finding each


def source(i: int, tag: str = "") -> str:
    rows = [f"value_{i}_{n} = {n}" for n in range(1, 5)]
    rows[2] = f"value_{i}_3 = 30"  # every file of the pull request changes
    if i < FOUND:
        rows[1] = f"check_{i}()  # {plant('low', 'reliability', title=f'unchecked result {i}')}"
    if tag:
        rows[3] += f"  # {tag}"
    return "\n".join(rows) + "\n"


def path(i: int) -> str:
    return f"pkg{i // 100:02d}/m{i:04d}.py"


@pytest.fixture
def big(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files({path(i): "\n".join(f"value_{i}_{n} = {n}" for n in range(1, 5)) + "\n"
                       for i in range(FILES)}, "base")
    repo.checkout_new_branch("feature")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY) as ai:
        w = World(tmp_path, repo, gh, ai, monkeypatch)
        w.inputs = {"min-severity": "info", "fail-on": "none", "max-files-per-request": "100",
                    "max-request-tokens": "150000", "walkthrough": "false", "max-related-tokens": "0"}
        yield w
        assert not gh.server_errors, gh.server_errors


def statuses(w: World) -> list[dict[str, Any]]:
    return [c for c in w.gh.issue_comments if STATUS_MARKER in c["body"]]


def parts(w: World) -> list[dict[str, Any]]:
    return [c for c in w.gh.issue_comments if own_state_parts(c["body"], w.seal())]


def test_a_state_past_one_comment_spills_and_the_next_push_reviews_only_what_changed(big: World) -> None:
    w = big
    w.push({path(i): source(i) for i in range(FILES)}, "a very large change")
    env, first, sent = w.run()
    assert first.code == 0 and len(sent) == FILES, first.log
    assert env.outputs()["findings-count"] == str(FOUND), first.log
    assert "status comment" in env.report()["published"] and "failed" not in env.report()["published"]["status comment"]
    (status,) = statuses(w)
    spilled = parts(w)
    assert len(spilled) == 2 and status in spilled  # the status comment and one continuation
    assert all(len(c["body"]) <= 65536 for c in w.gh.issue_comments)
    state = PullState.from_parts(status["body"], [c["body"] for c in spilled if c is not status], w.seal())
    assert state is not None and len(state.reviewed) == FILES and len(state.open) == FOUND
    assert len(state.to_marker(w.seal())) > 65536  # one marker could not have held it

    # a person shows one finding wrong in its thread: the conversation remembers it in the spilled state
    thread = w.gh.threads(NUMBER)[0]
    asked = w.gh.reply_as("alice", thread.root["id"], "FINDING-WRONG: the result is checked by the caller",
                          association="MEMBER")
    t = talk(w, "pull_request_review_comment", review_comment_event(w, asked))
    assert t.code == 0 and w.gh.threads(NUMBER)[0].is_resolved, t.log
    (status,) = statuses(w)
    spilled = parts(w)
    assert len(spilled) == 2 and all(len(c["body"]) <= 65536 for c in w.gh.issue_comments)
    state = PullState.from_parts(status["body"], [c["body"] for c in spilled if c is not status], w.seal())
    assert state is not None and len(state.dismissed) == 1 and len(state.open) == FOUND - 1

    w.push({path(7): source(7, tag="touched"), path(FILES - 1): source(FILES - 1, tag="touched")}, "a small push")
    env, second, sent = w.run()
    assert sorted(sent) == [path(7), path(FILES - 1)], second.log  # the other 2,998 files were not sent again
    report = env.report()
    assert report["files_unchanged"] == FILES - 2 and env.outputs()["findings-count"] == str(FOUND - 1)
    assert len(parts(w)) == 2 and len(statuses(w)) == 1  # edited in place, none added

    continuation = next(c for c in parts(w) if c not in statuses(w))
    continuation["body"] = continuation["body"].replace("A", "B", 1)  # a person edits it: its seal breaks
    w.push({path(8): source(8, tag="again")}, "a third push")
    env, third, sent = w.run()
    assert len(sent) == FILES, third.log  # a part that does not verify: a full review, and it says why
    notes = env.report()["notes"]
    why = "part 2 of its 2 parts is missing, edited or not sealed"
    assert any(why in n and "full review" in n for n in notes), notes
    assert env.outputs()["findings-count"] == str(FOUND)  # the dismissal lived in the state, as before
    inline = [c for c in w.gh.review_comments if c["user"]["login"] == "github-actions[bot]"]
    assert len(inline) == len({c["body"] for c in inline})  # nothing posted twice all the same


def test_parts_verify_each_and_together() -> None:
    seal = Seal.make("acme/widgets#1", memory_key="k", api_key=None)
    state = PullState("ab" * 8, {f"{i:012x}": "c" * 40 for i in range(500)}, {f"{i:016x}": f"{i:012x}" for i in
                                                                              range(300)})
    markers = state.to_markers(seal, room=2000)
    assert len(markers) > 3 and all(len(m) <= 2000 for m in markers)
    first, rest = markers[0], markers[1:]
    assert PullState.from_parts(first, list(reversed(rest)), seal) == state  # any order
    with pytest.raises(ValueError, match="part 3 of"):
        PullState.from_parts(first, rest[:1] + rest[2:], seal)
    with pytest.raises(ValueError, match="missing, edited or not sealed"):
        PullState.from_parts(first, [rest[0].replace("A", "B", 1), *rest[1:]], seal)
    other = Seal.make("acme/widgets#2", memory_key="k", api_key=None)  # copied from another pull request
    with pytest.raises(ValueError, match="first part's seal"):
        PullState.from_parts(first, rest, other)
    assert state.to_markers(seal) == [state.to_marker(seal)]  # a state that fits stays one marker
