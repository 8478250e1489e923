"""What the verifier must answer: a verdict for each finding it was shown, validated with pydantic."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

REASON_MAX = 300


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The finding's id, exactly as given (F1, F2, …).")
    verdict: Literal["keep", "drop"] = Field(
        description="keep: a real problem, correctly described and placed; drop: not a real problem."
    )
    confidence: float = Field(description="0 to 1: how sure you are that the finding is a real problem.")
    reason: str = Field(description="One line, at most 200 characters: why, naming the code that decides it.")

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
