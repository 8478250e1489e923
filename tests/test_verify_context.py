"""The verifier sees what the reviewer saw — the review request's own view of the file (a 200-line function
whole, not just the lines around the finding), the intent and the change map, the path instructions — and it
may correct a kept finding's line or severity: a correction naming a line it was shown is applied and
reported, any other is ignored with a note. Within a severity, the most confident findings come first."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import is_verification, planted_brain, user_text, verdict, verification_items
from tests.support.runner import RunnerEnv, run_in_process
from tests.test_bad_input_world import make_pr

KEY = "sk-ant-api03-verify-context-key-000"
CONFIG = """min-severity: low
path-instructions:
  - paths: [src/]
    instructions: Every batch must be committed before it is acknowledged.
"""
PAD = "".join(f"def pad{i}(x):\n    return x + {i}\n\n\n" for i in range(10))


def module(marks: dict[int, str]) -> str:
    body = [f"    step_{i:03} = transform(items[{i}], scale=1.0, offset={i}, mode='strict')  # work"
            for i in range(200)]
    for index, text in marks.items():
        body[index] = text
    return PAD + "def process(items):\n" + "\n".join(body) + "\n    return items\n\n\n" + PAD


BASE = module({})
HEAD = module({
    10: "    step_010 = transform(items[10], scale=2.0)  # PLANT(medium,bug): A scale doubled",
    150: "    step_150 = transform(items[150], scale=0.5)  # PLANT(medium,bug): B scale halved",
    190: "    step_190 = transform(items[190], offset=-1)  # PLANT(high,bug): C negative offset",
})
FIRST = 41  # `def process` is line 41 (after ten 4-line pads); body line i is line 42 + i


def verifier(body: dict[str, Any]) -> str:
    answer = []
    for item in verification_items(body):
        title = item["title"]
        if title.startswith("A "):
            answer.append({**verdict(item, True, "real", 0.4), "line": 99999})  # a line it was not shown: ignored
        elif title.startswith("B "):
            answer.append({**verdict(item, True, "real, one line up", 0.95), "line": item["line"] - 1})
        else:
            answer.append({**verdict(item, True, "real but smaller", 0.7), "severity": "medium"})
    return json.dumps({"verdicts": answer})


def numbers(text: str, path: str) -> set[int]:
    """The gutter numbers shown for `path` in a request's text."""
    out: set[int] = set()
    inside = False
    for line in text.splitlines():
        if line.startswith("### "):
            inside = line.startswith(f'### "{path}"')
        elif line.startswith("</code"):
            inside = False
        elif inside:
            match = re.match(r"^\s*(\d+)[+ ]", line)
            if match:
                out.add(int(match[1]))
    return out


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[Any], Any, str]:
    fx = make_pr(tmp_path / "repo", {".github/batch-review.yml": CONFIG, "src/jobs.py": BASE},
                 {"src/jobs.py": HEAD}, title="Rescale the batch steps", body="Steps 10, 150 and 190 change scale.")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY, brain=planted_brain, verifier=verifier) as ai:
        gh.add_pull(fx)
        env = RunnerEnv.for_pull(tmp_path / "runner", fx, gh, ai, KEY, {"min-severity": "low"})
        result = run_in_process(env, monkeypatch)
        assert result.code == 0, result.log
        bodies = [r.json for r in ai.requests if r.path == "/v1/messages" and r.status == 200]
        return env, bodies, gh, env.summary()


def test_the_verifier_is_shown_everything_the_review_showed_and_the_same_shared_blocks(run: Any) -> None:
    _, bodies, _, _ = run
    reviews = [b for b in bodies if not is_verification(b)]
    checks = [b for b in bodies if is_verification(b)]
    assert len(reviews) == 1 and len(checks) == 1
    reviewed = numbers(user_text(reviews[0]), "src/jobs.py")
    verified = numbers(user_text(checks[0]), "src/jobs.py")
    assert set(range(FIRST, FIRST + 202)) <= reviewed  # the review showed the whole 200-line function
    assert reviewed <= verified
    assert "Every batch must be committed before it is acknowledged." in user_text(checks[0])
    shared = [b["text"] for b in reviews[0]["system"][1:]]
    assert len(shared) == 2 and [b["text"] for b in checks[0]["system"][1:]] == shared  # intent and map, the same
    assert "Steps 10, 150 and 190 change scale." in shared[0]
    assert checks[0]["system"][-1].get("cache_control") == {"type": "ephemeral"}


def test_corrections_on_shown_lines_are_applied_and_reported_and_confidence_ranks(run: Any) -> None:
    env, _, gh, summary = run
    report = env.report()
    findings = {f["title"][0]: f for f in report["findings"]}
    a, b, c = findings["A"], findings["B"], findings["C"]
    assert b["line"] == FIRST + 1 + 150 - 1 and b["verification"]["corrections"] == {
        "line": [FIRST + 1 + 150, FIRST + 1 + 150 - 1]}
    assert "placed at line" in b["note"]
    assert c["severity"] == "medium" and c["verification"]["corrections"] == {"severity": ["high", "medium"]}
    assert a["line"] == FIRST + 1 + 10 and "corrections" not in a["verification"]
    assert a["verification"]["ignored_correction"] == "its line correction was ignored: line 99999 is not a line " \
                                                      "it was shown"
    # all three are medium now: the verifier's confidence orders them (0.95, 0.7, 0.4)
    assert [f["title"][0] for f in report["findings"]] == ["B", "C", "A"]
    assert report["verification"]["corrected"] == 2
    assert any("verification corrected 2 findings" in note for note in report["notes"])
    assert "corrected 2" in summary
    posted = {c["line"]: c["body"] for c in gh.review_comments}
    assert "B scale halved" in posted[FIRST + 1 + 150 - 1]  # posted where the verifier placed it (a context line)
