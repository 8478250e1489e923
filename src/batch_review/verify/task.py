"""The verification pass as an engine task: its prompt and schema, its model and price, its answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..engines.answers import Reading, parse_answer, read_message
from .prompt import message_params
from .schema import VerifyAnswer

if TYPE_CHECKING:
    from ..config import Price

MAX_TOKENS = 2048  # ten verdicts of one line each, with room; a cut-off answer's repair gets twice as much


@dataclass(frozen=True)
class VerifyTask:
    name: str = "verify"
    model: str = ""
    max_tokens: int = MAX_TOKENS
    price: Price | None = None
    unsent: str = "their findings are kept, marked unverified"
    shared: tuple[str, ...] = ()  # the review's shared blocks (shared.py: intent, change map)

    def params(
        self, text: str, *, model: str, max_tokens: int, instructions: str, repair: str | None = None
    ) -> dict[str, Any]:
        return message_params(text, model=model, max_tokens=max_tokens, instructions=instructions, repair=repair,
                              shared=self.shared)

    def read(self, message: Any) -> Reading:
        return read_message(message, lambda text: parse_answer(text, VerifyAnswer))

    def describe(self, answer: Any) -> str:
        dropped = sum(1 for v in answer.verdicts if v.verdict == "drop")
        return f"{len(answer.verdicts) - dropped} kept, {dropped} dropped"
