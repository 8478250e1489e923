"""What a request asks the model and how its answer is read: the review, or another pass over its findings.

Both engines send any task the same way — fan-out or batch, the SDK's retries, the one repair of an
unusable answer, `budget-usd` — so a second pass (verification, `verify/`) is sent, counted and made
reliable exactly like the review. A task supplies what differs: the request's parameters (its system
prompt, output schema and model), how its answer is validated, and how a result reads in the log.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..prompt import message_params
from ..words import plural
from .answers import Reading, read_message

if TYPE_CHECKING:
    from ..config import Price
    from ..plan import PlannedRequest
    from .answers import RequestResult


class Task(Protocol):
    @property
    def name(self) -> str:
        """`review`, `verify`: pooled calls of one task go out together."""
        ...

    @property
    def model(self) -> str:
        """The model to ask; "" means the engine's."""
        ...

    @property
    def max_tokens(self) -> int:
        """`max_tokens` of a first try; 0 means the engine's max-output-tokens."""
        ...

    @property
    def price(self) -> Price | None:
        """The model's price; None means the engine's (the review model's)."""
        ...

    @property
    def unsent(self) -> str:
        """What a request that was never sent (budget) means, for the run's note."""
        ...

    def params(
        self, text: str, *, model: str, max_tokens: int, instructions: str, repair: str | None = None
    ) -> dict[str, Any]:
        """The keyword arguments of `messages.create` (a batch request's `params`) for one rendered request."""
        ...

    def read(self, message: Any) -> Reading:
        """The validated answer of one message, or why it cannot be used."""
        ...

    def describe(self, answer: Any) -> str:
        """A validated answer in a few words, for the progress log."""
        ...


@dataclass(frozen=True)
class ReviewTask:
    """The review: prompts/system.md, the `ModelAnswer` schema, the run's model."""

    name: str = "review"
    model: str = ""
    max_tokens: int = 0
    price: Price | None = None
    unsent: str = "their files are marked failed"
    shared: tuple[str, ...] = ()  # the run's shared blocks (shared.py: intent, change map), cached with the prompt

    def params(
        self, text: str, *, model: str, max_tokens: int, instructions: str, repair: str | None = None
    ) -> dict[str, Any]:
        return message_params(text, model=model, max_tokens=max_tokens, instructions=instructions, repair=repair,
                              shared=self.shared)

    def read(self, message: Any) -> Reading:
        return read_message(message)

    def describe(self, answer: Any) -> str:
        return plural(len(answer.findings), "finding")


REVIEW: Task = ReviewTask()


class FollowUps(Protocol):
    """Requests that answers call for, sent in the same run as the requests answered — through the same
    limiter, budget and client, while the run's other requests are still out (a file's findings verified as
    soon as its review answer is in: verify/ahead.py). An engine that cannot send them so (a batch) never asks
    for them, and the stage that wants them sends what was not sent after the run."""

    @property
    def task(self) -> Task:
        """What every follow-up asks (its prompt, schema, model and price)."""
        ...

    def after(self, request: PlannedRequest, result: RequestResult) -> Sequence[PlannedRequest]:
        """The follow-ups one answered request calls for (none: nothing to send); each id new in the run."""
        ...

    def render(self, request: PlannedRequest) -> str:
        """A follow-up's text, right before it is sent (a pack the engine split included)."""
        ...

    def prepare(self, request: PlannedRequest) -> Iterator[None]:
        """What `after` will need of `request` that does not depend on its answer, worked out while the answer is
        awaited (the client is idle then; when the answers arrive together, `after` is quick for each). It yields
        after each small step (a file): the engine goes on with its own work in between."""
        ...
