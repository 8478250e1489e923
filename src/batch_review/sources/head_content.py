"""A pull request's files as they are at its head commit, in as few calls as possible.

GitHub's file list names each file's head blob. When the workspace's git objects hold that blob (a
checkout of the pull request, or of its merge commit, holds most of them), it is read from there:
one `git cat-file --batch` for all files, no API call, nothing checked out or run. The rest come
from GitHub's GraphQL API, many files per query (`object(expression: "<head>:<path>")` aliases,
`GRAPHQL_FILES` a query; a query GitHub cannot serve is split in halves), never one contents call
per file. A file that cannot be had (truncated by GitHub, missing, a failed query) reads as None
with the reason in `HeadLoader.unavailable`: its change is then shown as hunks alone, never a
failure.

Files are fetched when `fetch_head_contents` is given the final list (the planner does this for the
files it plans), or one at a time when a loader is called first.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..gitcmd import _SAFE_FLAGS, safe_env
from ..log import log
from ..words import plural
from .base import Skip, SourceFile

if TYPE_CHECKING:
    from github.Repository import Repository

GRAPHQL_FILES = 40  # blobs per GraphQL query (one point of GraphQL's rate limit, whatever the count)
MAX_SPLITS = 6  # a query GitHub cannot serve (a timeout, a 502: too much text at once) is split in halves
_BLOB_FIELDS = "... on Blob { text isBinary byteSize isTruncated }"


@dataclass(eq=False)
class HeadLoader:
    """`SourceFile.load` for a pull request's file: its head content, fetched with its neighbours."""

    store: HeadContents
    path: str
    blob: str | None
    unavailable: str = ""

    def __call__(self) -> bytes | None:
        return self.store.get(self)


@dataclass(eq=False)
class HeadContents:
    repo: Repository
    head_sha: str
    workspace: Path | None = None
    calls: int = 0  # GraphQL queries sent
    _data: dict[str, bytes | None] = field(default_factory=dict)
    _refused: str = ""
    _splits: int = 0

    def loader(self, path: str, blob: str | None) -> HeadLoader:
        return HeadLoader(self, path, blob)

    def get(self, loader: HeadLoader) -> bytes | None:
        if loader.path not in self._data:
            self.fetch([loader])
        return self._data.get(loader.path)

    def fetch(self, loaders: Iterable[HeadLoader]) -> None:
        wanted = {item.path: item for item in loaders if item.path not in self._data}
        if not wanted:
            return
        if self.workspace is not None:
            found = read_blobs(self.workspace, [item.blob for item in wanted.values() if item.blob])
            for path, item in list(wanted.items()):
                if item.blob and item.blob in found:
                    self._data[path] = found[item.blob]
                    del wanted[path]
        if wanted:
            self._graphql(list(wanted.values()))

    def _graphql(self, loaders: list[HeadLoader]) -> None:
        pending = [loaders[i : i + GRAPHQL_FILES] for i in range(0, len(loaders), GRAPHQL_FILES)]
        while pending:
            chunk = pending.pop(0)
            if self._refused:
                self._give_up(chunk, self._refused)
                continue
            self.calls += 1
            try:
                result = self._query(chunk)
            except Exception as exc:  # never a failure: the change is shown as hunks
                why = _describe(exc)
                if _refusal(exc):
                    self._refused = f"GitHub's GraphQL API refused the query: {why}"  # the same for every query
                    self._give_up(chunk, self._refused)
                elif len(chunk) > 1 and self._splits < MAX_SPLITS:  # too much at once (a timeout, a 502)
                    self._splits += 1
                    half = len(chunk) // 2
                    pending[:0] = [chunk[:half], chunk[half:]]
                else:
                    self._give_up(chunk, f"GitHub's GraphQL API failed: {why}")
                continue
            for index, item in enumerate(chunk):
                self._data[item.path] = _decode(item, result.get(f"f{index}"))

    def _give_up(self, chunk: list[HeadLoader], why: str) -> None:
        log.info(f"head content of {plural(len(chunk), 'file')} not read: {why}")
        for item in chunk:
            item.unavailable = why
            self._data[item.path] = None

    def _query(self, chunk: list[HeadLoader]) -> dict[str, Any]:
        from github.GithubException import GithubException

        owner, _, name = self.repo.full_name.partition("/")
        names = [f"$e{i}: String!" for i in range(len(chunk))]
        fields = [f"f{i}: object(expression: $e{i}) {{ {_BLOB_FIELDS} }}" for i in range(len(chunk))]
        query = (f"query($owner: String!, $name: String!, {', '.join(names)}) "
                 f"{{ repository(owner: $owner, name: $name) {{ {' '.join(fields)} }} }}")
        variables: dict[str, Any] = {"owner": owner, "name": name}
        variables.update({f"e{i}": f"{self.head_sha}:{item.path}" for i, item in enumerate(chunk)})
        try:
            _, data = self.repo.requester.graphql_query(query, variables)
        except GithubException as exc:  # errors with HTTP 200: keep what the response did carry
            data = exc.data if isinstance(exc.data, dict) else {}
            if not isinstance(data.get("data"), dict):
                raise
            log.info(f"GitHub's GraphQL API answered with errors: {_describe(exc)}")
        repository = (data.get("data") or {}).get("repository")
        return repository if isinstance(repository, dict) else {}

def _decode(item: HeadLoader, blob: Any) -> bytes | None:
    if not isinstance(blob, dict):
        item.unavailable = "not found at the head commit"
        return None
    if blob.get("isBinary"):
        item.unavailable = "binary"
        return None
    if blob.get("isTruncated") or not isinstance(blob.get("text"), str):
        size = blob.get("byteSize")
        item.unavailable = "truncated by GitHub" + (f": {size:,} bytes" if isinstance(size, int) else "")
        return None
    return str(blob["text"]).encode("utf-8", "surrogatepass")


def fetch_head_contents(files: Iterable[SourceFile | Skip]) -> None:
    """Fetch the head content of these files now, all at once (per pull request: one read of the
    workspace, then GraphQL queries of many files each). Files of other sources are left alone; so is a
    skipped file without a loader (only key material keeps one, for the credential scan)."""
    by_store: dict[int, tuple[HeadContents, list[HeadLoader]]] = {}
    for source in files:
        load = getattr(source.load, "inner", source.load)  # scrub.RedactedLoader wraps the head's loader
        if isinstance(load, HeadLoader):
            by_store.setdefault(id(load.store), (load.store, []))[1].append(load)
    for store, loaders in by_store.values():
        store.fetch(loaders)


def read_blobs(workspace: Path, blobs: list[str]) -> dict[str, bytes]:
    """The blobs the workspace's object store holds, by id, read by one `git cat-file --batch`. Never
    fetches (a partial clone's missing blobs stay missing) and never fails: a workspace that is not a
    repository simply holds none."""
    wanted = sorted({b for b in blobs if len(b) == 40 and all(c in "0123456789abcdef" for c in b.lower())})
    if not wanted or not workspace.is_dir():
        return {}
    env = {**safe_env(), "GIT_NO_LAZY_FETCH": "1"}
    try:
        proc = subprocess.run(
            ["git", "-c", f"safe.directory={workspace.resolve()}", *_SAFE_FLAGS, "cat-file", "--batch"],
            cwd=workspace, input="".join(b + "\n" for b in wanted).encode(), capture_output=True, check=False,
            env=env, timeout=300,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    return _parse_batch(proc.stdout) if proc.returncode == 0 else {}


def _parse_batch(out: bytes) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    at = 0
    while at < len(out):
        end = out.find(b"\n", at)
        if end < 0:
            break
        header = out[at:end].split()
        at = end + 1
        if len(header) != 3:
            continue  # "<id> missing"
        size = int(header[2])
        if header[1] == b"blob":
            found[header[0].decode()] = out[at : at + size]
        at += size + 1
    return found


_REFUSALS = ("FORBIDDEN", "RATE_LIMITED", "INSUFFICIENT_SCOPES", "NOT_FOUND", "UNAUTHORIZED")


def _refusal(exc: Exception) -> bool:
    """A refusal that every further query would get too (no permission, rate limited, no repository), as
    opposed to a query GitHub could not serve (a 5xx, a timeout: sent again in smaller parts)."""
    status = getattr(exc, "status", None)
    if not isinstance(status, int) or status >= 500:
        return False
    if status != 400:
        return True  # 401, 403, 404, 429: HTTP-level refusals
    data = getattr(exc, "data", None)  # PyGithub's 400 for a 200 answer carrying `errors`
    errors = data.get("errors") if isinstance(data, dict) else None
    kinds = {e.get("type") for e in errors if isinstance(e, dict)} if isinstance(errors, list) else set()
    return bool(kinds & set(_REFUSALS))


def _describe(exc: Exception) -> str:
    from github.GithubException import GithubException

    from ..github_client import describe

    return describe(exc) if isinstance(exc, GithubException) else f"{type(exc).__name__}: {exc}"
