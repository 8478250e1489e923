"""The walkthrough (issue #19.1), measured on a 12-file pull request of real Python files against both fakes:

- model requests the walkthrough adds: the same pull request reviewed with `walkthrough: true` and `false`
  (counted by the Anthropic fake), checked against the plan's own request count in the JSON report;
- the overview sentences: composed from the summaries, so no request (counted the same way);
- what the summary field costs: its output tokens (the fake's own token counter over each answer's
  `summary`, checked by a second count at ~4 characters a token) against the review's output tokens, and
  in dollars at the model's output price.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from batch_review.config import DEFAULT_MODEL
from batch_review.pricing import price_for
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.anthropic_messages import default_count_tokens
from tests.fakes.github_api import FakeGitHub
from tests.support.gitrepo import GitRepo, pull_from_git
from tests.support.runner import RunnerEnv

from .common import KEY, Row, run_env
from .fixtures import edit, stdlib_sources

FILES = 12


def _review(tmp: Path, walkthrough: str) -> tuple[int, int, list[str], int, str]:
    """(model requests, planned requests, summaries answered, review output tokens, status comment body)."""
    rng = random.Random(19)
    sources = dict((f"src/{p}", t) for p, t in stdlib_sources(FILES))
    repo = GitRepo.init(tmp / "repo")
    repo.commit_files(sources, "base")
    repo.checkout_new_branch("feature")
    repo.commit_files({p: edit(t, rng, plant=i % 4 == 0) for i, (p, t) in enumerate(sorted(sources.items()))},
                      "twelve files")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY) as ai:
        fx = gh.add_pull(pull_from_git(repo, "main", "feature", 1))
        env = RunnerEnv.for_pull(tmp / "run", fx, gh, ai, KEY, {"walkthrough": walkthrough, "verify": "false",
                                                                "max-files-per-request": "3"})
        run_env(env)
        report = json.loads((env.workspace / env.outputs()["report-path"]).read_text(encoding="utf-8"))
        answers = [r for r in ai.requests if r.path == "/v1/messages" and r.status == 200]
        summaries = [json.loads(r.response["content"][-1]["text"])["summary"] for r in answers]
        output = sum(int((r.usage or {}).get("output_tokens", 0)) for r in answers)
        [status] = [c["body"] for c in gh.issue_comments if "batch-review:status" in c["body"]]
        return ai.count("POST", "/v1/messages"), int(report["requests"]), summaries, output, status


def figures(tmp: Path) -> list[Row]:
    shown, planned, summaries, output, status = _review(tmp / "on", "true")
    hidden, _, _, _, quiet = _review(tmp / "off", "false")
    assert "#### Walkthrough" in status and "#### Walkthrough" not in quiet
    added = shown - hidden
    tokens = sum(default_count_tokens(json.dumps({"summary": s})[1:-1]) for s in summaries)
    by_chars = sum(len(json.dumps({"summary": s})[1:-1]) for s in summaries) / 4
    price, _ = price_for(DEFAULT_MODEL)
    dollars = tokens * price.output / 1_000_000
    return [
        Row(f"model requests added by the walkthrough table, {FILES}-file PR", str(added), "0", added == 0,
            f"{shown} requests with it, {hidden} without; the plan had {planned}"),
        Row("model requests for the walkthrough's overview sentences", "0", "≤ 1", shown == planned,
            "composed from the summaries (no request): requests == the plan's"),
        Row("output tokens of the summary field, per review request", f"{tokens / len(summaries):.1f}", "report",
            None, f"{tokens} tokens over {len(summaries)} answers (~{by_chars:.0f} counted by characters), "
            f"{tokens / output:.0%} of the fake's short answers; ${dollars / len(summaries):.6f} a request at "
            f"{DEFAULT_MODEL}'s output price"),
    ]
