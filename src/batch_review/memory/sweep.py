"""Sweeps that pay only for what changed: each file version (blob) is reviewed once under the same settings.

The memory of the last completed sweep of a ref is a JSON file, `sweep-<ref>-<hash of the ref>.json`: the
settings key, the commit, every file's blob, the files that failed, and every finding with the blob it was
found on. It lives only where batch-review puts it, outside the repository's tree, so that nothing committed
can pose as it: on a runner `$RUNNER_TEMP/batch-review-memory` (the workflow's `actions/cache` step
restores that folder; a 50,000-file repository's blob map and findings do not fit in the audit issue's
65,536 characters), locally the user's cache folder (`~/.cache/batch-review/sweeps/<hash of the
repository's path>`). The file is opened without following a symlink.

- recall: a file whose blob is the one the memory holds (and did not fail then) is not sent again;
- reconcile: its findings are carried (counted, in the audit issue and the SARIF); a file that failed
  this run keeps its earlier findings, noted; a finding on a changed file that is no longer found, or on a
  deleted file, is listed once as fixed;
- save (a sink, after a completed sweep): the new memory. A pending, failed or plan-only run leaves it.
A missing or unreadable memory (not a regular file, not UTF-8, not valid) means a full sweep, with a note.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import linear
from ..config import Config
from ..findings import Category, Finding, Severity, sort_key
from ..log import log
from ..plan import Plan
from ..report import Closed, FileOutcome, RunReport
from ..sources.base import Collected, SourceFile
from ..words import plural
from .markers import PostedFinding
from .matching import Matcher
from .settings import settings_key

MEMORY_VERSION = 1
_SAFE = linear.compile(r"[^A-Za-z0-9._-]+")


def memory_path(folder: Path, ref: str) -> Path:
    """The memory file of `ref` in `folder`: a readable slug, and a hash so that `release/1` and `release-1`
    never share a file."""
    slug = _SAFE.sub("-", ref.removeprefix("refs/")).strip("-")[:80] or "local"
    return folder / f"sweep-{slug}-{hashlib.sha256(ref.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}.json"


def runner_folder(environ: Mapping[str, str]) -> Path:
    """On a runner: the runner's temp folder (the workflow's cache step restores it), never the workspace."""
    return Path(environ.get("RUNNER_TEMP") or tempfile.gettempdir()) / "batch-review-memory"


def local_folder(root: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """Locally: the user's cache folder, one folder per repository (by its resolved path)."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif os.name == "nt":
        base = Path(environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    where = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return base / "batch-review" / "sweeps" / where


def blob_id(data: bytes) -> str:
    """git's blob id of `data` (what `git hash-object` prints), for folders outside git."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class SweepMemory:
    """The pipeline's `Memory` for a sweep."""

    def __init__(self, config: Config, path: Path, ref: str) -> None:
        self.key = settings_key(config)
        self.full = bool(getattr(config, "full_review", False))
        self.path = path
        self.ref = ref
        self.earlier: dict[str, Any] | None = None
        self.blobs: dict[str, str] = {}  # path -> blob of this sweep's version
        self.unchanged: dict[str, Callable[[], bytes | None] | None] = {}  # path -> its loader
        self.carried_for_failed: set[str] = set()
        self.usable = False

    def recall(self, collected: Collected, report: RunReport) -> list[FileOutcome]:
        """Files are filtered as the plan reads them (a sweep's files stream: none is held here); the outcomes
        of the unchanged ones fill the returned list as they go by."""
        self.earlier = self._load(report)
        outcomes: list[FileOutcome] = []
        collected.files = self._filter(collected.files, outcomes)  # type: ignore[assignment]
        return outcomes

    def _filter(self, sources: Iterable[SourceFile], outcomes: list[FileOutcome]) -> Iterator[SourceFile]:
        earlier = self.earlier if self.usable and not self.full else None
        files = earlier["files"] if earlier else {}
        failed = set(earlier["failed"]) if earlier else set()
        kept = 0
        for source in sources:
            blob = source.blob or _content_blob(source)
            if blob:
                self.blobs[source.path] = blob
            if earlier and blob and files.get(source.path) == blob and source.path not in failed:
                self.unchanged[source.path] = source.load
                outcomes.append(FileOutcome(source.path, "unchanged", f"reviewed at {earlier['commit'][:12]}"))
            else:
                kept += 1
                yield source
        if earlier:
            log.info(f"Sweep memory ({self.path.name}, sweep of {earlier['commit'][:12]}): unchanged, not sent again: "
                     f"{plural(len(outcomes), 'file')}; to review: {kept}")

    def _load(self, report: RunReport) -> dict[str, Any] | None:
        try:
            text = _read(self.path)
        except FileNotFoundError:
            what = self.ref.removeprefix("refs/heads/") or "this folder"
            self._note(report, f"no memory of an earlier sweep of {what} ({self.path.name}): a full sweep")
            return None
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._note(report, f"the sweep memory {self.path} cannot be read ({why}): a full sweep")
            return None
        try:
            data = _validate(json.loads(text))
        except ValueError as exc:
            self._note(report, f"the sweep memory {self.path} is not valid ({exc}): a full sweep")
            return None
        if data["settings"] != self.key:
            self._note(report, "the review settings changed since the last sweep (model, prompt, instructions, "
                               "min-severity, context or verification): a full sweep")
            return data
        if self.full:
            self._note(report, "full-review is set: a full sweep")
        self.usable = True
        return data

    def reconcile(self, report: RunReport, plan: Plan) -> None:
        earlier = self.earlier if self.usable else None
        if earlier is None:
            return
        status = {f.path: f.status for f in report.files}
        stored = [_finding(data) for data in earlier["findings"]]
        Matcher(plan).match(report.findings, [PostedFinding(  # each finding found again keeps its first id
            f.fingerprint, f.severity, f.category, f.path, f.line, f.end_line, f.title) for f in stored
            if status.get(f.path) == "reviewed"])
        found = {f.fingerprint for f in report.findings}
        for data in earlier["findings"]:
            finding = _finding(data)
            path = finding.path
            if path in self.unchanged:
                finding.placement, finding.carried_from = "carried", earlier["commit"]
                report.findings.append(finding)
            elif status.get(path) == "failed":
                finding.placement, finding.carried_from = "carried", earlier["commit"]
                finding.extra_notes.append("its file could not be reviewed this run: carried from the last sweep")
                self.carried_for_failed.add(path)
                report.findings.append(finding)
            elif finding.fingerprint not in found and (status.get(path) == "reviewed" or path not in self.blobs):
                why = "fixed" if path in self.blobs or path in plan.scanned else "file deleted"  # scanned: key file
                report.fixed.append(Closed(finding, why, at=report.head_sha, action="removed from the audit"))
        report.findings.sort(key=sort_key)

    def reader(self, path: str) -> Callable[[], bytes | None] | None:
        """The content of an unchanged file (for the SARIF line hashes of its carried findings)."""
        return self.unchanged.get(path)

    def covers(self, report: RunReport) -> bool:
        """Whether this run's findings are every current finding of the repository: true unless some file
        failed whose earlier results are unknown (then a SARIF upload would close their alerts)."""
        failed = {f.path for f in report.files if f.status == "failed"}
        if not failed:
            return True
        earlier = self.earlier if self.usable else None
        return earlier is not None and all(p in self.carried_for_failed or p not in earlier["files"] for p in failed)

    def save(self, report: RunReport) -> str:
        if report.error or report.pending or report.dry_run:
            return ""
        earlier = self.earlier if self.usable else None
        files: dict[str, str] = {}
        failed: list[str] = []
        for outcome in report.files:
            blob = self.blobs.get(outcome.path)
            if outcome.status in ("reviewed", "unchanged") and blob:
                files[outcome.path] = blob
            elif outcome.status == "failed":
                failed.append(outcome.path)
                if earlier and outcome.path in earlier["files"]:
                    files[outcome.path] = earlier["files"][outcome.path]
        data = {"version": MEMORY_VERSION, "settings": self.key, "ref": self.ref, "commit": report.head_sha,
                "files": files, "failed": sorted(failed),
                "findings": [_finding_json(f) for f in report.findings]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.is_symlink() or (self.path.exists() and not self.path.is_file()):
            note = f"the sweep memory was not saved: {self.path} is not a regular file (remove it)"
            log.warning(note)
            return f"not saved: {self.path} is not a regular file"
        fd, tmp = tempfile.mkstemp(prefix=".sweep-memory-", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"))
        os.replace(tmp, self.path)
        return f"{self.path.name}: {plural(len(files), 'file')}, {plural(len(report.findings), 'finding')}"

    @staticmethod
    def _note(report: RunReport, note: str) -> None:
        log.notice(note)
        report.notes.append(note)


def _read(path: Path) -> str:
    """The file's text: never through a symlink, only a regular file, only UTF-8."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(0, "not a regular file")
        return handle.read().decode("utf-8")


def _content_blob(source: SourceFile) -> str | None:
    data = source.load() if source.load else None
    return blob_id(data) if data is not None else None


class _StoredFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fp: str = Field(pattern=r"^[0-9a-f]{16}$")
    path: str = Field(min_length=1)
    line: int = Field(ge=1)
    end: int | None = Field(default=None, ge=1)
    sev: Severity
    cat: Category
    title: str
    body: str
    suggestion: str | None
    confidence: float
    since: str = ""


class _Stored(BaseModel):
    """The memory file, checked strictly before it is believed (it is restored from a cache)."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    settings: str
    ref: str
    commit: str = Field(pattern=r"^([0-9a-f]{40}|[0-9a-f]{64})?$")
    files: dict[str, str]
    failed: list[str]
    findings: list[_StoredFinding]


def _finding_json(f: Finding) -> dict[str, Any]:
    return _StoredFinding(fp=f.fingerprint, path=f.path, line=f.line, end=f.end_line, sev=f.severity,
                          cat=f.category, title=f.title, body=f.body, suggestion=f.suggestion,  # type: ignore[arg-type]
                          confidence=f.confidence, since=f.carried_from).model_dump(mode="json")


def _finding(data: dict[str, Any]) -> Finding:
    item = _StoredFinding.model_validate(data)
    return Finding(path=item.path, line=item.line, end_line=item.end, severity=item.sev, category=item.cat,
                   title=item.title, body=item.body, suggestion=item.suggestion, confidence=item.confidence,
                   fingerprint=item.fp)


def _validate(data: Any) -> dict[str, Any]:
    try:
        return _Stored.model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"{'.'.join(str(p) for p in first.get('loc', ()))}: {first.get('msg')}") from None
