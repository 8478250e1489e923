"""A pull request's changed files, through the REST API (paginated to GitHub's 3,000-file cap).

A file whose patch GitHub omits (too large) is still reviewed: its base and head blobs are fetched
and diffed here. GitHub will not take line comments on such a file, so its findings go in the
review body. Every other file's head content (for targeted context) is read when the plan asks for
it, from the workspace or in batches through GraphQL (`head_content.py`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import linear
from ..errors import EventError, RunError
from ..filters import KEY_MATERIAL, FileFilter, content_reason, patch_reason
from ..gitcmd import DIFF_FLAGS, diff_blobs, git, rev_parse
from ..log import log
from .base import Collected, Skip, SourceFile
from .head_content import HeadContents
from .local_git import display_path
from .tree_diff import TreeDiff, TreeTooLarge, beyond_listing

if TYPE_CHECKING:
    from github.Repository import Repository

GITHUB_FILE_CAP = 3000
NOT_LISTED = f"not reviewed: GitHub lists only the first {GITHUB_FILE_CAP:,} files of a pull request"
# A symlink's patch is its target: one line, no final newline (a real one-line file looks the same,
# so such a file is checked with one contents request).
_LINK_PATCH = linear.compile(
    r"\A@@ -(?:0,0|1) \+1 @@\n(?:-[^\n]*\n\\ No newline at end of file\n)?\+[^\n]*\n"
    r"\\ No newline at end of file\n?\z"
)


@dataclass(frozen=True)
class PullInfo:
    number: int
    head_sha: str
    base_sha: str
    title: str = ""
    body: str = ""
    draft: bool = False
    state: str = "open"
    changed_files: int | None = None
    head_repo: str = ""
    base_repo: str = ""
    html_url: str = ""

    @property
    def from_fork(self) -> bool:
        return bool(self.head_repo) and self.head_repo != self.base_repo


def pull_info(event: dict[str, Any]) -> PullInfo:
    """Read the pull request from a pull_request / pull_request_target payload."""
    pr = event.get("pull_request")
    if not isinstance(pr, dict):
        raise EventError("the event payload has no pull_request object")
    try:
        head, base = pr["head"], pr["base"]
        number = int(pr.get("number") or event["number"])
        head_sha, base_sha = str(head["sha"]), str(base["sha"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise EventError("the pull_request payload lacks number, head.sha or base.sha") from None
    if not (_is_sha(head_sha) and _is_sha(base_sha)):
        raise EventError("the pull_request payload has malformed head or base SHAs")
    if number < 1 or not isinstance(head, dict) or not isinstance(base, dict):
        raise EventError("the pull_request payload has a malformed number, head or base")
    return PullInfo(
        number=number,
        head_sha=head_sha,
        base_sha=base_sha,
        title=str(pr.get("title") or ""),
        body=str(pr.get("body") or ""),
        draft=bool(pr.get("draft")),
        state=str(pr.get("state") or "open"),
        changed_files=pr.get("changed_files") if isinstance(pr.get("changed_files"), int) else None,
        head_repo=str(((head.get("repo") or {}).get("full_name")) or ""),
        base_repo=str(((base.get("repo") or {}).get("full_name")) or ""),
        html_url=str(pr.get("html_url") or ""),
    )


def _is_sha(value: str) -> bool:
    return len(value) == 40 and all(c in "0123456789abcdef" for c in value.lower())


def collect_pull_request(
    repo: Repository, info: PullInfo, filt: FileFilter, workspace: Path | None = None
) -> Collected:
    pull = repo.get_pull(info.number)
    files: list[SourceFile] = []
    skipped: list[Skip] = []
    listed: set[str] = set()
    heads = HeadContents(repo, info.head_sha, workspace)  # head content, read when the plan needs it
    merge_base = MergeBase(repo, info)  # asked only when GitHub omitted a patch
    for entry in pull.get_files():
        path, status = entry.filename, entry.status
        listed.add(path)
        old = entry.previous_filename or None
        if old:
            listed.add(old)  # a rename the listing names: its old path is not a deletion of its own
        patch = entry.patch  # None when GitHub omitted it (binary or too large)
        reason = _skip_reason(status, path, patch, entry.changes, filt)
        if reason is None and patch is not None and _LINK_PATCH.match(patch) and _is_symlink(repo, path, info):
            reason = "symlink"
        if reason == KEY_MATERIAL:  # never sent; read here for the credential scan (keyfiles.py)
            skipped.append(Skip(path, reason, entry.sha, heads.loader(path, entry.sha), patch))
            continue
        if reason:
            skipped.append(Skip(path, reason, entry.sha))
            continue
        source = SourceFile(
            path=path, status=status, old_path=old, patch=patch,
            additions=entry.additions, deletions=entry.deletions,
            blob=entry.sha, load=heads.loader(path, entry.sha),
        )
        if patch is None:
            reason = _recompute_patch(repo, info, source, entry.sha, merge_base)
            if reason:
                skipped.append(Skip(path, reason, entry.sha))
                continue
        files.append(source)
    collected = Collected(
        files=files, skipped=skipped, head_sha=info.head_sha, base_sha=info.base_sha,
        label=f"#{info.number}", base_blobs=_base_blobs(repo, info, workspace),
    )
    capped = len(files) + len(skipped) >= GITHUB_FILE_CAP and (info.changed_files or 0) != len(files) + len(skipped)
    if capped and _list_the_rest(repo, info, filt, listed, heads, merge_base, workspace, collected):
        return collected
    count = len(files) + len(skipped)
    if info.changed_files is not None and info.changed_files > count:
        missing = info.changed_files - count
        named = _unlisted(workspace, info, listed) if workspace is not None else []
        skipped += [Skip(path, NOT_LISTED) for path in named]
        collected.incomplete = True
        collected.notes.append(
            f"GitHub lists at most {GITHUB_FILE_CAP:,} files of a pull request: {missing:,} "
            f"of its {info.changed_files:,} changed files were not listed and are NOT reviewed"
            + (" (they are named in the report)." if named else ".")
        )
    elif info.changed_files is None and count >= GITHUB_FILE_CAP:
        collected.incomplete = True
        collected.notes.append(
            f"GitHub listed {count:,} files, its limit: any further changed files are NOT reviewed."
        )
    return collected


def _list_the_rest(repo: Repository, info: PullInfo, filt: FileFilter, listed: set[str], heads: HeadContents,
                   merge_base: MergeBase, workspace: Path | None, collected: Collected) -> bool:
    """The files past GitHub's listing, from the merge base's and the head's trees (sources/tree_diff.py), added
    to `collected`. False when the trees cannot be compared (the caller then says what is not reviewed)."""
    from github.GithubException import GithubException

    trees = TreeDiff(repo)
    try:
        base = merge_base()
        changes = trees.changes(base, info.head_sha)
    except (GithubException, TreeTooLarge) as exc:
        why = f"GitHub {exc.status}" if isinstance(exc, GithubException) else str(exc)
        log.info(f"the trees could not be compared ({why}): the files past the listing are not known")
        return False
    rest = beyond_listing(repo, changes, listed, filt, heads, base, workspace)
    collected.files += rest.files
    collected.skipped += rest.skipped
    how = "walked a level at a time (a recursive listing was truncated)" if trees.walked else "listed whole"
    note = (f"GitHub lists at most {GITHUB_FILE_CAP:,} files of a pull request: the other "
            f"{len(rest.files) + len(rest.skipped):,} changed files were found by comparing the merge base's and "
            f"the head's trees by blob id ({how}, {trees.calls + rest.blob_calls} requests) and diffed from their "
            "blobs; a rename among them shows as a deletion and an addition, and their findings go in the review body")
    log.info(note)
    collected.notes.append(note)
    return True


def _base_blobs(repo: Repository, info: PullInfo, workspace: Path | None) -> dict[str, str] | None:
    """Every blob of the base commit, path -> blob: from the checkout when it holds the commit, else one
    request (`git/trees/{sha}?recursive=1`); None when GitHub cannot list it whole (truncated past 100,000
    entries, or refused): memory then keys each file with "unknown base", so it is reviewed again."""
    from github.GithubException import GithubException

    if workspace is not None:
        try:
            if rev_parse(workspace, info.base_sha):
                raw = git(workspace, "ls-tree", "-r", "-z", info.base_sha)
                rows = [r.split(b"\t", 1) for r in raw.split(b"\0") if b"\t" in r]
                return {display_path(path.decode("utf-8", "surrogateescape")): meta.split()[2].decode()
                        for meta, path in rows if meta.split()[1] == b"blob"}
        except RunError as exc:
            log.info(f"the checkout's base commit could not be listed ({exc.message}); asking GitHub")

    try:
        tree = repo.get_git_tree(info.base_sha, recursive=True)
        entries = tree.tree
    except GithubException as exc:
        log.info(f"the base commit's files could not be listed (GitHub {exc.status})")
        return None
    if tree.raw_data.get("truncated"):
        log.info("the base commit's tree is too large for one listing: every file is reviewed as a new change")
        return None
    return {e.path: e.sha for e in entries if e.type == "blob"}


def _skip_reason(status: str, path: str, patch: str | None, changes: int, filt: FileFilter) -> str | None:
    if status == "removed":
        return "deleted"
    reason = filt.by_path(path)
    if reason:
        return reason
    if patch is not None and "@@" in patch:
        return patch_reason(patch)
    if patch is not None or changes == 0:
        if status in ("renamed", "copied", "unchanged"):
            return "renamed without changes"
        if status == "changed":
            return "mode change only"
        if patch is not None:
            return "no content change"
    return None


def _is_symlink(repo: Repository, path: str, info: PullInfo) -> bool:
    """Whether `path` is a symlink at the head commit: the contents API then answers `symlink`, or
    (for a link to a file) the file it points to, under that file's own path."""
    from github.GithubException import GithubException

    try:
        content = repo.get_contents(path, ref=info.head_sha)
    except GithubException:
        return False
    if isinstance(content, list):
        return True  # a link to a directory
    return content.type == "symlink" or content.path != path


def _unlisted(workspace: Path, info: PullInfo, listed: set[str]) -> list[str]:
    """The changed files GitHub did not list, named from the checkout when it holds both commits."""
    try:
        if not (rev_parse(workspace, info.base_sha) and rev_parse(workspace, info.head_sha)):
            log.info("the checkout lacks the pull request's base or head commit: unlisted files cannot be named")
            return []
        raw = git(workspace, "diff", "-z", "--name-only", "-M", *DIFF_FLAGS, f"{info.base_sha}...{info.head_sha}")
    except RunError as exc:
        log.info(f"the unlisted files cannot be named: {exc.message}")
        return []
    names = [display_path(p.decode("utf-8", "surrogateescape")) for p in raw.split(b"\0") if p]
    return sorted(p for p in names if p not in listed)


class MergeBase:
    """The commit a pull request's changes are measured from: the merge base of its base and head, as GitHub
    diffs it — not the base branch's tip, whose own later changes are not the pull request's. One compare
    request, made the first time it is needed."""

    def __init__(self, repo: Repository, info: PullInfo) -> None:
        self.repo, self.info = repo, info
        self._sha: str | None = None

    def __call__(self) -> str:
        if self._sha is None:
            comparison = self.repo.compare(self.info.base_sha, self.info.head_sha)
            self._sha = comparison.merge_base_commit.sha
            if self._sha != self.info.base_sha:
                log.info(f"the base branch moved since the pull request branched off: omitted patches are diffed "
                         f"against the merge base {self._sha[:12]}")
        return self._sha


def _recompute_patch(
    repo: Repository, info: PullInfo, source: SourceFile, head_blob: str, merge_base: Callable[[], str]
) -> str | None:
    """Fetch the merge-base and head blobs of a file whose patch GitHub omitted; diff them. Returns a skip
    reason."""
    from github.GithubException import GithubException

    try:
        new = _blob(repo, head_blob)
        old = b"" if source.status == "added" else _file_at(repo, source.old_path or source.path, merge_base())
    except GithubException as exc:
        return f"content unavailable from GitHub ({exc.status})"
    reason = content_reason(new, base=old) or (content_reason(old, base=b"") if old else None)
    if reason:
        return reason
    source.patch = diff_blobs(old, new)
    source.inline = False
    source.size = len(new)
    source.load = _constant(new)
    return None


def _constant(data: bytes) -> Callable[[], bytes | None]:
    return lambda: data


def _blob(repo: Repository, sha: str) -> bytes:
    blob = repo.get_git_blob(sha)
    return base64.b64decode(blob.content) if blob.encoding == "base64" else blob.content.encode()


def _file_at(repo: Repository, path: str, ref: str) -> bytes:
    content = repo.get_contents(path, ref=ref)
    if isinstance(content, list):
        return b""
    if content.encoding == "none" or (not content.content and (content.size or 0) > 0):
        return _blob(repo, content.sha)  # > 1 MB: the contents API leaves the body out
    return content.decoded_content
