"""Issue #10.2 with #9: a pull request over several pushes, with the verification pass. A finding batch-review
posted earlier that the verifier drops once its file is reviewed again is no longer stood by: its thread is
resolved and it is listed as closed with the verifier's reason (not as "fixed"); a finding on a file not
reviewed again is carried, never sent to the verifier again; a dropped finding is not carried to the next
run. The action as a runner starts it, against both fakes (REST and GraphQL), on a real git branch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.model_brain import (
    is_verification,
    parse_sections,
    user_text,
    verdict,
    verification_items,
)
from tests.test_memory_pr import NUMBER, World, first_push, module, pull_world

REASON = "the query is built from a constant; nothing comes from the caller"


def drop_sql(body: dict[str, Any]) -> str:
    return json.dumps({"verdicts": [verdict(i, "SQL" not in i["title"], REASON if "SQL" in i["title"] else "")
                                    for i in verification_items(body)]})


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from pull_world(tmp_path, monkeypatch)


def reviewed_paths(world: World, since: int) -> list[str]:
    return sorted(s.path for r in world.ai.requests[since:] if r.path == "/v1/messages" and not is_verification(r.json)
                  for s in parse_sections(user_text(r.json)))


def verified_paths(world: World, since: int) -> list[str]:
    return sorted(i["path"] for r in world.ai.requests[since:] if r.path == "/v1/messages" and is_verification(r.json)
                  for i in verification_items(r.json))


def test_a_posted_finding_the_verifier_now_drops_stays_open_while_its_code_is_unchanged(world: World) -> None:
    """#16.4: a verifier that no longer stands by a finding whose lines did not change does not close it (that
    would let a push that changes nothing near it turn the check green): it is carried, still counted."""
    world.inputs = {"verify": "true"}  # the memory world reviews without it
    first_push(world)
    env, first, _ = world.run()
    assert first.code == 1 and env.outputs()["findings-count"] == "2", first.log  # both kept at first
    assert verified_paths(world, 0) == ["src/a.py", "src/b.py"]

    world.ai.engine.verifier = drop_sql  # the same finding, judged again with its file's new version
    world.push({"src/a.py": module("a", {10: "PLANT(high,security): SQL built by concatenation"}, tag="edited")},
               "edit a.py elsewhere")
    before = len(world.ai.requests)
    env, second, _ = world.run()
    assert reviewed_paths(world, before) == verified_paths(world, before) == ["src/a.py"]  # b.py's finding is carried
    assert second.code == 1, second.log  # line 10 is as it was: the high finding still counts
    report = env.report()
    assert [f["title"] for f in report["filtered"]] == ["SQL built by concatenation"]
    assert report["fixed"] == []
    threads = {t.path: t for t in world.gh.threads(NUMBER)}
    assert not threads["src/a.py"].is_resolved and not threads["src/b.py"].is_resolved
    assert sorted((f["path"], f["placement"]) for f in report["findings"]) == [("src/a.py", "carried"),
                                                                                ("src/b.py", "carried")]
    assert env.outputs()["findings-count"] == "2"

    world.push({"src/a.py": module("a", tag="fixed")}, "remove the line")  # now its code is gone: fixed
    env, third, _ = world.run()
    assert third.code == 0 and [(f["path"], f["why"]) for f in env.report()["fixed"]] == [("src/a.py", "fixed")]
