"""Issue #18.2, verification pipelined with the review, end to end (the action as a runner starts it, the real
SDK clients, the loopback fakes): a file's findings go to the verifier as soon as its review answer is in,
while other reviews still run, and nothing is posted before every verification has ended or failed.

The order is shown by what the fake API received and answered, never by wall time: the fake holds an answer
until an event (`hold`), and the events are set by the requests the fake sees.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from batch_review.pricing import Usage, cost, price_for
from tests.fakes.model_brain import is_verification, parse_sections, user_text, verdict, verification_items
from tests.support.fault_world import World, world
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git

INPUTS = {"verify": "true", "max-files-per-request": "1"}
KEPT, DROPPED = "it does what the finding says", "the value is intended"


def build(root: Path, files: int = 2) -> PullFixture:
    """`files` small files, each with one planted finding (one review request each)."""
    repo = GitRepo.init(root)
    names = [chr(ord("a") + i) for i in range(files)]
    base = {f"src/{n}.py": "".join(f"{n}{i} = {i}\n" for i in range(1, 21)) for n in names}
    repo.commit_files(base, "base")
    repo.checkout_new_branch("feature")
    repo.commit_files({path: text.replace(f"{path[4]}3 = 3\n", f"{path[4]}3 = 30  # PLANT(high,bug): "
                                                                f"{path[4]} is off\n")
                       for path, text in base.items()}, "feature")
    return pull_from_git(repo, "main", "feature", 7)


def paths(body: dict[str, Any]) -> set[str]:
    return {section.path for section in parse_sections(user_text(body))}


def sent(w: World, *, verification: bool, path: str) -> Any:
    (found,) = [r for r in w.ai.requests if r.path == "/v1/messages" and is_verification(r.json) == verification
                and path in paths(r.json)]
    return found


def unanswered(w: World, path: str) -> bool:
    """Whether the fake has received the review request of `path` and not answered it yet."""
    return any(r.status is None for r in w.ai.requests
               if r.path == "/v1/messages" and not is_verification(r.json) and paths(r.json) == {path})


def keep_all(body: dict[str, Any]) -> str:
    return json.dumps({"verdicts": [verdict(i, True, KEPT, 0.8) for i in verification_items(body)]})


def test_a_file_s_findings_are_verified_while_another_file_is_still_reviewed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """b.py's review answer is held until a.py's verification has been answered: a run that verified only
    after the last review answer would answer b.py only when the hold gives up, after a.py's review."""
    verified_a = threading.Event()
    b_waiting: list[bool] = []  # when a.py's verification was answered: was b.py's review still unanswered?

    def hold(body: dict[str, Any]) -> threading.Event | None:
        if is_verification(body):
            if "src/a.py" in paths(body):
                b_waiting.append(unanswered(w, "src/b.py"))
                verified_a.set()
            return None
        return verified_a if paths(body) == {"src/b.py"} else None

    with world(tmp_path, monkeypatch, build=build, verifier=keep_all, hold=hold) as w:
        result = w.run(**INPUTS)
        assert result.code == 0, result.log
        assert b_waiting == [True]  # a.py verified while b.py's review was still running
        review_b, verify_a = sent(w, verification=False, path="src/b.py"), sent(w, verification=True, path="src/a.py")
        verify_b = sent(w, verification=True, path="src/b.py")
        assert review_b.finished is not None and verify_b.started >= review_b.finished  # b.py's: after its answer

        report = w.env.report()
        assert [(f["path"], f["verification"]["status"]) for f in report["findings"]] == [
            ("src/a.py", "kept"), ("src/b.py", "kept")]
        assert report["verification"]["requests"] == 2 and report["verification"]["checked"] == 2
        billed = sum(r.usage["output_tokens"] for r in (verify_a, verify_b))
        assert report["verification"]["usage"]["output_tokens"] == billed  # counted in the pass's own figures
        assert report["usage_by_pass"]["review"]["requests"] == 2
        assert all("· verified (0.80)" in c["body"] for c in w.gh.review_comments)
        assert len(w.gh.review_comments) == 2


def test_a_verification_that_fails_while_the_review_runs_keeps_its_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifying_a = threading.Event()
    b_waiting: list[bool] = []

    def hold(body: dict[str, Any]) -> threading.Event | None:
        return verifying_a if not is_verification(body) and paths(body) == {"src/b.py"} else None

    def a_verified(body: dict[str, Any]) -> bool:  # the fault's match: a.py's verification has arrived
        if is_verification(body) and "src/a.py" in paths(body):
            b_waiting.append(unanswered(w, "src/b.py"))
            verifying_a.set()
            return True
        return False

    with world(tmp_path, monkeypatch, build=build, verifier=keep_all, hold=hold) as w:
        w.ai.inject("invalid_request", times=1, match=a_verified)  # a 400: not retried, not fatal
        result = w.run(**INPUTS)
        assert result.code == 0, result.log
        assert b_waiting == [True]  # a.py's verification failed while b.py's review was still running
        checks = {f["path"]: f["verification"] for f in w.env.report()["findings"]}
        assert checks["src/a.py"]["status"] == "unverified" and "invalid request" in checks["src/a.py"]["reason"]
        assert checks["src/b.py"]["status"] == "kept"
        bodies = {c["path"]: c["body"] for c in w.gh.review_comments}
        assert set(bodies) == {"src/a.py", "src/b.py"}  # the finding whose verification failed is posted
        assert "· unverified" in bodies["src/a.py"] and "· verified" in bodies["src/b.py"]


def test_nothing_is_posted_while_a_verification_is_still_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a.py's verification is answered only after b.py's review (the last) has been: the review GitHub gets has
    its verdict (the verifier drops a.py's finding), so it was posted after that verification ended."""
    reviewed_b = threading.Event()

    def hold(body: dict[str, Any]) -> threading.Event | None:
        if not is_verification(body) and paths(body) == {"src/b.py"}:
            reviewed_b.set()  # the last review: answered now, while a.py's verification waits for it
            return None
        return reviewed_b if is_verification(body) and "src/a.py" in paths(body) else None

    def drop_a(body: dict[str, Any]) -> str:
        return json.dumps({"verdicts": [verdict(i, i["path"] != "src/a.py", DROPPED if i["path"] == "src/a.py"
                                                else KEPT, 0.9) for i in verification_items(body)]})

    with world(tmp_path, monkeypatch, build=build, verifier=drop_a, hold=hold) as w:
        result = w.run(**INPUTS)
        assert result.code == 0, result.log
        assert reviewed_b.is_set() and sent(w, verification=True, path="src/a.py").status == 200
        assert [c["path"] for c in w.gh.review_comments] == ["src/b.py"]
        (review,) = w.visible_reviews()
        assert "a is off" not in review["body"] and "verification filtered 1 finding" in review["body"]
        report = w.env.report()
        assert [(f["path"], f["reason"]) for f in report["filtered"]] == [("src/a.py", DROPPED)]


def test_the_budget_cap_holds_with_verification_pipelined_and_reviews_come_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$0.03 holds the four reviews (each reserves its worst case, then costs far less) but not every
    verification. Verification goes out as answers come in, yet it never takes the room a review needed (every
    file is reviewed: a verification asks for budget once every review has gone out), what the fake billed
    stays under the cap, and every finding is posted — verified, or marked unverified: budget reached."""
    with world(tmp_path, monkeypatch, build=lambda root: build(root, 4), verifier=keep_all) as w:
        result = w.run(**INPUTS, **{"budget-usd": "0.03", "max-output-tokens": "1024"})
        assert result.code == 0, result.log
        report = w.env.report()
        assert {f["path"]: f["status"] for f in report["files"]} == dict.fromkeys(
            ("src/a.py", "src/b.py", "src/c.py", "src/d.py"), "reviewed")
        checks = [(f["verification"]["status"], f["verification"]["reason"]) for f in report["findings"]]
        assert len(checks) == 4 and ("unverified", "not sent: budget-usd reached") in checks
        assert set(checks) <= {("kept", KEPT), ("unverified", "not sent: budget-usd reached")}
        assert len(w.gh.review_comments) == 4
        price, _ = price_for(report["model"])
        billed = sum((cost(Usage(u["input_tokens"], u["output_tokens"], u["cache_creation_input_tokens"],
                                 u["cache_read_input_tokens"]), price) for u in
                      (r.usage for r in w.ai.requests if r.usage is not None)), 0.0)
        assert 0 < billed <= 0.03 and report["cost_usd"] <= 0.03
