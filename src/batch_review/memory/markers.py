"""Hidden markers: how a finding, and what a run reviewed, are remembered in what batch-review posts.

- A finding marker rides in every inline comment and review-body entry:
  `<!-- batch-review:finding {"fp":…,"sev":…,"cat":…,"path":…,"line":…,"end":…,"title":…,"sha":…,"file":…} -->`
  so a later run knows each finding it posted (where, how severe, on which version of the file) without a
  side table. The older `<!-- batch-review:fp=… -->` form (version 1) still counts as "posted".
- The pull request's state marker rides in batch-review's one status comment on the pull request: the
  review settings' key and the file versions (blobs) reviewed under them, packed so that a 3,000-file pull
  request fits in a comment (6-byte digests, base64: ~11 characters a file).

Markers are JSON inside an HTML comment, with `--` and `>` escaped so the JSON cannot close the comment;
model text can never forge one (publishers/markdown.py breaks `<!-- batch-review` in model text), and
markers are read only from comments the token's own identity wrote (memory/identity.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..findings import CATEGORIES, Finding, Severity

FINDING_PREFIX = "<!-- batch-review:finding "
STATE_PREFIX = "<!-- batch-review:pr-state "
SUFFIX = " -->"
_FINDING = re.compile(r"<!-- batch-review:finding (\{[^\n]*?\}) -->")
_STATE = re.compile(r"<!-- batch-review:pr-state (\{[^\n]*?\}) -->")
_OLD_FP = re.compile(r"<!-- batch-review:fp=([0-9a-f]{16}) -->")
_HEX = re.compile(r"^[0-9a-f]{16}$")
_SHA = re.compile(r"^[0-9a-f]{40}$")
KEY_BYTES = 6
MAX_COMMITS = 200
STATE_VERSION = 1


_ESCAPES = str.maketrans({c: f"\\u{ord(c):04x}" for c in "<>@#&`"})


def _embed(data: dict[str, Any]) -> str:
    """JSON that cannot end the HTML comment it sits in, nor carry a tag, a mention or a reference."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True, sort_keys=True).translate(_ESCAPES)
    return text.replace("--", "-\\u002d")


def file_key(path: str, blob: str) -> str:
    """One version of one file: its path and its blob (content), as 12 hex digits."""
    return hashlib.sha256(f"{path}\0{blob}".encode("utf-8", "surrogatepass")).hexdigest()[: KEY_BYTES * 2]


@dataclass(frozen=True)
class PostedFinding:
    """A finding as an earlier run posted it, read back from its marker."""

    fingerprint: str
    severity: Severity | None = None  # None: an old (version 1) marker, which records only the fingerprint
    category: str = ""
    path: str = ""
    line: int = 0
    end_line: int | None = None
    title: str = ""
    commit: str = ""
    file: str = ""  # file_key of the version of its origin it was found on
    origin: str = ""  # the file whose review found it, when not its own path

    @property
    def source(self) -> str:
        """The file whose review stands behind it: its own, or the one whose request named it."""
        return self.origin or self.path

    def as_finding(self) -> Finding:
        return Finding(
            path=self.path, line=self.line, end_line=self.end_line, severity=self.severity or Severity.info,
            category=self.category, title=self.title, body="", suggestion=None, confidence=1.0,
            fingerprint=self.fingerprint, placement="already-posted", origin=self.origin,
        )


def finding_marker(finding: Finding, commit: str, file: str) -> str:
    data: dict[str, Any] = {
        "fp": finding.fingerprint, "sev": finding.severity.value, "cat": finding.category, "path": finding.path,
        "line": finding.line, "end": finding.end_line, "title": finding.title[:200], "sha": commit, "file": file}
    if finding.origin and finding.origin != finding.path:
        data["from"] = finding.origin
    return FINDING_PREFIX + _embed(data) + SUFFIX


def posted_findings(text: str | None) -> list[PostedFinding]:
    """Every finding marker in a comment or review body (both versions), in order."""
    out: list[PostedFinding] = []
    for match in _FINDING.finditer(text or ""):
        found = _parse_finding(match.group(1))
        if found is not None:
            out.append(found)
    known = {f.fingerprint for f in out}
    out += [PostedFinding(fp) for fp in _OLD_FP.findall(text or "") if fp not in known]
    return out


def _parse_finding(raw: str) -> PostedFinding | None:
    try:
        data = json.loads(raw)
        fp, sev, cat = data["fp"], Severity(data["sev"]), data["cat"]
        path, line, end = data["path"], data["line"], data.get("end")
        title, sha, file = data.get("title", ""), data.get("sha", ""), data.get("file", "")
        origin = data.get("from", "")
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(origin, str):
        return None
    if not (isinstance(fp, str) and _HEX.match(fp) and cat in CATEGORIES and isinstance(path, str) and path):
        return None
    if not (_int(line) and (end is None or _int(end))) or not isinstance(title, str):
        return None
    if not (isinstance(sha, str) and (not sha or _SHA.match(sha)) and isinstance(file, str) and len(file) <= 32):
        return None
    return PostedFinding(fp, sev, cat, path, line, end, title[:200], sha, file, origin)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10_000_000


@dataclass
class PullState:
    """What earlier runs reviewed on a pull request: the settings' key, and each file version reviewed
    under them with the commit it was reviewed at."""

    settings: str
    reviewed: dict[str, str] = field(default_factory=dict)  # file_key -> commit sha
    open: dict[str, str] = field(default_factory=dict)  # fingerprint -> file_key of the version it is on
    dismissed: set[str] = field(default_factory=set)  # fingerprints dismissed on this pull request (a conversation)

    def to_marker(self) -> str:
        commits = list(dict.fromkeys(self.reviewed.values()))[-MAX_COMMITS:]
        index = {sha: i for i, sha in enumerate(commits)}
        packed = b"".join(
            bytes.fromhex(key) + bytes([index[sha]]) for key, sha in sorted(self.reviewed.items()) if sha in index
        )
        found = b"".join(bytes.fromhex(fp) + bytes.fromhex(key or "0" * KEY_BYTES * 2)
                         for fp, key in sorted(self.open.items()))
        data = {"v": STATE_VERSION, "settings": self.settings, "commits": commits,
                "files": base64.b64encode(packed).decode("ascii"), "open": base64.b64encode(found).decode("ascii")}
        if self.dismissed:
            data["dismissed"] = base64.b64encode(b"".join(bytes.fromhex(fp) for fp in sorted(self.dismissed))).decode()
        return STATE_PREFIX + _embed(data) + SUFFIX

    @classmethod
    def from_text(cls, text: str | None) -> PullState | None:
        """The state in a comment body; None when there is none. Raises ValueError when it is unreadable."""
        match = _STATE.search(text or "")
        if match is None:
            return None
        data = json.loads(match.group(1))
        if not isinstance(data, dict) or data.get("v") != STATE_VERSION:
            raise ValueError("not a batch-review pull-request state (version 1)")
        settings, commits, files = data.get("settings"), data.get("commits"), data.get("files")
        if not (isinstance(settings, str) and re.fullmatch(r"[0-9a-f]{8,64}", settings)):
            raise ValueError("settings must be hexadecimal")
        if not (isinstance(commits, list) and all(isinstance(c, str) and _SHA.match(c) for c in commits)):
            raise ValueError("commits must be commit SHAs")
        if not isinstance(files, str):
            raise ValueError("files must be base64")
        packed = base64.b64decode(files, validate=True)
        width = KEY_BYTES + 1
        if len(packed) % width:
            raise ValueError("files has a partial entry")
        reviewed: dict[str, str] = {}
        for start in range(0, len(packed), width):
            key, at = packed[start : start + KEY_BYTES].hex(), packed[start + KEY_BYTES]
            if at >= len(commits):
                raise ValueError("a file names a commit that is not listed")
            reviewed[key] = commits[at]
        found = base64.b64decode(data.get("open", ""), validate=True) if isinstance(data.get("open", ""), str) else b"x"
        width = 8 + KEY_BYTES
        if len(found) % width:
            raise ValueError("open has a partial entry")
        open_ = {found[i : i + 8].hex(): found[i + 8 : i + width].hex() for i in range(0, len(found), width)}
        return cls(settings, reviewed, open_, _dismissed(data.get("dismissed", "")))


def _dismissed(value: Any) -> set[str]:
    """The dismissed findings' fingerprints (8 bytes each, base64)."""
    raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b"x"
    if len(raw) % 8:
        raise ValueError("dismissed has a partial entry")
    return {raw[i : i + 8].hex() for i in range(0, len(raw), 8)}


def with_state(body: str, state: PullState) -> str:
    """The status comment `body` with its state marker replaced by `state`'s (the rest of the text kept)."""
    return _STATE.sub(lambda _: state.to_marker(), body, count=1)
