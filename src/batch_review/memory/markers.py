"""Hidden markers: how a finding, and what a run reviewed, are remembered in what batch-review posts.

- A finding marker rides in every inline comment and review-body entry:
  `<!-- batch-review:finding {"fp":…,"sev":…,"cat":…,"path":…,"line":…,"end":…,"title":…,"sha":…,"file":…,
  "span":…,"near":…} -->` so a later run knows each finding it posted (where, how severe, on which version of
  the file, digests of its lines and of their neighbours) without a side table.
- The pull request's state marker rides in batch-review's one status comment on the pull request: the
  review settings' key and the file versions (blobs) reviewed under them, packed so that a 3,000-file pull
  request fits in a comment (6-byte digests, base64: ~11 characters a file). A state larger than
  `STATE_ROOM` (a 3,000-file pull request with some 2,000 open findings) is cut into sealed parts,
  `<!-- batch-review:pr-state-part set=<digest of the whole> part=i/n <text> <tag> -->`: the first rides in the
  status comment, the others in comments of their own, and the state is read only when every part verifies
  and together they make the whole the set names (a missing or edited part costs a full review, with a note).

Markers are JSON inside an HTML comment, with `--` and `>` escaped so the JSON cannot close the comment,
followed by a tag (memory/seal.py: an HMAC with a key only the action holds): a marker whose tag does not
verify is not read, whoever wrote it. Model text can never forge one (publishers/markdown.py breaks
`<!-- batch-review` in model text), and markers are read only from comments the token's own identity wrote
(memory/identity.py). The older `<!-- batch-review:fp=… -->` form carried no tag and is no longer read.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import linear
from ..findings import CATEGORIES, Finding, Severity, text_digest
from ..plan import UNKNOWN
from .seal import TAGGED_END, Seal

FINDING_PREFIX = "<!-- batch-review:finding "
STATE_PREFIX = "<!-- batch-review:pr-state "
PART_PREFIX = "<!-- batch-review:pr-state-part "
STATE_ROOM = 40_000  # characters of state marker the status comment carries; a larger state spills (to_markers)
_FINDING = linear.compile(r"<!-- batch-review:finding (\{[^\n]*?\})" + TAGGED_END)
_STATE = linear.compile(r"<!-- batch-review:pr-state (\{[^\n]*?\})" + TAGGED_END)
_PART = linear.compile(r"<!-- batch-review:pr-state-part (set=([0-9a-f]{16}) part=([0-9]{1,4})/([0-9]{1,4}) "
                       r"([^\s]+))" + TAGGED_END)
_REVIEW = linear.compile(r"<!-- batch-review:review (head=[0-9a-f]{40} part=[0-9]+ run=[0-9a-f]{1,32})" + TAGGED_END)
_FIXED = linear.compile(r"<!-- batch-review:fixed (fp=[0-9a-f]{16})" + TAGGED_END)
_HEX = linear.compile(r"^[0-9a-f]{16}$")
_DIGEST = linear.compile(r"^(?:[0-9a-f]{8})?$")
_SHA = linear.compile(r"^[0-9a-f]{40}$")
_SETTINGS = linear.compile(r"[0-9a-f]{8,64}")
KEY_BYTES = 6
MAX_COMMITS = 200
STATE_VERSION = 1


_ESCAPES = str.maketrans({c: f"\\u{ord(c):04x}" for c in "<>@#&`"})


def _embed(data: dict[str, Any]) -> str:
    """JSON that cannot end the HTML comment it sits in, nor carry a tag, a mention or a reference."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True, sort_keys=True).translate(_ESCAPES)
    return text.replace("--", "-\\u002d")


def file_key(path: str, blob: str, base: str = "") -> str:
    """One change of one file: its path, its blob (content) and the blob it is compared with (the base's;
    "" when the base has no such file, "?" when it is not known), as 12 hex digits. A review covers a change:
    the same head content against another base (main moved, then the branch merged it) is a new change."""
    text = f"{path}\0{blob}\0{base}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[: KEY_BYTES * 2]


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
    span: str = ""  # text_digest of its lines when it was posted ("": an earlier version's marker)
    near: tuple[str, str] = ("", "")  # text_digest of the nearest non-blank lines above and below them

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


def review_marker(seal: Seal, head: str, part: int, run: str) -> str:
    """The marker of one review body batch-review posted (`run`: a nonce of hex digits)."""
    return seal.marker("<!-- batch-review:review ", "review", f"head={head} part={part} run={run}")


def own_review_markers(text: str | None, seal: Seal) -> set[str]:
    """The review markers in a review body sealed by this action for this pull request."""
    return {m.group(1) for m in _REVIEW.finditer(text or "") if seal.verify("review", m.group(1), m.group(2) or "")}


def fixed_reply_marker(seal: Seal, fingerprint: str) -> str:
    """The marker of batch-review's "looks fixed" reply in a thread someone replied to."""
    return seal.marker("<!-- batch-review:fixed ", "fixed", f"fp={fingerprint}")


def said_fixed(text: str | None, seal: Seal) -> set[str]:
    """Fingerprints that a sealed "looks fixed" reply in `text` names."""
    return {m.group(1)[3:] for m in _FIXED.finditer(text or "") if seal.verify("fixed", m.group(1), m.group(2) or "")}


def finding_marker(finding: Finding, commit: str, file: str, seal: Seal, lines: Sequence[str] = ()) -> str:
    """`lines`: the file's new lines (plan.new_lines), from which the marker records digests of the finding's
    span and of its neighbours (a later run tells "its code changed" and finds its region by them)."""
    data: dict[str, Any] = {
        "fp": finding.fingerprint, "sev": finding.severity.value, "cat": finding.category, "path": finding.path,
        "line": finding.line, "end": finding.end_line, "title": finding.title[:200], "sha": commit, "file": file}
    if finding.origin and finding.origin != finding.path:
        data["from"] = finding.origin
    span, above, below = place_digests(lines, finding.line, finding.last_line)
    if span:
        data["span"] = span
    if above or below:
        data["near"] = f"{above},{below}"
    return seal.marker(FINDING_PREFIX, "finding", _embed(data))


def place_digests(lines: Sequence[str], first: int, last: int) -> tuple[str, str, str]:
    """Digests of lines first..last and of the nearest non-blank lines above and below them ("" where the text
    is not known, or there is no such line)."""
    if first < 1 or last > len(lines) or last < first:
        return "", "", ""
    span = lines[first - 1 : last]
    inside = "" if any(line is UNKNOWN for line in span) else text_digest("\n".join(span))
    return inside, _neighbour(lines, range(first - 2, -1, -1)), _neighbour(lines, range(last, len(lines)))


def _neighbour(lines: Sequence[str], order: range) -> str:
    for index in order:
        text = lines[index]
        if text is UNKNOWN:
            return ""
        if text.strip():
            return text_digest(text)
    return ""


def posted_findings(text: str | None, seal: Seal | None) -> list[PostedFinding]:
    """Every finding marker in a comment or review body whose tag `seal` verifies, in order (`seal` None:
    every well-formed marker, unchecked — for tests and tools that only count what was posted)."""
    out: list[PostedFinding] = []
    for match in _FINDING.finditer(text or ""):
        if seal is not None and not seal.verify("finding", match.group(1), match.group(2) or ""):
            continue
        found = _parse_finding(match.group(1))
        if found is not None:
            out.append(found)
    return out


def _parse_finding(raw: str) -> PostedFinding | None:
    try:
        data = json.loads(raw)
        fp, sev, cat = data["fp"], Severity(data["sev"]), data["cat"]
        path, line, end = data["path"], data["line"], data.get("end")
        title, sha, file = data.get("title", ""), data.get("sha", ""), data.get("file", "")
        origin, span, near = data.get("from", ""), data.get("span", ""), data.get("near", ",")
    except (ValueError, KeyError, TypeError):
        return None
    if not (isinstance(origin, str) and isinstance(span, str) and isinstance(near, str)):
        return None
    above, _, below = near.partition(",")
    if not all(_DIGEST.match(d) for d in (span, above, below)):
        return None
    if not (isinstance(fp, str) and _HEX.match(fp) and cat in CATEGORIES and isinstance(path, str) and path):
        return None
    if not (_int(line) and (end is None or _int(end))) or not isinstance(title, str):
        return None
    if not (isinstance(sha, str) and (not sha or _SHA.match(sha)) and isinstance(file, str) and len(file) <= 32):
        return None
    return PostedFinding(fp, sev, cat, path, line, end, title[:200], sha, file, origin, span, (above, below))


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

    def payload(self) -> str:
        """The state's JSON as its marker embeds it (one line, nothing in it can close an HTML comment)."""
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
        return _embed(data)

    def to_marker(self, seal: Seal) -> str:
        return seal.marker(STATE_PREFIX, "state", self.payload())

    def to_markers(self, seal: Seal, room: int = STATE_ROOM) -> list[str]:
        """The state as one marker when it fits in `room` characters; else as parts of at most `room` characters
        each (`own_state_parts`): the first rides in the status comment, each other one in a comment of its own."""
        text = self.payload()
        single = seal.marker(STATE_PREFIX, "state", text)
        if len(single) <= room:
            return [single]
        whole = hashlib.sha256(text.encode("ascii")).hexdigest()[:16]
        size = room - len(PART_PREFIX) - 80  # the part's header (set, part i/n) and its tag
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        return [seal.marker(PART_PREFIX, "state-part", f"set={whole} part={n}/{len(chunks)} {chunk}")
                for n, chunk in enumerate(chunks, 1)]

    @classmethod
    def from_text(cls, text: str | None, seal: Seal | None) -> PullState | None:
        """The state in a comment body; None when there is none. Raises ValueError when it is unreadable, or
        when `seal` does not verify its tag (`seal` None: unchecked, for tests)."""
        match = _STATE.search(text or "")
        if match is None:
            return None
        if seal is not None and not seal.verify("state", match.group(1), match.group(2) or ""):
            why = ("no memory key (set the memory-key input)" if not seal.keyed else
                   "edited since batch-review wrote it, written by someone else, or the memory key changed")
            raise ValueError(f"its seal does not verify: {why}")
        return cls.parse(match.group(1))

    @classmethod
    def from_parts(cls, first: str, others: list[str], seal: Seal) -> PullState | None:
        """The state that `first` (the status comment) begins with a part marker and `others` (batch-review's
        other comments, any order) continue; None when `first` holds no part. Raises ValueError when a part is
        missing, edited or unsealed, or the parts do not make the whole they were cut from."""
        heads = own_state_parts(first, seal)
        if not heads:
            if own_state_parts(first, None):
                raise ValueError("its first part's seal does not verify (edited, written by someone else, or the "
                                 "memory key changed)")
            return None
        whole, _, count, _ = heads[0]
        found: dict[int, str] = {}
        for text in [first, *others]:
            for part_set, n, total, chunk in own_state_parts(text, seal):
                if part_set == whole and total == count:
                    found.setdefault(n, chunk)
        missing = [n for n in range(1, count + 1) if n not in found]
        if missing:
            raise ValueError(f"part {missing[0]} of its {count} parts is missing, edited or not sealed")
        text = "".join(found[n] for n in range(1, count + 1))
        if hashlib.sha256(text.encode("ascii", "replace")).hexdigest()[:16] != whole:
            raise ValueError(f"its {count} parts do not make the whole they were cut from")
        return cls.parse(text)

    @classmethod
    def parse(cls, payload: str) -> PullState:
        """The state from its JSON payload (raises ValueError when it is not a state)."""
        data = json.loads(payload)
        if not isinstance(data, dict) or data.get("v") != STATE_VERSION:
            raise ValueError("not a batch-review pull-request state (version 1)")
        settings, commits, files = data.get("settings"), data.get("commits"), data.get("files")
        if not (isinstance(settings, str) and _SETTINGS.fullmatch(settings)):
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


def own_state_parts(text: str | None, seal: Seal | None) -> list[tuple[str, int, int, str]]:
    """The state parts in a comment body whose seal verifies (`seal` None: every well-formed one), as
    (set, part number, parts in all, text)."""
    out = []
    for m in _PART.finditer(text or ""):
        if seal is not None and not seal.verify("state-part", m.group(1), m.group(6) or ""):
            continue
        n, total = int(m.group(3)), int(m.group(4))
        if 1 <= n <= total:
            out.append((m.group(2), n, total, m.group(5)))
    return out


def _dismissed(value: Any) -> set[str]:
    """The dismissed findings' fingerprints (8 bytes each, base64)."""
    raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b"x"
    if len(raw) % 8:
        raise ValueError("dismissed has a partial entry")
    return {raw[i : i + 8].hex() for i in range(0, len(raw), 8)}


def with_state(body: str, state: PullState, seal: Seal) -> str:
    """The status comment `body` with its state marker replaced by `state`'s (the rest of the text kept)."""
    match = _STATE.search(body)
    if match is None:
        return body
    return body[: match.start()] + state.to_marker(seal) + body[match.end() :]


def with_state_markers(body: str, state: PullState, seal: Seal) -> tuple[str, list[str]]:
    """`with_state` for a state that may spill: the status comment `body` with its state marker (or its first
    part) replaced by `state`'s first, and the markers of the parts that continue it (none when it fits)."""
    match = _STATE.search(body) or _PART.search(body)
    if match is None:
        return body, []
    markers = state.to_markers(seal)
    return body[: match.start()] + markers[0] + body[match.end() :], markers[1:]
