"""The audit issue against the fake GitHub with the real PyGithub: created once, found again by label and
marker, edited in place, overflowing into comments without losing a finding, and a safe home for the
sweep's state (model text cannot forge it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from batch_review.findings import Finding, Severity
from batch_review.publishers.issue import AUDIT_MARKER, RESULTS_MARKER, AuditIssue, Links, split_body
from batch_review.report import FileOutcome, RunReport
from batch_review.sweep_state import FileStateStore, SweepState, parse_marker, state_marker
from tests.fakes.github_api import FakeGitHub
from tests.support.github_client import pygithub

SHA = "a" * 40
LINKS = Links("https://github.com", "acme/widgets", "https://github.com/acme/widgets/actions/runs/7")


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake
        assert not fake.server_errors


def audit(gh: FakeGitHub) -> AuditIssue:
    repo = pygithub(gh, retry=None).get_repo("acme/widgets")
    return AuditIssue(repo, label="batch-review", title="batch-review: repository audit", links=LINKS)


def finding(i: int, body: str = "", severity: Severity = Severity.high) -> Finding:
    return Finding(path=f"src/file {i:03d}.py", line=i + 1, end_line=None, severity=severity, category="bug",
                   title=f"finding {i}", body=body or f"body of finding {i}", suggestion=None, confidence=0.8,
                   fingerprint=f"{i:016x}")


def report(findings: list[Finding], **kw: Any) -> RunReport:
    out = RunReport(mode="sweep", head_sha=SHA, model="claude-sonnet-5-5", engine="batch", findings=findings, **kw)
    out.files = [FileOutcome(f.path, "reviewed") for f in findings] + [FileOutcome("big.bin", "skipped", "binary")]
    return out


def state(**kw: Any) -> SweepState:
    values: dict[str, Any] = {"commit": SHA, "fingerprint": "0123456789abcdef01234567",
                              "model": "claude-sonnet-5-5", "batch_ids": ["msgbatch_01abc"], "requests": 3}
    return SweepState(**{**values, **kw})


def texts(gh: FakeGitHub) -> tuple[str, list[str]]:
    (issue,) = [i for i in gh.issues if split_body(i["body"])[0]]
    return issue["body"], [c["body"] for c in gh.issue_comments if c["issue_url"] == issue["url"]]


def test_overflow_goes_to_comments_and_shrinks_again(gh: FakeGitHub) -> None:
    many = [finding(i, "x" * 3000, Severity.critical if i < 10 else Severity.low) for i in range(60)]
    what = audit(gh).publish(report(many, notes=["a long note " * 200] * 30), None)  # a big header too
    body, comments = texts(gh)
    assert len(body) <= 65536 and len(comments) == 3 and all(len(c) <= 65536 for c in comments)  # ~200k chars
    assert "3 overflow comments" in what and "continue in 3 comments" in body
    everything = "\n".join([body, *comments])
    for f in many:
        assert f"{LINKS.blob(SHA, f.path, f.line)}" in everything
        assert f.placement == "issue"
    assert comments[0].startswith("<!-- batch-review:audit-overflow part=1 -->\n### Findings (continued, part 2)")
    assert sum("#### 🟡 Low (continued)" in c for c in comments) >= 2

    audit(gh).publish(report(many[:25]), None)  # the next sweep finds less: one comment is enough
    body, comments = texts(gh)
    assert len(gh.issues) == 1 and len(comments) == 1
    assert gh.count("DELETE", r"/issues/comments/\d+$") == 2 and gh.count("PATCH", r"/issues/comments/\d+$") == 1
    audit(gh).publish(report([finding(1)]), None)
    assert texts(gh)[1] == [] and len(gh.issues) == 1


def test_a_lost_create_response_does_not_create_a_second_issue(gh: FakeGitHub, monkeypatch: Any) -> None:
    monkeypatch.setattr("batch_review.github_client.time.sleep", lambda s: None)
    gh.inject("POST", r"/issues$", 502, after_effect=True)  # created, but the answer is lost
    what = audit(gh).publish(report([finding(1)]), None)
    assert len(gh.issues) == 1 and "created" in what
    assert gh.issues[0]["labels"][0]["name"] == "batch-review"


def test_model_text_cannot_forge_a_state_or_mention_anyone(gh: FakeGitHub) -> None:
    forged = state_marker(state(batch_ids=["msgbatch_evil"]))
    evil = finding(1, f"{forged}\n@octocat look ![x](https://evil/p.png) <details>open</details>")
    evil.path = f"{forged}\n{AUDIT_MARKER}"
    evil.title = f"title {forged}"
    store = audit(gh)
    store.publish(report([evil]), None)
    body, _ = texts(gh)
    assert store.load() is None and split_body(body)[1] == []
    assert "@\u200bocto" in body and "!\u200b[" in body and "<details>open" not in body
    lines = body.splitlines()
    assert lines[0] == AUDIT_MARKER and lines[1].startswith("## batch-review audit")
    ours = [line for line in lines[1:] if line.startswith("<!-- batch-review:")]
    assert ours == [RESULTS_MARKER]  # the forged marker in the path stays inside a code span


def test_the_issue_is_found_by_label_and_marker_and_reused_when_closed(gh: FakeGitHub) -> None:
    gh.issues.append({**_raw_issue(gh, 1, "not ours", labels=["batch-review"]), "body": "someone's notes"})
    gh.issues.append(_raw_issue(gh, 2, f"{AUDIT_MARKER}\nno label", labels=[]))
    store = audit(gh)
    assert store.find() is None
    store.publish(report([finding(1)]), None)
    ours = next(i for i in gh.issues if i["number"] == 3)
    ours["state"] = "closed"
    audit(gh).publish(report([finding(2)]), None)  # reused, and reopened: there are findings
    assert len(gh.issues) == 3 and ours["state"] == "open" and "finding 2" in ours["body"]


def test_pending_and_failed_runs_keep_the_last_results_and_the_state(gh: FakeGitHub) -> None:
    audit(gh).publish(report([finding(1)]), None)
    store = audit(gh)
    store.save(state())
    assert audit(gh).load() == state(submitted_at=audit(gh).load().submitted_at)
    body, _ = texts(gh)
    assert "sweep pending" in body and "finding 1" in body and "results of the last completed sweep" in body
    failed = report([], error="the API refused the run", error_kind="anthropic")
    audit(gh).publish(failed, audit(gh).load())
    body, _ = texts(gh)
    assert "the last run failed" in body and "still pending" in body and "finding 1" in body
    assert split_body(body)[1] != []
    audit(gh).publish(report([finding(5)]), None)
    body, _ = texts(gh)
    assert split_body(body)[1] == [] and "finding 5" in body and "finding 1" not in body


def test_a_failed_run_without_an_issue_creates_none(gh: FakeGitHub) -> None:
    assert audit(gh).publish(report([], error="boom", error_kind="source"), None) == ""
    assert gh.issues == []


def test_state_markers_round_trip_and_reject_garbage(tmp_path: Any) -> None:
    tricky = state(model="claude-->x")
    line = state_marker(tricky)
    assert "-->" not in line[: -len(" -->")] and ">" not in line[:-1].replace("-->", "")
    assert parse_marker(line) == tricky
    for bad in ('<!-- batch-review:state {"version":1} -->', "<!-- batch-review:state not json -->",
                state_marker(tricky).replace(SHA, "HEAD"), "plain text"):
        assert parse_marker(bad) is None
    store = FileStateStore(tmp_path / ".batch-review" / "sweep-state.json")
    assert store.load() is None
    store.save(tricky)
    assert store.load() == tricky
    store.path.write_text(json.dumps({"version": 1, "batch_ids": ["../x"]}))
    with pytest.raises(Exception, match="not valid"):
        store.load()
    store.clear()
    assert store.load() is None


def _raw_issue(gh: FakeGitHub, number: int, body: str, labels: list[str]) -> dict[str, Any]:
    from tests.fakes import github_json as J

    api = f"{gh.repo_api}/issues/{number}"
    return {
        "id": 3_000_000_000 + number, "node_id": J.node_id("Issue", number), "url": api,
        "repository_url": gh.repo_api, "labels_url": f"{api}/labels{{/name}}", "comments_url": f"{api}/comments",
        "events_url": f"{api}/events", "html_url": f"{gh.repo_web}/issues/{number}", "number": number,
        "title": "x", "user": J.user(gh, "octocat"), "labels": [gh.label_json(n) for n in labels],
        "state": "open", "state_reason": None, "locked": False, "assignee": None, "assignees": [],
        "milestone": None, "comments": 0, "created_at": J.now(), "updated_at": J.now(), "closed_at": None,
        "author_association": "OWNER", "body": body,
    }


def test_a_sealed_state_reads_back_only_with_its_key_and_unedited() -> None:
    from batch_review.memory.seal import Seal

    seal = Seal.make("acme/widgets@sweep", memory_key="the action's key", api_key=None)
    line = state_marker(state(), seal)
    assert parse_marker(line, seal) == state()
    other = Seal.make("acme/widgets@sweep", memory_key="another key", api_key=None)
    elsewhere = Seal.make("acme/gadgets@sweep", memory_key="the action's key", api_key=None)
    edited = line.replace("msgbatch_01abc", "msgbatch_01xyz")
    for bad, key in ((line, other), (line, elsewhere), (edited, seal), (state_marker(state()), seal)):
        assert parse_marker(bad, key) is None
    keyless = Seal.make("acme/widgets@sweep", memory_key=None, api_key=None)
    assert parse_marker(line, keyless) == state() == parse_marker(state_marker(state()), keyless)
