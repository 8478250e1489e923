"""The repository at the reviewed commit, for code from other files: from the checkout, or from GitHub's archive.

A scan answers one question in one pass: which files exist at the commit, and what do the files that hold any
of some words say. From a checkout that holds the commit (verified with git: the commit object must be there,
whatever is checked out) it is `git ls-tree` plus `git grep -F` on the commit and one `git cat-file --batch`:
nothing is checked out, fetched or run. Otherwise it is the commit's tarball from GitHub, one API call
(`GET /repos/{o}/{r}/tarball/{sha}` answers 302 to a codeload link, which for a private repository expires after
five minutes; the link is followed at once, without the token), streamed and read member by member in memory:
nothing is written to disk (`tarstream.py`), links, devices and names that are absolute or climb out with `..`
are passed over, and only files that hold a wanted word are kept. (The stage then drops any the path filter
refuses, and never parses a file whose content holds a secret.)

The git tree (`git/trees/{sha}?recursive=1`) plus blobs was the other way: it lists paths in one call (cut
at 100,000 entries), but finding callers needs every file's text, which is one GraphQL query per 40 files
(1,250 for 50,000 files, past a GITHUB_TOKEN's 1,000 points an hour). The archive costs one call.
"""

from __future__ import annotations

import posixpath
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..filters import MAX_FILE_BYTES
from ..gitcmd import _SAFE_FLAGS, git, rev_parse, safe_env
from ..log import log
from .base import PathTest, Scan, SnapshotError
from .head_content import read_blobs
from .tarstream import ArchiveError, members

if TYPE_CHECKING:
    from github.Repository import Repository

@dataclass
class GitSnapshot:
    """A commit in a local repository's object store."""

    root: Path
    commit: str

    def scan(self, words: Iterable[str], admit: PathTest, keep: PathTest) -> Scan:
        started = time.monotonic()
        listing = git(self.root, "ls-tree", "-r", "-z", "--full-tree", self.commit)
        blobs: dict[str, str] = {}
        for record in listing.split(b"\0"):
            meta, _, raw = record.partition(b"\t")
            parts = meta.split()
            if len(parts) != 3 or parts[1] != b"blob" or parts[0] not in (b"100644", b"100755"):
                continue  # links, submodules
            path = raw.decode("utf-8", "surrogateescape")
            if admit(path):
                blobs[path] = parts[2].decode()
        wanted = {p for p in blobs if keep(p)} | self._grep(sorted(set(words)), blobs)
        data = read_blobs(self.root, [blobs[p] for p in wanted])
        contents = {p: data[blobs[p]] for p in sorted(wanted)
                    if blobs[p] in data and len(data[blobs[p]]) <= MAX_FILE_BYTES}
        return Scan(sorted(blobs), contents, f"the checkout's commit {self.commit[:12]}",
                    seconds=time.monotonic() - started)

    def _grep(self, words: list[str], admitted: dict[str, str]) -> set[str]:
        words = [w for w in words if w and "\n" not in w]
        if not words:
            return set()
        root = str(self.root.resolve())
        env = {**safe_env(), "GIT_NO_LAZY_FETCH": "1"}
        patterns = "".join(w + "\n" for w in words).encode()
        try:
            proc = subprocess.run(
                ["git", "-c", f"safe.directory={root}", *_SAFE_FLAGS, "grep", "-l", "-z", "-I", "-F",
                 "--no-color", "--no-textconv", "-f", "-", self.commit, "--"],
                cwd=self.root, input=patterns, capture_output=True, check=False, env=env, timeout=600,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise SnapshotError(f"git grep could not run: {exc}") from None
        if proc.returncode not in (0, 1):
            raise SnapshotError(f"git grep failed: {proc.stderr.decode('utf-8', 'replace').strip()[-200:]}")
        prefix = self.commit + ":"
        found = set()
        for item in proc.stdout.split(b"\0"):
            name = item.decode("utf-8", "surrogateescape")
            if name.startswith(prefix) and name[len(prefix):] in admitted:
                found.add(name[len(prefix):])
        return found


@dataclass
class ArchiveSnapshot:
    """A commit's tarball from GitHub, read as it streams in."""

    repo: Repository
    commit: str
    timeout: float = 300.0
    refused: list[str] = field(default_factory=list)  # members passed over (links, unsafe names)

    def scan(self, words: Iterable[str], admit: PathTest, keep: PathTest) -> Scan:
        import requests
        from ahocorasick_rs import BytesAhoCorasick
        from github.GithubException import GithubException

        started = time.monotonic()
        needles = sorted({w.encode("utf-8", "surrogateescape") for w in words if w})
        automaton = BytesAhoCorasick(needles) if needles else None
        try:
            link = self.repo.get_archive_link("tarball", self.commit)
        except GithubException as exc:
            raise SnapshotError(f"GitHub refused the archive of {self.commit[:12]} ({exc.status})") from None
        except requests.RequestException as exc:
            raise SnapshotError(f"could not reach GitHub for the archive: {exc}") from None
        scan = Scan([], {}, f"GitHub's archive of {self.commit[:12]}", github_calls=1)
        try:  # the link carries its own short-lived token: the API token is not sent to it
            with requests.get(link, stream=True, timeout=(30, self.timeout)) as response:
                if response.status_code != 200:
                    raise SnapshotError(f"the archive link answered HTTP {response.status_code}")
                counted = _Counted(response.raw)
                self._read(counted, automaton, admit, keep, scan)
                scan.bytes_read = counted.count
        except (requests.RequestException, ArchiveError, OSError) as exc:
            raise SnapshotError(f"could not read the archive: {type(exc).__name__}: {exc}") from None
        scan.paths.sort()
        scan.seconds = time.monotonic() - started
        if self.refused:
            log.info(f"archive: {len(self.refused)} member(s) passed over (links or unsafe names)")
        return scan

    def _read(self, stream: _Counted, automaton: Any, admit: PathTest, keep: PathTest, scan: Scan) -> None:
        admitted: dict[str, str | None] = {}  # member name -> its path when admitted (decided once)

        def decide(name: str) -> str | None:
            if name not in admitted:
                path = member_path(name)
                admitted.clear()  # one member at a time: the dict holds the current one only
                admitted[name] = path if path is not None and admit(path) else None
            return admitted[name]

        def wanted(name: str, size: int) -> bool:
            return decide(name) is not None and size <= MAX_FILE_BYTES

        for member, headers in members(stream, wanted):
            comment = headers.get("comment")
            if comment and comment != self.commit:
                raise SnapshotError(f"the archive is of commit {comment[:12]}, not {self.commit[:12]}")
            if member.kind in ("symlink", "hardlink", "other") or (member.kind == "file"
                                                                   and member_path(member.name) is None):
                self.refused.append(member.name)
            path = decide(member.name) if member.kind == "file" else None
            if path is None:
                continue
            scan.paths.append(path)
            data = member.data
            if data is not None and (keep(path) or (automaton is not None
                                                    and automaton.find_matches_as_indexes(data))):
                scan.contents[path] = data


def member_path(name: str) -> str | None:
    """A member's path inside the repository (GitHub puts every file under one `<owner>-<repo>-<sha>/` folder),
    or None for a name that is absolute, climbs with `..`, or is that folder itself."""
    if name.startswith("/") or "\\" in name or "\0" in name:
        return None
    parts = name.split("/")
    if any(p == ".." for p in parts) or len(parts) < 2:
        return None
    path = posixpath.normpath("/".join(parts[1:]))
    return None if path in (".", "") or path.startswith("../") else path


class _Counted:
    """A read-only stream that counts the bytes read through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.count = raw, 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data


@dataclass
class HeadRepository:
    """A pull request's head commit: the checkout's objects when they hold it, else GitHub's archive."""

    repo: Repository
    commit: str
    workspace: Path | None

    def scan(self, words: Iterable[str], admit: PathTest, keep: PathTest) -> Scan:
        words = list(words)
        if self.workspace is not None and self.workspace.is_dir() and _holds(self.workspace, self.commit):
            try:
                return GitSnapshot(self.workspace, self.commit).scan(words, admit, keep)
            except SnapshotError as exc:  # a partial clone without the blobs, say
                log.info(f"the checkout could not be read ({exc}); reading GitHub's archive instead")
        return ArchiveSnapshot(self.repo, self.commit).scan(words, admit, keep)


def _holds(workspace: Path, commit: str) -> bool:
    try:
        return rev_parse(workspace, commit) == commit
    except Exception:  # not a repository, git missing: the archive then
        return False
