"""Issue #16 §4, fingerprints: a finding stays the same finding across pushes when the model changes its
category or end line, and two findings on one line never swap identities (the fixed one's thread is resolved,
the survivor's stays open). Real pushes of a real git branch, through the GitHub and Anthropic fakes."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.model_brain import parse_sections, plant, planted_brain, review_answer, user_text
from tests.test_memory_pr import NUMBER, SQL, World, module, pull_world

BOT = "github-actions[bot]"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from pull_world(tmp_path, monkeypatch)


def ours(world: World) -> list[dict[str, Any]]:
    return [c for c in world.gh.review_comments if c["user"]["login"] == BOT]


def marker_of(body: str) -> dict[str, Any]:
    match = re.search(r"<!-- batch-review:finding (\{[^\n]*?\})", body)
    assert match is not None, body
    return dict(json.loads(match.group(1)))


def thread_of(world: World, title: str) -> Any:
    (thread,) = [t for t in world.gh.threads(NUMBER) if title in t.root["body"]]
    return thread


def test_a_new_category_and_end_line_are_the_same_finding(world: World) -> None:
    """The model calls the SQL finding `security` ending on its line, then `bug` ending a line later: one
    thread, no second comment, the same id in the report."""
    turn = {"n": 0}

    def fickle(body: dict[str, Any]) -> str:
        answer = json.loads(planted_brain(body))
        for finding in answer["findings"]:
            if turn["n"]:
                finding["category"], finding["end_line"] = "bug", finding["line"] + 1
        return json.dumps(answer)

    world.ai.engine.brain = fickle
    world.push({"src/a.py": module("a", {10: SQL})}, "one")
    env, _, _ = world.run()
    (first,) = env.report()["findings"]
    assert len(ours(world)) == 1

    turn["n"] = 1
    world.push({"src/a.py": module("a", {10: SQL}, tag="elsewhere")}, "a.py changes elsewhere")
    env, result, sent = world.run()
    assert sent == ["src/a.py"]
    assert len(ours(world)) == 1, [c["body"][:80] for c in ours(world)]  # no second comment
    (finding,) = env.report()["findings"]
    assert finding["fingerprint"] == first["fingerprint"] and finding["category"] == "bug"
    assert finding["placement"] == "already-posted" and finding["end_line"] == 11
    (thread,) = world.gh.threads(NUMBER)
    assert not thread.is_resolved and env.report()["fixed"] == []
    assert result.code == 1, result.log  # still high, still counted once
    assert env.outputs()["findings-count"] == "1"


EVAL = "eval of untrusted input"
DIVIDE = "division by zero when count is 0"


def two_on_a_line(order: list[str]) -> Any:
    """A model that reports on a line holding `eval(` the eval finding and on a line holding `/ count` the
    division finding, listed in `order` (the first listed takes the place's id within a run)."""

    def brain(body: dict[str, Any]) -> str:
        found = []
        text = user_text(body)
        for section in parse_sections(text):
            for number, _, code in section.lines:
                kinds = {EVAL: "eval(" in code, DIVIDE: "/ count" in code}
                for title in order:
                    if kinds[title]:
                        found.append({"path": section.path, "line": number, "end_line": None,
                                      "severity": "high" if title == EVAL else "medium",
                                      "category": "bug", "title": title,  # one category: only titles differ
                                      "body": f"{title}.", "suggestion": None, "confidence": 0.9})
        return review_answer(found, text)

    return brain


def calc(expression: str) -> str:
    rows = [f"value_{i} = {i}" for i in range(1, 21)]
    rows[9] = f"    result = {expression}"
    return "\n".join(rows) + "\n"


def test_two_findings_on_one_line_one_fixed_keep_their_own_threads(world: World) -> None:
    world.ai.engine.brain = two_on_a_line([EVAL, DIVIDE])
    world.push({"src/calc.py": calc("eval(text) / count")}, "two problems on line 10")
    env, first, _ = world.run()
    ids = {f["title"]: f["fingerprint"] for f in env.report()["findings"]}
    assert len(set(ids.values())) == 2 and len(ours(world)) == 2 and first.code == 1

    # the eval is fixed on the very line: the division is still there, now the only finding on the line
    world.push({"src/calc.py": calc("int(text) / count")}, "fix the eval")
    env, second, sent = world.run()
    assert sent == ["src/calc.py"]
    report = env.report()
    assert [(f["title"], f["why"], f["action"]) for f in report["fixed"]] == [(EVAL, "fixed", "thread resolved")]
    (survivor,) = report["findings"]
    assert survivor["title"] == DIVIDE and survivor["fingerprint"] == ids[DIVIDE]
    assert survivor["placement"] == "already-posted" and survivor["line"] == 10
    assert thread_of(world, EVAL).is_resolved
    divide = thread_of(world, DIVIDE)
    assert not divide.is_resolved and marker_of(divide.root["body"])["fp"] == ids[DIVIDE]
    assert len(ours(world)) == 2  # no new comment for the survivor
    assert second.code == 0, second.log  # fail-on high: the high one is fixed, the medium one is not high


def test_the_survivor_keeps_its_thread_when_lines_above_move_in_the_same_push(world: World) -> None:
    """The eval is fixed on the line and three lines are inserted above it in the same push: the division is
    found again three lines lower, on an edited line; it is found by its neighbours, not its line number."""
    world.ai.engine.brain = two_on_a_line([EVAL, DIVIDE])
    world.push({"src/calc.py": calc("eval(text) / count")}, "two problems on line 10")
    env, _, _ = world.run()
    ids = {f["title"]: f["fingerprint"] for f in env.report()["findings"]}

    world.push({"src/calc.py": "import os\nimport sys\nimport re\n" + calc("int(text) / count")}, "fix, and imports")
    env, _, _ = world.run()
    report = env.report()
    assert [f["title"] for f in report["fixed"]] == [EVAL]
    (survivor,) = report["findings"]
    assert survivor["line"] == 13 and survivor["fingerprint"] == ids[DIVIDE]
    assert not thread_of(world, DIVIDE).is_resolved and thread_of(world, EVAL).is_resolved
    assert len(ours(world)) == 2


def test_two_findings_on_one_line_listed_the_other_way_keep_their_ids(world: World) -> None:
    """The model lists the two in the other order on the next push (the line unchanged): each finding keeps
    the id of its own thread, and nothing is posted or closed."""
    world.ai.engine.brain = two_on_a_line([EVAL, DIVIDE])
    world.push({"src/calc.py": calc("eval(text) / count")}, "two problems on line 10")
    env, _, _ = world.run()
    ids = {f["title"]: f["fingerprint"] for f in env.report()["findings"]}

    world.ai.engine.brain = two_on_a_line([DIVIDE, EVAL])
    world.push({"src/calc.py": calc("eval(text) / count") + "tail = 1\n"}, "calc.py changes below")
    env, _, sent = world.run()
    assert sent == ["src/calc.py"]
    report = env.report()
    assert {f["title"]: f["fingerprint"] for f in report["findings"]} == ids
    assert report["fixed"] == [] and len(ours(world)) == 2
    assert not any(t.is_resolved for t in world.gh.threads(NUMBER))


def test_a_third_finding_on_a_line_is_new_not_an_earlier_one(world: World) -> None:
    """Two findings posted on a line; the next push keeps both and the model adds an unrelated third there:
    it is posted as new (its id is none of the earlier ones'), the two keep theirs."""
    world.ai.engine.brain = two_on_a_line([EVAL, DIVIDE])
    world.push({"src/calc.py": calc("eval(text) / count")}, "two problems")
    env, _, _ = world.run()
    ids = {f["title"]: f["fingerprint"] for f in env.report()["findings"]}
    third = "the result shadows a builtin name"

    def with_third(body: dict[str, Any]) -> str:
        answer = json.loads(two_on_a_line([EVAL, DIVIDE])(body))
        extra = dict(answer["findings"][0], title=third, severity="low")
        answer["findings"].insert(0, extra)  # listed first: it takes the place's own id within the run
        return json.dumps(answer)

    world.ai.engine.brain = with_third
    world.push({"src/calc.py": calc("eval(text) / count") + "tail = 1\n"}, "calc.py changes below")
    env, _, _ = world.run()
    got = {f["title"]: f["fingerprint"] for f in env.report()["findings"]}
    assert {t: got[t] for t in ids} == ids
    assert got[third] not in ids.values()
    assert len(ours(world)) == 3 and third in ours(world)[-1]["body"]


def legacy_id(path: str, category: str, text: str) -> str:
    """The id the previous version gave a finding on one line with no earlier identical line (file, category and
    the squeezed text of its lines), written out here independently of the code under test."""
    key = " ".join(text.split())
    return hashlib.sha256(f"{path}\0{category}\0{key}".encode()).hexdigest()[:16]


def as_previous_version(world: World, ids: dict[str, str]) -> None:
    """Rewrite what the first run posted as the previous version wrote it: its finding markers carry the old id
    and no span or neighbours, the state's open findings the old ids; all sealed with the action's key."""
    from batch_review.memory.markers import PullState

    seal = world.seal()

    def rewrite(body: str) -> str:
        def one(match: re.Match[str]) -> str:
            data = json.loads(match.group(1))
            data["fp"] = ids[data["fp"]]
            data.pop("span", None)
            data.pop("near", None)
            text = json.dumps(data, separators=(",", ":"), ensure_ascii=True, sort_keys=True)
            for c in "<>@#&`":
                text = text.replace(c, f"\\u{ord(c):04x}")
            text = text.replace("--", "-\\u002d")
            return f"<!-- batch-review:finding {text} {seal.tag('finding', text)} -->"

        return re.sub(r"<!-- batch-review:finding (\{[^\n]*?\}) [0-9a-f]{32} -->", one, body)

    for item in [*world.gh.review_comments, *world.gh.reviews_for(NUMBER)]:
        if item["user"]["login"] == BOT and item.get("body"):
            item["body"] = rewrite(item["body"])
    for comment in world.status_comments():
        state = PullState.from_text(comment["body"], seal)
        assert state is not None
        state.open = {ids.get(fp, fp): key for fp, key in state.open.items()}
        start = comment["body"].index("<!-- batch-review:pr-state ")
        end = comment["body"].index(" -->", start) + 4
        comment["body"] = comment["body"][:start] + state.to_marker(seal) + comment["body"][end:]


def test_what_the_previous_version_posted_is_still_recognised(world: World) -> None:
    """A pull request reviewed by the previous version (its ids: file, category and lines): the next push
    neither posts its finding again nor leaves its thread behind, and fixing it resolves its thread."""
    world.push({"src/a.py": module("a", {10: SQL})}, "one")
    env, _, _ = world.run()
    (finding,) = env.report()["findings"]
    old = legacy_id("src/a.py", "security", f"check_a_10()  # {SQL}")
    as_previous_version(world, {finding["fingerprint"]: old})
    assert marker_of(ours(world)[0]["body"])["fp"] == old

    world.push({"src/a.py": module("a", {10: SQL}, tag="elsewhere")}, "a.py changes elsewhere")
    env, result, sent = world.run()
    assert sent == ["src/a.py"]
    (again,) = env.report()["findings"]
    assert again["fingerprint"] == old and again["placement"] == "already-posted"
    assert len(ours(world)) == 1 and env.report()["fixed"] == [] and result.code == 1

    world.push({"src/a.py": module("a", tag="fixed")}, "fix the SQL")
    env, result, _ = world.run()
    assert [(f["fingerprint"], f["action"]) for f in env.report()["fixed"]] == [(old, "thread resolved")]
    (thread,) = world.gh.threads(NUMBER)
    assert thread.is_resolved and result.code == 0, result.log


def test_an_unrelated_finding_where_a_fixed_one_was_is_new(world: World) -> None:
    """A finding is fixed by editing its line, and the model finds a different problem on the edited line: not
    taken for the fixed one (its title is not alike), posted as new; the fixed one's thread is resolved."""
    world.push({"src/a.py": module("a", {10: SQL})}, "one")
    world.run()
    other = plant("medium", "reliability", title="retries forever without a backoff")
    world.push({"src/a.py": module("a", {10: other})}, "the SQL is gone, a retry loop came")
    env, _, _ = world.run()
    report = env.report()
    assert [f["title"] for f in report["fixed"]] == ["SQL built by concatenation"]
    (finding,) = report["findings"]
    assert finding["placement"] == "inline" and len(ours(world)) == 2
    assert thread_of(world, "SQL built by concatenation").is_resolved


def test_another_problem_on_an_unchanged_line_is_posted_not_merged(world: World) -> None:
    """The SQL finding's line stays as it was, and the model now reports a different problem there (a new
    category and a new title) instead: not taken for the SQL finding, posted on its own; the SQL finding's code
    did not change, so it stays open."""
    turn = {"n": 0}

    def other_problem(body: dict[str, Any]) -> str:
        answer = json.loads(planted_brain(body))
        for finding in answer["findings"]:
            if turn["n"]:
                finding["category"], finding["title"] = "performance", "query runs once per row in a loop"
        return json.dumps(answer)

    world.ai.engine.brain = other_problem
    world.push({"src/a.py": module("a", {10: SQL})}, "one")
    world.run()
    assert len(ours(world)) == 1

    turn["n"] = 1
    world.push({"src/a.py": module("a", {10: SQL}, tag="elsewhere")}, "a.py changes elsewhere")
    env, _, sent = world.run()
    assert sent == ["src/a.py"]
    titles = sorted(c["body"].split("\n")[0] for c in ours(world))
    assert len(ours(world)) == 2, titles
    assert any("query runs once per row" in t for t in titles), titles
    threads = world.gh.threads(NUMBER)
    assert len(threads) == 2 and not any(t.is_resolved for t in threads)
    assert env.report()["fixed"] == []
