"""Running `git` safely on a checkout we do not trust.

No repository content or configuration can make these commands run code: external diff drivers
(`--no-ext-diff`), textconv (`--no-textconv`), fsmonitor and hooks are switched off on every call,
and every clean/smudge filter the configuration defines is overridden to nothing (a `.gitattributes`
in a pull request may name any of them, and `git diff` against the working tree would run it). Paths
are read NUL-separated (never C-quoted), optional index writes are off, and the workspace is marked
safe for this process only (the container runs as root over a checkout owned by another user).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from .errors import SourceError

_SAFE_FLAGS = (
    "-c", "core.quotepath=off",
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.autocrlf=false",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "-c", "diff.external=",
    "-c", "color.ui=never",
)
_FILTER_KEYS = ("clean", "smudge", "process")


def safe_env() -> dict[str, str]:
    """The environment for git: no pager, no prompts, no opportunistic index writes."""
    env = dict(os.environ)
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", PAGER="cat")
    env.pop("GIT_EXTERNAL_DIFF", None)
    return env


@lru_cache(maxsize=16)
def _filter_overrides(repo: str) -> tuple[str, ...]:
    """`-c filter.<name>.clean=` (and smudge, process) for every filter driver git's config defines."""
    proc = subprocess.run(
        ["git", "-c", f"safe.directory={repo}", "config", "-z", "--name-only", "--get-regexp", r"^filter\."],
        cwd=repo, capture_output=True, check=False, env=safe_env(),
    )
    names = {
        key.decode("utf-8", "surrogateescape")[len("filter."):].rpartition(".")[0]
        for key in proc.stdout.split(b"\0") if key
    }
    flags: list[str] = []
    for name in sorted(n for n in names if n):
        for key in _FILTER_KEYS:
            flags += ["-c", f"filter.{name}.{key}="]
        flags += ["-c", f"filter.{name}.required=false"]
    return tuple(flags)


def git(repo: Path, *args: str, check: bool = True, input: bytes | None = None) -> bytes:
    if not repo.is_dir():
        raise SourceError(f"{repo} is not a directory")
    root = str(repo.resolve())
    try:
        cmd = ["git", "-c", f"safe.directory={root}", *_SAFE_FLAGS, *_filter_overrides(root), *args]
        proc = subprocess.run(cmd, cwd=repo, input=input, capture_output=True, check=False, env=safe_env())
    except FileNotFoundError:
        raise SourceError("git is not installed") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout


def git_records(repo: Path, *args: str, chunk: int = 1 << 16) -> Iterator[bytes]:
    """`git <args>`'s NUL-separated output, one record at a time as git writes it (a 100,000-file listing is
    never held whole). Raises SourceError once the output is read if git failed."""
    if not repo.is_dir():
        raise SourceError(f"{repo} is not a directory")
    root = str(repo.resolve())
    cmd = ["git", "-c", f"safe.directory={root}", *_SAFE_FLAGS, *_filter_overrides(root), *args]
    try:
        proc = subprocess.Popen(cmd, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=safe_env())
    except FileNotFoundError:
        raise SourceError("git is not installed") from None
    assert proc.stdout is not None and proc.stderr is not None
    with proc:
        rest = b""
        while block := proc.stdout.read(chunk):
            *records, rest = (rest + block).split(b"\0")
            yield from (r for r in records if r)
        if rest:
            yield rest
        error = proc.stderr.read()
    if proc.returncode != 0:
        message = error.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")


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
            cwd=tmp,  # outside any repository: no repository configuration applies
            env=safe_env(),
        )
    if proc.returncode not in (0, 1):
        raise SourceError(f"git diff --no-index failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return proc.stdout.decode("utf-8", "replace")
