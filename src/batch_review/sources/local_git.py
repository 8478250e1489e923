"""The local branch's change: the working tree against its merge base with `--base` (for the CLI)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from .. import linear
from ..diff import split_git_diff
from ..errors import SourceError
from ..filters import KEY_MATERIAL, FileFilter, content_reason, patch_reason
from ..gitcmd import DIFF_FLAGS, git, repo_root, rev_parse
from .base import Collected, Skip, SourceFile

_STATUS = {"A": "added", "M": "modified", "D": "removed", "R": "renamed", "C": "copied", "T": "changed"}
BASE_CANDIDATES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")
_HUNK = linear.compile(r"^@@ -", multiline=True)  # a hunk header starts a line; a file name may hold "@@" anywhere


def default_base(repo: Path) -> str:
    for ref in BASE_CANDIDATES:
        if rev_parse(repo, ref):
            return ref
    raise SourceError("no base branch found (tried origin/HEAD, origin/main, main, master); pass --base REF")


def parse_name_status(raw: bytes) -> list[tuple[str, str, str | None]]:
    """`git diff -z --name-status` → (status letter, path, old path)."""
    parts = raw.split(b"\0")
    entries: list[tuple[str, str, str | None]] = []
    i = 0
    while i < len(parts) and parts[i]:
        code = parts[i].decode()[:1]
        if code in ("R", "C"):
            old = parts[i + 1].decode("utf-8", "surrogateescape")
            new = parts[i + 2].decode("utf-8", "surrogateescape")
            entries.append((code, new, old))
            i += 3
        else:
            entries.append((code, parts[i + 1].decode("utf-8", "surrogateescape"), None))
            i += 2
    return entries


def _section_mode(section: str) -> str | None:
    for line in section.split("\n", 8)[:8]:
        if line.startswith(("new file mode ", "deleted file mode ", "new mode ")):
            return line.rsplit(" ", 1)[-1]
        if line.startswith("index ") and line.count(" ") == 2:
            return line.rsplit(" ", 1)[-1]
    return None


def collect_local(
    repo: Path, base: str | None, filt: FileFilter, *, context_lines: int = 10, head: str | None = None
) -> Collected:
    """The working tree against its merge base with `base`; with `head` (a commit), that commit against
    its merge base with `base`, every file read from git's objects (eval's labelled cases)."""
    root = repo_root(repo)
    base_ref = base or default_base(root)
    if not rev_parse(root, base_ref):
        raise SourceError(f"--base {base_ref!r} is not a commit in this repository")
    head_sha = rev_parse(root, head or "HEAD") or ""
    if head and not head_sha:
        raise SourceError(f"head {head!r} is not a commit in this repository")
    merge_base = _merge_base(root, base_ref, head or "HEAD", head_sha if head else "HEAD")
    compared = (merge_base, head_sha) if head else (merge_base,)
    read = _blob_reader(root, head_sha) if head else _file_reader(root)
    entries = parse_name_status(git(root, "diff", "-z", "-M", "--name-status", *DIFF_FLAGS, *compared))
    text = git(root, "diff", "-M", f"-U{context_lines}", *DIFF_FLAGS, *compared).decode("utf-8", "replace")
    files: list[SourceFile] = []
    skipped: list[Skip] = []
    for (code, fs_path, fs_old), section in _pair(entries, split_git_diff(text)):
        status = _STATUS.get(code, "modified")
        mode = _section_mode(section)
        if code == "T" and mode not in ("120000", "160000"):
            status = "added"  # a symlink or submodule became a file: all of it is new
        path, old = display_path(fs_path), display_path(fs_old) if fs_old else None
        reason = _skip_reason(read, status, path, fs_path, section, mode, filt)
        if reason == KEY_MATERIAL and mode not in ("120000", "160000"):  # never sent; its credentials scanned
            skipped.append(Skip(path, reason, load=_bind(read, fs_path), patch=hunks(section)))
            continue
        if reason:
            skipped.append(Skip(path, reason))
            continue
        patch = hunks(section)
        files.append(
            SourceFile(
                path=path,
                status=status,
                old_path=old,
                patch=patch,
                additions=sum(1 for ln in patch.split("\n") if ln.startswith("+")),
                deletions=sum(1 for ln in patch.split("\n") if ln.startswith("-")),
                mode=mode,
                load=_bind(read, fs_path),
            )
        )
    return Collected(
        files=files,
        skipped=skipped,
        head_sha=head_sha,
        base_sha=merge_base,
        label=f"{base_ref}...{head or 'working tree'}",
    )


def _merge_base(root: Path, base: str, head_name: str, head: str) -> str:
    """The merge base of `base` and `head`, or a message saying why there is none: most often a shallow clone,
    whose history stops before the two branches meet."""
    found = git(root, "merge-base", base, head, check=False).decode().strip()
    if found:
        return found
    shallow = git(root, "rev-parse", "--is-shallow-repository", check=False).decode().strip() == "true"
    if shallow:
        raise SourceError(
            f"no merge base of {base} and {head_name}: this clone is shallow (its history stops before they meet); "
            "fetch more history with `git fetch --unshallow` (or `git fetch --deepen=200` for part of it) "
            "and run again"
        )
    raise SourceError(f"{base} and {head_name} have no common history (no merge base); pass a --base that does")


Entry = tuple[str, str, str | None]  # (status letter, path, old path)


def _pair(entries: list[Entry], sections: list[str]) -> Iterator[tuple[Entry, str]]:
    """Each changed file with its patch. A type change (`T`: a file became a symlink, or the other way) is
    printed as two patches, the old side removed and the new side added: the new side's is the file's."""
    changes = sum(1 for code, _, _ in entries if code == "T")
    if len(sections) not in (len(entries), len(entries) + changes):
        raise SourceError(f"git listed {len(entries)} changed files but printed {len(sections)} patches")
    split = len(sections) > len(entries)
    index = 0
    for entry in entries:
        index += 2 if entry[0] == "T" and split else 1
        yield entry, sections[index - 1]


def hunks(section: str) -> str:
    """The hunks of one file's `git diff` section (from its first hunk header), or "" when it has none."""
    match = _HUNK.search(section)
    return section[match.start():] if match else ""


def display_path(fs_path: str) -> str:
    """A path as text: bytes that are not UTF-8 (read with surrogateescape) become `\\xNN` escapes, so
    reports, prompts and JSON can carry the name; the file itself is still read by its real name."""
    return fs_path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _skip_reason(
    read: Callable[[str], bytes | None], status: str, path: str, fs_path: str, section: str, mode: str | None,
    filt: FileFilter,
) -> str | None:
    if status == "removed":
        return "deleted"
    by_path = filt.by_path(path)
    if by_path:
        return by_path
    if mode == "120000":
        return "symlink"
    if mode == "160000":
        return "submodule"
    if "\nBinary files " in section or "\nGIT binary patch" in section:
        return "binary"
    if not hunks(section):
        return "renamed without changes" if status in ("renamed", "copied") else "no content change"
    reason = patch_reason(hunks(section))
    if reason:
        return reason
    data = read(fs_path)
    return content_reason(data) if data is not None else None


def _file_reader(root: Path) -> Callable[[str], bytes | None]:
    """A file of the working tree (a symlink is never followed)."""

    def read(fs_path: str) -> bytes | None:
        full = root / fs_path
        return full.read_bytes() if full.is_file() and not full.is_symlink() else None

    return read


def _blob_reader(root: Path, commit: str) -> Callable[[str], bytes | None]:
    """A file as it is at `commit`."""

    def read(fs_path: str) -> bytes | None:
        try:
            return git(root, "cat-file", "blob", f"{commit}:{fs_path}")
        except SourceError:
            return None

    return read


def _bind(read: Callable[[str], bytes | None], fs_path: str) -> Callable[[], bytes | None]:
    return lambda: read(fs_path)
