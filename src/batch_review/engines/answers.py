"""Turning one model message into a validated answer, or a plain reason why not (both engines)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from ..errors import RunError
from ..findings import ModelAnswer
from ..pricing import Usage

if TYPE_CHECKING:
    from ..plan import PlannedRequest


@dataclass
class RequestResult:
    """The outcome of one planned request. `error` set means its files are marked failed."""

    custom_id: str
    answer: Any = None  # the validated answer: a ModelAnswer for a review, the task's own model for another pass
    error: str | None = None
    usage: Usage = field(default_factory=Usage)
    attempts: int = 0
    not_sent: bool = False  # never reached the API (budget, abort): nothing was billed
    unusable: bool = False  # the error is the answer itself (not JSON, off the schema, cut off)
    # a pack whose answer stayed unusable, split: each file's own request and result (usage is in this one's)
    parts: list[tuple[PlannedRequest, RequestResult]] = field(default_factory=list)

    def outcomes(self, request: PlannedRequest) -> list[tuple[PlannedRequest, RequestResult]]:
        """What to aggregate: this result for its request, or the parts it was split into."""
        return list(self.parts) or [(request, self)]


def per_request(
    results: Iterable[RequestResult], by_id: Mapping[str, PlannedRequest]
) -> Iterator[tuple[PlannedRequest, RequestResult]]:
    """Every (request, result) pair to aggregate, a split pack's parts in its place."""
    for result in results:
        yield from result.outcomes(by_id[result.custom_id])


@dataclass
class EngineResult:
    """What an engine hands back to the pipeline."""

    results: list[RequestResult]
    pending: bool = False  # a batch is still running; results come in a later run
    batch_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    batch_priced: bool = False
    full_price_usage: Usage = field(default_factory=Usage)  # part of the usage sent outside a batch (retries)
    fatal: RunError | None = None  # the run was stopped (bad key, billing…): reported after these results
    then: EngineResult | None = None  # the follow-ups the answers called for (task.FollowUps), in the order sent
    seconds: float | None = None  # the fan-out's clock: its first request sent to its last answer in (follow-ups too)


@dataclass(frozen=True)
class Reading:
    answer: Any  # validated (see RequestResult.answer), or None
    problem: str | None
    repairable: bool


def read_message(message: Any, parse: Callable[[str], Reading] | None = None) -> Reading:
    """Pick the text blocks (a thinking block may come first), then validate them (`parse`: as a ModelAnswer)."""
    stop = getattr(message, "stop_reason", None)
    if stop == "refusal":
        return Reading(None, "the model declined to review this code (refusal)", False)
    if stop in ("max_tokens", "model_context_window_exceeded"):
        return Reading(None, f"the answer was cut off ({stop})", True)
    text = "".join(
        getattr(block, "text", "") for block in getattr(message, "content", []) if getattr(block, "type", "") == "text"
    ).strip()
    if not text:
        return Reading(None, "the answer was empty", True)
    return (parse or parse_answer)(text)


def parse_answer(text: str, schema: type[BaseModel] = ModelAnswer) -> Reading:
    try:
        return Reading(schema.model_validate_json(text), None, False)
    except ValidationError as first:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end and (start, end) != (0, len(text) - 1):
            try:
                return Reading(schema.model_validate_json(text[start : end + 1]), None, False)
            except ValidationError:
                pass
        return Reading(None, _describe(first), True)


def _describe(error: ValidationError) -> str:
    problems = error.errors()
    if problems and problems[0].get("type") == "json_invalid":
        return "the answer was not valid JSON"
    shown = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in problems[:3]
    )
    more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
    return f"the answer did not match the schema: {shown}{more}"
