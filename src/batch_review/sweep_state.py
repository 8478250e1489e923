"""Where a pending sweep's state lives between runs.

A sweep submits its batches in one run and may collect them in a later one. What the later run needs —
the batch ids, the commit that was swept, the plan's fingerprint, the model, when it was submitted — is a
`SweepState`. In the Action it rides in the audit issue's body as a hidden marker on the body's second
line (`publishers/issue.py`); locally it is `<repo>/.batch-review/sweep-state.json` (`FileStateStore`).
A state with `complete: false` was saved while batches were still being created: the run that collects
it resubmits whatever the recorded batches do not hold. A sweep whose findings' verification went as a
batch of its own keeps that batch's state in `verify` (the same fields): the run that collects it collects
the review's batches again (free: their results are kept 29 days) and submits neither again.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from . import linear
from .errors import SourceError
from .memory.seal import TAGGED_END, Seal
from .words import plural

STATE_VERSION = 1
STATE_PREFIX = "<!-- batch-review:state "
STATE_KIND = "sweep-state"  # what a pending sweep's marker is sealed as (memory/seal.py)
_STATE_LINE = linear.compile(r"<!-- batch-review:state (\{[^\n]*?\})" + TAGGED_END)
_SHA = linear.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_BATCH_ID = linear.compile(r"^[A-Za-z0-9_-]{1,128}$")
_HEX = linear.compile(r"^[0-9a-f]{8,64}$")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SweepState:
    commit: str  # the commit swept; "" for a folder that is not a git repository
    fingerprint: str
    model: str
    batch_ids: list[str] = field(default_factory=list)
    submitted_at: str = field(default_factory=utc_now)
    requests: int = 0
    complete: bool = True  # False: a run stopped (or is) between creating two batches
    ref: str = ""  # the ref swept (refs/heads/main): a run collects only its own ref's sweep
    creating_at: str = ""  # a batch was being created from this time on (the run may have died before saving it)
    creating_requests: int = 0  # how many requests that batch holds
    verify: SweepState | None = None  # the verification batch of the findings, once submitted

    def to_json(self) -> dict[str, Any]:
        extra = {"verify": self.verify.to_json()} if self.verify is not None else {}
        return {
            "version": STATE_VERSION,
            "batch_ids": list(self.batch_ids),
            "commit": self.commit,
            "fingerprint": self.fingerprint,
            "model": self.model,
            "submitted_at": self.submitted_at,
            "requests": self.requests,
            "complete": self.complete,
            "ref": self.ref,
            "creating_at": self.creating_at,
            "creating_requests": self.creating_requests,
            **extra,
        }

    @classmethod
    def from_json(cls, data: Any) -> SweepState:
        """Validate strictly: the state comes from an issue body or a file anyone could have edited."""
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError("not a batch-review sweep state (version 1)")
        ids = data.get("batch_ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) and _BATCH_ID.match(i) for i in ids):
            raise ValueError("batch_ids must be a list of batch ids")
        commit, fingerprint, model = data.get("commit"), data.get("fingerprint"), data.get("model")
        if not isinstance(commit, str) or (commit and not _SHA.match(commit)):
            raise ValueError("commit must be a full commit SHA (empty: a folder outside git)")
        if not isinstance(fingerprint, str) or not _HEX.match(fingerprint):
            raise ValueError("fingerprint must be hexadecimal")
        if not isinstance(model, str) or not model or any(c.isspace() for c in model):
            raise ValueError("model must be a model id")
        submitted, requests, complete = data.get("submitted_at"), data.get("requests", 0), data.get("complete", True)
        if not isinstance(submitted, str) or len(submitted) > 40:
            raise ValueError("submitted_at must be a timestamp")
        if not isinstance(requests, int) or isinstance(requests, bool) or requests < 0:
            raise ValueError("requests must be a count")
        if not isinstance(complete, bool):
            raise ValueError("complete must be true or false")
        ref, creating_at, creating = data.get("ref", ""), data.get("creating_at", ""), data.get("creating_requests", 0)
        if not isinstance(ref, str) or len(ref) > 256 or (ref and not ref.startswith("refs/")):
            raise ValueError("ref must be a full ref (refs/heads/…)")
        if not isinstance(creating_at, str) or len(creating_at) > 40:
            raise ValueError("creating_at must be a timestamp")
        if not isinstance(creating, int) or isinstance(creating, bool) or creating < 0:
            raise ValueError("creating_requests must be a count")
        nested = data.get("verify")
        if nested is not None and (not isinstance(nested, dict) or "verify" in nested):
            raise ValueError("verify must be the state of one verification batch")
        verify = cls.from_json(nested) if nested is not None else None
        return cls(commit, fingerprint, model, list(ids), submitted, requests, complete, ref, creating_at, creating,
                   verify)

    @property
    def pending(self) -> bool:
        """Batches were created (or one may have been): a later run must collect rather than submit again."""
        return bool(self.batch_ids) or bool(self.creating_at) or (self.verify is not None and self.verify.pending)

    def describe(self) -> str:
        ids = ", ".join(self.batch_ids) or "none yet"
        where = f"{self.ref.removeprefix('refs/heads/')} at " if self.ref else ""
        checks = f"; verification batch(es) {', '.join(self.verify.batch_ids) or 'none yet'}" if self.verify else ""
        return (f"{where}commit {self.commit[:12] or '(a folder)'}, {plural(self.requests, 'request')}, "
                f"model {self.model}, submitted {self.submitted_at}, batch(es) {ids}{checks}")


def state_marker(state: SweepState, seal: Seal | None = None) -> str:
    """One line, safe inside an HTML comment (no `--` or `>` in the JSON: they are \\u-escaped), sealed with
    the action's key when there is one (memory/seal.py: no one else can plant or edit a pending sweep)."""
    text = json.dumps(state.to_json(), separators=(",", ":"), ensure_ascii=True)
    text = text.replace(">", "\\u003e").replace("--", "-\\u002d")
    return (seal or Seal.none()).marker(STATE_PREFIX, STATE_KIND, text)


def parse_marker(line: str, seal: Seal | None = None) -> SweepState | None:
    """The state in a marker line, or None when the line is not one, is not valid, or (with a keyed seal) its
    seal does not verify: a state someone else wrote or edited is never collected."""
    match = _STATE_LINE.fullmatch(line.strip())
    if match is None or (seal is not None and seal.keyed and not seal.verify(STATE_KIND, match[1], match[2] or "")):
        return None
    try:
        return SweepState.from_json(json.loads(match[1]))
    except ValueError:
        return None


class StateStore(Protocol):
    """Where the next run finds a pending sweep by itself."""

    where: str

    def load(self) -> SweepState | None: ...

    def save(self, state: SweepState) -> None: ...

    def clear(self) -> None: ...


class FileStateStore:
    """`<repo>/.batch-review/sweep-state.json`, written atomically (the local CLI's store)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def load(self) -> SweepState | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SourceError(f"cannot read the sweep state {self.path}: {exc}") from None
        try:
            return SweepState.from_json(json.loads(text))
        except ValueError as exc:
            raise SourceError(
                f"the sweep state {self.path} is not valid ({exc}); delete it to start a new sweep"
            ) from None

    def save(self, state: SweepState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".sweep-state-", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state.to_json(), handle, indent=2)
            handle.write("\n")
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
