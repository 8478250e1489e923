"""Token usage and what it costs. Prices are USD per million tokens and can be overridden in the
config file (`prices:`), because they change more often than this code."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .config import Price

CACHE_WRITE_FACTOR = 1.25  # 5-minute cache writes
CACHE_READ_FACTOR = 0.1  # when a model's cache-read price is not listed
BATCH_FACTOR = 0.5

PRICES: dict[str, Price] = {
    "claude-opus-5-5": Price(input=4.0, output=20.0, cache_read=0.20),
    "claude-sonnet-5-5": Price(input=2.0, output=10.0, cache_read=0.20),
    "claude-haiku-5-5": Price(input=0.10, output=0.50),
    "claude-sonnet-4-6": Price(input=3.0, output=15.0),
    "claude-sonnet-4-5": Price(input=3.0, output=15.0),
    "claude-haiku-4-5": Price(input=1.0, output=5.0),
}


_BEDROCK_PREFIX = re.compile(r"^(?:[a-z]{2,6}\.)?anthropic\.")  # `anthropic.`, `us.anthropic.`, `global.anthropic.`
_BEDROCK_SUFFIX = re.compile(r"-v\d+(?::\d+)?$")  # `-v1:0`, `-v1`
_VERTEX_VERSION = re.compile(r"@[\w.-]+$")  # `@20250929`, `@latest`


def family(model: str) -> str:
    """The Anthropic model name inside a provider's model id (unchanged when there is none)."""
    name = _BEDROCK_PREFIX.sub("", model.strip())
    if name != model.strip():
        name = _BEDROCK_SUFFIX.sub("", name)
    return _VERTEX_VERSION.sub("", name)


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    requests: int = 0

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_write_tokens += other.cache_write_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.requests += other.requests

    @classmethod
    def from_api(cls, usage: object) -> Usage:
        return cls(
            input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
            output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
            cache_write_tokens=int(getattr(usage, "cache_creation_input_tokens", 0) or 0),
            cache_read_tokens=int(getattr(usage, "cache_read_input_tokens", 0) or 0),
            requests=1,
        )

    def to_json(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "requests": self.requests,
        }


def price_for(model: str, overrides: Mapping[str, Price] | None = None) -> tuple[Price, bool]:
    """The price of `model` and whether it is known. The exact id is looked up first (so `prices:` can
    price a Bedrock or Vertex id on its own), then its family: a dated id, a Bedrock id or inference
    profile (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`) or a Vertex id (`claude-sonnet-4-5@20250929`)
    all find `claude-sonnet-4-5`."""
    table = {**PRICES, **(overrides or {})}
    for candidate in dict.fromkeys((model, family(model))):
        if candidate in table:
            return table[candidate], True
        for name in sorted(table, key=len, reverse=True):
            if candidate.startswith(name):
                return table[name], True
    priciest = max(table.values(), key=lambda p: (p.output, p.input))
    return priciest, False


def cost(usage: Usage, price: Price, *, batch: bool = False) -> float:
    cache_read = price.cache_read if price.cache_read is not None else price.input * CACHE_READ_FACTOR
    dollars = (
        usage.input_tokens * price.input
        + usage.cache_write_tokens * price.input * CACHE_WRITE_FACTOR
        + usage.cache_read_tokens * cache_read
        + usage.output_tokens * price.output
    ) / 1_000_000
    return dollars * (BATCH_FACTOR if batch else 1.0)


def estimate(
    input_tokens: int, output_tokens: int, system_tokens: int, requests: int, price: Price, *, batch: bool
) -> float:
    """A plan's cost: the system prompt written to the cache once and read by every later request."""
    usage = Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_write_tokens=system_tokens if requests else 0,
        cache_read_tokens=system_tokens * max(0, requests - 1),
    )
    return cost(usage, price, batch=batch)


class SpendGuard:
    """`budget-usd` during a run, a cap: a request is sent only when what is spent, what is reserved by the
    requests in flight and its own worst case fit under it. A request's worst case is its input billed at the
    dearest input price (a cache write) plus its whole `max_tokens` of output: whatever it answers, it cannot
    cost more, so spend never passes the cap. A repair is a request of its own, reserved before it is sent.
    What a request really cost replaces its reservation when it is answered. Input is estimated from the text
    (characters per token); the estimate is scaled by how far the settled requests' input exceeded theirs
    (never scaled down), so an input heavier than estimated is reserved as such from then on.
    The first refusal is final: from then on nothing more is sent, so a run never skips one file and
    then goes on to review another."""

    def __init__(self, cap: float | None, price: Price, *, batch: bool = False) -> None:
        self.cap = cap
        self.price = price
        self.batch = batch
        self.spent = 0.0  # may start above 0 (what an earlier stage of the run spent)
        self.in_flight = 0.0  # dollars reserved by the requests sent and not yet settled
        self.calls = 0  # how many of them (the dollars alone may keep a rounding residue)
        self.refused = 0
        self.exhausted = False
        self._estimated_input = 0.0
        self._charged_input = 0.0

    @property
    def input_factor(self) -> float:
        """Input tokens charged over input tokens estimated, of the requests settled so far (at least 1)."""
        if self._estimated_input <= 0:
            return 1.0
        return max(1.0, self._charged_input / self._estimated_input)

    @property
    def reserved(self) -> float:
        return self.in_flight if self.calls else 0.0

    def estimate(self, input_tokens: int, output_tokens: int, price: Price | None = None) -> float:
        """`price`: another model's (a verification pass may use a cheaper one); else the guard's."""
        usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens)
        return cost(usage, price or self.price, batch=self.batch)

    def worst(self, input_tokens: int, max_tokens: int, price: Price | None = None) -> float:
        """The most one request can cost: its input as a cache write, and all of `max_tokens` answered."""
        usage = Usage(cache_write_tokens=math.ceil(input_tokens * self.input_factor), output_tokens=max_tokens)
        return cost(usage, price or self.price, batch=self.batch)

    def fits(self, amount: float) -> bool:
        """Whether `reserve(amount)` would succeed now (without refusing anything)."""
        if self.exhausted:
            return False
        return self.cap is None or self.spent + self.in_flight + amount <= self.cap

    def reserve(self, amount: float) -> bool:
        if not self.fits(amount):
            self.refused += 1
            self.exhausted = True
            return False
        self.in_flight += amount
        self.calls += 1
        return True

    def settle(self, reserved: float, usage: Usage, price: Price | None = None, input_estimate: int = 0) -> float:
        """The request's reservation is released and what it cost is spent. `input_estimate`: the input tokens
        its reservation assumed (calibrates later reservations)."""
        actual = cost(usage, price or self.price, batch=self.batch)
        self.calls = max(0, self.calls - 1)
        self.in_flight = max(0.0, self.in_flight - reserved) if self.calls else 0.0
        self.spent += actual
        charged = usage.input_tokens + usage.cache_write_tokens + usage.cache_read_tokens
        if usage.requests and input_estimate > 0 and charged > 0:
            self._estimated_input += input_estimate
            self._charged_input += charged
        return actual


def budget_warning(estimate: float | None, budget: float | None) -> str:
    """What a plan says when its estimate is over `budget-usd` (a real run would then send nothing)."""
    if budget is None or estimate is None or estimate <= budget:
        return ""
    return (f"the estimated cost ${estimate:.4f} exceeds budget-usd ${budget:.4f}: a run would send nothing "
            "(narrow include/exclude, or raise the budget)")
