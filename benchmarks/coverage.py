"""Whole action runs against both fakes: coverage of changed lines, and GitHub API calls.

Coverage counts, from the prompts the fake model actually received, every added line (by its
new-file number) and every deleted line (by its text), against git's own diff of the PR.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import user_text
from tests.support.gitrepo import PullFixture
from tests.support.runner import RunnerEnv, pull_request_event

from .common import KEY, Row, run_env
from .fixtures import changed_lines_from_git, pull_request

_HEADER = re.compile(r'^### (".*?") \(')
_ROW = re.compile(r"^ *(\d+)?([+ -])(.*)$")


def run_action(fx: PullFixture, tmp: Path, ai: FakeAnthropicAPI, gh: FakeGitHub) -> int:
    env = RunnerEnv(tmp=tmp / "runner", workspace=fx.repo.path, api_url=gh.base_url, anthropic_url=ai.base_url,
                    event=pull_request_event(fx), sha=fx.head_sha,
                    inputs={"anthropic-api-key": KEY, "github-token": gh.token, "check-run": "false"})
    return run_env(env)


def seen_in_prompts(ai: FakeAnthropicAPI) -> dict[str, tuple[set[int], Counter[str]]]:
    import json

    seen: dict[str, tuple[set[int], Counter[str]]] = {}
    for request in ai.requests:
        if request.path != "/v1/messages" or not request.json:
            continue
        path = None
        for line in user_text(request.json).split("\n"):
            header = _HEADER.match(line)
            if header:
                path = json.loads(header[1])
                seen.setdefault(path, (set(), Counter()))
                continue
            row = _ROW.match(line)
            if path is None or row is None:
                continue
            if row[2] == "+" and row[1]:
                seen[path][0].add(int(row[1]))
            elif row[2] == "-" and not row[1]:
                seen[path][1][row[3]] += 1
    return seen


def coverage(fx: PullFixture, tmp: Path) -> tuple[int, int, int]:
    """(changed lines, changed lines sent, GitHub API calls) for one action run on the PR."""
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY) as ai:
        gh.add_pull(fx)
        run_action(fx, tmp, ai, gh)
        seen = seen_in_prompts(ai)
        calls = len(gh.calls)
    total = sent = 0
    for path, (added, deleted) in changed_lines_from_git(fx).items():
        total += added + deleted
        lines, removed = seen.get(path, (set(), Counter()))
        sent += min(added, len(lines)) + min(deleted, sum(removed.values()))
    return total, sent, calls


def figures(tmp: Path) -> list[Row]:
    rows: list[Row] = []
    big = pull_request(tmp / "cov300", 300, seed=3)
    total, sent, calls300 = coverage(big, tmp / "a")
    rows.append(Row("coverage, 300-file PR: changed lines sent / changed lines", f"{100 * sent / total:.1f} %",
                    "100 %", sent == total, f"{sent:,} of {total:,}"))
    omitted = pull_request(tmp / "cov-omit", 40, seed=5, omit_every=2, number=2)
    total, sent, _ = coverage(omitted, tmp / "b")
    rows.append(Row("coverage, PR whose patches GitHub omitted (half of 40 files)", f"{100 * sent / total:.1f} %",
                    "100 %", sent == total, f"{sent:,} of {total:,}; omitted files diffed from their blobs"))
    one = pull_request(tmp / "one", 1, seed=9, number=3)
    _, _, calls1 = coverage(one, tmp / "c")
    pages = -(-300 // 100)
    rows.append(Row("GitHub API calls, 1-file PR review", str(calls1), "≤ 10", calls1 <= 10, "check run off"))
    rows.append(Row("GitHub API calls, 300-file PR review", str(calls300), f"≤ 10 + {pages} pages",
                    calls300 <= 10 + pages, "files listed 100 a page"))
    return rows
