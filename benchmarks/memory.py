"""Memory across runs (issue #9), measured side by side in one run against both fakes with real git:

- a 50-file pull request and 10 pushes that each change 2 files: model input tokens over the pushes, with
  memory and with `full-review: true` (every file re-reviewed each push);
- a force-push that changes no file's content (a rebase onto a moved base): model requests;
- a nightly sweep after 2 % of the files changed: input tokens against a full sweep;
- GitHub calls for a push review that also resolves a fixed finding's thread (check run on). The claim on the
  pull request (memory/lock.py: two racing runs publish once) adds 2: the claim written, and read again before
  posting (one GET of the status comment); its first read is the memory's listing of the issue comments, and
  the token's identity comes with the memory's GraphQL query for the threads.

Input tokens are every token the model was sent: uncached input, cache writes and cache reads.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git
from tests.support.runner import RunnerEnv

from .common import KEY, Row, run_env
from .fixtures import edit, stdlib_sources

PUSHES = 10
FILES = 50


def _tokens(ai: FakeAnthropicAPI) -> int:
    totals = ai.usage_totals()
    return sum(totals.get(k, 0) for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))


def _pull_env(tmp: Path, fx: PullFixture, gh: FakeGitHub, ai: FakeAnthropicAPI, **inputs: str) -> RunnerEnv:
    env = RunnerEnv.for_pull(tmp, fx, gh, ai, KEY, inputs)
    env.workspace = tmp / "empty-workspace"  # no checkout, as the README's PR workflow runs
    env.workspace.mkdir(parents=True, exist_ok=True)
    return env


def pull_request_lifecycle(tmp: Path, *, full: bool) -> tuple[int, int, list[int]]:
    """(input tokens over the pushes, model requests of a content-neutral rebase, GitHub calls per push)."""
    rng = random.Random(11)
    sources = dict((f"src/{p}", t) for p, t in stdlib_sources(FILES))
    repo = GitRepo.init(tmp / ("full" if full else "memory"))
    repo.commit_files(sources, "base")
    repo.checkout_new_branch("feature")
    head = {p: edit(t, rng, plant=i % 10 == 0) for i, (p, t) in enumerate(sorted(sources.items()))}
    repo.commit_files(head, "the pull request")
    inputs = {"full-review": "true"} if full else {}
    calls: list[int] = []
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY) as ai:
        fx = gh.add_pull(pull_from_git(repo, "main", "feature", 1))
        run_env(_pull_env(tmp / "run0", fx, gh, ai, **inputs))
        start = _tokens(ai)
        paths = sorted(head)
        for push in range(1, PUSHES + 1):
            changed = {p: edit(head[p], rng, plant=False) for p in rng.sample(paths, 2)}
            head.update(changed)
            repo.commit_files(changed, f"push {push}")
            fx = gh.add_pull(pull_from_git(repo, "main", "feature", 1))
            before = len(gh.calls)
            run_env(_pull_env(tmp / f"run{push}", fx, gh, ai, **inputs))
            calls.append(len(gh.calls) - before)
        over_pushes = _tokens(ai) - start
        requests = ai.count("POST", "/v1/messages")
        repo.run("reset", "-q", "--hard")
        repo.checkout("main")
        repo.commit_files({"docs/NEWS.txt": "main moved\n"}, "main moves")
        repo.run("reset", "-q", "--hard")
        repo.checkout("feature")
        repo.run("rebase", "-q", "main")
        fx = gh.add_pull(pull_from_git(repo, "main", "feature", 1))
        run_env(_pull_env(tmp / "rebase", fx, gh, ai, **inputs))
        rebase_requests = ai.count("POST", "/v1/messages") - requests
    return over_pushes, rebase_requests, calls


def fix_push_calls(tmp: Path) -> tuple[int, dict[str, int], int]:
    """GitHub calls of a push review that fixes a posted finding (its thread is resolved), check run on; and the
    same count read a second way, from the fake's own tallies: the REST rate limit it spent, the GraphQL
    operations it answered, the archives codeload served (another host, outside the API's rate limit)."""
    rng = random.Random(5)
    sources = dict((f"src/{p}", t) for p, t in stdlib_sources(12))
    repo = GitRepo.init(tmp / "fix")
    repo.commit_files(sources, "base")
    repo.checkout_new_branch("feature")
    head = {p: edit(t, rng, plant=True) for p, t in sorted(sources.items())}
    repo.commit_files(head, "twelve files, each with a planted issue")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY) as ai:
        fx = gh.add_pull(pull_from_git(repo, "main", "feature", 1))
        run_env(_pull_env(tmp / "fix0", fx, gh, ai, **{"request-changes-on": "high"}))
        first = sorted(head)[0]
        planted = "return eval(value)  # PLANT(high,security): eval of caller data"
        fixed = head[first].replace(planted, "return int(value)")
        assert fixed != head[first]
        repo.commit_files({first: fixed}, "fix one")
        fx = gh.add_pull(pull_from_git(repo, "main", "feature", 1))
        before = len(gh.calls)
        rest_left, operations = gh.rate_remaining, len(gh.graphql_ops)
        run_env(_pull_env(tmp / "fix1", fx, gh, ai, **{"request-changes-on": "high"}))
        made = gh.calls[before:]
        codeload = sum(1 for c in made if c.path.startswith("/_codeload/"))
        tallied = (rest_left - gh.rate_remaining) + (len(gh.graphql_ops) - operations) + codeload
        kinds: dict[str, int] = {}
        for call in made:
            key = f"{call.method} {call.path.split('/repos/acme/widgets')[-1] or call.path}"
            kinds[key] = kinds.get(key, 0) + 1
        resolved = sum(1 for t in gh.threads(1) if t.is_resolved)
        assert resolved == 1, "the fixed finding's thread was not resolved"
    return len(made), kinds, tallied


def sweep_ratio(tmp: Path) -> tuple[int, int, int, int]:
    """(input tokens of a nightly sweep after 2 % changed, of the full sweep, files, files changed)."""
    from batch_review.action import main  # noqa: F401 - imported once, outside the measurement

    rng = random.Random(3)
    sources = dict((f"lib/{p}", t) for p, t in stdlib_sources(300, min_lines=30))
    repo = GitRepo.init(tmp / "sweep")
    repo.commit_files(sources, "the repository")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY) as ai:
        def sweep(name: str, **inputs: str) -> Any:
            env = RunnerEnv(tmp=tmp / name, workspace=repo.path, api_url=gh.base_url, anthropic_url=ai.base_url,
                            event_name="schedule", event={"schedule": "0 3 * * *"}, sha=repo.rev_parse("HEAD"),
                            ref="refs/heads/main", inputs={"anthropic-api-key": KEY, "github-token": gh.token,
                                                           "strategy": "parallel", **inputs})
            return run_env(env)

        sweep("night0")
        full = _tokens(ai)
        changed = {p: edit(sources[p], rng, plant=False) for p in rng.sample(sorted(sources), len(sources) // 50)}
        repo.commit_files(changed, "a day of work")
        sweep("night1")
        nightly = _tokens(ai) - full
    return nightly, full, len(sources), len(changed)


def figures(tmp: Path) -> list[Row]:
    with_memory, rebase_requests, calls = pull_request_lifecycle(tmp / "m", full=False)
    full, _, _ = pull_request_lifecycle(tmp / "f", full=True)
    ratio = with_memory / full
    nightly, full_sweep, files, changed = sweep_ratio(tmp / "s")
    fix_calls, kinds, tallied = fix_push_calls(tmp / "c")
    shown = ", ".join(f"{n}× {k}" for k, n in sorted(kinds.items()))
    return [
        Row(f"PR of {FILES} files, {PUSHES} pushes of 2 files: model input tokens with memory / full re-reviews",
            f"{ratio:.3f}", "≤ 0.15", ratio <= 0.15, f"{with_memory:,} / {full:,} tokens over the pushes"),
        Row("force-push (rebase) that changes no file's content: model requests", str(rebase_requests), "0",
            rebase_requests == 0, "every PR file's blob was reviewed already"),
        Row("nightly sweep after 2 % of files changed: input tokens / a full sweep's", f"{nightly / full_sweep:.3f}",
            "≤ 0.05", nightly / full_sweep <= 0.05, f"{changed} of {files} files; {nightly:,} / {full_sweep:,} tokens"),
        Row("GitHub calls, push review that resolves a fixed finding (check run on)", str(fix_calls), "≤ 16 + pages",
            fix_calls <= 16 and tallied == fix_calls,
            f"{shown}; 2 of them the claim on the pull request (written, and read again by id before posting: the "
            "memory's listing of the comments and its GraphQL query for the threads give the claim and the token's "
            "identity), 3 the head commit's tree for code from other files (no checkout); counted again from the "
            f"fake's REST rate limit, GraphQL operations and codeload archives: {tallied}"),
        Row("GitHub calls per push, 50-file PR (median of 10)", str(sorted(calls)[len(calls) // 2]), "report", None,
            f"min {min(calls)}, max {max(calls)}"),
    ]
