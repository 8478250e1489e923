"""provider, aws-region, vertex-*: what a user sets, what is refused, how a provider's model id is priced."""

from __future__ import annotations

import pytest

from batch_review.config import Config, Price, Secrets, load_config
from batch_review.engines.factory import make_engine
from batch_review.errors import ConfigError
from batch_review.pricing import PRICES, price_for

NO_KEY = Secrets(anthropic_api_key=None, github_token=None)


@pytest.mark.parametrize(("model", "family"), [
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("global.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
    ("anthropic.claude-opus-5-5-v1", "claude-opus-5-5"),
    ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
    ("claude-sonnet-5-5", "claude-sonnet-5-5"),
])
def test_a_provider_s_model_id_finds_its_family_s_price(model: str, family: str) -> None:
    assert price_for(model) == (PRICES[family], True)


def test_prices_can_be_set_per_provider_id_and_win_over_the_family() -> None:
    bedrock = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
    own = Price(input=3.3, output=16.5)
    assert price_for(bedrock, {bedrock: own}) == (own, True)
    assert price_for("us.anthropic.claude-sonnet-4-5-20250929-v1:0", {bedrock: own}) == (PRICES["claude-sonnet-4-5"],
                                                                                        True)
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
    assert price_for(arn)[1] is False and price_for(arn, {arn: own}) == (own, True)


def test_provider_inputs_are_checked() -> None:
    config = load_config({"provider": " Bedrock ", "aws-region": "eu-west-1"}, None)
    assert (config.provider, config.aws_region) == ("bedrock", "eu-west-1")
    with pytest.raises(ConfigError, match=r"input provider: Input should be 'anthropic', 'bedrock' or 'vertex'"):
        load_config({"provider": "azure"}, None)
    with pytest.raises(ConfigError, match=r"input vertex-region: must be a name such as"):
        load_config({"vertex-region": "us east; rm -rf"}, None)


def test_bedrock_needs_a_bedrock_model_id_and_has_no_batches() -> None:
    with pytest.raises(ConfigError, match=r"model: 'claude-sonnet-5-5' is not a Bedrock model id"):
        make_engine(Config(provider="bedrock", dry_run=True), NO_KEY, default="parallel")
    with pytest.raises(ConfigError, match=r"strategy: batch — Google Vertex AI has no Message Batches API"):
        make_engine(Config(provider="vertex", strategy="batch", dry_run=True), NO_KEY, default="batch")
    assert make_engine(Config(provider="vertex", dry_run=True), NO_KEY, default="batch") == (None, "dry-run")


def test_locally_missing_cloud_credentials_give_the_plan(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    config = Config(provider="bedrock", model="us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    engine, reason = make_engine(config, NO_KEY, default="parallel", no_key_reason="no API key")
    assert engine is None and reason.startswith("provider bedrock: no AWS credentials were found")
    with pytest.raises(ConfigError, match=r"provider bedrock: no AWS credentials were found .* dry-run: true"):
        make_engine(config, NO_KEY, default="parallel")
