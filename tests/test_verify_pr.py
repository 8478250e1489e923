"""Issue #10.2, the verification pass on a pull request, end to end: the action started as a runner starts
it, the real anthropic and PyGithub clients, the loopback fakes.

The review brain reports every planted issue and, like a real reviewer that cannot see far enough, one
invented "decoy" finding per file, at severity critical. The verifier brain drops the decoys and keeps the
rest. A decoy that reached the pull request would show in a comment, in `findings-count`, in
`highest-severity` and in the exit code (`fail-on: critical`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from batch_review.pricing import Usage, cost, price_for
from tests.fakes.model_brain import (
    is_verification,
    parse_sections,
    planted_brain,
    user_text,
    verdict,
    verification_items,
)
from tests.support.fault_world import World, world
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git
from tests.test_context_plan import PAD, function

DECOY = "decoy: the caller is never checked"
KEPT_REASON = "line {line} does what the finding says"
DROP_REASON = "the check it asks for is already on line 1"
PLANTED = 4  # one in src/service.py, three in src/util.py
DECOYS = 3  # one per changed file


def build_pr(root: Path) -> PullFixture:
    repo = GitRepo.init(root)
    service = PAD + function("handle", 60) + "\n\n" + function("unrelated", 40) + PAD
    util = "".join(f"u{i} = {i}\n" for i in range(1, 21))
    clean = "".join(f"c{i} = {i}\n" for i in range(1, 11))
    repo.commit_files({"src/service.py": service, "src/util.py": util, "src/clean.py": clean}, "base")
    repo.checkout_new_branch("feature")
    service = service.replace("    handle_45 = step(45)\n",
                              "    handle_45 = step(45) + 1  # PLANT(high,bug): off by one in the step\n")
    util = (util.replace("u3 = 3\n", "u3 = 30  # PLANT(medium,bug): three\n")
            .replace("u9 = 9\n", "u9 = 90  # PLANT(low,maintainability): nine\n")
            .replace("u15 = 15\n", "u15 = 150  # PLANT(high,reliability): fifteen\n"))
    clean = clean.replace("c5 = 5\n", "c5 = 50\n")
    repo.commit_files({"src/service.py": service, "src/util.py": util, "src/clean.py": clean}, "feature")
    return pull_from_git(repo, "main", "feature", 7)


def decoy_brain(body: dict[str, Any]) -> str:
    """The planted findings, plus a critical decoy on the first line shown of every file (not a planted one)."""
    answer = json.loads(planted_brain(body))
    for section in parse_sections(user_text(body)):
        lines = [n for n, _, code in section.lines if "PLANT(" not in code]
        if lines:
            answer["findings"].append({"path": section.path, "line": lines[0], "end_line": None,
                                       "severity": "critical", "category": "security", "title": DECOY,
                                       "body": "Nothing checks the caller.", "suggestion": None, "confidence": 0.7})
    return json.dumps(answer)


@dataclass
class Verifier:
    """Drops the decoys, keeps everything else; records what each verification request carried."""

    seen: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, body: dict[str, Any]) -> str:
        with self.lock:
            self.seen.append(body)
        items = verification_items(body)
        return json.dumps({"verdicts": [
            verdict(i, False, DROP_REASON, 0.95) if i["title"] == DECOY
            else verdict(i, True, KEPT_REASON.format(line=i["line"]), 0.85) for i in items]})


def verification_requests(w: World) -> list[Any]:
    return [r for r in w.ai.requests if r.path == "/v1/messages" and is_verification(r.json)]


def review_requests(w: World) -> list[Any]:
    return [r for r in w.ai.requests if r.path == "/v1/messages" and not is_verification(r.json)]


INPUTS = {"fail-on": "critical", "max-files-per-request": "12", "verify": "true"}  # the fault world turns it off


def test_decoys_the_verifier_drops_are_not_posted_and_are_listed_as_filtered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = Verifier()
    with world(tmp_path, monkeypatch, build=build_pr, brain=decoy_brain, verifier=verifier) as w:
        result = w.run(**INPUTS)
        assert result.code == 0, result.log  # fail-on: critical, and every critical finding was a decoy
        outputs, report, summary = w.env.outputs(), w.env.report(), w.env.summary()

        assert outputs["findings-count"] == str(PLANTED) and outputs["highest-severity"] == "high"
        assert outputs["status"] == "findings"
        (review,) = w.visible_reviews()
        posted = [c["body"] for c in w.gh.review_comments] + [review["body"]]
        assert len(w.gh.review_comments) == PLANTED and not any("decoy" in text for text in posted)
        assert all("· verified (0.85)" in c["body"] for c in w.gh.review_comments)
        assert "verification filtered 3 findings" in review["body"]

        filtered = report["filtered"]
        assert [(f["path"], f["title"]) for f in filtered] == sorted(
            [("src/clean.py", DECOY), ("src/service.py", DECOY), ("src/util.py", DECOY)])
        assert all(f["reason"] == DROP_REASON and f["verifier_confidence"] == 0.95 for f in filtered)
        assert all(f["verification"] == {"status": "dropped", "confidence": 0.95, "reason": DROP_REASON}
                   for f in filtered)
        kept = report["findings"]
        assert len(kept) == PLANTED and {f["verification"]["status"] for f in kept} == {"kept"}
        assert {f["verification"]["reason"] for f in kept} == {KEPT_REASON.format(line=f["line"]) for f in kept}
        assert report["verification"]["checked"] == PLANTED + DECOYS
        assert (report["verification"]["kept"], report["verification"]["dropped"]) == (PLANTED, DECOYS)

        assert f"### Filtered by verification ({DECOYS})" in summary and DROP_REASON in summary
        assert "| 0 | 2 | 1 | 1 | 0 |" in summary  # the counts by severity hold no decoy
        assert len(w.gh.check_runs) == 1 and w.gh.check_runs[0]["conclusion"] != "failure"


def test_without_verification_the_same_decoys_are_posted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, build=build_pr, brain=decoy_brain, verifier=Verifier()) as w:
        result = w.run(**{**INPUTS, "verify": "false"})
        assert result.code == 1, result.log  # the decoys are critical
        assert not verification_requests(w)
        report = w.env.report()
        assert report["filtered"] is None and report["verification"] is None
        assert w.env.outputs()["findings-count"] == str(PLANTED + DECOYS)
        posted = [f for f in report["findings"] if f["title"] == DECOY and f["placement"] in ("inline", "body")]
        assert len(posted) == DECOYS
        assert DECOY in w.visible_reviews()[0]["body"] + "".join(c["body"] for c in w.gh.review_comments)


def test_each_file_s_findings_share_one_request_with_their_enclosing_definition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = Verifier()
    with world(tmp_path, monkeypatch, build=build_pr, brain=decoy_brain, verifier=verifier) as w:
        w.run(**INPUTS)
        sent = verification_requests(w)
        assert len(review_requests(w)) == 1 and len(sent) == 1  # three small files: one verification request
        (request,) = sent
        items = verification_items(request.json)
        sections = parse_sections(user_text(request.json))
        by_path = {s.path: (s, [i for i in items if i["path"] == s.path]) for s in sections}
        assert list(by_path) == ["src/clean.py", "src/service.py", "src/util.py"]

        section, items = by_path["src/util.py"]  # small: the whole file, with its four findings
        assert [i["id"] for i in items] == ["F4", "F5", "F6", "F7"]  # after clean.py's one and service.py's two
        assert [n for n, _, _ in section.lines] == list(range(1, 21))

        section, items = by_path["src/service.py"]  # big: the function around the finding, whole
        shown = {n: code for n, _, code in section.lines}
        head = w.fx.repo.read_blob(w.fx.repo.entry(w.fx.head_sha, "src/service.py").sha).decode().split("\n")
        first = head.index("def handle(x):") + 1
        assert shown[first] == "def handle(x):" and shown[first + 61] == "    return x"
        function_lines = set(range(first, first + 62))
        assert function_lines <= set(shown) <= function_lines | {first - 3, first - 2, first - 1}  # the decoy's
        assert not any("unrelated" in code or "pad" in code for code in shown.values())
        planted = next(i for i in items if i["title"] == "off by one in the step")
        marked = next((m, c) for n, m, c in section.lines if n == planted["line"])
        assert marked == ("+", "    handle_45 = step(45) + 1  # PLANT(high,bug): off by one in the step")

        system = request.json["system"]
        assert system[-1]["cache_control"] == {"type": "ephemeral"} and "verifier" in system[0]["text"]
        assert system != review_requests(w)[0].json["system"]
        schema = sent[0].json["output_config"]["format"]["schema"]
        assert list(schema["properties"]) == ["verdicts"]
        assert all(r.json["model"] == "claude-sonnet-5-5" for r in sent)  # verify-model defaults to the model


def test_verification_is_counted_in_usage_and_cost_at_its_own_model_s_price(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, build=build_pr, brain=decoy_brain, verifier=Verifier()) as w:
        w.run(**INPUTS, **{"verify-model": "claude-haiku-5-5"})
        sent, reviewed = verification_requests(w), review_requests(w)
        assert {r.json["model"] for r in sent} == {"claude-haiku-5-5"}
        report = w.env.report()

        def spent(requests: list[Any], model: str) -> tuple[Usage, float]:
            usage = Usage()
            for r in requests:
                usage.add(Usage(r.usage["input_tokens"], r.usage["output_tokens"],
                                r.usage["cache_creation_input_tokens"], r.usage["cache_read_input_tokens"], 1))
            return usage, cost(usage, price_for(model)[0])

        review_usage, review_cost = spent(reviewed, "claude-sonnet-5-5")
        verify_usage, verify_cost = spent(sent, "claude-haiku-5-5")
        assert report["verification"]["usage"] == verify_usage.to_json()
        assert report["verification"]["cost_usd"] == round(verify_cost, 6) and verify_cost > 0
        assert report["usage"]["requests"] == len(sent) + len(reviewed)
        assert report["usage"]["input_tokens"] == review_usage.input_tokens + verify_usage.input_tokens
        assert report["cost_usd"] == round(review_cost + verify_cost, 6)
        assert w.env.outputs()["cost-usd"] == f"{review_cost + verify_cost:.4f}"
        assert "Verification (`claude-haiku-5-5`): 7 findings checked" in w.env.summary()


def test_a_budget_reached_by_the_review_keeps_every_finding_unverified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every token counts four times what the plan estimated: the review, sent at once within its worst case
    as estimated, spends past `budget-usd`, so no verification request is sent — and no finding is dropped for it."""
    with world(tmp_path, monkeypatch, build=build_pr, brain=decoy_brain, verifier=Verifier(),
               count_tokens=lambda text: max(1, len(text))) as w:
        # the review's worst case as estimated (its input, 4,096 tokens out) fits $0.055; its real input does not
        result = w.run(**INPUTS, **{"budget-usd": "0.055", "max-output-tokens": "4096", "dry-run": "false"})
        assert result.code == 1, result.log  # the decoys stay: they could not be checked
        assert not verification_requests(w)
        report = w.env.report()
        assert len(report["findings"]) == PLANTED + DECOYS and report["filtered"] == []
        assert {f["verification"]["status"] for f in report["findings"]} == {"unverified"}
        assert {f["verification"]["reason"] for f in report["findings"]} == {"not sent: budget-usd reached"}
        assert all("· unverified: not sent: budget-usd reached" in c["body"] for c in w.gh.review_comments)
        assert any("could not be verified (not sent: budget-usd reached)" in n for n in report["notes"])


def _overloaded() -> tuple[str, int, dict[str, str], str]:
    body = json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    return ("custom", 529, {"retry-after-ms": "20"}, body)


def _first_only(body: dict[str, Any]) -> str:
    return json.dumps({"verdicts": [verdict(i, False, "drop it") for i in verification_items(body)[:1]]})


@pytest.mark.parametrize(("fault", "reason", "attempts"), [
    (_overloaded(), "overloaded_error", 5),  # one try and the SDK's four retries
    # the pack's try and its repair, then each of its three files alone, with its own repair
    ("not_json", "not valid JSON (also after one repair attempt)", 2 + 3 * 2),
    ("max_tokens", "cut off (max_tokens) (also after one repair attempt)", 1 + 3 * 2),  # a cut-off pack is split
    ("refusal", "declined", 1),  # a refusal is final
    ("no verdict", "the verifier gave no verdict for it", 1),
], ids=["overloaded", "not-json", "cut-off", "refusal", "no-verdict"])
def test_a_verifier_that_fails_keeps_every_finding_marked_unverified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: Any, reason: str, attempts: int
) -> None:
    verifier = _first_only if fault == "no verdict" else Verifier()
    with world(tmp_path, monkeypatch, build=build_pr, brain=decoy_brain, verifier=verifier) as w:
        if fault != "no verdict":
            w.ai.inject(fault, times=100, match=is_verification)
        result = w.run(**INPUTS)
        report = w.env.report()
        if fault == "no verdict":  # only F1 (src/clean.py's decoy) got a verdict, the rest none
            assert result.code == 1, result.log
            assert [(f["path"], f["title"]) for f in report["filtered"]] == [("src/clean.py", DECOY)]
            assert len(report["findings"]) == PLANTED + DECOYS - 1
            assert {f["verification"]["status"] for f in report["findings"]} == {"unverified"}
            assert {f["verification"]["reason"] for f in report["findings"]} == {reason}
            return
        assert result.code == 1, result.log  # nothing was dropped: the critical decoys still count
        assert len(verification_requests(w)) == attempts
        assert report["filtered"] == [] and len(report["findings"]) == PLANTED + DECOYS
        assert {f["verification"]["status"] for f in report["findings"]} == {"unverified"}
        assert all(reason in f["verification"]["reason"] for f in report["findings"])
        assert w.env.outputs()["findings-count"] == str(PLANTED + DECOYS)
        assert all("· unverified: " in c["body"] for c in w.gh.review_comments)
        assert "could not be verified" in w.visible_reviews()[0]["body"]
        assert "unverified:" in w.env.summary() and report["status"] == "findings"


def test_an_unknown_verify_model_keeps_the_findings_and_the_review_is_still_posted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, build=build_pr, brain=decoy_brain, verifier=Verifier()) as w:
        result = w.run(**INPUTS, **{"verify-model": "claude-nonexistent-9"})
        assert result.code == 1, result.log  # not 2: the review stands; its findings are unverified
        report = w.env.report()
        assert report["error"] is None and len(report["findings"]) == PLANTED + DECOYS
        reasons = {f["verification"]["reason"] for f in report["findings"]}
        assert len(reasons) == 1 and "claude-nonexistent-9" in reasons.pop()
        assert len(w.visible_reviews()) == 1
        assert {f["placement"] for f in report["findings"]} <= {"inline", "body"}


def test_verification_goes_through_bedrock_like_the_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fakes.bedrock import FakeBedrock
    from tests.fakes.github_api import FakeGitHub
    from tests.support.runner import run_in_process
    from tests.test_pr_review import brain_with_strays
    from tests.test_provider_bedrock import MODEL, _bedrock_run

    def drop_strays(body: dict[str, Any]) -> str:
        return json.dumps({"verdicts": [verdict(i, i["title"] != "module has no docstring", "a style matter")
                                        for i in verification_items(body)]})

    with FakeGitHub() as gh, FakeBedrock(brain=brain_with_strays, verifier=drop_strays) as fake:
        env, _ = _bedrock_run(tmp_path, monkeypatch, fake, gh, {"verify": "true"})
        result = run_in_process(env, monkeypatch)
        assert result.code == 1, result.log
        sent = [r for r in fake.requests if r.path.startswith("/model/") and is_verification(json.loads(r.raw))]
        assert sent and all(r.path.startswith(f"/model/{MODEL}/") and r.status == 200 for r in sent)
        assert fake.signatures_checked == len([r for r in fake.requests if r.path.startswith("/model/")])
        report = env.report()
        assert [f["title"] for f in report["filtered"]] == ["module has no docstring"]
        assert env.outputs()["findings-count"] == "8"
        ghost = next(f for f in report["findings"] if f["path"] == "src/ghost.py")
        assert ghost["verification"] == {"status": "unverified", "confidence": None,
                                         "reason": "its file is not part of this review: there is no code to check it "
                                                   "against"}
