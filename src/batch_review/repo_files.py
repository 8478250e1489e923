"""Repository files as they are at one commit, or in the working tree: where a run's settings come from.

A pull request's review reads its config file, instructions and guidance files at the pull request's *base*
commit, never its head, so a pull request cannot weaken its own review. They come from the checkout's git
objects when it holds that commit (content-addressed: safe even when the working tree is the PR's head),
else through GitHub's GraphQL API, every file of one `read` in one query. Sweeps and the local CLI read the
working tree, as a user expects.

At a commit a symlink is a blob of mode 120000 that holds its target's path; it is refused, never followed.
In the working tree a link is followed only when it stays inside the repository.
"""

from __future__ import annotations

import posixpath
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, GitHubError, RunError
from .gitcmd import git, rev_parse

if TYPE_CHECKING:
    from github.Requester import Requester

MAX_BYTES = 1_000_000  # no setting or guidance file is anywhere near this
SYMLINK_MODE = 0o120000
GRAPHQL_ATTEMPTS = 3


@dataclass(frozen=True)
class RepoText:
    """A file's text, or why it has none (`problem`: "is a symlink", "is binary", …)."""

    path: str
    text: str | None
    problem: str = ""


def clean_path(name: str) -> str | None:
    """`name` as a path inside the repository ("a/b.md"), or None when it points outside it."""
    name = name.strip()
    if not name or name.startswith("/") or "\\" in name or "\0" in name or "\n" in name:
        return None
    normal = posixpath.normpath(name)
    parts = normal.split("/")
    if normal in (".", "") or ".." in parts or parts[0] == ".git":
        return None
    return normal


def from_bytes(path: str, data: bytes) -> RepoText:
    if len(data) > MAX_BYTES:
        return RepoText(path, None, f"is larger than {MAX_BYTES // 1_000_000} MB")
    if b"\0" in data[:8192]:
        return RepoText(path, None, "is binary")
    try:
        return RepoText(path, data.decode("utf-8"))
    except UnicodeDecodeError:
        return RepoText(path, None, "is not UTF-8 text")


class RepoFiles(ABC):
    """Reads repository files by path; a path that does not exist is absent from the answer."""

    where: str  # for messages: "in the working tree", "at 1a2b3c4 (base of #7)"
    how: str = ""  # for the log: how the files are read, when that is worth saying

    @abstractmethod
    def read(self, paths: Sequence[str]) -> dict[str, RepoText]: ...


class WorkingTree(RepoFiles):
    """The files on disk under `root`; a symlink is followed only while it stays inside `root`."""

    def __init__(self, root: Path, where: str = "in the working tree") -> None:
        self.root = root
        self.where = where

    def read(self, paths: Sequence[str]) -> dict[str, RepoText]:
        top = self.root.resolve()
        found: dict[str, RepoText] = {}
        for path in dict.fromkeys(paths):
            full = (self.root / path).resolve()
            if not full.is_relative_to(top):
                found[path] = RepoText(path, None, "leads outside the repository")
            elif full.is_dir():
                found[path] = RepoText(path, None, "is a folder")
            elif full.is_file():
                try:
                    found[path] = from_bytes(path, full.read_bytes())
                except OSError as exc:
                    found[path] = RepoText(path, None, f"cannot be read ({exc.strerror or exc})")
        return found


class GitCommit(RepoFiles):
    """The files of commit `sha` in the git objects of the checkout at `root` (two git calls a read)."""

    how = "from the checkout's git objects"

    def __init__(self, root: Path, sha: str, where: str) -> None:
        self.root, self.sha, self.where = root, sha, where

    def read(self, paths: Sequence[str]) -> dict[str, RepoText]:
        wanted = list(dict.fromkeys(paths))
        if not wanted:
            return {}
        listing = git(self.root, "--literal-pathspecs", "ls-tree", "-z", "--full-tree", self.sha, "--", *wanted)
        found: dict[str, RepoText] = {}
        blobs: dict[str, str] = {}
        for record in listing.split(b"\0"):
            meta, _, raw = record.partition(b"\t")
            path = raw.decode("utf-8", "surrogateescape")
            if not record or path not in wanted:
                continue
            mode, kind, oid = meta.decode().split()
            if int(mode, 8) == SYMLINK_MODE:
                found[path] = RepoText(path, None, "is a symlink")
            elif kind != "blob":
                found[path] = RepoText(path, None, "is a folder" if kind == "tree" else "is a submodule")
            else:
                blobs[path] = oid
        if blobs:
            out = git(self.root, "cat-file", "--batch", input="".join(f"{oid}\n" for oid in blobs.values()).encode())
            position = 0
            for path, _oid in blobs.items():
                end = out.index(b"\n", position)
                header = out[position:end].split()
                position = end + 1
                if len(header) != 3:  # "<oid> missing": a partial clone without this blob
                    found[path] = RepoText(path, None, "is not in the checkout's git objects")
                    continue
                size = int(header[2])
                found[path] = from_bytes(path, out[position : position + size])
                position += size + 1
        return found


class GraphQLFiles(RepoFiles):
    """The files of commit `sha` through GitHub's GraphQL API: one query a read, with each file's blob
    (`object(expression: "<sha>:<path>")`) and the entries of its folder (for the mode: symlinks)."""

    how = "through GitHub's GraphQL API"

    def __init__(self, requester: Callable[[], Requester], repository: str, sha: str, where: str) -> None:
        self._requester = requester
        self.owner, _, self.name = repository.partition("/")
        self.sha, self.where = sha, where

    def read(self, paths: Sequence[str]) -> dict[str, RepoText]:
        wanted = list(dict.fromkeys(paths))
        if not wanted:
            return {}
        folders = list(dict.fromkeys(posixpath.dirname(p) for p in wanted))
        variables: dict[str, Any] = {"owner": self.owner, "name": self.name}
        declared, fields = ["$owner: String!", "$name: String!"], []
        for i, path in enumerate(wanted):
            variables[f"file{i}"] = f"{self.sha}:{path}"
            declared.append(f"$file{i}: String!")
            fields.append(f"f{i}: object(expression: $file{i}) {{ __typename ... on Blob "
                          "{ text isBinary byteSize isTruncated } }")
        for j, folder in enumerate(folders):
            variables[f"folder{j}"] = f"{self.sha}:{folder}"
            declared.append(f"$folder{j}: String!")
            fields.append(f"d{j}: object(expression: $folder{j}) {{ ... on Tree {{ entries {{ name mode }} }} }}")
        query = (f"query ({', '.join(declared)}) {{ repository(owner: $owner, name: $name) {{ "
                 + " ".join(fields) + " } }")
        repository = self._query(query, variables, wanted)
        modes: dict[str, int] = {}
        for j, folder in enumerate(folders):
            for entry in ((repository.get(f"d{j}") or {}).get("entries") or []):
                modes[posixpath.join(folder, str(entry.get("name")))] = int(entry.get("mode") or 0)
        found: dict[str, RepoText] = {}
        for i, path in enumerate(wanted):
            blob = repository.get(f"f{i}")
            if blob is None:
                continue  # no such path at this commit
            if modes.get(path) == SYMLINK_MODE:
                found[path] = RepoText(path, None, "is a symlink")
            elif blob.get("__typename") != "Blob":
                kind = "is a folder" if blob.get("__typename") == "Tree" else "is not a file"
                found[path] = RepoText(path, None, kind)
            elif blob.get("isBinary") or blob.get("text") is None:
                found[path] = RepoText(path, None, "is binary")
            elif blob.get("isTruncated") or int(blob.get("byteSize") or 0) > MAX_BYTES:
                found[path] = RepoText(path, None, f"is larger than {MAX_BYTES // 1_000_000} MB")
            else:
                found[path] = RepoText(path, str(blob["text"]))
        return found

    def _query(self, query: str, variables: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        """The `repository` object of the answer; a lost or failed answer is asked again (it only reads)."""
        from github.GithubException import GithubException
        from requests import RequestException

        from .github_client import describe

        what = f"{', '.join(paths)} {self.where} through GitHub's GraphQL API"
        for attempt in range(1, GRAPHQL_ATTEMPTS + 1):
            try:
                _, data = self._requester().graphql_query(query, variables)
                break
            except GithubException as exc:
                if exc.status < 500 or attempt == GRAPHQL_ATTEMPTS:
                    raise GitHubError(f"could not read {what}: {describe(exc)}") from None
            except RequestException as exc:
                if attempt == GRAPHQL_ATTEMPTS:
                    raise GitHubError(f"could not reach GitHub to read {what}: {exc}") from None
            time.sleep(0.5 * 2 ** (attempt - 1))
        repository = (data.get("data") or {}).get("repository")
        if not isinstance(repository, dict):
            raise GitHubError(f"could not read {what}: the repository {self.owner}/{self.name} was not found")
        return repository


def at_commit(
    workspace: Path | None, sha: str, where: str, api: Callable[[], Requester] | None, repository: str
) -> RepoFiles:
    """Files at `sha`: from the checkout when it holds that commit, else through the API."""
    try:
        if workspace is not None and workspace.is_dir() and rev_parse(workspace, sha):
            return GitCommit(workspace, sha, where)
    except RunError:
        pass  # not a repository, or git cannot read it: ask GitHub
    if api is None:
        raise ConfigError(
            f"the settings must be read {where}, a commit the checkout does not hold, and github-token is empty; "
            "pass `github-token: ${{ github.token }}` (the default)"
        )
    return GraphQLFiles(api, repository, sha, where)
