"""Which engine a run uses: parallel (Messages API) or batch (Message Batches), or none (plan only)."""

from __future__ import annotations

from typing import Any

from ..config import Config, Secrets
from ..errors import ConfigError


def make_engine(config: Config, secrets: Secrets, *, default: str, no_key_reason: str = "") -> tuple[Any, str]:
    """The engine for this run, or (None, why) when the run only plans (dry run, or no key where allowed)."""
    from ..pricing import SpendGuard, price_for
    from .parallel import ParallelEngine, ParallelOptions

    if config.dry_run:
        return None, "dry-run"
    if not secrets.anthropic_api_key:
        if no_key_reason:
            return None, no_key_reason
        raise ConfigError("anthropic-api-key: empty, and ANTHROPIC_API_KEY is not set (use dry-run: true to plan only)")
    strategy = default if config.strategy == "auto" else config.strategy
    price, _ = price_for(config.model, config.prices)
    if strategy == "batch":
        from .batch import BatchEngine

        return BatchEngine.for_config(config, secrets.anthropic_api_key, price), ""
    options = ParallelOptions(
        model=config.model,
        max_tokens=config.max_output_tokens,
        instructions=config.instructions,
        max_concurrency=config.max_concurrency,
        request_timeout=config.request_timeout,
    )
    return ParallelEngine(options, api_key=secrets.anthropic_api_key, spend=SpendGuard(config.budget_usd, price)), ""
