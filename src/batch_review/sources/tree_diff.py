"""The changed files GitHub's pull-request listing leaves out (it stops at 3,000), found without a checkout.

The merge base's tree and the head's tree are compared by blob id: `git/trees/{sha}?recursive=1` for each
(two requests). When GitHub cuts a recursive listing (`truncated`: past 100,000 entries or 7 MB), the trees
are walked one level at a time instead, descending only into the sub-trees whose ids differ, so an unchanged
directory costs nothing however large. Each file the listing left out is then diffed from its two blobs,
read in batches (the workspace's objects, else GraphQL, 40 files a query; REST for a blob GraphQL truncates).
Without a listing there is no rename detection: a renamed file is a deletion and an addition.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..filters import KEY_MATERIAL, FileFilter, content_reason
from ..gitcmd import diff_blobs
from .base import Skip, SourceFile
from .head_content import HeadContents, HeadLoader

if TYPE_CHECKING:
    from github.Repository import Repository

LINK_MODE = "120000"
GITLINK = "commit"  # a submodule's entry


@dataclass(frozen=True)
class Entry:
    mode: str
    type: str  # blob, tree, commit
    sha: str


@dataclass(frozen=True)
class Change:
    """One file that differs between the two trees."""

    path: str
    base: Entry | None  # None: added
    head: Entry | None  # None: removed

    @property
    def status(self) -> str:
        if self.base is None:
            return "added"
        if self.head is None:
            return "removed"
        return "modified" if self.base.sha != self.head.sha else "changed"  # changed: the mode alone


class TreeTooLarge(Exception):
    """A single directory GitHub cannot list whole: the files past the listing stay unknown."""


class TreeDiff:
    """The files that differ between two commits' trees, by blob id; `calls`: the requests it took."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.calls = 0
        self.walked = False  # a recursive listing was truncated: the trees were walked level by level

    def changes(self, base: str, head: str) -> list[Change]:
        """Raises GithubException when GitHub cannot list a tree, TreeTooLarge when it cuts one directory."""
        old, cut_old = self._recursive(base)
        new, cut_new = self._recursive(head)
        if cut_old or cut_new:
            self.walked = True
            out: list[Change] = []
            self._walk(self._tree_id(old, base), self._tree_id(new, head), "", out)
            return sorted(out, key=lambda c: c.path)
        return [Change(p, old.get(p), new.get(p)) for p in sorted(old.keys() | new.keys())
                if _differs(old.get(p), new.get(p))]

    def _recursive(self, commit: str) -> tuple[dict[str, Entry], bool]:
        self.calls += 1
        tree = self.repo.get_git_tree(commit, recursive=True)
        entries = {e.path: Entry(e.mode, e.type, e.sha) for e in tree.tree if e.type != "tree"}
        entries[""] = Entry("040000", "tree", tree.sha)  # the root, for a walk
        return entries, bool(tree.raw_data.get("truncated"))

    @staticmethod
    def _tree_id(entries: dict[str, Entry], commit: str) -> str:
        return entries[""].sha if "" in entries else commit

    def _level(self, sha: str) -> dict[str, Entry]:
        self.calls += 1
        tree = self.repo.get_git_tree(sha, recursive=False)
        if tree.raw_data.get("truncated"):
            raise TreeTooLarge(f"GitHub cut the listing of one directory (tree {sha[:12]})")
        return {e.path: Entry(e.mode, e.type, e.sha) for e in tree.tree}

    def _walk(self, base: str | None, head: str | None, prefix: str, out: list[Change]) -> None:
        if base == head:
            return
        old = self._level(base) if base else {}
        new = self._level(head) if head else {}
        for name in sorted(old.keys() | new.keys()):
            a, b = old.get(name), new.get(name)
            if a == b:
                continue
            a_dir, b_dir = a is not None and a.type == "tree", b is not None and b.type == "tree"
            if a_dir or b_dir:
                self._walk(a.sha if a is not None and a_dir else None, b.sha if b is not None and b_dir else None,
                           f"{prefix}{name}/", out)
            a_file, b_file = (a if not a_dir else None), (b if not b_dir else None)
            if a_file is not None or b_file is not None:
                out.append(Change(prefix + name, a_file, b_file))


def _differs(a: Entry | None, b: Entry | None) -> bool:
    return a != b and not (a is not None and a.type == "tree") and not (b is not None and b.type == "tree")


@dataclass
class Unlisted:
    files: list[SourceFile]
    skipped: list[Skip]
    blob_calls: int  # REST blob requests (for a blob GraphQL truncated)


def beyond_listing(repo: Repository, changes: list[Change], listed: set[str], filt: FileFilter,
                   heads: HeadContents, base_commit: str, workspace: Path | None) -> Unlisted:
    """The changed files of `changes` the listing did not name (`listed`: its paths and renamed files' old
    paths), as files to review, diffed from their blobs, or skipped with a reason."""
    files: list[SourceFile] = []
    skipped: list[Skip] = []
    bases = HeadContents(repo, base_commit, workspace)
    pending: list[tuple[SourceFile, HeadLoader, HeadLoader | None]] = []
    for change in changes:
        if change.path in listed:
            continue
        reason = _reason(change, filt)
        blob = change.head.sha if change.head is not None else (change.base.sha if change.base else None)
        if reason == KEY_MATERIAL and change.head is not None and change.head.type != GITLINK:
            skipped.append(Skip(change.path, reason, blob, heads.loader(change.path, change.head.sha)))
            continue
        if reason:
            skipped.append(Skip(change.path, reason, blob))
            continue
        assert change.head is not None
        source = SourceFile(path=change.path, status=change.status, mode=change.head.mode, blob=change.head.sha,
                            inline=False)
        was = bases.loader(change.path, change.base.sha) if change.base is not None else None
        pending.append((source, heads.loader(change.path, change.head.sha), was))
    heads.fetch(new for _, new, _ in pending)
    bases.fetch(was for _, _, was in pending if was is not None)
    rest_calls = 0
    for source, new_loader, old_loader in pending:
        try:
            new, n = _content(repo, new_loader)
            old, m = _content(repo, old_loader) if old_loader is not None else (b"", 0)
        except Exception as exc:  # GithubException, a lost connection: this file is skipped with the reason
            from github.GithubException import GithubException

            from ..github_client import describe

            why = describe(exc) if isinstance(exc, GithubException) else f"{type(exc).__name__}: {exc}"
            skipped.append(Skip(source.path, f"content unavailable from GitHub ({why})", source.blob))
            continue
        rest_calls += n + m
        if new is None or old is None:
            skipped.append(Skip(source.path, "binary", source.blob))
            continue
        reason = content_reason(new, base=old) or (content_reason(old, base=b"") if old else None)
        if reason:
            skipped.append(Skip(source.path, reason, source.blob))
            continue
        source.patch = diff_blobs(old, new)
        body = [row for row in source.patch.splitlines() if row[:1] in "+-" and row[:3] not in ("+++", "---")]
        source.additions = sum(1 for row in body if row.startswith("+"))
        source.deletions = len(body) - source.additions
        source.size = len(new)
        source.load = _constant(new)
        files.append(source)
    return Unlisted(files, skipped, rest_calls)


def _reason(change: Change, filt: FileFilter) -> str | None:
    if change.head is None:
        return "deleted"
    reason = filt.by_path(change.path)
    if reason:
        return reason
    if change.head.type == GITLINK:
        return "submodule"
    if change.head.mode == LINK_MODE:
        return "symlink"
    if change.status == "changed":
        return "mode change only"
    return None


def _content(repo: Repository, loader: HeadLoader) -> tuple[bytes | None, int]:
    """A blob's bytes (None: binary) and the REST requests it took (one, for a blob GraphQL truncated)."""
    data = loader()
    if data is not None:
        return data, 0
    if loader.unavailable == "binary":
        return None, 0
    blob = repo.get_git_blob(loader.blob or "")
    return (base64.b64decode(blob.content) if blob.encoding == "base64" else blob.content.encode()), 1


def _constant(data: bytes) -> Callable[[], bytes | None]:
    return lambda: data
