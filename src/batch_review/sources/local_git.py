"""The local branch's change: the working tree against its merge base with `--base` (for the CLI)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..diff import split_git_diff
from ..errors import SourceError
from ..filters import FileFilter, content_reason, patch_reason
from ..gitcmd import DIFF_FLAGS, git, repo_root, rev_parse
from .base import Collected, Skip, SourceFile

_STATUS = {"A": "added", "M": "modified", "D": "removed", "R": "renamed", "C": "copied", "T": "changed"}
BASE_CANDIDATES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")


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


def collect_local(repo: Path, base: str | None, filt: FileFilter, *, context_lines: int = 10) -> Collected:
    root = repo_root(repo)
    base_ref = base or default_base(root)
    if not rev_parse(root, base_ref):
        raise SourceError(f"--base {base_ref!r} is not a commit in this repository")
    merge_base = git(root, "merge-base", base_ref, "HEAD").decode().strip()
    head = rev_parse(root, "HEAD") or ""
    entries = parse_name_status(git(root, "diff", "-z", "-M", "--name-status", *DIFF_FLAGS, merge_base))
    text = git(root, "diff", "-M", f"-U{context_lines}", *DIFF_FLAGS, merge_base).decode("utf-8", "replace")
    sections = split_git_diff(text)
    if len(sections) != len(entries):
        raise SourceError(f"git listed {len(entries)} changed files but printed {len(sections)} patches")
    files: list[SourceFile] = []
    skipped: list[Skip] = []
    for (code, fs_path, fs_old), section in zip(entries, sections, strict=True):
        status = _STATUS.get(code, "modified")
        mode = _section_mode(section)
        path, old = display_path(fs_path), display_path(fs_old) if fs_old else None
        reason = _skip_reason(root, status, path, fs_path, section, mode, filt)
        if reason:
            skipped.append(Skip(path, reason))
            continue
        patch = section[section.index("@@") :] if "@@" in section else ""
        files.append(
            SourceFile(
                path=path,
                status=status,
                old_path=old,
                patch=patch,
                additions=sum(1 for ln in patch.split("\n") if ln.startswith("+")),
                deletions=sum(1 for ln in patch.split("\n") if ln.startswith("-")),
                mode=mode,
                load=_reader(root / fs_path),
            )
        )
    return Collected(
        files=files,
        skipped=skipped,
        head_sha=head,
        base_sha=merge_base,
        label=f"{base_ref}...working tree",
    )


def display_path(fs_path: str) -> str:
    """A path as text: bytes that are not UTF-8 (read with surrogateescape) become `\\xNN` escapes, so
    reports, prompts and JSON can carry the name; the file itself is still read by its real name."""
    return fs_path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _skip_reason(
    root: Path, status: str, path: str, fs_path: str, section: str, mode: str | None, filt: FileFilter
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
    if "@@" not in section:
        return "renamed without changes" if status in ("renamed", "copied") else "no content change"
    reason = patch_reason(section[section.index("@@") :])
    if reason:
        return reason
    full = root / fs_path
    if full.is_file() and not full.is_symlink():
        return content_reason(full.read_bytes())
    return None


def _reader(path: Path) -> Callable[[], bytes | None]:
    return lambda: path.read_bytes() if path.is_file() else None
