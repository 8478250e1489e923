"""Realistic inputs for the benchmarks: pull requests made from real code (the Python standard
library that every machine has), changed the way people change code, committed with real git."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def stdlib_sources(count: int, *, min_lines: int = 60) -> list[tuple[str, str]]:
    """`count` real Python files (path, text), deterministic, at most 400 lines each."""
    found: list[tuple[str, str]] = []
    for path in sorted(STDLIB.rglob("*.py")):
        if "site-packages" in path.parts or "test" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        lines = text.split("\n")
        if len(lines) < min_lines:
            continue
        found.append((str(path.relative_to(STDLIB)), "\n".join(lines[:400]) + "\n"))
        if len(found) == count:
            break
    return found


def edit(text: str, rng: random.Random, *, plant: bool) -> str:
    """Change a file the way a PR does: a few edited lines, an inserted block, a deleted line."""
    lines = text.split("\n")
    n = len(lines)
    for _ in range(max(1, n // 40)):
        i = rng.randrange(1, n - 1)
        lines[i] = lines[i].rstrip() + "  # adjusted" if lines[i].strip() else "    pass"
    at = rng.randrange(5, n - 5)
    block = ["    def _helper(self, value):", "        if value is None:", "            return 0",
             "        return len(str(value))"]
    if plant:
        block[2] = "            return eval(value)  # PLANT(high,security): eval of caller data"
    lines[at:at] = block
    del lines[rng.randrange(at + 10, n) if at + 10 < n else n - 2]
    return "\n".join(lines)


def pull_request(root: Path, files: int, *, seed: int = 7, omit_every: int = 0, number: int = 1) -> PullFixture:
    """A PR changing `files` real source files (one in ten carries a planted issue)."""
    rng = random.Random(seed)
    sources = stdlib_sources(files)
    repo = GitRepo.init(root)
    base = {f"src/{path}": text for path, text in sources}
    repo.commit_files(base, "base")
    repo.checkout_new_branch("feature")
    head = {path: edit(text, rng, plant=i % 10 == 0) for i, (path, text) in enumerate(sorted(base.items()))}
    repo.commit_files({**base, **head}, "feature")
    omit = [path for i, path in enumerate(sorted(head)) if omit_every and i % omit_every == 0]
    return pull_from_git(repo, "main", "feature", number, omit_patch=omit)


def changed_lines_from_git(fx: PullFixture) -> dict[str, tuple[int, int]]:
    """(added, deleted) per file, counted from git's own full diff of the PR (independent of our parser)."""
    counts: dict[str, list[int]] = {}
    current = None
    for raw in fx.diff.split(b"\n"):
        line = raw.decode("utf-8", "replace")
        if line.startswith("+++ "):
            current = line[6:] if line.startswith("+++ b/") else None
            if current is not None:
                counts.setdefault(current, [0, 0])
        elif line.startswith("--- ") or line.startswith("diff --git") or current is None:
            continue
        elif line.startswith("+"):
            counts[current][0] += 1
        elif line.startswith("-"):
            counts[current][1] += 1
    return {path: (a, d) for path, (a, d) in counts.items()}
