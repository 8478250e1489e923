"""Parse ``git diff`` output into the per-file records GitHub's ``/pulls/{n}/files`` returns.

Paths are taken only from the NUL-separated ``--raw -z`` and ``--numstat -z`` forms, never from the
C-quoted ``diff --git`` headers. The patch text is split positionally: ``git diff -p`` prints one
``diff --git`` section per raw entry, in the same order (two for a type change).
"""

from __future__ import annotations

from dataclasses import dataclass

# git's raw status letter -> GitHub's `status` value
_STATUS = {
    "A": "added",
    "D": "removed",
    "M": "modified",
    "R": "renamed",
    "C": "copied",
    "T": "changed",
}
ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class RawEntry:
    """One record of ``git diff --raw -z --no-abbrev``."""

    old_mode: str
    new_mode: str
    old_sha: str
    new_sha: str
    status: str  # one letter: A D M R C T
    score: int | None
    path: str  # new path (the only path unless renamed/copied)
    old_path: str | None  # set for R and C


def _fs_decode(raw: bytes) -> str:
    """Decode a path as Python does for the file system (UTF-8, surrogateescape)."""
    return raw.decode("utf-8", "surrogateescape")


def parse_raw_z(out: bytes) -> list[RawEntry]:
    tokens = out.split(b"\0")
    entries: list[RawEntry] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok:
            i += 1
            continue
        if not tok.startswith(b":"):
            raise ValueError(f"unexpected raw diff token {tok!r}")
        old_mode, new_mode, old_sha, new_sha, status = tok[1:].decode("ascii").split(" ")
        letter, score = status[0], (int(status[1:]) if len(status) > 1 else None)
        if letter in "RC":
            old_path, path = _fs_decode(tokens[i + 1]), _fs_decode(tokens[i + 2])
            i += 3
        else:
            old_path, path = None, _fs_decode(tokens[i + 1])
            i += 2
        entries.append(RawEntry(old_mode, new_mode, old_sha, new_sha, letter, score, path, old_path))
    return entries


def parse_numstat_z(out: bytes) -> list[tuple[int | None, int | None]]:
    """(additions, deletions) per entry; ``None`` for binary files."""
    tokens = out.split(b"\0")
    counts: list[tuple[int | None, int | None]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok:
            i += 1
            continue
        added, deleted, path = tok.split(b"\t", 2)
        i += 1 if path else 3  # renames/copies: empty path, then old and new as two more tokens
        counts.append((None if added == b"-" else int(added), None if deleted == b"-" else int(deleted)))
    return counts


def split_patch_sections(out: bytes) -> list[bytes]:
    """Split ``git diff -p`` output into its ``diff --git`` sections."""
    sections: list[list[bytes]] = []
    for line in out.split(b"\n"):
        if line.startswith(b"diff --git "):
            sections.append([])
        if sections:
            sections[-1].append(line)
    return [b"\n".join(lines) for lines in sections]


def hunks_of_section(section: bytes) -> bytes:
    """Everything from the first ``@@`` line on: GitHub's ``patch`` (no headers, no final newline)."""
    lines = section.split(b"\n")
    for i, line in enumerate(lines):
        if line.startswith(b"@@"):
            body = lines[i:]
            while body and body[-1] == b"":
                body.pop()
            return b"\n".join(body)
    return b""


def github_status(entry: RawEntry) -> str:
    if entry.status == "M" and entry.old_sha == entry.new_sha:
        return "changed"  # mode-only change
    return _STATUS.get(entry.status, "modified")


def build_file_records(
    raw: list[RawEntry],
    numstat: list[tuple[int | None, int | None]],
    patch_sections: list[bytes],
    *,
    omit_patch: frozenset[str] = frozenset(),
    patch_limit_bytes: int | None = None,
) -> list[dict[str, object]]:
    """The JSON objects of ``GET /pulls/{n}/files`` (without the URL fields the fake adds)."""
    if len(raw) != len(numstat):
        raise ValueError(f"raw has {len(raw)} entries but numstat {len(numstat)}")
    records: list[dict[str, object]] = []
    sec = 0
    for entry, (added, deleted) in zip(raw, numstat, strict=True):
        take = 2 if entry.status == "T" else 1
        chunks = [hunks_of_section(s) for s in patch_sections[sec : sec + take]]
        sec += take
        patch_bytes = b"\n".join(c for c in chunks if c)
        additions, deletions = added or 0, deleted or 0
        binary = added is None
        record: dict[str, object] = {
            "sha": entry.old_sha if entry.status == "D" else entry.new_sha,
            "filename": entry.path,
            "status": github_status(entry),
            "additions": additions,
            "deletions": deletions,
            "changes": additions + deletions,
        }
        patch = patch_bytes.decode("utf-8", "replace")
        too_big = patch_limit_bytes is not None and len(patch.encode("utf-8")) > patch_limit_bytes
        if patch_bytes and not binary and entry.path not in omit_patch and not too_big:
            record["patch"] = patch
        if entry.old_path is not None:
            record["previous_filename"] = entry.old_path
        records.append(record)
    if sec != len(patch_sections):
        raise ValueError(f"patch has {len(patch_sections)} sections, expected {sec}")
    return records
