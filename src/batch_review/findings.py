"""The Finding model: what the model must answer, how an answer is validated, and fingerprints.

`ModelAnswer` is the schema sent as `output_config.format`; every answer is validated against it
with pydantic before anything else looks at it. `Finding` is a validated finding placed in the
run: where it belongs, where it was published, and the fingerprint that keeps re-runs quiet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from . import linear


class Severity(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.info: 0, Severity.low: 1, Severity.medium: 2, Severity.high: 3, Severity.critical: 4}

Category = Literal[
    "security",
    "bug",
    "reliability",
    "performance",
    "maintainability",
    "style",
    "documentation",
    "testing",
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]

TITLE_MAX = 200
BODY_MAX = 8000
SUGGESTION_MAX = 8000


_AT_LEAST_1: dict[str, JsonValue] = {"minimum": 1}


class ModelFinding(BaseModel):
    """One finding as the model reports it (the JSON schema the model is held to)."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="File path exactly as given in the ### header.")
    # `minimum: 1` is asked for, not enforced here: a line number below 1 is fixed in aggregation with a note,
    # so one bad number does not fail the whole answer (the other findings of a pack with it)
    line: int = Field(
        description="First line of the issue, in new-file numbering (the gutter number).", json_schema_extra=_AT_LEAST_1
    )
    end_line: Annotated[int, Field(json_schema_extra=_AT_LEAST_1)] | None = Field(
        description="Last line of the issue when it spans several lines, else null."
    )
    severity: Severity
    category: Category
    title: str = Field(description="One line, at most 120 characters.")
    body: str = Field(description="What is wrong, why it matters, how to fix it. Markdown.")
    suggestion: str | None = Field(
        description="Exact replacement text for lines line..end_line (no fences), or null."
    )
    confidence: float = Field(description="0 to 1: how sure you are that this is a real problem.")

    @field_validator("title")
    @classmethod
    def _one_line_title(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("title is empty")
        return value[:TITLE_MAX]

    @field_validator("body")
    @classmethod
    def _cap_body(cls, value: str) -> str:
        return value.strip()[:BODY_MAX]

    @field_validator("suggestion")
    @classmethod
    def _cap_suggestion(cls, value: str | None) -> str | None:
        if value is None or len(value) > SUGGESTION_MAX:
            return None
        return value

    @field_validator("confidence")
    @classmethod
    def _clamp_confidence(cls, value: float) -> float:
        return min(1.0, max(0.0, value))


SUMMARY_MAX = 240


def _summary_required(schema: dict[str, JsonValue]) -> None:
    """The schema sent asks for the summary (structured output then always gives one); an answer without it
    is still read (an empty summary), so a missing summary never costs a file its findings."""
    required = schema.setdefault("required", [])
    if isinstance(required, list) and "summary" not in required:
        required.append("summary")
    properties = schema.get("properties")
    summary = properties.get("summary") if isinstance(properties, dict) else None
    if isinstance(summary, dict):
        summary.pop("default", None)  # required in what is sent: no default to show the model


class ModelAnswer(BaseModel):
    """The whole answer of one request: its findings, and one line on what the change does (the walkthrough)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_summary_required)

    findings: list[ModelFinding]
    summary: str = Field(
        default="",
        description="One sentence, at most 160 characters: what the change to these files does (not a finding).",
    )

    @field_validator("summary")
    @classmethod
    def _one_line_summary(cls, value: str) -> str:
        value = " ".join(value.split())
        return value if len(value) <= SUMMARY_MAX else value[: SUMMARY_MAX - 1] + "…"


Placement = Literal["inline", "body", "annotation", "issue", "already-posted", "carried", "report"]


@dataclass
class Check:
    """What the verification pass (verify/) said about a finding: `kept` or `dropped` with the verifier's
    confidence and one-line reason, or `unverified` with why it could not be checked (it is then kept)."""

    status: Literal["kept", "dropped", "unverified"]
    reason: str
    confidence: float | None = None
    corrections: dict[str, list[object]] = field(default_factory=dict)  # field -> [the finding's, the verifier's]
    ignored: str = ""  # a correction that could not be applied, and why

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"status": self.status, "confidence": self.confidence, "reason": self.reason}
        if self.corrections:
            out["corrections"] = self.corrections
        if self.ignored:
            out["ignored_correction"] = self.ignored
        return out


@dataclass
class Finding:
    """A validated finding, placed in the run."""

    path: str
    line: int
    end_line: int | None
    severity: Severity
    category: str
    title: str
    body: str
    suggestion: str | None
    confidence: float
    fingerprint: str = ""
    request_id: str = ""
    placement: Placement = "report"
    note: str = ""  # why it is not inline, or what was adjusted
    anchor: str = ""  # the code the finding points at, when known
    unseen: bool = False  # points at a file or line its request did not show the model: never posted inline
    extra_notes: list[str] = field(default_factory=list)
    carried_from: str = ""  # the commit of the earlier review it comes from (its file did not change since)
    origin: str = ""  # the file whose review found it (its own path, unless it names a file its request did not show)
    link: str = ""  # where it was posted, when known
    check: Check | None = None  # the verification pass's verdict (None: not verified in this run)

    @property
    def last_line(self) -> int:
        return self.end_line or self.line

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "end_line": self.end_line,
            "severity": self.severity.value,
            "category": self.category,
            "title": self.title,
            "body": self.body,
            "suggestion": self.suggestion,
            "confidence": self.confidence,
            "fingerprint": self.fingerprint,
            "placement": self.placement,
            "note": self.note,
            "carried_from": self.carried_from or None,
            "verification": self.check.to_json() if self.check is not None else None,
        }


def at_or_above(severity: Severity, threshold: Severity) -> bool:
    return severity.rank >= threshold.rank


_WS = linear.compile(r"\s+")


def fingerprint(path: str, first_line: str, line: int, occurrence: int = 0) -> str:
    """A stable id for a place in a file: the file and the text of the finding's first line.

    The text is whitespace-squeezed, so the place keeps its id when lines above it move. Neither the category
    nor the end line is part of it: a model that calls the same problem a `bug` one run and `reliability` the
    next, or ends it a line later, names the same place. `occurrence` counts the earlier lines of the file
    with the same text (two `return None` in one file are two places, not one): it changes only when an
    identical line is inserted above. The line number is used only when the text is unknown. Two findings
    at one place get ids of their own (`distinct`); which earlier finding a new one is, is decided by
    memory/matching.py (title before position), not by the order the model listed them in.
    """
    key = squeeze(first_line) or f"L{line}"
    suffix = f"\0#{occurrence}" if occurrence else ""
    digest = hashlib.sha256(f"place\0{path}\0{key}{suffix}".encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:16]


def legacy_fingerprint(path: str, category: str, anchor: str, line: int, occurrence: int = 0) -> str:
    """The id earlier versions gave a finding (the file, the category and the text of all its lines): still
    recognised in the markers they posted (memory/matching.py), and the id of a secret scanner's finding."""
    key = squeeze(anchor) or f"L{line}"
    suffix = f"\0#{occurrence}" if occurrence else ""
    digest = hashlib.sha256(f"{path}\0{category}\0{key}{suffix}".encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:16]


def text_digest(text: str) -> str:
    """A short digest of some lines' squeezed text (a finding marker records its span and neighbours so)."""
    return hashlib.sha256(squeeze(text).encode("utf-8", "surrogatepass")).hexdigest()[:8]


def same_key(category: str, title: str) -> str:
    """What makes two findings at one place in one run the same finding: the same category and title."""
    return f"{category}\0{' '.join(title.lower().split())}"


def squeeze(text: str) -> str:
    """A line's text with whitespace squeezed, as fingerprints compare it: each run of RE2's `\\s` (tab, LF, FF, CR,
    space) one space, then `str.strip`. For ASCII text without the other characters Python counts as whitespace
    (VT, and the separators 0x1C-0x1F) that is `str.split` joined by spaces, done in C."""
    if text.isascii() and not any(c in text for c in _OTHER_SPACE):
        return " ".join(text.split())
    return _WS.sub(" ", text).strip()


_OTHER_SPACE = "\x0b\x1c\x1d\x1e\x1f"  # whitespace to str.split, not to RE2's \s


def occurrence(lines: Sequence[str], first: int, last: int) -> int:
    """How many times the text of lines first..last (1-based, whitespace squeezed) appears earlier in `lines`."""
    if first < 1 or last > len(lines) or last < first:
        return 0
    window = last - first + 1
    target = [squeeze(text) for text in lines[first - 1 : last]]
    # squeezing changes only whitespace, so a line whose text without any whitespace differs cannot match: the
    # cheap comparison (str.split, in C) picks the few places worth squeezing (one RE2 call a line was the cost
    # of aggregating a large review)
    bare = "".join(target[0].split())
    count = 0
    for start in range(first - 1):
        if "".join(lines[start].split()) == bare and [squeeze(t) for t in lines[start : start + window]] == target:
            count += 1
    return count


def distinct(fingerprint_: str, key: str, taken: Mapping[str, str]) -> str:
    """A fingerprint not yet taken by another finding of this run: the same place with another `same_key`
    (category and title) is another finding (two problems on one line), so it gets an id of its own."""
    candidate, n = fingerprint_, 1
    while candidate in taken and taken[candidate] != key:
        n += 1
        candidate = nth_id(fingerprint_, n)
    return candidate


def nth_id(fingerprint_: str, n: int) -> str:
    """The id of the n-th distinct finding at one place (n ≥ 2)."""
    return hashlib.sha256(f"{fingerprint_}\0{n}".encode()).hexdigest()[:16]


def sort_key(finding: Finding) -> tuple[int, float, float, str, int, str]:
    """Most severe first; within a severity, the most confident first (the verifier's confidence when it kept
    the finding, then the reviewer's); then by place."""
    check = finding.check
    verified = check.confidence if check is not None and check.status == "kept" and check.confidence is not None \
        else finding.confidence
    return (-finding.severity.rank, -verified, -finding.confidence, finding.path, finding.line, finding.title)


def highest(findings: list[Finding]) -> Severity | None:
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)


def counts_by_severity(findings: list[Finding]) -> dict[str, int]:
    counts = {s.value: 0 for s in Severity}
    for f in findings:
        counts[f.severity.value] += 1
    return counts
