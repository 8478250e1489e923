"""Every tracked file of a repository at one commit, streamed (for sweeps).

Files are listed with `git ls-tree -r -z <commit>` (so .gitignore is honoured by construction and
the commit, not the working tree, is what gets swept) and read through one long-lived
`git cat-file --batch` process. A folder that is not a git repository is walked instead, honouring
its top-level .gitignore. The listing is read as git writes it and the files are yielded one by one; a
file's content is read when it is planned (and again when its request is rendered), never kept.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pathspec

from ..errors import SourceError
from ..filters import KEY_MATERIAL, FileFilter, matchable
from ..gitcmd import _SAFE_FLAGS, git, git_records, rev_parse
from .base import Collected, Skip, SourceFile
from .local_git import display_path


class BlobReader:
    """Reads blobs by id through one `git cat-file --batch` process."""

    def __init__(self, repo: Path) -> None:
        self._proc = subprocess.Popen(
            ["git", "-c", f"safe.directory={repo.resolve()}", *_SAFE_FLAGS, "cat-file", "--batch"],
            cwd=repo,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._in: IO[bytes] = self._proc.stdin  # type: ignore[assignment]
        self._out: IO[bytes] = self._proc.stdout  # type: ignore[assignment]

    def read(self, sha: str) -> bytes | None:
        self._in.write(sha.encode() + b"\n")
        self._in.flush()
        header = self._out.readline().split()
        if len(header) != 3:
            return None  # "<sha> missing"
        data = self._out.read(int(header[2]))
        self._out.read(1)
        return data

    def close(self) -> None:
        if self._proc.poll() is None:
            self._in.close()
            self._proc.wait(timeout=10)

    def loader(self, sha: str) -> Callable[[], bytes | None]:
        return BlobLoad(self, sha)


class BlobLoad:
    """One blob's loader: the reader and the blob id, nothing else (a sweep keeps one per planned file)."""

    __slots__ = ("reader", "sha")

    def __init__(self, reader: BlobReader, sha: str) -> None:
        self.reader, self.sha = reader, sha

    def __call__(self) -> bytes | None:
        return self.reader.read(self.sha)


def collect_repository(
    root: Path, commit: str | None, filt: FileFilter, *, exclude: str = ""
) -> tuple[Collected, Callable[[], None]]:
    """The tracked files under `root` at `commit` (HEAD when None), paths relative to the repository's
    top; or, for a folder outside any repository (or one the repository ignores), every file in it.
    `exclude`: a folder under `root` that is never swept (batch-review's own report folder: its state and
    memory files would otherwise "change" every run). Returns the collection and a closer for the blob reader."""
    prefix = _git_prefix(root)
    own = exclude.strip().strip("/")
    if prefix is None:
        return _collect_folder(root, filt, own), lambda: None
    sha = rev_parse(root, commit or "HEAD")
    if sha is None:
        raise SourceError(f"commit {commit or 'HEAD'} is not in the repository at {root}")
    reader = BlobReader(root)
    skipped: list[Skip] = []
    collected = Collected(files=[], skipped=skipped, head_sha=sha, label=f"{sha[:12]}")
    collected.files = _tracked_files(root, sha, prefix, filt, reader, skipped,  # type: ignore[assignment]
                                     prefix + own if own else "")
    return collected, reader.close


def _git_prefix(root: Path) -> str | None:
    """`root`'s path inside its repository ("" at the top), or None when git does not track it."""
    if not root.is_dir():
        return None
    out = git(root, "rev-parse", "--show-prefix", check=False)
    if not out:
        return None  # not inside a repository
    prefix = out.decode("utf-8", "surrogateescape").strip()
    if prefix and git(root, "check-ignore", "--no-index", "-v", ".", check=False):
        return None  # a folder the repository ignores (e.g. a virtualenv): walk it as a folder
    return prefix


def _tracked_files(
    root: Path, sha: str, prefix: str, filt: FileFilter, reader: BlobReader, skipped: list[Skip], own: str = ""
) -> Iterator[SourceFile]:
    scope = ["--", prefix] if prefix else []
    modes: dict[bytes, str] = {}  # one string per mode, shared by every file
    for record in git_records(root, "ls-tree", "-r", "-z", "--full-tree", sha, *scope):
        meta, _, raw_path = record.partition(b"\t")
        raw_mode, kind, raw_blob = meta.split()
        path = raw_path.decode("utf-8", "surrogateescape")
        if not path.isascii():
            path = display_path(path)
        if own and (path == own or path.startswith(own + "/")):
            continue
        mode = modes.get(raw_mode) or modes.setdefault(raw_mode, raw_mode.decode())
        reason = _listing_reason(mode, kind.decode(), path, filt)
        if reason == KEY_MATERIAL:  # never sent; its credentials are scanned (keyfiles.py)
            blob = raw_blob.decode()
            skipped.append(Skip(path, reason, blob, BlobLoad(reader, blob)))
            continue
        if reason:
            skipped.append(Skip(path, reason))
            continue
        blob = raw_blob.decode()
        yield SourceFile(path=path, status="tracked", mode=mode, inline=False, blob=blob,
                         load=BlobLoad(reader, blob))


def _listing_reason(mode: str, kind: str, path: str, filt: FileFilter) -> str | None:
    if mode == "160000" or kind == "commit":
        return "submodule"
    if mode == "120000":
        return "symlink"
    return filt.by_path(path)


def _collect_folder(root: Path, filt: FileFilter, own: str = "") -> Collected:
    skipped: list[Skip] = []
    ignore_file = root / ".gitignore"
    ignore = (
        pathspec.GitIgnoreSpec.from_lines(ignore_file.read_text("utf-8", "replace").splitlines())
        if ignore_file.is_file()
        else None
    )
    collected = Collected(files=[], skipped=skipped, label=str(root))
    collected.files = _walk(root, filt, ignore, skipped, own)  # type: ignore[assignment]
    return collected


def _walk(
    root: Path, filt: FileFilter, ignore: pathspec.GitIgnoreSpec | None, skipped: list[Skip], own: str = ""
) -> Iterator[SourceFile]:
    base = len(str(root)) + 1
    own_dir = os.path.join(str(root), *own.split("/")) if own else ""
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != ".git" and os.path.join(folder, d) != own_dir)
        for name in sorted(names):
            full = os.path.join(folder, name)
            path = display_path(full[base:].replace(os.sep, "/"))
            if ignore is not None and ignore.match_file(matchable(path)):
                continue
            if os.path.islink(full):
                skipped.append(Skip(path, "symlink"))
                continue
            reason = filt.by_path(path)
            if reason:
                skipped.append(Skip(path, reason, load=_file_loader(full) if reason == KEY_MATERIAL else None))
                continue
            yield SourceFile(path=path, status="tracked", inline=False, load=_file_loader(full))


def _file_loader(full: str) -> Callable[[], bytes | None]:
    def load() -> bytes | None:
        try:
            with open(full, "rb") as handle:
                return handle.read()
        except OSError:
            return None

    return load
