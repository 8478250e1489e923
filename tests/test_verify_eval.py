"""Issue #10.2 with #10.4: `batch-review eval` on the shipped dataset (rebuilt offline by eval/build.py) where
the fake reviewer also reports a decoy in every third case (tests/test_eval_cli.py's LabelBrain), and a
verifier drops the decoys. Precision rises, recall holds, and the figures without verification are given
beside. With `--batch` every case's verification requests go in one batch, and a verification batch still
running is collected by the next run, never paid for twice. The installed console script, in a subprocess.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.model_brain import is_verification, user_text, verdict, verification_items
from tests.support.eval_data import build_dataset
from tests.test_eval_cli import CASES, DECOYS, KEY, LABELS, MISSED, LabelBrain, cli, expected_figures, read_labels

DROP = "a style note far from the change, not a defect"


def drop_decoys(body: dict[str, Any]) -> str:
    return json.dumps({"verdicts": [verdict(i, not i["title"].startswith("decoy "), DROP if
                                            i["title"].startswith("decoy ") else "the labelled bug", 0.9)
                                    for i in verification_items(body)]})


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dataset(tmp_path_factory.mktemp("eval-verify"))


@pytest.mark.parametrize("batch", [False, True], ids=["parallel", "batch"])
def test_verification_drops_the_decoys_precision_rises_and_recall_holds(
    tmp_path: Path, dataset: Path, batch: bool
) -> None:
    brain = LabelBrain(read_labels(dataset))
    out = tmp_path / "eval.json"
    with FakeAnthropicAPI(api_key=KEY, brain=brain, verifier=drop_decoys, auto_end_after_polls=0) as fake:
        done = cli(tmp_path, str(dataset), "--json", str(out), *(["--batch"] if batch else []),
                   base_url=fake.base_url, verify=True)
        batches = list(fake.batches.values())
        sent = [r for r in fake.requests if r.path == "/v1/messages"]
    assert done.returncode == 0, done.stdout + done.stderr
    figures = expected_figures(brain)
    decoys, found = figures["false_positives"], figures["true_positives"]
    assert decoys == DECOYS and found == CASES - MISSED

    report = json.loads(out.read_text())
    assert (report["true_positives"], report["false_positives"], report["false_negatives"]) == (
        found, 0, LABELS - found)
    recall = found / LABELS
    assert report["precision"] == 1.0 and report["recall"] == round(recall, 4)  # no labelled bug dropped
    precision = found / (found + decoys)
    assert report["verification"] == {"filtered": decoys, "without_verification": {
        "precision": round(precision, 4), "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4),
        "true_positives": found, "false_positives": decoys, "false_negatives": LABELS - found}}
    with_findings = sum(1 for c in report["cases"] if c["findings"] or c.get("verification", {}).get("filtered"))
    assert report["usage"]["requests"] == CASES + with_findings  # one verification request per case with findings
    if batch:  # the review batch, then every case's verification in one batch
        assert [len(b.requests) for b in batches] == [CASES, with_findings]
        assert [{is_verification(r["params"]) for r in b.requests} for b in batches] == [{False}, {True}]
        assert sent == [] and report["batch_ids"] == [b.id for b in batches]
    else:
        assert batches == [] and sum(is_verification(r.json) for r in sent) == with_findings
    assert f"Verification filtered {DECOYS} finding(s)." in done.stdout


def test_a_pending_verification_batch_is_collected_by_the_next_eval_not_paid_again(
    tmp_path: Path, dataset: Path
) -> None:
    brain = LabelBrain(read_labels(dataset))
    lines = [json.loads(line) for line in dataset.read_text().splitlines()]
    for case in lines:
        case["repo"] = str((dataset.parent / case["repo"]).resolve())
    mine = tmp_path / "mine.jsonl"
    mine.write_text("".join(json.dumps(case) + "\n" for case in lines))
    state_file = tmp_path / ".batch-review" / "eval-mine.json"
    out = tmp_path / "eval.json"
    args = (str(mine), "--batch", "--wait-minutes", "0", "--json", str(out))
    with FakeAnthropicAPI(api_key=KEY, brain=brain, verifier=drop_decoys) as fake:
        first = cli(tmp_path, *args, base_url=fake.base_url, verify=True)
        assert first.returncode == 0 and json.loads(out.read_text())["status"] == "pending", first.stdout
        (review_batch,) = fake.batches
        fake.end_batch(review_batch)

        second = cli(tmp_path, *args, base_url=fake.base_url, verify=True)  # reviewed; the verification goes out
        assert second.returncode == 0, second.stdout + second.stderr
        assert json.loads(out.read_text())["status"] == "pending" and fake.batches_created == 2
        state = json.loads(state_file.read_text())
        verify_batch = next(i for i in fake.batches if i != review_batch)
        assert state["batch_ids"] == [review_batch] and state["verify"]["batch_ids"] == [verify_batch]

        again = cli(tmp_path, *args, base_url=fake.base_url, verify=True)  # still running: nothing submitted
        assert again.returncode == 0 and fake.batches_created == 2, again.stdout + again.stderr

        fake.end_batch(verify_batch)
        third = cli(tmp_path, *args, base_url=fake.base_url, verify=True)
        assert third.returncode == 0, third.stdout + third.stderr
        assert fake.batches_created == 2 and fake.count("POST", "/v1/messages") == 0  # nothing paid twice
    report = json.loads(out.read_text())
    assert report["status"] == "done" and report["precision"] == 1.0
    assert report["recall"] == round((CASES - MISSED) / LABELS, 4)
    assert report["verification"]["filtered"] == DECOYS
    assert not state_file.exists()


def test_a_pooled_pack_whose_answers_stay_unusable_is_split_and_each_file_rendered_alone(tmp_path: Path) -> None:
    """Two cases of two files each: every packed request (review, then verification) answers garbage twice,
    so the engine asks about each file on its own — under an id the pool never saw, rendered by its case."""
    from tests.support.gitrepo import GitRepo

    repo = GitRepo.init(tmp_path / "repo")
    base = {f"src/{name}.py": "".join(f"{name}_{i} = {i}\n" for i in range(12)) for name in "abcd"}
    repo.commit_files(base, "base")
    cases = []
    for first, second in ("ab", "cd"):
        before = repo.rev_parse("HEAD")
        head = {f"src/{n}.py": base[f"src/{n}.py"].replace(f"{n}_5 = 5\n", f"{n}_5 = 50  # PLANT(high,bug): {n}\n")
                for n in (first, second)}
        after = repo.commit_files(head, f"case {first}{second}")
        cases.append({"id": f"case-{first}{second}", "repo": str(repo.path), "base": before, "head": after,
                      "expected": [{"path": f"src/{n}.py", "line": 6} for n in (first, second)],
                      "title": f"Scale {first} and {second}", "description": f"Steps {first}_5 and {second}_5 grow."})
    dataset = tmp_path / "two.jsonl"
    dataset.write_text("".join(json.dumps(case) + "\n" for case in cases))
    out = tmp_path / "eval.json"
    with FakeAnthropicAPI(api_key=KEY, verifier=drop_decoys) as fake:
        both = lambda body: user_text(body).count('### "src/') == 2  # noqa: E731 - a packed request
        fake.inject("not_json", times=8, match=both)  # 2 review packs and 2 verification packs, repair included
        done = cli(tmp_path, str(dataset), "--json", str(out), base_url=fake.base_url, verify=True)
        split = [r for r in fake.requests if r.path == "/v1/messages" and user_text(r.json).count('### "src/') == 1]
        sent = [r.json for r in fake.requests if r.path == "/v1/messages"]
    # every request — packs, their repairs, the files split out of them, review and verification — carries its own
    # case's intent and change map after the system prompt all cases share
    assert len(sent) == 16
    for body in sent:
        system = "\n".join(block["text"] for block in body["system"])
        first = re.search(r'^### "src/(\w)\.py"', user_text(body), re.M)
        assert first is not None
        mine = "ab" if first[1] in "ab" else "cd"
        other = "cd" if mine == "ab" else "ab"
        assert f"| Title: Scale {mine[0]} and {mine[1]}" in system and f"Scale {other[0]} and" not in system
        assert f'"src/{mine[0]}.py"' in system and f'"src/{other[0]}.py"' not in system  # its change map
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert sum(is_verification(r.json) for r in split) == 4 and sum(not is_verification(r.json) for r in split) == 4
    report = json.loads(out.read_text())
    assert report["status"] == "done" and report["true_positives"] == 4 and report["false_positives"] == 0
    for case in report["cases"]:
        assert case["files"]["reviewed"] == 2 and case["files"]["failed"] == 0
