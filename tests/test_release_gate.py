"""Nothing is tagged unless it may be: scripts/release_gate.py (run by .github/workflows/release.yml before
it creates or moves any tag) refuses a version pyproject.toml or CHANGELOG.md disagree with, a version
already tagged, a commit off the default branch or without a passing CI run, and an image that an
anonymous client cannot pull — each with one line naming the fix. The registry check speaks the real
protocol to a loopback registry (tests/fakes/registry.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.registry import FakeRegistry, Package

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "release_gate.py"
SHA = "1f" * 20
DIGEST = "sha256:" + "0123456789abcdef" * 4
CHANGELOG = ("# Changelog\n\n## [Unreleased]\n\n## [1.2.3] - 2026-12-01\n\n### Fixed\n- a bug\n\n"
             "## [1.2.2] - 2026-11-30\n- older\n\n[Unreleased]: https://x/compare/v1.2.3...HEAD\n")
PASSED = {"total_count": 2, "workflow_runs": [
    {"head_sha": SHA, "status": "completed", "conclusion": "failure", "created_at": "2026-12-01T10:00:00Z",
     "html_url": "https://github.com/acme/batch-review/actions/runs/1"},
    {"head_sha": SHA, "status": "completed", "conclusion": "success", "created_at": "2026-12-01T11:00:00Z",
     "html_url": "https://github.com/acme/batch-review/actions/runs/2"}]}


def script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)


def refused(proc: subprocess.CompletedProcess[str], words: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("release_gate.py: error: ") and words in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert proc.stdout == ""  # nothing reaches $GITHUB_OUTPUT


def gate(tmp_path: Path, *, version: str = "1.2.3", declared: str = "1.2.3", changelog: str = CHANGELOG,
         tags: tuple[str, ...] = ("v1", "v1.2.2"), compare: dict[str, Any] | None = None,
         runs: dict[str, Any] | None = None, owner: str = "Acme", sha: str = SHA) -> subprocess.CompletedProcess[str]:
    files = {"pyproject.toml": f'[project]\nname = "batch-review"\nversion = "{declared}"\n',
             "CHANGELOG.md": changelog, "tags.txt": "".join(f"refs/tags/{t}\n" for t in tags),
             "compare.json": json.dumps(compare or {"status": "behind", "ahead_by": 0, "behind_by": 3}),
             "runs.json": json.dumps(runs or PASSED)}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return script("gate", "--version", version, "--sha", sha, "--owner", owner,
                  "--pyproject", tmp_path / "pyproject.toml", "--changelog", tmp_path / "CHANGELOG.md",
                  "--tags-from", tmp_path / "tags.txt", "--compare", tmp_path / "compare.json",
                  "--ci-runs", tmp_path / "runs.json")


def outputs(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert proc.returncode == 0, proc.stderr
    return dict(line.split("=", 1) for line in proc.stdout.splitlines())


def test_a_releasable_commit_gets_its_tags(tmp_path: Path) -> None:
    assert outputs(gate(tmp_path)) == {"version": "1.2.3", "tag": "v1.2.3", "major": "1",
                                       "image": "ghcr.io/acme/batch-review", "move-major": "true"}
    assert outputs(gate(tmp_path, compare={"status": "identical", "ahead_by": 0}))["tag"] == "v1.2.3"


def test_a_late_patch_does_not_move_the_major_tag_back(tmp_path: Path) -> None:
    changelog = CHANGELOG.replace("[1.2.3] - 2026-12-01", "[1.1.5] - 2026-12-01")
    got = outputs(gate(tmp_path, version="1.1.5", declared="1.1.5", changelog=changelog,
                       tags=("v1", "v1.2.0", "v1.1.4", "v2.0.0")))
    assert got["move-major"] == "false"


def test_a_new_major_moves_its_own_tag(tmp_path: Path) -> None:
    changelog = CHANGELOG.replace("[1.2.3]", "[2.0.0]")
    assert outputs(gate(tmp_path, version="2.0.0", declared="2.0.0", changelog=changelog,
                        tags=("v1", "v1.9.9")))["move-major"] == "true"


@pytest.mark.parametrize(("change", "words"), [
    ({"declared": "1.2.2"}, "pyproject.toml's version is 1.2.2, not 1.2.3: bump it"),
    ({"version": "v1.2.3"}, "is not MAJOR.MINOR.PATCH"),
    ({"owner": "bad/owner"}, "is not a GitHub user or organisation name"),
    ({"sha": "main"}, "is not a full SHA"),
    ({"changelog": CHANGELOG.replace("## [1.2.3] - 2026-12-01", "## [1.2.4]")}, "no notes under '## [1.2.3]'"),
    ({"changelog": CHANGELOG.replace("## [Unreleased]\n", "## [Unreleased]\n### Added\n- a thing\n- another\n")},
     "still has 2 line(s) under '## [Unreleased]'"),
    ({"tags": ("v1", "v1.2.3")}, "v1.2.3 is already released, and a version tag never moves"),
    ({"compare": {"status": "ahead", "ahead_by": 2}}, "is not on the default branch (compare status 'ahead'"),
    ({"compare": {"status": "diverged", "ahead_by": 1}}, "is not on the default branch"),
    ({"runs": {"workflow_runs": []}}, "CI has not run on 1f1f1f1f1f1f"),
    ({"runs": {"workflow_runs": [{**PASSED["workflow_runs"][1], "head_sha": "2e" * 20}]}}, "CI has not run on"),
    ({"runs": {"workflow_runs": [PASSED["workflow_runs"][0]]}},
     "CI has not passed on 1f1f1f1f1f1f (latest run failure: https://github.com/acme/batch-review/actions/runs/1)"),
    ({"runs": {"workflow_runs": [{**PASSED["workflow_runs"][1], "status": "in_progress", "conclusion": None}]}},
     "(latest run in_progress:"),
])
def test_the_gate_refuses(tmp_path: Path, change: dict[str, Any], words: str) -> None:
    refused(gate(tmp_path, **change), words)


def test_unreadable_inputs_are_refused_in_one_line(tmp_path: Path) -> None:
    gate(tmp_path)
    (tmp_path / "compare.json").write_text("<html>", encoding="utf-8")
    proc = script("gate", "--version", "1.2.3", "--sha", SHA, "--owner", "acme", "--pyproject",
                  tmp_path / "pyproject.toml", "--changelog", tmp_path / "CHANGELOG.md", "--tags-from",
                  tmp_path / "tags.txt", "--compare", tmp_path / "compare.json", "--ci-runs", tmp_path / "runs.json")
    refused(proc, "cannot read")


def pullable(registry: FakeRegistry, tag: str = "1.2.3", digest: str = DIGEST) -> subprocess.CompletedProcess[str]:
    return script("pullable", "--image", "ghcr.io/acme/batch-review", "--tag", tag, "--digest", digest,
                  "--registry", registry.base_url)


def test_a_public_image_passes_through_the_anonymous_token_dance() -> None:
    with FakeRegistry({"acme/batch-review": Package({"1.2.3": DIGEST}, public=True)}) as registry:
        proc = pullable(registry)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"ghcr.io/acme/batch-review:1.2.3@{DIGEST} can be pulled anonymously\n"
    methods = [(m, p.split("?")[0], a) for m, p, a in registry.requests]
    assert methods == [("HEAD", "/v2/acme/batch-review/manifests/1.2.3", ""), ("GET", "/token", ""),
                       ("HEAD", "/v2/acme/batch-review/manifests/1.2.3", "Bearer anonymous:acme/batch-review")]


@pytest.mark.parametrize("private", ["deny-token", "deny-manifest"])
def test_a_private_image_is_refused_with_the_fix(private: str) -> None:
    """GHCR creates a new package private: the first release stops here, before any tag, and says how."""
    with FakeRegistry({"acme/batch-review": Package({"1.2.3": DIGEST}, private=private)}) as registry:
        proc = pullable(registry)
    refused(proc, "ghcr.io/acme/batch-review:1.2.3 cannot be pulled anonymously")
    assert "Change visibility → Public; then re-run this workflow. No tag was created or moved." in proc.stderr
    assert "github.com/acme → Packages → batch-review" in proc.stderr


def test_a_tag_that_names_another_digest_or_none_is_refused() -> None:
    other = "sha256:" + "f" * 64
    with FakeRegistry({"acme/batch-review": Package({"1.2.3": other}, public=True)}) as registry:
        refused(pullable(registry), f"names {other}, not the pushed {DIGEST}")
        refused(pullable(registry, tag="1.2.4"), "is not in the registry (HTTP 404)")
        refused(pullable(registry, digest="sha256:abc"), "is not sha256: followed by 64")


def test_an_unreachable_registry_is_refused() -> None:
    with FakeRegistry() as registry:
        url = registry.base_url
    proc = script("pullable", "--image", "ghcr.io/acme/batch-review", "--tag", "1.2.3", "--digest", DIGEST,
                  "--registry", url)
    refused(proc, "cannot reach the registry")


def test_the_project_can_be_released_as_its_version(tmp_path: Path) -> None:
    """Today's pyproject.toml and CHANGELOG.md pass the gate: the first tag ships these notes."""
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    got = outputs(gate(tmp_path, version=version, declared=version, changelog=changelog, tags=()))
    assert got["tag"] == f"v{version}"
