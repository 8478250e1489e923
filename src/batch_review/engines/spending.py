"""`budget-usd` as the Messages API engine holds it: every call reserves its worst case before it is sent.

A call's worst case is its input (estimated from the text it sends: system blocks, message and output schema)
at the dearest input price plus its whole `max_tokens` of output (pricing.SpendGuard.worst). A repair is a call
of its own, with its own (larger) `max_tokens`: it is reserved before it is sent, like the first try. When the
budget has no room for a call while others are in flight, the call waits for their real cost (usually far
below their worst case) before it is refused; the first refusal is final.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..plan import CHARS_PER_TOKEN
from ..pricing import SpendGuard, Usage

if TYPE_CHECKING:
    from ..config import Price


def params_tokens(params: dict[str, Any]) -> int:
    """Estimated input tokens of one call: its system blocks, messages and output schema, as sent."""
    system = params.get("system", "")
    text = system if isinstance(system, str) else "".join(str(b.get("text", "")) for b in system)
    for message in params.get("messages", []):
        content = message.get("content", "")
        text += content if isinstance(content, str) else "".join(str(b.get("text", "")) for b in content)
    text += json.dumps(params.get("output_config", {})) + json.dumps(params.get("tools", []))
    return int(len(text) / CHARS_PER_TOKEN) + 1


@dataclass
class Reservation:
    amount: float
    input_tokens: int
    price: Price | None


class BudgetGate:
    """The run's SpendGuard, shared by concurrent calls of one event loop."""

    def __init__(self, spend: SpendGuard) -> None:
        self.spend = spend
        self._settled = asyncio.Condition()

    async def reserve(self, params: dict[str, Any], price: Price | None) -> Reservation | None:
        """Room for this call's worst case, or None: the budget is reached (nothing more is sent)."""
        tokens = params_tokens(params)
        amount = self.spend.worst(tokens, int(params["max_tokens"]), price)
        async with self._settled:
            while not self.spend.fits(amount) and self.spend.reserved > 0 and not self.spend.exhausted:
                await self._settled.wait()
            return Reservation(amount, tokens, price) if self.spend.reserve(amount) else None

    async def settle(self, reservation: Reservation, usage: Usage) -> None:
        """What the call really cost (`usage`: its own, nothing when it was never answered)."""
        async with self._settled:
            self.spend.settle(reservation.amount, usage, reservation.price, reservation.input_tokens)
            self._settled.notify_all()


def usage_since(now: Usage, before: Usage) -> Usage:
    return Usage(*(getattr(now, k) - getattr(before, k) for k in
                   ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens", "requests")))
