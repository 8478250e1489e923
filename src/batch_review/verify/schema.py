"""What the verifier must answer: a verdict for each finding it was shown, validated with pydantic."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..findings import Severity

REASON_MAX = 300


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The finding's id, exactly as given (F1, F2, …).")
    verdict: Literal["keep", "drop"] = Field(
        description="keep: a real problem, correctly described and placed; drop: not a real problem."
    )
    confidence: float = Field(description="0 to 1: how sure you are that the finding is a real problem.")
    reason: str = Field(description="One line, at most 200 characters: why, naming the code that decides it.")
    line: int | None = Field(default=None, description=(
        "keep only: the correct first line (a gutter number of a line you were shown) when the finding points at "
        "the wrong line; else null."))
    end_line: int | None = Field(default=None, description=(
        "keep only: the correct last line of a range (with `line`), when the range is wrong; else null."))
    severity: Severity | None = Field(default=None, description=(
        "keep only: the correct severity when the finding's is clearly wrong; else null."))

    @field_validator("confidence")
    @classmethod
    def _clamp(cls, value: float) -> float:
        return min(1.0, max(0.0, value))

    @field_validator("reason")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())[:REASON_MAX]


class VerifyAnswer(BaseModel):
    """The whole answer of one verification request."""

    model_config = ConfigDict(extra="forbid")

    verdicts: list[Verdict]
