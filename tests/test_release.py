"""The release step (scripts/release_action.py, run by .github/workflows/release.yml) turns main's action.yml
into the released one that pulls the pushed image; it refuses bad versions, tags, images and digests with
one clear line; the changelog, licence and release metadata agree with pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "release_action.py"
DIGEST = "sha256:" + "0123456789abcdef" * 4
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# Action metadata for a Docker container action, written from GitHub's "Metadata syntax reference":
# name and description required; input ids start with a letter or _ and hold letters, digits, - and _;
# inputs have a description; outputs of a Docker action have a description and no value; runs.using is
# docker and runs.image a Dockerfile path or a docker:// image reference.
INPUT_ID = r"^[A-Za-z_][A-Za-z0-9_-]*$"
DOCKER_ACTION: dict[str, Any] = {
    "type": "object",
    "required": ["name", "description", "runs"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "author": {"type": "string"},
        "description": {"type": "string", "minLength": 1},
        "branding": {"type": "object"},
        "inputs": {"type": "object", "propertyNames": {"pattern": INPUT_ID}, "additionalProperties": {
            "type": "object", "required": ["description"], "additionalProperties": False, "properties": {
                "description": {"type": "string"}, "required": {"type": "boolean"},
                "default": {"type": "string"}, "deprecationMessage": {"type": "string"}}}},
        "outputs": {"type": "object", "propertyNames": {"pattern": INPUT_ID}, "additionalProperties": {
            "type": "object", "required": ["description"], "additionalProperties": False,
            "properties": {"description": {"type": "string"}}}},
        "runs": {"type": "object", "required": ["using", "image"], "additionalProperties": False, "properties": {
            "using": {"const": "docker"},
            "image": {"type": "string", "pattern": r"^(Dockerfile|docker://[a-z0-9./_:-]+(@sha256:[0-9a-f]{64})?)$"},
            "env": {"type": "object"}, "args": {"type": "array"}, "entrypoint": {"type": "string"},
            "pre-entrypoint": {"type": "string"}, "post-entrypoint": {"type": "string"},
            "pre-if": {"type": "string"}, "post-if": {"type": "string"}}},
    },
}


def release(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)


def refused(proc: subprocess.CompletedProcess[str], words: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("release_action.py: error: ") and words in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") <= 2


def released(tmp_path: Path, *extra: str) -> tuple[str, dict[str, Any]]:
    out = tmp_path / "action.yml"
    proc = release("action", "--version", "1.2.3", "--image", "ghcr.io/acme/batch-review", *extra, "--output", out)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    return text, yaml.safe_load(text)


def test_released_action_pulls_the_image(tmp_path: Path) -> None:
    text, action = released(tmp_path)
    source_text = (ROOT / "action.yml").read_text(encoding="utf-8")
    source = yaml.safe_load(source_text)
    assert action["runs"] == {"using": "docker", "image": "docker://ghcr.io/acme/batch-review:1.2.3"}
    assert action["inputs"] == source["inputs"] and action["outputs"] == source["outputs"]
    assert {k: v for k, v in action.items() if k != "runs"} == {k: v for k, v in source.items() if k != "runs"}
    changed = [(a, b) for a, b in zip(source_text.splitlines(), text.splitlines(), strict=True) if a != b]
    assert changed == [("  image: Dockerfile", "  image: docker://ghcr.io/acme/batch-review:1.2.3")]


def test_released_action_pins_the_digest(tmp_path: Path) -> None:
    _, action = released(tmp_path, "--digest", DIGEST)
    assert action["runs"]["image"] == f"docker://ghcr.io/acme/batch-review:1.2.3@{DIGEST}"


def test_source_and_released_action_are_valid_docker_action_metadata(tmp_path: Path) -> None:
    jsonschema.validate(yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8")), DOCKER_ACTION)
    for extra in ((), ("--digest", DIGEST)):
        jsonschema.validate(released(tmp_path, *extra)[1], DOCKER_ACTION)


def test_the_schema_catches_a_broken_action() -> None:
    broken = {"name": "x", "description": "y", "runs": {"using": "docker", "image": "docker://Ghcr.io/X:1"},
              "inputs": {"1bad": {"description": "z"}}}
    errors = list(jsonschema.Draft202012Validator(DOCKER_ACTION).iter_errors(broken))
    assert len(errors) == 2


def test_comments_and_quoting_in_runs_are_understood(tmp_path: Path) -> None:
    source = tmp_path / "in.yml"
    source.write_text("name: x\ndescription: y\nruns:\n    # the image\n    using: 'docker'\n"
                      "    image: \"Dockerfile\"  # built on main\n    args: [a]\n", encoding="utf-8")
    out = tmp_path / "out.yml"
    proc = release("action", "--version", "2.0.0", "--image", "ghcr.io/acme/batch-review", "--source", source,
                   "--output", out)
    assert proc.returncode == 0, proc.stderr
    assert yaml.safe_load(out.read_text())["runs"] == {
        "using": "docker", "image": "docker://ghcr.io/acme/batch-review:2.0.0", "args": ["a"]}


@pytest.mark.parametrize("version", ["v1.2.3", "1.2", "1.2.3.4", "01.2.3", "1.2.3-rc.1", "latest", ""])
def test_bad_versions_are_refused(tmp_path: Path, version: str) -> None:
    out = tmp_path / "action.yml"
    proc = release("action", "--version", version, "--image", "ghcr.io/acme/batch-review", "--output", out)
    refused(proc, f"version {version!r} is not MAJOR.MINOR.PATCH")
    assert not out.exists()


@pytest.mark.parametrize(("option", "value", "words"), [
    ("--image", "ghcr.io/Acme/batch-review", "is not a lower-case image name"),
    ("--image", "ghcr.io/acme/batch-review:1", "(no tag, no digest)"),
    ("--digest", "sha256:abc", "is not sha256: followed by 64"),
])
def test_bad_image_or_digest_is_refused(tmp_path: Path, option: str, value: str, words: str) -> None:
    args = {"--image": "ghcr.io/acme/batch-review", option: value}
    proc = release("action", "--version", "1.2.3", *[x for kv in args.items() for x in kv],
                   "--output", tmp_path / "a.yml")
    refused(proc, words)


def test_an_already_released_action_is_refused(tmp_path: Path) -> None:
    first, _ = released(tmp_path)
    (tmp_path / "released.yml").write_text(first, encoding="utf-8")
    proc = release("action", "--version", "1.2.4", "--image", "ghcr.io/acme/batch-review",
                   "--source", tmp_path / "released.yml", "--output", tmp_path / "again.yml")
    refused(proc, "expected 'Dockerfile' (is this already a release commit?)")


def test_notes_come_from_the_changelog(tmp_path: Path) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## [Unreleased]\n\n## [1.2.3] - 2026-12-01\n\n### Fixed\n- a bug\n\n"
                         "## [1.2.2] - 2026-11-30\n- older\n", encoding="utf-8")
    proc = release("notes", "--version", "1.2.3", "--changelog", changelog)
    assert proc.returncode == 0 and proc.stdout == "### Fixed\n- a bug\n", proc.stderr
    refused(release("notes", "--version", "1.2.4", "--changelog", changelog), "no notes under '## [1.2.4]'")


def test_the_changelog_has_notes_for_the_project_version() -> None:
    """A release of pyproject.toml's version would be refused without them."""
    proc = release("notes", "--version", PYPROJECT["project"]["version"])
    assert proc.returncode == 0 and proc.stdout.strip(), proc.stderr
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog
    assert f"[{PYPROJECT['project']['version']}]: " in changelog  # the link to its release


def test_the_licence_is_the_one_pyproject_declares() -> None:
    assert PYPROJECT["project"]["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n") and "batch-review contributors" in text
