"""The verification pass (issue #10.2), measured within one run against the loopback fakes:

- its cost against the review's on a realistic pull request (40 real standard-library files changed as a
  PR changes them, one in ten with a planted defect), with a fake reviewer that reports every planted
  defect and, like a real one, one more plausible finding in every other file, each with a body of real
  length; tokens counted with Claude's published tokenizer. Same model, then a cheaper verify-model.
- `batch-review eval` on the shipped dataset (rebuilt offline by eval/build.py) where the fake reviewer
  also reports a decoy in every third case (tests/test_eval_cli.py's LabelBrain), and a rule-based verifier
  that judges only from what its request shows: it drops a finding when no line within two of it was touched
  by the change (a `+` gutter, or a deleted `-` row beside it, in the code it is shown). Precision and recall
  with verification and without it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import parse_sections, planted_brain, user_text, verdict, verification_items

from .common import KEY, MODEL, Row
from .common import run_env as _run
from .fixtures import pull_request
from .memory import _pull_env

FILES = 40
BODY = ("{title}. The value reaches this line without a check, so a caller that passes an unexpected value gets a "
        "wrong result instead of an error; the surrounding function does not guard it either. Validate it where "
        "it enters, or handle the failing case explicitly here, and add a test for it.")


def reviewer(body: dict[str, Any]) -> str:
    """Every planted defect, plus a plausible finding on a changed line of every other file shown."""
    answer = json.loads(planted_brain(body))
    for finding in answer["findings"]:
        finding["body"] = BODY.format(title=finding["title"])
    for index, section in enumerate(parse_sections(user_text(body))):
        changed = [n for n, marker, code in section.lines if marker == "+" and "PLANT(" not in code]
        if changed and index % 2 == 0:
            title = "the result of this call is not checked"
            answer["findings"].append({"path": section.path, "line": changed[0], "end_line": None,
                                       "severity": "medium", "category": "bug", "title": title,
                                       "body": BODY.format(title=title), "suggestion": None, "confidence": 0.6})
    return json.dumps(answer)


def verifier(body: dict[str, Any]) -> str:
    return json.dumps({"verdicts": [verdict(item, True, f"line {item['line']} does what the finding says: nothing "
                                                        "checks the value before it is used", 0.8)
                                    for item in verification_items(body)]})


def cost_ratio(tmp: Path, verify_model: str = "") -> tuple[dict[str, Any], str]:
    from .tokens import counter

    count, how = counter()
    fx = pull_request(tmp / "repo", FILES)
    inputs = {"verify-model": verify_model} if verify_model else {}
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY, brain=reviewer, verifier=verifier,
                                              count_tokens=count) as ai:
        gh.add_pull(fx)
        env = _pull_env(tmp / "run", fx, gh, ai, **inputs)
        _run(env)
        report: dict[str, Any] = env.report()
    return report, how


def touched_lines(text: str) -> dict[str, set[int]]:
    """Per file shown, the new-file lines the change touched: added (`+`), or beside a deleted row (`-`)."""
    touched: dict[str, set[int]] = {}
    current: set[int] | None = None
    previous, deleted = 0, False
    for line in text.split("\n"):
        if line.startswith('### "'):
            current = touched.setdefault(json.JSONDecoder().raw_decode(line, 4)[0], set())
            previous, deleted = 0, False
            continue
        match = re.match(r"^ *(\d+)([+ ])", line)
        if current is None:
            continue
        if match:
            number = int(match[1])
            if match[2] == "+" or deleted:
                current.add(number)
            previous, deleted = number, False
        elif re.match(r"^ +-", line):
            current.add(previous)
            deleted = True
    return touched


def changed_lines_verifier(body: dict[str, Any]) -> str:
    """Keeps a finding when a line it points at, or one within two lines of it, was touched by the change
    (as the code it is shown marks it); drops the others, as not about this change."""
    touched = touched_lines(user_text(body))
    out = []
    for item in verification_items(body):
        near = range(item["line"] - 2, (item.get("end_line") or item["line"]) + 3)
        keep = any(n in touched.get(item["path"], set()) for n in near)
        out.append(verdict(item, keep, "it points at code this change touched" if keep
                           else "it points at code this change did not touch", 0.7))
    return json.dumps({"verdicts": out})


def eval_precision(tmp: Path) -> dict[str, Any]:
    from batch_review.config import Config, Secrets
    from batch_review.jobs.eval import run_eval
    from batch_review.log import log
    from tests.test_eval_cli import LabelBrain, read_labels

    root = Path(__file__).resolve().parent.parent
    built = subprocess.run([sys.executable, str(root / "eval" / "build.py"), "--out", str(tmp / "eval")],
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    dataset = tmp / "eval" / "dataset.jsonl"
    brain = LabelBrain(read_labels(dataset))
    log.configure(actions=False, stream=open(os.devnull, "w"))  # noqa: SIM115 - the eval's log is noise here
    with FakeAnthropicAPI(api_key=KEY, brain=brain, verifier=changed_lines_verifier) as ai:
        os.environ["ANTHROPIC_BASE_URL"] = ai.base_url
        result = run_eval(dataset, Config(model=MODEL), Secrets(anthropic_api_key=KEY, github_token=None))
    data: dict[str, Any] = result.to_json()
    return data


def figures(tmp: Path) -> list[Row]:
    same, how = cost_ratio(tmp / "same")
    cheap, _ = cost_ratio(tmp / "cheap", "claude-haiku-5-5")
    rows = []
    for report, label, target in ((same, "same model", "≤ 0.3"), (cheap, "verify-model claude-haiku-5-5", "report")):
        check = report["verification"]
        review = report["cost_usd"] - check["cost_usd"]
        ratio = check["cost_usd"] / review
        rows.append(Row(f"verification cost / review cost, {FILES}-file PR ({label})", f"{ratio:.3f}", target,
                        ratio <= 0.3 if target != "report" else None,
                        f"${check['cost_usd']:.4f} / ${review:.4f}; {check['checked']} findings in "
                        f"{check['requests']} verification requests, {report['requests']} review requests; "
                        f"tokens: {how}"))
    data = eval_precision(tmp / "e")
    without = data["verification"]["without_verification"]
    rows.append(Row("eval with decoys (all cases): precision with verification / without", f"{data['precision']:.3f} "
                    f"/ {without['precision']:.3f}", "report", None,
                    f"verifier keeps findings within 2 lines of a changed line; "
                    f"{data['verification']['filtered']} filtered; "
                    f"false positives {data['false_positives']} / {without['false_positives']}"))
    rows.append(Row("same eval: recall with verification / without", f"{data['recall']:.3f} / {without['recall']:.3f}",
                    "report", None, f"true positives {data['true_positives']} / {without['true_positives']} "
                    f"of {data['labels']} labels"))
    return rows
