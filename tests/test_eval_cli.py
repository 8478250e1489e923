"""`batch-review eval` end to end, as a user runs it: the installed console script on cases of the shipped
example dataset (built by eval/build.py from pinned, cached sdists: tests/support/eval_data.py), against the
loopback fake API.

The fake's brain answers from the dataset's own labels: it recognises a labelled bug by the exact head
lines it is shown, reports it (except in every fourth case, which it "misses"), and adds one decoy
finding far from the bug in every third case. So true positives, false negatives and false positives
are known in advance, and the brain keeps its own record of what it answered.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.model_brain import is_verification, parse_sections, review_answer, user_text
from tests.support.eval_data import TEST_CASES, build_dataset, independent_recall

KEY = "sk-ant-api03-eval-cli-key-5c1e"
ROOT = Path(__file__).resolve().parent.parent
SCRIPT = shutil.which("batch-review", path=str(Path(sys.executable).parent)) or "batch-review"
MISS_EVERY, DECOY_EVERY = 4, 3
CASES = LABELS = len(TEST_CASES)  # one label each
MISSED = CASES // MISS_EVERY
DECOYS = len(range(0, CASES, DECOY_EVERY))


@dataclass(frozen=True)
class Label:
    case: int  # position in the dataset
    path: str
    line: int
    end_line: int
    severity: str
    texts: tuple[str, ...]  # the head lines line..end_line


@dataclass
class LabelBrain:
    """Answers a review request from the labels of the case whose bug it shows."""

    labels: list[Label]
    reported: dict[int, int] = field(default_factory=dict)  # case -> label findings answered
    decoys: dict[int, int] = field(default_factory=dict)  # case -> decoys answered
    sections: list[str] = field(default_factory=list)  # every section path shown
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, body: dict[str, Any]) -> str | None:
        schema = ((body.get("output_config") or {}).get("format") or {}).get("schema") or {}
        if "findings" not in (schema.get("properties") or {}):
            return None  # not a review request: the default brain answers
        findings = []
        for section in parse_sections(user_text(body)):
            shown = {number: code for number, _, code in section.lines}
            with self.lock:
                self.sections.append(section.path)
            for label in self.labels:
                if label.path != section.path or any(
                    shown.get(n) != text for n, text in zip(range(label.line, label.end_line + 1), label.texts,
                                                            strict=True)
                ):
                    continue
                findings += self._answer(label, shown)
        return review_answer(findings, user_text(body))

    def _answer(self, label: Label, shown: dict[int, str]) -> list[dict[str, Any]]:
        out = []
        if label.case % MISS_EVERY != MISS_EVERY - 1:
            out.append(finding(label.path, label.line, label.end_line, label.severity, "bug", "the labelled bug"))
            with self.lock:
                self.reported[label.case] = self.reported.get(label.case, 0) + 1
        if label.case % DECOY_EVERY == 0:
            far = [n for n, code in sorted(shown.items())
                   if code.strip() and (n < label.line - 6 or n > label.end_line + 6)]
            if far:
                out.append(finding(label.path, far[0], None, "low", "style", f"decoy {label.case}"))
                with self.lock:
                    self.decoys[label.case] = self.decoys.get(label.case, 0) + 1
        return out


def finding(path: str, line: int, end: int | None, severity: str, category: str, title: str) -> dict[str, Any]:
    return {"path": path, "line": line, "end_line": end if end != line else None, "severity": severity,
            "category": category, "title": title, "body": title, "suggestion": None, "confidence": 0.8}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dataset(tmp_path_factory.mktemp("eval"))


def read_labels(dataset: Path) -> list[Label]:
    labels = []
    for index, line in enumerate(dataset.read_text().splitlines()):
        case = json.loads(line)
        repo = dataset.parent / case["repo"]
        for item in case["expected"]:
            head = subprocess.run(["git", "-C", str(repo), "show", f"{case['head']}:{item['path']}"],
                                  capture_output=True, text=True, check=True).stdout.split("\n")
            texts = tuple(head[item["line"] - 1 : item["end_line"]])
            labels.append(Label(index, item["path"], item["line"], item["end_line"], item["severity"], texts))
    return labels


@pytest.fixture
def brain(dataset: Path) -> LabelBrain:
    return LabelBrain(read_labels(dataset))


def cli(
    tmp: Path, *args: str, key: str | None = KEY, base_url: str = "http://127.0.0.1:9", verify: bool = False
) -> subprocess.CompletedProcess[str]:
    """`batch-review eval`; without the verification pass unless `verify` (tests/test_verify_eval.py)."""
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1",
           "ANTHROPIC_BASE_URL": base_url}
    if key:
        env["ANTHROPIC_API_KEY"] = key
    flags = [] if verify else ["--no-verify"]
    return subprocess.run([SCRIPT, "eval", *args, *flags], env=env, cwd=tmp, capture_output=True, text=True,
                          timeout=240)


def check_context_recall(report: dict[str, Any], received: list[dict[str, Any]], dataset: Path) -> None:
    """The report's context recall against what the fake API itself received (tests/support/eval_data.py)."""
    seen = independent_recall(received, dataset)
    recall = report["context_recall"]
    assert {key: recall[key] for key in seen} == seen
    assert seen["lines_shown"] == LABELS  # every labelled line reaches the model
    # code from other files (context/related/, #15.3) brings the three labelled context items: where
    # `ctx.params` is set (core.py), the `shell_complete` a changed value is passed to, `call_test`
    assert seen["context_items"] == recall["cases_with_context"] == 3 and seen["context_reached"] == 3
    detail = {(item["path"], item["reached"]) for entry in report["cases"]
              for item in entry["context_recall"]["context_detail"]}
    assert detail == {("src/click/core.py", True), ("src/click/shell_completion.py", True),
                      ("src/jinja2/environment.py", True)}
    assert all(entry["context_recall"]["requests"] == 1 for entry in report["cases"])


def check_intent_and_map(received: list[dict[str, Any]], dataset: Path) -> None:
    """Each case's requests carry its own intent (the row's title and description, fenced) and its change map,
    after the system prompt every case shares; no case's blocks reach another case's requests. The shared
    prompt and each case's blocks end with a cache breakpoint each."""
    rows = [json.loads(line) for line in dataset.read_text().splitlines()]
    reviews = [body for body in received if not is_verification(body)]
    assert len(reviews) == CASES
    common = {json.dumps(body["system"][0]) for body in reviews}
    assert len(common) == 1 and "cache_control" in common.pop()  # one prompt, cached across every case
    seen = []
    for body in reviews:
        system = [block["text"] for block in body["system"]]
        assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
        (intent,) = [block for block in system if block.split("\n")[1].startswith("<intent nonce=")]
        (row,) = [row for row in rows if f"| Title: {' '.join(row['title'].split())}" in intent]
        assert f"\n| {row['description'].splitlines()[0]}" in intent  # fenced: every line behind the gutter
        assert intent.split("\n")[-1].startswith("</intent nonce=")
        (paths,) = {section.path for section in parse_sections(user_text(body))}
        (change_map,) = [block for block in system if block.split("\n")[1].startswith("<change-map nonce=")]
        assert json.dumps(paths) in change_map or paths in change_map
        assert not [other for other in rows if other is not row and other["title"] in "".join(system)]
        seen.append(row["id"])
    assert sorted(seen) == sorted(row["id"] for row in rows)


def expected_figures(brain: LabelBrain) -> dict[str, int]:
    tp = sum(brain.reported.values())
    return {"true_positives": tp, "false_negatives": LABELS - tp, "false_positives": sum(brain.decoys.values())}


@pytest.mark.parametrize("batch", [False, True], ids=["parallel", "batch"])
def test_eval_on_the_shipped_dataset(tmp_path: Path, dataset: Path, brain: LabelBrain, batch: bool) -> None:
    out = tmp_path / "eval.json"
    with FakeAnthropicAPI(api_key=KEY, brain=brain, auto_end_after_polls=0) as fake:
        done = cli(tmp_path, str(dataset), "--json", str(out), *(["--batch"] if batch else []), base_url=fake.base_url)
        usage = fake.usage_totals()
        batches = list(fake.batches.values())
        received = [r.json for r in fake.requests if r.path == "/v1/messages"] + \
            [r["params"] for b in batches for r in b.requests]
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    check_intent_and_map(received, dataset)

    # the brain saw every case once, each under its real path: nothing was missed or sent twice
    assert len(brain.sections) == CASES and set(brain.sections) == {label.path for label in brain.labels}
    assert len(brain.reported) == CASES - MISSED and set(brain.reported.values()) == {1}
    assert len(brain.decoys) == DECOYS and set(brain.decoys.values()) == {1}
    figures = expected_figures(brain)
    hits = CASES - MISSED
    assert figures == {"true_positives": hits, "false_negatives": MISSED, "false_positives": DECOYS}

    report = json.loads(out.read_text())
    assert {k: report[k] for k in figures} == figures
    assert report["precision"] == round(hits / (hits + DECOYS), 4) and report["recall"] == round(hits / LABELS, 4)
    assert report["status"] == "done" and report["labels"] == LABELS and report["findings"] == hits + DECOYS
    assert report["cases_total"] == report["cases_scored"] == CASES and report["cases_not_scored"] == {}
    assert report["engine"] == ("batch" if batch else "parallel")
    assert report["usage"]["requests"] == CASES
    assert report["usage"]["input_tokens"] == usage["input_tokens"]
    assert report["usage"]["output_tokens"] == usage["output_tokens"]
    assert report["cost_usd"] > 0
    if batch:  # every case in one batch, at half price
        assert len(batches) == 1 and len(batches[0].requests) == CASES
        assert report["batch_ids"] == [batches[0].id]
    else:
        assert batches == [] and report["batch_ids"] == []

    cases = {c["id"]: c for c in report["cases"]}
    assert len(cases) == CASES
    for index, case_id in enumerate(cases):
        case = cases[case_id]
        missed, decoy = index % MISS_EVERY == MISS_EVERY - 1, index % DECOY_EVERY == 0
        assert (case["true_positives"], case["false_negatives"], case["false_positives"]) == (
            int(not missed), int(missed), int(decoy)), case_id
        assert case["status"] == "findings" if (decoy or not missed) else "clean"
        assert len(case["matches"]) == case["true_positives"] and len(case["missed"]) == case["false_negatives"]
        assert len(case["false_alarms"]) == case["false_positives"]
        assert case["unreviewed_labels"] == [] and case["files"]["reviewed"] == 1
        assert case["usage"]["requests"] == 1
        assert case["intent"]["title"] and case["intent"]["description"]  # as the dataset row gives them

    severities = {"high": 0, "medium": 0, "low": 0}
    found = dict(severities)
    for label in brain.labels:
        severities[label.severity] += 1
        found[label.severity] += label.case in brain.reported
    rows = report["by_severity"]
    for name, count in severities.items():
        if not count:
            assert name not in rows, name  # a severity no label and no finding has is left out
            continue
        assert rows[name]["labels"] == count and rows[name]["labels_found"] == found[name], name
    assert rows["low"]["findings"] == found["low"] + figures["false_positives"]  # the decoys are low
    assert rows["low"]["findings_matched"] == found["low"]
    assert report["severity_agreement"] == {"compared": hits, "agreed": hits}

    check_context_recall(report, received, dataset)

    shown = done.stdout
    assert f"precision {100 * hits / (hits + DECOYS):.1f} % · recall {100 * hits / LABELS:.1f} %" in shown
    assert "By severity" in shown and "jinja2-urlize-at-sign" in shown
    assert f"Context that reached the model: labelled lines {LABELS} of {LABELS}" in " ".join(shown.split())
    assert KEY not in shown + done.stderr + out.read_text()


def test_without_a_key_eval_prints_the_plan(tmp_path: Path, dataset: Path) -> None:
    with FakeAnthropicAPI(api_key=KEY) as fake:
        shown = cli(tmp_path, str(dataset), "--json", str(tmp_path / "plan.json"), key=None, base_url=fake.base_url)
        sent = len(fake.requests)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert sent == 0
    assert "No ANTHROPIC_API_KEY is set" in shown.stdout and f"{CASES} case(s), nothing sent" in shown.stdout
    assert "in parallel" in shown.stdout and "as one batch" in shown.stdout
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["status"] == "pending" and plan["plan_only"] == "no API key"
    assert plan["precision"] is None and plan["recall"] is None and plan["estimated_cost_usd"] > 0
    recall = plan["context_recall"]  # what each request would carry, rendered as the engine renders it
    assert recall["labels"] == recall["lines_shown"] == LABELS and recall["context_items"] == 3
    assert all(case["context_recall"]["requests"] == 1 for case in plan["cases"])
    assert (f"Context that would reach the model: labelled lines {LABELS} of {LABELS}, their whole enclosing "
            f"definitions {recall['definitions_shown']} of {LABELS}, context items 3 of 3.") in " ".join(
        shown.stdout.split())


def test_a_budget_too_small_for_the_whole_eval_sends_nothing(tmp_path: Path, dataset: Path) -> None:
    with FakeAnthropicAPI(api_key=KEY) as fake:
        done = cli(tmp_path, str(dataset), "--json", str(tmp_path / "out.json"), "--budget-usd", "0.02",
                   base_url=fake.base_url)
        sent = len(fake.requests)
    assert done.returncode == 2, done.stdout + done.stderr
    assert sent == 0
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["status"] == "failed" and report["precision"] is None
    assert "exceeds budget-usd $0.02" in done.stdout


def test_a_refused_key_fails_the_eval_once(tmp_path: Path, dataset: Path) -> None:
    with FakeAnthropicAPI(api_key="sk-ant-the-right-key") as fake:
        done = cli(tmp_path, str(dataset), "--json", str(tmp_path / "out.json"), "--max-concurrency", "2",
                   base_url=fake.base_url)  # more cases than calls in flight: a warm-up request goes first
        sent = fake.count("POST", "/v1/messages")
    assert done.returncode == 2, done.stdout + done.stderr
    assert sent == 1, sent  # the warm-up request is refused and nothing more is sent: no case tries alone
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["status"] == "failed" and set(report["cases_not_scored"]) == {c["id"] for c in report["cases"]}
    assert "authentication_error" in done.stdout and KEY not in done.stdout



def test_a_batch_still_pending_is_collected_by_the_next_run_not_paid_again(
    tmp_path: Path, dataset: Path, brain: LabelBrain
) -> None:
    lines = [json.loads(line) for line in dataset.read_text().splitlines()]
    for case in lines:  # an absolute repo path works from anywhere
        case["repo"] = str((dataset.parent / case["repo"]).resolve())
    moved = tmp_path / "mine.jsonl"
    moved.write_text("".join(json.dumps(case) + "\n" for case in lines))
    state_file = tmp_path / ".batch-review" / "eval-mine.json"
    out = tmp_path / "eval.json"
    with FakeAnthropicAPI(api_key=KEY, brain=brain) as fake:
        first = cli(tmp_path, str(moved), "--batch", "--wait-minutes", "0", "--json", str(out), base_url=fake.base_url)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "status pending" in first.stdout and "Run the same command again" in " ".join(first.stdout.split())
        pending = json.loads(out.read_text())
        assert pending["status"] == "pending" and pending["precision"] is None
        assert pending["batch_state_file"] == str(state_file)
        state = json.loads(state_file.read_text())
        assert state["batch_ids"] == pending["batch_ids"] and len(state["batch_ids"]) == 1
        assert fake.batches_created == 1 and brain.sections == []  # submitted; nothing answered yet

        fake.end_batch(state["batch_ids"][0])
        second = cli(tmp_path, str(moved), "--batch", "--wait-minutes", "0", "--json", str(out),
                     base_url=fake.base_url)
        created = fake.batches_created
    assert second.returncode == 0, second.stdout + second.stderr
    assert created == 1  # collected, not submitted again
    report = json.loads(out.read_text())
    assert report["status"] == "done" and report["batch_ids"] == state["batch_ids"]
    assert {k: report[k] for k in ("true_positives", "false_negatives", "false_positives")} == expected_figures(brain)
    assert report["true_positives"] == CASES - MISSED
    assert not state_file.exists()


def test_a_case_the_model_could_not_review_makes_the_eval_partial(
    tmp_path: Path, dataset: Path, brain: LabelBrain
) -> None:
    out = tmp_path / "eval.json"
    with FakeAnthropicAPI(api_key=KEY, brain=brain) as fake:
        fake.inject("refusal", times=1, match=lambda body: "src/jinja2/utils.py" in json.dumps(body))
        done = cli(tmp_path, str(dataset), "--json", str(out), base_url=fake.base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    assert report["status"] == "partial"
    refused = TEST_CASES.index("jinja2-urlize-at-sign")
    assert refused % MISS_EVERY != MISS_EVERY - 1 and refused % DECOY_EVERY != 0  # a found label is lost
    # the case reviewed none of its files: failed (#17.2), so not scored — its label is not counted as a miss
    assert (report["true_positives"], report["false_negatives"], report["false_positives"]) == (
        CASES - MISSED - 1, MISSED, DECOYS)
    case = next(c for c in report["cases"] if c["id"] == "jinja2-urlize-at-sign")
    assert case["status"] == "failed" and case["files"]["failed"] == 1
    assert report["cases_not_scored"]["jinja2-urlize-at-sign"].startswith("nothing was reviewed")
    assert "refus" in case["files"]["failed_reasons"]["src/jinja2/utils.py"]
    assert "case jinja2-urlize-at-sign: not reviewed src/jinja2/utils.py" in " ".join(done.stdout.split())
