"""Which engine a run uses: parallel (Messages API) or batch (Message Batches), or none (plan only)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..config import Config, Secrets
from ..errors import ConfigError

if TYPE_CHECKING:
    from .batch import BatchEngine
    from .parallel import ParallelEngine


def make_engine(config: Config, secrets: Secrets, *, default: str, no_key_reason: str = "") -> tuple[Any, str]:
    """The engine for this run, or (None, why) when the run only plans (dry run, or no key / no cloud
    credentials where allowed). Bedrock and Vertex need no API key, and have no Message Batches API: a run
    that would default to a batch goes parallel, and `strategy: batch` is refused."""
    from ..pricing import SpendGuard, price_for
    from .parallel import ParallelEngine, ParallelOptions
    from .providers import Provider, bedrock_model_id, no_batches_reason, resolve

    provider = Provider.for_config(config)
    strategy = default if config.strategy == "auto" else config.strategy
    if strategy == "batch" and not provider.has_batches:
        if config.strategy == "batch":
            raise ConfigError(f"strategy: batch — {no_batches_reason(provider.name)} (provider: {provider.name}); "
                              "use strategy: auto or parallel, and a sweep goes parallel at standard price")
        strategy = "parallel"
    if provider.name == "bedrock" and not bedrock_model_id(config.model):
        raise ConfigError(f"model: {config.model!r} is not a Bedrock model id; with provider: bedrock use Bedrock's "
                          "id or inference profile, e.g. us.anthropic.claude-sonnet-4-5-20250929-v1:0, or an ARN")
    if provider.name == "bedrock" and config.verify and not bedrock_model_id(config.verifier):
        raise ConfigError(f"verify-model: {config.verifier!r} is not a Bedrock model id; with provider: bedrock use "
                          "Bedrock's id or inference profile, or leave it empty to verify with the review model")
    if config.dry_run:
        return None, "dry-run"
    if provider.name != "anthropic":
        provider, missing = resolve(provider)
        if missing:
            if no_key_reason:
                return None, f"provider {provider.name}: {missing}" if no_key_reason == LOCAL_NO_KEY else no_key_reason
            raise ConfigError(f"provider {provider.name}: {missing} (use dry-run: true to plan only)")
        log_cloud_secrets()
        options = replace(ParallelOptions.for_config(config), provider=provider)
        price, _ = price_for(config.model, config.prices)
        return ParallelEngine(options, api_key="", spend=SpendGuard(config.budget_usd, price)), ""
    if not secrets.anthropic_api_key:
        if no_key_reason:
            return None, no_key_reason
        raise ConfigError("anthropic-api-key: empty, and ANTHROPIC_API_KEY is not set (use dry-run: true to plan only)")
    price, _ = price_for(config.model, config.prices)
    if strategy == "batch":
        from .batch import BatchEngine

        return BatchEngine.for_config(config, secrets.anthropic_api_key, price), ""
    options = ParallelOptions.for_config(config)
    return ParallelEngine(options, api_key=secrets.anthropic_api_key, spend=SpendGuard(config.budget_usd, price)), ""


LOCAL_NO_KEY = "no API key"  # the local commands' reason: they show the plan instead of failing


def messages_engine(engine: BatchEngine, spent: float = 0.0) -> ParallelEngine:
    """A batch engine's options through the Messages API (standard price, no wait), under the same `budget-usd`
    with `spent` already gone: for a pass that must not be left pending (verify/)."""
    from ..pricing import SpendGuard
    from .parallel import ParallelEngine

    spend = SpendGuard(engine.spend.cap, engine.spend.price)
    spend.spent = spent
    return ParallelEngine(engine.options.parallel, api_key=engine.api_key, spend=spend)


def log_cloud_secrets() -> None:
    """AWS secret keys, session tokens and Bedrock API keys in the environment are masked like the API key."""
    from ..log import log
    from .providers import secrets_in

    for secret in secrets_in():
        log.secret(secret)
