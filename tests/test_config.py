"""Options: every bad value fails with a message naming the option and where it came from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from batch_review.config import OPTION_NAMES, load_config, read_secrets, resolve_instructions
from batch_review.errors import ConfigError
from batch_review.findings import Severity


def _error(inputs: dict[str, str], root: Path | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(inputs, root)
    return caught.value.message


@pytest.mark.parametrize(("name", "value", "says"), [
    ("mode", "revue", "input mode: Input should be 'auto', 'review', 'sweep' or 'converse' (got 'revue')"),
    ("fail-on", "hgh", "input fail-on: must be one of critical, high, medium, low, info, none (got 'hgh')"),
    ("request-changes-on", "always", "input request-changes-on: must be one of"),
    ("min-severity", "urgent", "input min-severity: Input should be 'critical'"),
    ("max-concurrency", "eight", "input max-concurrency: Input should be a valid integer"),
    ("max-concurrency", "8.5", "input max-concurrency: Input should be a valid integer"),
    ("max-concurrency", "0", "input max-concurrency: Input should be greater than or equal to 1"),
    ("max-concurrency", "1000", "input max-concurrency: Input should be less than or equal to 128"),
    ("dry-run", "maybe", "input dry-run: Input should be a valid boolean"),
    ("budget-usd", "-1", "input budget-usd: Input should be greater than 0"),
    ("budget-usd", "ten dollars", "input budget-usd: Input should be a valid number"),
    ("model", "claude sonnet", "input model: must be a model id"),
    ("strategy", "fast", "input strategy: Input should be 'auto', 'parallel' or 'batch'"),
    ("include", "!", "input include: '!' is not a valid .gitignore-style pattern"),
    ("batch-wait-minutes", "999", "input batch-wait-minutes: Input should be less than or equal to 350"),
])
def test_bad_input_value_names_the_option(name: str, value: str, says: str) -> None:
    message = _error({name: value})
    assert message.startswith("invalid configuration: ")
    assert says in message


def test_values_are_trimmed_and_case_insensitive_where_it_is_safe() -> None:
    config = load_config({"fail-on": " HIGH ", "min-severity": "Medium", "max-concurrency": " 4 "}, None)
    assert (config.fail_on, config.min_severity, config.max_concurrency) == (Severity.high, Severity.medium, 4)
    assert load_config({"fail-on": "None"}, None).fail_on == "none"


def test_empty_inputs_mean_not_set() -> None:
    config = load_config({name: "" for name in OPTION_NAMES}, None)
    assert config.max_concurrency is None and config.mode == "auto"  # max-concurrency: auto


def test_max_concurrency_auto_is_the_default_and_a_number_a_ceiling() -> None:
    """#18.1: "auto" (any case) is the default; a number stays the user's ceiling."""
    assert load_config({"max-concurrency": " Auto "}, None).max_concurrency is None
    assert load_config({}, None).max_concurrency is None
    assert load_config({"max-concurrency": "12"}, None).max_concurrency == 12


def _repo(tmp_path: Path, config: str | bytes | None = None) -> Path:
    root = tmp_path / "repo"
    (root / ".github").mkdir(parents=True)
    if config is not None:
        data = config.encode() if isinstance(config, str) else config
        (root / ".github" / "batch-review.yml").write_bytes(data)
    return root


@pytest.mark.parametrize(("text", "says"), [
    ("mode: [unclosed\n", ".github/batch-review.yml: not valid YAML"),
    ("\tmode: review\n", ".github/batch-review.yml: not valid YAML"),
    (b"mode: r\xe9view\n", ".github/batch-review.yml: not valid YAML"),
    ("- mode\n- review\n", ".github/batch-review.yml: must be a mapping"),
    ("max_concurency: 4\n", "unknown option 'max_concurency' (did you mean 'max-concurrency'?)"),
    ("colour: blue\n", "unknown option 'colour' (known: mode, provider"),
    ("max-concurrency: lots\n", ".github/batch-review.yml: max-concurrency: Input should be a valid integer"),
    ("fail-on: sometimes\n", ".github/batch-review.yml: fail-on: must be one of"),
    ("prices: {claude-x: {input: -1, output: 2}}\n", ".github/batch-review.yml: prices: Input should be greater"),
    ("anthropic-api-key: sk-ant-oops\n", "anthropic-api-key cannot be set in the config file"),
    ("include: 42\n", ".github/batch-review.yml: include:"),
])
def test_bad_config_file_names_the_key(tmp_path: Path, text: str | bytes, says: str) -> None:
    message = _error({}, _repo(tmp_path, text))
    assert says in message, message
    assert "sk-ant-oops" not in message


def test_input_overrides_the_config_file(tmp_path: Path) -> None:
    root = _repo(tmp_path, "max-concurrency: 3\nfail-on: low\n")
    assert load_config({"max-concurrency": "5"}, root).max_concurrency == 5
    assert load_config({}, root).fail_on == Severity.low


def test_empty_config_file_is_fine(tmp_path: Path) -> None:
    assert load_config({}, _repo(tmp_path, "")).mode == "auto"
    assert load_config({}, _repo(tmp_path / "b", "# only a comment\n")).mode == "auto"


def test_config_file_outside_or_missing(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    assert "outside the repository" in _error({"config-file": "../elsewhere.yml"}, root)
    assert "does not exist" in _error({"config-file": "conf/missing.yml"}, root)


def test_config_file_through_a_symlink_out_of_the_repository(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (tmp_path / "outside.yml").write_text("mode: review\n")
    os.symlink(tmp_path / "outside.yml", root / ".github" / "batch-review.yml")
    assert "outside the repository" in _error({}, root)


def test_instructions_paths(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "docs").mkdir()
    (root / "docs" / "review.md").write_text("Look for SQL injection.\n")
    (tmp_path / "secret.md").write_text("secret text\n")
    os.symlink(tmp_path / "secret.md", root / "docs" / "linked.md")
    (root / "docs" / "latin1.md").write_bytes(b"caf\xe9\n")
    (root / "docs" / "huge.md").write_text("x" * 50_001)
    assert resolve_instructions("docs/review.md", root) == "Look for SQL injection.\n"
    assert "outside the repository" in _error({"instructions": "../secret.md"}, root)
    assert "outside the repository" in _error({"instructions": "docs/linked.md"}, root)
    assert "outside the repository" in _error({"instructions": "/etc/passwd"}, root)
    assert "does not exist" in _error({"instructions": "docs/missing.md"}, root)
    assert "is not UTF-8 text" in _error({"instructions": "docs/latin1.md"}, root)
    assert load_config({"instructions": "docs/huge.md"}, root).instructions == "x" * 20_000  # cut, with a warning
    text = "Focus on auth. Ignore docs/ and tests/."
    assert load_config({"instructions": text}, root).instructions == text  # prose, not a path


def test_secrets_come_from_inputs_then_environment() -> None:
    assert read_secrets({"anthropic-api-key": " k1 \n"}, {}).anthropic_api_key == "k1"
    assert read_secrets({}, {"ANTHROPIC_API_KEY": "k2"}).anthropic_api_key == "k2"
    assert read_secrets({"anthropic-api-key": "  "}, {}).anthropic_api_key is None
