"""The Messages logic of the fake: validation, token and cache accounting, building responses."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from .anthropic_common import JSON, ApiError, invalid, new_id
from .anthropic_validate import schema_errors, validate_body
from .model_brain import conversation_brain, is_conversation, is_verification, keep_all_verifier, planted_brain

Brain = Callable[[JSON], "str | None"]
TokenCounter = Callable[[str], int]

DEFAULT_MODELS = frozenset(
    {"claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5", "claude-sonnet-4-6", "claude-haiku-4-5"}
)
# The shortest prefix each model caches (Anthropic's prompt-caching docs): a shorter prefix is simply not cached —
# the request succeeds, no error, cache_creation_input_tokens and cache_read_input_tokens stay 0.
CACHE_FLOORS = {"claude-sonnet-4-6": 2048, "claude-haiku-4-5": 4096, "claude-opus-4-5": 4096, "claude-opus-4-6": 4096}
DEFAULT_CACHE_FLOOR = 1024  # the other models served here
MAX_BREAKPOINTS = 4
LOOKBACK_BLOCKS = 20
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
NOT_JSON_TEXT = (
    "Sure! Here are my findings: the change looks mostly fine, but the error handling in the new "
    "function could be tightened, and one of the loops may be off by one."
)
REFUSAL_TEXT = "I can't help with that."
THINKING_TEXT = "The user wants a code review. Let me read the changed lines and check each one carefully."


def default_count_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


@dataclass
class Block:
    key: str
    tokens: int
    cache_control: JSON | None


@dataclass
class Plan:
    """What a request costs: tokens per block, cache hits and the cache entries it writes."""

    model: str
    total_tokens: int
    read_tokens: int = 0
    write_5m: int = 0
    write_1h: int = 0
    read_key: str | None = None
    writes: list[tuple[str, str]] = field(default_factory=list)  # (prefix hash, ttl)

    @property
    def write_tokens(self) -> int:
        return self.write_5m + self.write_1h

    @property
    def uncached_tokens(self) -> int:
        return self.total_tokens - self.read_tokens - self.write_tokens

    def usage(self, output_tokens: int, service_tier: str) -> JSON:
        return {
            "input_tokens": self.uncached_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": self.write_tokens,
            "cache_read_input_tokens": self.read_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.write_5m,
                "ephemeral_1h_input_tokens": self.write_1h,
            },
            "service_tier": service_tier,
        }


def _canon(obj: Any) -> str:
    if isinstance(obj, dict):
        obj = {k: v for k, v in obj.items() if k != "cache_control"}
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def _block_text(block: Any) -> str:
    if isinstance(block, dict):
        if block.get("type") == "text":
            return str(block.get("text", ""))
        if block.get("type") == "thinking":
            return str(block.get("thinking", ""))
    return _canon(block)


class MessageEngine:
    def __init__(
        self,
        *,
        brain: Brain | None,
        known_models: frozenset[str] | set[str] | None,
        count_tokens: TokenCounter | None,
        min_cache_tokens: int | Mapping[str, int] | None,
        thinking: bool,
        verifier: Brain | None = None,
        talker: Brain | None = None,
    ) -> None:
        self.brain = brain or planted_brain
        self.verifier = verifier or keep_all_verifier
        self.talker = talker or conversation_brain
        self.known_models = frozenset(known_models if known_models is not None else DEFAULT_MODELS)
        self.count_tokens = count_tokens or default_count_tokens
        self.min_cache_tokens = min_cache_tokens  # one floor for every model, a table, or None: CACHE_FLOORS
        self.thinking = thinking
        self.errors: list[str] = []
        self._cache: dict[str, float] = {}  # prefix hash -> monotonic expiry
        self._lock = threading.Lock()

    def validate(self, body: Any, *, count_only: bool = False) -> None:
        """Raise the ApiError the real API would answer for this body (400, or 404 for the model)."""
        validate_body(body, count_only=count_only)
        self._breakpoints(body)  # validates cache_control
        if body["model"] not in self.known_models:
            raise ApiError(404, f"model: {body['model']}")

    # ---- tokens and caching -----------------------------------------------------------------
    def _blocks(self, body: JSON) -> list[Block]:
        blocks: list[Block] = []
        for tool in body.get("tools") or []:
            cc = tool.get("cache_control") if isinstance(tool, dict) else None
            blocks.append(Block(_canon(tool), self.count_tokens(_canon(tool)), cc))
        system = body.get("system")
        if isinstance(system, str) and system:
            blocks.append(Block(_canon({"system": system}), self.count_tokens(system), None))
        elif isinstance(system, list):
            for b in system:
                blocks.append(Block(_canon(b), self.count_tokens(_block_text(b)), b.get("cache_control")))
        for message in body.get("messages") or []:
            content = message.get("content")
            role = message.get("role")
            if isinstance(content, str):
                blocks.append(Block(_canon({role: content}), self.count_tokens(content), None))
                continue
            for b in content or []:
                blocks.append(Block(_canon({role: b}), self.count_tokens(_block_text(b)), b.get("cache_control")))
        return blocks

    def _breakpoints(self, body: JSON) -> list[tuple[int, str]]:
        blocks = self._blocks(body)
        points: list[tuple[int, str]] = []
        for i, block in enumerate(blocks):
            if block.cache_control is not None:
                points.append((i, _ttl(block.cache_control, f"block {i}")))
        top = body.get("cache_control")
        if top is not None and blocks and (not points or points[-1][0] != len(blocks) - 1):
            points.append((len(blocks) - 1, _ttl(top, "cache_control")))
        if len(points) > MAX_BREAKPOINTS:
            raise invalid(f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. "
                          f"Found {len(points)}.")  # fmt: skip
        ttls = [t for _, t in points]
        if "5m" in ttls and "1h" in ttls[ttls.index("5m") :]:
            raise invalid("cache_control: a ttl='1h' cache_control block must not come after a ttl='5m' block")
        return points

    def cache_floor(self, model: str) -> int:
        floors = self.min_cache_tokens
        if isinstance(floors, int):
            return floors
        table = {**CACHE_FLOORS, **(floors or {})}
        return table.get(model, DEFAULT_CACHE_FLOOR)

    def input_tokens(self, body: JSON) -> int:
        return sum(b.tokens for b in self._blocks(body))

    def plan(self, body: JSON) -> Plan:
        """Decide cache reads and writes. Only entries whose writer has begun its response can be read."""
        blocks = self._blocks(body)
        points = self._breakpoints(body)
        plan = Plan(model=body["model"], total_tokens=sum(b.tokens for b in blocks))
        hashes: list[str] = []
        prefix: list[int] = []
        h = hashlib.sha256(body["model"].encode()).hexdigest()
        running = 0
        for block in blocks:
            h = hashlib.sha256((h + block.key).encode()).hexdigest()
            running += block.tokens
            hashes.append(h)
            prefix.append(running)
        floor = self.cache_floor(body["model"])
        eligible = [(i, ttl) for i, ttl in points if prefix[i] >= floor]
        if not eligible:
            return plan
        read_at = -1
        with self._lock:
            t = time.monotonic()
            for bp, _ in eligible:
                for pos in range(bp, max(-1, bp - LOOKBACK_BLOCKS), -1):
                    if pos > read_at and self._cache.get(hashes[pos], 0.0) > t and prefix[pos] >= floor:
                        read_at = pos
                        break
        if read_at >= 0:
            plan.read_tokens = prefix[read_at]
            plan.read_key = hashes[read_at]
        boundary = plan.read_tokens
        for bp, ttl in eligible:
            if bp <= read_at:
                continue
            written = prefix[bp] - boundary
            boundary = prefix[bp]
            if ttl == "1h":
                plan.write_1h += written
            else:
                plan.write_5m += written
            plan.writes.append((hashes[bp], ttl))
        return plan

    def commit(self, plan: Plan) -> None:
        """The response begins: its cache writes become readable, its read refreshes the entry."""
        with self._lock:
            t = time.monotonic()
            for key, ttl in plan.writes:
                self._cache[key] = max(self._cache.get(key, 0.0), t + TTL_SECONDS[ttl])
            if plan.read_key is not None:
                self._cache[plan.read_key] = max(self._cache.get(plan.read_key, 0.0), t + 300.0)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    # ---- answering --------------------------------------------------------------------------
    def answer(self, body: JSON, plan: Plan, fault: str | None = None, service_tier: str = "standard") -> JSON:
        """The Message object for a validated request. ``fault`` may be not_json, max_tokens or refusal."""
        thinking_on = self.thinking and (body.get("thinking") or {}).get("type") != "disabled"
        thinking_text = THINKING_TEXT if thinking_on else ""
        max_tokens = int(body["max_tokens"])
        stop_reason, stop_details = "end_turn", None
        if fault == "not_json":
            text = NOT_JSON_TEXT
        elif fault == "refusal":
            text, stop_reason = REFUSAL_TEXT, "refusal"
            stop_details = {"type": "refusal", "category": None, "explanation": None}
        else:
            text = self._think(body)
        if fault == "max_tokens":
            text, stop_reason = text[: max(1, len(text) // 2)], "max_tokens"
        out_tokens = self.count_tokens(text) + (self.count_tokens(thinking_text) if thinking_text else 0)
        if out_tokens > max_tokens or stop_reason == "max_tokens":
            thinking_text, text = self._truncate(thinking_text, text, max_tokens)
            stop_reason, out_tokens = "max_tokens", max_tokens
        if stop_reason == "end_turn" and fault is None:
            self._check_schema(body, text)
        content: list[JSON] = []
        if thinking_text:
            signature = base64.b64encode(secrets.token_bytes(48)).decode()
            content.append({"type": "thinking", "thinking": thinking_text, "signature": signature})
        content.append({"type": "text", "text": text})
        return {
            "id": new_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "stop_details": stop_details,
            "usage": plan.usage(out_tokens, service_tier),
        }

    def _think(self, body: JSON) -> str:
        text: object
        try:
            if is_conversation(body):  # an answer in a thread (jobs/converse)
                text = self.talker(body)
            elif is_verification(body):  # batch-review's second pass: the verifier answers (None: keep all)
                text = self.verifier(body)
                if text is None:
                    text = keep_all_verifier(body)
            else:
                text = self.brain(body)
            if text is None:
                text = planted_brain(body)
        except Exception as exc:
            self._fail(f"brain raised {exc!r}")
        if not isinstance(text, str):
            self._fail(f"brain returned {type(text).__name__}, not str")
        return text

    def _truncate(self, thinking: str, text: str, max_tokens: int) -> tuple[str, str]:
        budget = max_tokens - (self.count_tokens(thinking) if thinking else 0)
        if budget <= 0:
            return _fit(thinking, max_tokens, self.count_tokens), ""
        return thinking, _fit(text, budget, self.count_tokens)

    def _check_schema(self, body: JSON, text: str) -> None:
        fmt = (body.get("output_config") or {}).get("format")
        if not fmt:
            return
        try:
            error = schema_errors(json.loads(text), fmt["schema"])
        except ValueError as exc:
            error = exc  # type: ignore[assignment]
        if error is not None:
            detail = getattr(error, "message", str(error))
            self._fail(f"brain output does not match output_config.format.schema: {detail}; text={text[:300]!r}")

    def _fail(self, message: str) -> NoReturn:
        full = f"FAKE ANTHROPIC: {message}"
        with self._lock:
            self.errors.append(full)
        raise ApiError(500, full)


def _ttl(cache_control: Any, where: str) -> str:
    if not isinstance(cache_control, dict) or cache_control.get("type") != "ephemeral":
        raise invalid(f"{where}.cache_control.type: Input should be 'ephemeral'")
    ttl = cache_control.get("ttl", "5m")
    if ttl not in TTL_SECONDS:
        raise invalid(f"{where}.cache_control.ttl: Input should be '5m' or '1h'")
    return str(ttl)


def _fit(text: str, budget: int, count: TokenCounter) -> str:
    """The longest prefix of ``text`` that counts at most ``budget`` tokens."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(text[:mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]
