"""The eval's git repositories: real git, fixed names and dates, so commit ids are the same everywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="batch-review eval", GIT_AUTHOR_EMAIL="eval@example.invalid",
        GIT_COMMITTER_NAME="batch-review eval", GIT_COMMITTER_EMAIL="eval@example.invalid",
        GIT_AUTHOR_DATE="2024-01-01T00:00:00+0000", GIT_COMMITTER_DATE="2024-01-01T00:00:00+0000",
        LC_ALL="C",
    )
    return env


def git(repo: Path, *args: str, input: bytes | None = None, check: bool = True) -> str:
    proc = subprocess.run(["git", "-c", "core.autocrlf=false", "-c", "commit.gpgsign=false", *args], cwd=repo,
                          input=input, capture_output=True, env=git_env(), check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"error: git {' '.join(args)} failed in {repo}: "
                         f"{proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout.decode("utf-8", "replace")


def new_repository(repo: Path) -> Path:
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "core.hooksPath", os.devnull)
    return repo


def commit_tree(repo: Path, files: dict[str, bytes], message: str, orphan: str = "") -> None:
    """Commit `files` on top of the checked-out commit; with `orphan`, as the whole tree of a new root commit
    on that branch."""
    if orphan:
        git(repo, "checkout", "-q", "--orphan", orphan)
        git(repo, "rm", "-rq", "--cached", "--ignore-unmatch", ".")
        for child in repo.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    for path, data in files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
