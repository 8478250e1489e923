"""Issue #10.2, the options: `verify` (on by default) and `verify-model` (default: the review model), as the
action, the config file and the CLI take them; they are part of the memory's settings key."""

from __future__ import annotations

import pytest

from batch_review.cli import build_parser, options_from
from batch_review.config import Config, Secrets, load_config
from batch_review.engines.factory import make_engine
from batch_review.errors import ConfigError
from batch_review.memory.settings import RUNTIME_ONLY, settings_key

BEDROCK = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def test_verification_is_on_by_default_with_the_review_model() -> None:
    config = load_config({}, None)
    assert config.verify is True and config.verify_model == "" and config.verifier == config.model
    cheaper = load_config({"verify-model": " claude-haiku-5-5 ", "verify": "false"}, None)
    assert cheaper.verifier == "claude-haiku-5-5" and cheaper.verify is False


def test_a_bad_verify_model_names_the_input() -> None:
    with pytest.raises(ConfigError, match=r"input verify-model: must be a model id"):
        load_config({"verify-model": "claude haiku"}, None)
    with pytest.raises(ConfigError, match=r"input verify: Input should be a valid boolean"):
        load_config({"verify": "maybe"}, None)


def test_with_bedrock_the_verify_model_must_be_a_bedrock_id_too() -> None:
    config = Config(provider="bedrock", model=BEDROCK, verify_model="claude-haiku-5-5", dry_run=True)
    with pytest.raises(ConfigError, match=r"verify-model: 'claude-haiku-5-5' is not a Bedrock model id"):
        make_engine(config, Secrets(None, None), default="parallel")
    off = Config(provider="bedrock", model=BEDROCK, verify_model="claude-haiku-5-5", verify=False, dry_run=True)
    assert make_engine(off, Secrets(None, None), default="parallel") == (None, "dry-run")


def test_what_is_kept_depends_on_the_verification_so_it_is_in_the_settings_key() -> None:
    assert not {"verify", "verify_model"} & RUNTIME_ONLY
    keys = {settings_key(Config()), settings_key(Config(verify=False)),
            settings_key(Config(verify_model="claude-haiku-5-5"))}
    assert len(keys) == 3


@pytest.mark.parametrize("command", ["review", "sweep", "eval"])
def test_the_cli_flags_reach_the_options(command: str) -> None:
    extra = ["data.jsonl"] if command == "eval" else []
    args = build_parser().parse_args([command, *extra, "--no-verify", "--verify-model", "claude-haiku-5-5"])
    assert {k: v for k, v in options_from(args).items() if k.startswith("verify")} == {
        "verify": "false", "verify-model": "claude-haiku-5-5"}
    plain = build_parser().parse_args([command, *extra])
    assert not any(k.startswith("verify") for k in options_from(plain))
