"""A generated repository of many files for the sweep planning figure, committed with real git.

The files are the Python standard library's own modules (present on every machine), each cut to its
first `LINES` lines and given a first line of its own (so every file is a distinct blob, read and
hashed like any other), copied under `copyNNN/` until there are `count` of them. One `git fast-import`
writes the commit straight into the object store; nothing is checked out (a sweep reads the commit).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.gitrepo import GitRepo, git_env

from .fixtures import STDLIB

LINES = 120


def stdlib_modules() -> list[tuple[str, bytes]]:
    """Every standard-library module outside site-packages and tests (path, first LINES lines)."""
    out = []
    for path in sorted(STDLIB.rglob("*.py")):
        if "site-packages" in path.parts or "test" in path.parts or "tests" in path.parts:
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        head = b"\n".join(data.split(b"\n")[:LINES]).rstrip(b"\n") + b"\n"
        if head.strip():
            out.append((path.relative_to(STDLIB).as_posix(), head))
    return out


def make_tree(where: Path, count: int) -> tuple[Path, int]:
    """A repository at `where` whose HEAD holds `count` files; (its path, the bytes committed)."""
    repo = GitRepo.init(where)
    modules = stdlib_modules()
    total = 0
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=where, stdin=subprocess.PIPE, env=git_env())
    assert proc.stdin is not None
    stream = proc.stdin
    message = b"a generated tree"
    stream.write(b"commit refs/heads/main\ncommitter Bench <bench@example.com> 1704067200 +0000\n"
                 b"data %d\n%s\n" % (len(message), message))
    for n in range(count):
        path, data = modules[n % len(modules)]
        body = b"# copy %d of %s\n" % (n // len(modules), path.encode()) + data
        total += len(body)
        stream.write(b"M 100644 inline copy%03d/%s\ndata %d\n%s\n" % (n // len(modules), path.encode(),
                                                                        len(body), body))
    stream.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    repo.run("symbolic-ref", "HEAD", "refs/heads/main")
    return where, total
