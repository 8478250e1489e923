"""Running `git` safely on a checkout we do not trust.

No repository configuration can make these commands run code: external diff drivers, textconv
filters and fsmonitor hooks are switched off on every call, paths are read NUL-separated (never
C-quoted), and the workspace is marked safe for this process only (the container runs as root over
a checkout owned by another user).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from .errors import SourceError

_SAFE_FLAGS = (
    "-c", "core.quotepath=off",
    "-c", "core.fsmonitor=false",
    "-c", "core.autocrlf=false",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "-c", "color.ui=never",
)


def git(repo: Path, *args: str, check: bool = True, input: bytes | None = None) -> bytes:
    cmd = ["git", "-c", f"safe.directory={repo.resolve()}", *_SAFE_FLAGS, *args]
    try:
        proc = subprocess.run(cmd, cwd=repo, input=input, capture_output=True, check=False)
    except FileNotFoundError:
        raise SourceError("git is not installed") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout


def repo_root(path: Path) -> Path:
    out = git(path, "rev-parse", "--show-toplevel", check=False).decode().strip()
    if not out:
        raise SourceError(f"{path} is not inside a git repository")
    return Path(out)


def rev_parse(repo: Path, ref: str) -> str | None:
    out = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    sha = out.decode().strip()
    return sha or None


DIFF_FLAGS = ("--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/")


def diff_blobs(old: bytes, new: bytes, context: int = 3) -> str:
    """A unified diff of two versions of one file, computed by `git diff --no-index` (fast, in C)."""
    with tempfile.TemporaryDirectory(prefix="batch-review-") as tmp:
        a, b = Path(tmp, "a"), Path(tmp, "b")
        a.write_bytes(old)
        b.write_bytes(new)
        proc = subprocess.run(
            ["git", *_SAFE_FLAGS, "diff", "--no-index", f"-U{context}", *DIFF_FLAGS, "--", str(a), str(b)],
            capture_output=True,
            check=False,
        )
    if proc.returncode not in (0, 1):
        raise SourceError(f"git diff --no-index failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout.decode("utf-8", "replace")
