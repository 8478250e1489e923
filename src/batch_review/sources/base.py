"""The shape every source produces: changed (or swept) files, and the files skipped with a reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class SourceFile:
    """A file to consider for review.

    `patch` holds the file's hunks when the review is of a change; `load` returns the file's
    content at the reviewed commit (bytes) when whole-file review or a recomputed diff needs it.
    `inline` says whether GitHub will take line comments on this file's diff.
    """

    path: str
    status: str  # added, modified, removed, renamed, copied, changed, unchanged, tracked
    old_path: str | None = None
    patch: str | None = None
    additions: int = 0
    deletions: int = 0
    size: int | None = None
    mode: str | None = None  # git mode when known: 100644, 100755, 120000, 160000
    binary: bool = False
    inline: bool = True
    blob: str | None = None  # the content's git blob id when known (what memory across runs keys on)
    load: Callable[[], bytes | None] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Skip:
    path: str
    reason: str
    blob: str | None = None


@dataclass
class Collected:
    """What a source found: files to plan, files skipped, and what it knows of the commit."""

    files: list[SourceFile]
    skipped: list[Skip]
    head_sha: str = ""
    base_sha: str = ""
    label: str = ""
    notes: list[str] = field(default_factory=list)
    incomplete: bool = False  # the host did not list every changed file (GitHub's 3,000-file cap)
    # what the change is for, in its author's words (an eval case's title and description, as a pull request
    # states them); the shared intent block (issue #15.1) is built from these
    title: str = ""
    description: str = ""
