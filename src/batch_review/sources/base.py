"""The shape every source produces: changed (or swept) files, and the files skipped with a reason."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from .intent import Intent


@dataclass(slots=True)
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
    """A file not sent to the model, and why. A file skipped by name as key material keeps how to read it
    (`load`: its content at the reviewed commit) and its change (`patch`), for the credential scan that never
    sends it (keyfiles.py)."""

    path: str
    reason: str
    blob: str | None = None
    load: Callable[[], bytes | None] | None = field(default=None, repr=False, compare=False)
    patch: str | None = field(default=None, repr=False, compare=False)


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
    intent: Intent | None = None  # what the change is for (a pull request's or a local range's words; sweeps: none)
    repository: Snapshot | None = None  # the repository at the head commit, for code from other files
    base_blobs: dict[str, str] | None = None  # path -> blob at the base commit (None: not known)


PathTest = Callable[[str], bool]


class SnapshotError(Exception):
    """The repository could not be read (the message says why); the review goes on without other files."""


@dataclass
class Scan:
    paths: list[str]  # every regular file at the commit that the path test admits
    contents: dict[str, bytes]  # those holding a wanted word, and those `keep` names
    how: str = ""  # where it came from, for the log and the docs
    github_calls: int = 0
    bytes_read: int = 0  # downloaded (compressed) bytes; 0 from a checkout
    seconds: float = 0.0


class Snapshot(Protocol):
    """The repository at the reviewed commit, for code from other files (`snapshot.py`)."""

    def scan(self, words: Iterable[str], admit: PathTest, keep: PathTest) -> Scan:
        """Paths admitted by `admit`; the content of those holding any of `words` (bytes, anywhere in the file),
        and of those `keep` accepts whatever they hold (a `go.mod`)."""
        ...
