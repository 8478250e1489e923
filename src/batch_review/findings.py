"""The Finding model: what the model must answer, how an answer is validated, and fingerprints.

`ModelAnswer` is the schema sent as `output_config.format`; every answer is validated against it
with pydantic before anything else looks at it. `Finding` is a validated finding placed in the
run: where it belongs, where it was published, and the fingerprint that keeps re-runs quiet.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


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


class ModelFinding(BaseModel):
    """One finding as the model reports it (the JSON schema the model is held to)."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="File path exactly as given in the ### header.")
    line: int = Field(description="First line of the issue, in new-file numbering (the gutter number).")
    end_line: int | None = Field(description="Last line of the issue when it spans several lines, else null.")
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

    @field_validator("line")
    @classmethod
    def _positive_line(cls, value: int) -> int:
        if value < 1:
            raise ValueError("line numbers start at 1")
        return value


class ModelAnswer(BaseModel):
    """The whole answer of one request."""

    model_config = ConfigDict(extra="forbid")

    findings: list[ModelFinding]


Placement = Literal["inline", "body", "annotation", "issue", "already-posted", "report"]


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
    extra_notes: list[str] = field(default_factory=list)

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
        }


def at_or_above(severity: Severity, threshold: Severity) -> bool:
    return severity.rank >= threshold.rank


_WS = re.compile(r"\s+")


def fingerprint(path: str, category: str, anchor: str, line: int) -> str:
    """A stable id for a finding: the file, the kind of problem and the code it points at.

    The anchor is the text of the flagged lines with whitespace squeezed, so the same problem keeps
    its fingerprint when lines above it move; the line number is used only when the text is unknown.
    """
    key = _WS.sub(" ", anchor).strip() or f"L{line}"
    digest = hashlib.sha256(f"{path}\0{category}\0{key}".encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:16]


def sort_key(finding: Finding) -> tuple[int, str, int, str]:
    return (-finding.severity.rank, finding.path, finding.line, finding.title)


def highest(findings: list[Finding]) -> Severity | None:
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)


def counts_by_severity(findings: list[Finding]) -> dict[str, int]:
    counts = {s.value: 0 for s in Severity}
    for f in findings:
        counts[f.severity.value] += 1
    return counts
