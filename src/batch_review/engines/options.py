"""How the parallel engine calls the Messages API: the model and its output room, the ceiling of requests in
flight, timeouts, retries and the provider, resolved once from the configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..waits import DEFAULT_MAX_WAIT
from .limiter import AUTO_CEILING
from .providers import Provider

if TYPE_CHECKING:
    from ..config import Config


@dataclass(frozen=True)
class ParallelOptions:
    model: str
    max_tokens: int
    instructions: str
    max_concurrency: int  # the ceiling of requests in flight (limiter.py says how it is reached)
    request_timeout: float = 600.0
    max_retries: int = 4
    warm_cache: bool = True
    max_retry_wait: float = DEFAULT_MAX_WAIT
    provider: Provider = field(default_factory=Provider)  # the Anthropic API, Bedrock or Vertex

    @classmethod
    def for_config(cls, config: Config) -> ParallelOptions:
        return cls(model=config.model, max_tokens=config.max_output_tokens, instructions=config.instructions,
                   max_concurrency=config.max_concurrency or AUTO_CEILING, request_timeout=config.request_timeout,
                   max_retry_wait=config.max_retry_wait)
