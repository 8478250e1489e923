"""action.yml, the code, the README and the configuration reference agree: the same inputs, the same outputs,
the same commands."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from batch_review.config import FILE_ONLY, INPUT_ONLY, LOCAL_ONLY, OPTION_NAMES, Config
from batch_review.report import RunReport

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
README = (ROOT / "README.md").read_text()
REFERENCE = (ROOT / "docs" / "configuration.md").read_text()


def test_action_runs_the_dockerfile() -> None:
    assert ACTION["runs"] == {"using": "docker", "image": "Dockerfile"}


def test_inputs_match_the_config_model() -> None:
    expected = (set(OPTION_NAMES) - FILE_ONLY - LOCAL_ONLY) | INPUT_ONLY
    assert set(ACTION["inputs"]) == expected


def test_the_issue_s_fixed_input_names_exist() -> None:
    fixed = {"anthropic-api-key", "github-token", "mode", "model", "max-concurrency", "min-severity", "fail-on",
             "include", "exclude", "instructions", "budget-usd", "batch-wait-minutes", "dry-run"}
    assert fixed <= set(ACTION["inputs"])


def test_input_defaults_are_empty_so_the_config_file_can_set_them() -> None:
    defaults = {name: spec.get("default") for name, spec in ACTION["inputs"].items() if "default" in spec}
    assert defaults == {"github-token": "${{ github.token }}"}


def test_every_input_describes_its_default_and_matches_the_model() -> None:
    for name, spec in ACTION["inputs"].items():
        assert spec.get("description"), name
        field = Config.model_fields.get(name.replace("-", "_"))
        if field is None or field.default in (None, (), "") or isinstance(field.default, dict):
            continue
        shown = str(field.default).lower() if isinstance(field.default, bool) else str(field.default)
        shown = ", ".join(field.default) if isinstance(field.default, tuple) else shown
        shown = shown.removesuffix(".0")
        assert f"Default {shown}" in spec["description"], (name, shown)


def test_outputs_match_what_the_code_writes() -> None:
    assert set(ACTION["outputs"]) == set(RunReport(mode="x").outputs())
    assert set(RunReport(mode="x").outputs()) == {
        "findings-count", "highest-severity", "status", "report-path", "sarif-path", "batch-id", "cost-usd"}


def table_names(text: str) -> set[str]:
    """The names in the first column of a markdown table (`a` / `b` names two)."""
    return {name for cell in re.findall(r"^\| (`[a-z-]+`(?: / `[a-z-]+`)*) \|", text, re.M)
            for name in re.findall(r"`([a-z-]+)`", cell)}


def test_the_configuration_reference_documents_every_input_and_output() -> None:
    docs = "\n".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))  # configuration.md and the rest
    documented = table_names(REFERENCE + "\n" + docs)
    missing = (set(ACTION["inputs"]) | set(ACTION["outputs"])) - documented
    assert not missing, f"docs/configuration.md tables lack {sorted(missing)}"


def test_readme_documents_every_output_and_only_real_inputs() -> None:
    documented = table_names(README)
    assert set(ACTION["outputs"]) <= documented, f"README lacks {sorted(set(ACTION['outputs']) - documented)}"
    assert documented - set(ACTION["outputs"]) <= set(ACTION["inputs"]), "the README names an input that does not exist"
    assert "docs/configuration.md" in README


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    match = re.search(r"<!-- test-command -->\n```(?:sh|bash)?\n(.+?)\n```", README, re.S)
    assert match, "README must show the test command in a marked block"
    command = match[1].strip()
    assert command in ci, "the CI script must call the README's test command verbatim"
