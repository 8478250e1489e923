"""Code from other files (context/related/): what it adds to each request, and what it costs without a checkout.

1. Real changes: the last commits of this repository that changed its Python sources, each planned as a pull
   request (`make_plan`, default budget) and then given code from other files from the commit's git objects.
   Input tokens per request with / without, by the plan's estimate and, independently, by Claude's tokenizer on
   the rendered request text; the largest section sent against `max-related-tokens` (both ways).
2. A generated 50,000-file repository (Python modules in 500 folders) and a pull request that changes a
   function's signature, reviewed by the action in-process against the loopback fakes with an empty workspace
   (the README's workflow, no checkout): GitHub calls, bytes and wall seconds, with and without code from other
   files. Bytes are counted twice: by the client as it reads the archive and by the fake as it serves it.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
import statistics
import subprocess
import time
from pathlib import Path

from batch_review.context.related import add_related
from batch_review.filters import FileFilter
from batch_review.gitcmd import git
from batch_review.plan import Budget, make_plan
from batch_review.prompt import render_request
from batch_review.sources.local_git import collect_local
from batch_review.sources.snapshot import GitSnapshot

from .common import Row
from .tokens import counter

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 4000
COMMITS = 12
FILES = 50_000
FOLDERS = 500


def real_changes() -> list[Row]:
    from batch_review.log import log

    log.configure(actions=False, stream=io.StringIO())
    count, how = counter()
    listed = git(ROOT, "log", "--no-merges", "--format=%H", "-n", "200", "--", "src/batch_review").decode().split()
    filt = FileFilter()
    before: list[int] = []
    after: list[int] = []
    real_before = real_after = 0
    largest = largest_real = 0
    given = requests = commits = 0
    seconds = 0.0
    for commit in listed:
        files = git(ROOT, "diff", "--name-only", f"{commit}^", commit, "--", "*.py").decode().split()
        if not 1 <= len(files) <= 12:
            continue  # pull-request sized changes of Python code
        collected = collect_local(ROOT, f"{commit}^", filt, head=commit)
        plan = make_plan(collected.files, collected.skipped, Budget())
        plain = {r.custom_id: r.input_tokens for r in plan.requests}
        texts = {r.custom_id: render_request(r, plan.rows) for r in plan.requests}
        started = time.perf_counter()
        add_related(plan, GitSnapshot(ROOT, commit), BUDGET, Budget().max_request_tokens, filt.by_path)
        seconds += time.perf_counter() - started
        for request in plan.requests:
            related = plan.related.get(request.custom_id, ())
            before.append(plain[request.custom_id])
            after.append(request.input_tokens)
            real_before += count(texts[request.custom_id])
            text = render_request(request, plan.rows, None, related)
            real_after += count(text)
            if related:
                given += 1
                section = text[text.index("\n", text.rindex("</code nonce=")) + 1:]  # the code may quote the fence
                largest = max(largest, request.input_tokens - plain[request.custom_id])
                largest_real = max(largest_real, count(section))
        requests += len(plan.requests)
        commits += 1
        if commits == COMMITS:
            break
    ratio = statistics.mean(after) / statistics.mean(before)
    return [
        Row("input tokens per request with / without code from other files (real changes, estimate)",
            f"{ratio:.2f}", "report", None,
            f"{commits} commits of this repository, {requests} requests, {given} given code from other files; "
            f"mean {statistics.mean(after):,.0f} / {statistics.mean(before):,.0f} estimated tokens"),
        Row("the same, counted with the tokenizer on the rendered requests", f"{real_after / real_before:.2f}",
            "report", None, f"{real_after:,} / {real_before:,} tokens ({how})"),
        Row(f"largest code-from-other-files section / max-related-tokens ({BUDGET:,})",
            f"{largest / BUDGET:.2f} (tokenizer {largest_real / BUDGET:.2f})", "≤ 1",
            max(largest, largest_real) <= BUDGET,
            f"estimate {largest:,} tokens, tokenizer {largest_real:,}; choosing took {seconds:.1f}s in all"),
    ]


def big_repository(root: Path) -> tuple[str, str]:
    """50,000 Python modules committed with `git fast-import`; a branch changes one function's signature.
    Returns (base, head)."""
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream = io.BytesIO()
    per = FILES // FOLDERS
    stream.write(b"commit refs/heads/main\ncommitter B <b@example.com> 1700000000 +0000\ndata 4\nbase\n")
    for d in range(FOLDERS):
        stream.write(f"M 644 inline pkg{d}/__init__.py\ndata 0\n".encode())
        for i in range(per):
            data = _module(d, i, per).encode()
            stream.write(f"M 644 inline pkg{d}/mod{i}.py\ndata {len(data)}\n".encode() + data + b"\n")
    changed = _module(7, 7, per).replace("def helper_7_7(value, scale=1):", "def helper_7_7(value, scale=1, offset=0):")
    changed = changed.replace("    return total\n", "    return total + offset\n", 1)
    stream.write(b"commit refs/heads/feature\ncommitter B <b@example.com> 1700000100 +0000\ndata 6\nchange\n"
                 b"from refs/heads/main\n")
    stream.write(f"M 644 inline pkg7/mod7.py\ndata {len(changed.encode())}\n".encode() + changed.encode() + b"\n")
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=stream.getvalue(), check=True)
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "main"], check=True)
    rev = lambda ref: subprocess.run(["git", "-C", str(root), "rev-parse", ref], capture_output=True,  # noqa: E731
                                     text=True, check=True).stdout.strip()
    return rev("main"), rev("feature")


_VOCABULARY = [hashlib.sha256(str(n).encode()).hexdigest()[: 3 + n % 7] for n in range(2000)]


def _padding(d: int, i: int) -> str:
    """About 3.5 KB of code-like text (words of a 2,000-word vocabulary), so that the archive compresses about
    as much as real code does."""
    rng = random.Random(d * 1_000_003 + i)
    return "".join("        # " + " ".join(rng.choices(_VOCABULARY, k=10)) + "\n" for _ in range(55))


def _module(d: int, i: int, per: int) -> str:
    j = (i + 1) % per
    return "".join([
        f'"""Module {d}.{i}."""\nfrom pkg{d}.mod{j} import helper_{d}_{j}\n\nCONSTANT_{d}_{i} = {i}\n\n\n',
        f'def helper_{d}_{i}(value, scale=1):\n    """Scale a value."""\n',
        f"    total = value * scale + CONSTANT_{d}_{i}\n",
        "    for step in range(3):\n        total += step\n    return total\n\n\n",
        f"class Thing{d}_{i}:\n    def run(self, x):\n{_padding(d, i)}        return helper_{d}_{j}(x) + {i}\n",
    ])


def without_checkout(tmp: Path) -> list[Row]:
    import pytest

    from tests.fakes.anthropic_api import FakeAnthropicAPI
    from tests.fakes.github_api import FakeGitHub
    from tests.fakes.model_brain import planted_brain
    from tests.support.gitrepo import GitRepo, pull_from_git
    from tests.support.runner import RunnerEnv, run_in_process

    started = time.perf_counter()
    big_repository(tmp / "big")
    built = time.perf_counter() - started
    repo = GitRepo(tmp / "big")
    fx = pull_from_git(repo, "main", "feature")
    bare = tmp / "bare-workspace"
    bare.mkdir()
    key = "sk-ant-benchmark-key"
    from batch_review.prompt import output_schema

    output_schema()  # the SDK's one-time import (seconds, cold) is not what is measured here
    results = {}
    cache: dict[str, bytes] = {}
    for label, budget, workspace in (("with", str(BUDGET), bare), ("without", "0", bare),
                                     ("checkout", str(BUDGET), repo.path)):
        with FakeGitHub() as gh, FakeAnthropicAPI(api_key=key, brain=planted_brain) as ai:
            gh.add_pull(fx)
            if not cache:  # made before the clock starts, as GitHub serves archives from its cache
                from tests.fakes.github_archive import archive_bytes

                cache[fx.head_sha] = archive_bytes(gh, fx.head_sha)
            gh.archive_cache = cache
            env = RunnerEnv.for_pull(tmp / f"runner-{label}", fx, gh, ai, key, {
                "check-run": "false", "verify": "false", "max-related-tokens": budget})
            env.workspace = workspace
            patch = pytest.MonkeyPatch()
            began = time.perf_counter()
            try:
                result = run_in_process(env, patch)
            finally:
                patch.undo()
            wall = time.perf_counter() - began
            assert result.code == 0, result.log[-2000:]
            api = [c for c in gh.calls if not c.path.startswith("/_codeload/")]
            log_line = next((ln for ln in result.log.splitlines() if "code from other files:" in ln), "")
            results[label] = (len(api), gh.archive_bytes, wall, log_line,
                              sum(1 for r in ai.requests if "<related nonce=" in str(r.json)))
    api_with, served, wall_with, line, given = results["with"]
    api_without, _, wall_without, _, _ = results["without"]
    api_checkout, _, wall_checkout, line_checkout, _ = results["checkout"]
    read = _read_bytes(line)
    graphql = math.ceil(FILES / 40)
    return [
        Row(f"GitHub API calls, review without a checkout, {FILES:,}-file repository: with / without code from "
            "other files", f"{api_with} / {api_without}", "report", None,
            f"the archive is one API call (its codeload download is not an API call); the git tree + blobs way "
            f"would need 1 tree call + {graphql:,} GraphQL queries of 40 files to search every file for callers"),
        Row(f"archive bytes downloaded, {FILES:,}-file repository (client count / fake's count)",
            f"{read / 1e6:.1f} MB / {served / 1e6:.1f} MB", "equal", read == served,
            f"{line.split('read from ', 1)[-1] if line else 'no log line'}"),
        Row(f"wall seconds of the review without a checkout, {FILES:,}-file repository: with / without",
            f"{wall_with:.1f} / {wall_without:.1f}", "report", None,
            f"{given} request(s) given code from other files; the archive served from the fake's cache over "
            f"loopback (a runner adds its download time); generating the repository took {built:.0f}s"),
        Row("the same review with a checkout that holds the head commit: wall seconds, GitHub API calls",
            f"{wall_checkout:.1f} s, {api_checkout}", "report", None,
            line_checkout.split("read from ", 1)[-1] if line_checkout else "no log line"),
    ]


def _read_bytes(line: str) -> int:
    import re

    match = re.search(r"([\d,]+) bytes downloaded", line)
    return int(match[1].replace(",", "")) if match else -1


def figures(tmp: Path) -> list[Row]:
    return real_changes() + without_checkout(tmp)


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="batch-review-related-") as folder:
        chosen = sys.argv[1:] or ["real", "big"]
        rows = real_changes() if "real" in chosen else []
        rows += without_checkout(Path(folder)) if "big" in chosen else []
        for row in rows:
            print(f"{row.figure}: {row.value} ({row.note})")
