"""Conversation (issue #19), measured against both fakes with real git, as a runner starts the action:

- one answer in a thread batch-review started (a person's reply, `pull_request_review_comment`): model
  requests and GitHub calls;
- the same when the answer withdraws the finding (resolve, remember, lift the block): GitHub calls;
- a finding dismissed in its thread, over the later pushes that review its file again: times it is posted.

Each figure is checked a second way: model requests by the fake's log and by the run's JSON report (its usage
counts the requests the SDK answered); GitHub calls by the fake's log and by the rate-limit budgets the fake
spends as GitHub does (REST requests, GraphQL points: one point a small query).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git
from tests.support.runner import REPOSITORY, RunnerEnv, pull_request_event

from .common import KEY, Row, run_env
from .fixtures import edit, stdlib_sources

PUSHES = 3
PLANTED = "return eval(value)  # PLANT(high,security): eval of caller data"


def _event(fx: PullFixture, comment: dict[str, Any]) -> dict[str, Any]:
    return {"action": "created", "comment": comment, "pull_request": pull_request_event(fx)["pull_request"],
            "repository": {"full_name": REPOSITORY}, "sender": comment["user"]}


def _answer(tmp: Path, fx: PullFixture, gh: FakeGitHub, ai: FakeAnthropicAPI, comment: dict[str, Any]
            ) -> tuple[int, int, int, int, str]:
    """(model requests at the fake, in the report; GitHub calls at the fake, in its rate-limit budgets)."""
    env = RunnerEnv(tmp=tmp, workspace=_empty(tmp), api_url=gh.base_url, anthropic_url=ai.base_url,
                    event_name="pull_request_review_comment", event=_event(fx, comment), sha=fx.head_sha,
                    inputs={"anthropic-api-key": KEY, "github-token": gh.token, "request-changes-on": "high"})
    requests, calls = ai.count("POST", "/v1/messages"), len(gh.calls)
    rest, points = gh.rate_remaining, gh.graphql_rate_remaining
    code = run_env(env)
    assert code == 0, code
    report = json.loads((env.workspace / env.outputs()["report-path"]).read_text(encoding="utf-8"))
    kinds: dict[str, int] = {}
    for call in gh.calls[calls:]:
        key = f"{call.method} {call.path.split('/repos/acme/widgets')[-1] or call.path}"
        kinds[key] = kinds.get(key, 0) + 1
    shown = ", ".join(f"{n}× {k}" for k, n in sorted(kinds.items()))
    return (ai.count("POST", "/v1/messages") - requests, report["usage"]["requests"], len(gh.calls) - calls,
            (rest - gh.rate_remaining) + (points - gh.graphql_rate_remaining), shown)


def _empty(tmp: Path) -> Path:
    """No checkout, as docs/conversation.md's workflow runs: settings, threads and code come from the API."""
    (tmp / "empty-workspace").mkdir(parents=True, exist_ok=True)
    return tmp / "empty-workspace"


def _review(tmp: Path, fx: PullFixture, gh: FakeGitHub, ai: FakeAnthropicAPI) -> None:
    env = RunnerEnv.for_pull(tmp, fx, gh, ai, KEY, {"request-changes-on": "high"})
    env.workspace = _empty(tmp)
    run_env(env)


def conversation(tmp: Path) -> dict[str, Any]:
    rng = random.Random(19)
    sources = dict((f"src/{p}", t) for p, t in stdlib_sources(12))
    repo = GitRepo.init(tmp / "repo")
    repo.commit_files(sources, "base")
    repo.checkout_new_branch("feature")
    head = {p: edit(t, rng, plant=True) for p, t in sorted(sources.items())}
    repo.commit_files(head, "twelve files, each with a planted issue")
    out: dict[str, Any] = {}
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY) as ai:
        fx = gh.add_pull(pull_from_git(repo, "main", "feature", 1))
        _review(tmp / "review0", fx, gh, ai)
        threads = gh.threads(1)
        assert len(threads) >= 2, "the review posted no threads"
        asked = gh.reply_as("alice", threads[0].root["id"], "Why is this a bug?", association="MEMBER")
        out["stands"] = _answer(tmp / "talk1", fx, gh, ai, asked)
        target = threads[1]
        wrong = gh.reply_as("alice", target.root["id"], "FINDING-WRONG: the value is a constant", association="OWNER")
        out["wrong"] = _answer(tmp / "talk2", fx, gh, ai, wrong)
        assert gh.thread(target.id).is_resolved
        path = target.root["path"]
        posted = 0
        for push in range(1, PUSHES + 1):  # the file changes elsewhere: reviewed again, the finding found again
            head[path] = edit(head[path], rng, plant=False)
            assert PLANTED in head[path] or "PLANT(" in head[path]
            repo.commit_files({path: head[path]}, f"push {push}")
            fx = gh.add_pull(pull_from_git(repo, "main", "feature", 1))
            before = len(gh.review_comments)
            _review(tmp / f"review{push}", fx, gh, ai)
            posted += sum(1 for c in gh.review_comments[before:] if c["path"] == path and "batch-review:finding" in
                          c["body"])
        out["reposted"] = posted
        out["pushes"] = PUSHES
    return out


def figures(tmp: Path) -> list[Row]:
    got = conversation(tmp)
    requests, reported, calls, budget, kinds = got["stands"]
    _, _, wrong_calls, wrong_budget, wrong_kinds = got["wrong"]
    return [
        Row("model requests for one thread answer", str(requests), "1", requests == 1 and reported == 1,
            f"the run's report counts {reported}"),
        Row("GitHub calls for one thread answer (the finding stands)", str(calls), "≤ 6",
            calls <= 6 and budget == calls,
            f"rate-limit budgets spent: {budget}; {kinds}"),
        Row("GitHub calls for an answer that withdraws the finding (resolve, state, lift the block)", str(wrong_calls),
            "report", None, f"rate-limit budgets spent: {wrong_budget}; {wrong_kinds}"),
        Row(f"a finding dismissed in its thread, posted again over {got['pushes']} pushes that re-review its file",
            str(got["reposted"]), "0", got["reposted"] == 0, "the file's review finds it each push"),
    ]
