"""The markers that carry batch-review's memory: what they hold, that they round-trip, that a 3,000-file pull
request's state fits in one comment, and that nothing model-written can forge or break them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch_review.findings import Finding, Severity
from batch_review.memory.markers import PullState, file_key, finding_marker, posted_findings
from batch_review.memory.seal import Seal
from batch_review.publishers.markdown import GITHUB_BODY_LIMIT
from tests.test_memory_pr import World, first_push, pull_world


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from pull_world(tmp_path, monkeypatch)


SEAL = Seal.make("o/r#1", memory_key=None, api_key="sk-ant-test")


def _finding(**changes: object) -> Finding:
    values: dict[str, object] = dict(path="src/a.py", line=3, end_line=5, severity=Severity.high,
                                     category="bug", title="t", body="b", suggestion=None, confidence=0.9,
                                     fingerprint="0123456789abcdef")
    values.update(changes)
    return Finding(**values)  # type: ignore[arg-type]


def test_a_finding_marker_round_trips_whatever_the_title_holds() -> None:
    title = "ends the comment --> <img src=x> @everyone #1 `code` & \u2028 \"quoted\""
    marker = finding_marker(_finding(title=title), "a" * 40, "0123456789ab", SEAL)
    assert marker.count("-->") == 1 and marker.endswith(" -->")
    for bad in ("<img", "@everyone", "#1", "`", "--"):
        assert bad not in marker[len("<!-- batch-review:finding "):-4]
    (back,) = posted_findings(f"text before\n{marker}\ntext after", SEAL)
    assert (back.fingerprint, back.severity, back.path, back.line, back.end_line, back.title, back.commit) == (
        "0123456789abcdef", Severity.high, "src/a.py", 3, 5, title, "a" * 40)


@pytest.mark.parametrize("raw", [
    '{"fp": "short", "sev": "high", "cat": "bug", "path": "a", "line": 1}',
    '{"fp": "0123456789abcdef", "sev": "urgent", "cat": "bug", "path": "a", "line": 1}',
    '{"fp": "0123456789abcdef", "sev": "high", "cat": "bug", "path": "a", "line": -1}',
    '{"fp": "0123456789abcdef", "sev": "high", "cat": "bug", "path": "", "line": 1}',
    '{"fp": "0123456789abcdef", "sev": "high", "cat": "rumour", "path": "a", "line": 1}',
    "not json",
])
def test_a_malformed_finding_marker_is_not_read(raw: str) -> None:
    assert posted_findings(f"<!-- batch-review:finding {raw} -->", None) == []


def test_a_3000_file_pull_request_s_state_fits_in_one_comment() -> None:
    commits = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(30)]
    reviewed = {file_key(f"src/module_{i:04d}/a_rather_long_file_name_{i}.py",
                         hashlib.sha1(str(i).encode()).hexdigest()): commits[i % 30] for i in range(3000)}
    found = {hashlib.sha256(str(i).encode()).hexdigest()[:16]: next(iter(reviewed)) for i in range(1000)}
    state = PullState("f" * 16, reviewed, found)
    marker = state.to_marker(SEAL)
    assert len(marker) < GITHUB_BODY_LIMIT - 4000  # room left for the comment's own words
    back = PullState.from_text(f"<!-- batch-review:status -->\n{marker}\nwords", SEAL)
    assert back is not None and back.reviewed == reviewed and back.open == found and back.settings == "f" * 16


@pytest.mark.parametrize("body", [
    '<!-- batch-review:pr-state {"v": 9} -->',
    '<!-- batch-review:pr-state {"v": 1, "settings": "zz", "commits": [], "files": ""} -->',
    '<!-- batch-review:pr-state {"v": 1, "settings": "00ff00ff", "commits": [], "files": "AAAA"} -->',
    '<!-- batch-review:pr-state {"v": 1, "settings": "00ff00ff", "commits": [], "files": "not base64!"} -->',
])
def test_an_unreadable_state_is_an_error_not_an_empty_memory(body: str) -> None:
    with pytest.raises(ValueError):
        PullState.from_text(body, None)


def test_an_unreadable_status_comment_means_a_full_review_with_a_note(world: World) -> None:
    first_push(world)
    world.run()
    (status,) = world.status_comments()
    status["body"] = status["body"].replace('"files":"', '"files":"!')  # damaged (by an edit, say)
    world.push({"src/d.py": "d = 1\n"}, "second push")
    env, result, sent = world.run()
    assert sorted(sent) == ["src/a.py", "src/b.py", "src/c.py", "src/d.py"], result.log  # everything again
    assert any("could not be read" in n and "full review" in n for n in env.report()["notes"])
    inline = [c for c in world.gh.review_comments if c["user"]["login"] == "github-actions[bot]"]
    assert len(inline) == 2  # nothing posted twice all the same
    damaged, fresh = world.status_comments()  # a comment that fails its seal is never written over
    assert PullState.from_text(fresh["body"], world.seal()) is not None  # a new, sealed one from this run


def test_new_settings_review_everything_again(world: World, tmp_path: Path) -> None:
    first_push(world)
    world.run()
    env, result, sent = world.run(**{"min-severity": "medium"})  # a setting that changes what is kept
    assert sorted(sent) == ["src/a.py", "src/b.py", "src/c.py"], result.log
    assert any("settings changed" in n for n in env.report()["notes"])
    env, result, sent = world.run(**{"min-severity": "medium", "max-concurrency": "2"})  # runtime only
    assert sent == [] and json.loads((env.workspace / env.outputs()["report-path"]).read_text())["status"] == "findings"
