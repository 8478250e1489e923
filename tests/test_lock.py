"""requirements.lock (what the image installs, with hashes) matches pyproject.toml: it was compiled from
today's dependencies, extras and build backend, and pins each of them within its declared range. The Dockerfile
installs exactly this lock, and so do the tests, with the test tools of requirements-test.lock on top (no
package in both, every pin hashed). Regenerate both with `python3 scripts/lock.py`."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = (ROOT / "requirements.lock").read_text(encoding="utf-8")
TEST_LOCK = (ROOT / "requirements-test.lock").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DEV_EXTRAS = {"test", "bench"}
RELOCK = "run `python3 scripts/lock.py` to regenerate requirements.lock and requirements-test.lock"


def image_inputs() -> list[str]:
    """What the image needs: the dependencies, every extra but the development ones, the build backend."""
    project = PYPROJECT["project"]
    extras = [r for name, reqs in project.get("optional-dependencies", {}).items() if name not in DEV_EXTRAS
              for r in reqs]
    return [*project["dependencies"], *extras, *PYPROJECT["build-system"]["requires"]]


def pins(lock: str) -> dict[str, list[tuple[Version, Requirement, int]]]:
    """name -> [(version, the pin with its marker, number of hashes)] from a pip/uv requirements file."""
    found: dict[str, list[tuple[Version, Requirement, int]]] = {}
    entries = re.split(r"\n(?=[A-Za-z0-9])", "\n" + lock)
    for entry in entries:
        head = entry.split(" \\\n", 1)[0].strip()
        if not head or head.startswith("#"):
            continue
        requirement = Requirement(head)
        [spec] = requirement.specifier
        assert spec.operator == "==", f"not an exact pin: {head}"
        hashes = len(re.findall(r"--hash=sha256:[0-9a-f]{64}", entry))
        found.setdefault(canonicalize_name(requirement.name), []).append((Version(spec.version), requirement, hashes))
    return found


PINS = pins(LOCK)
TEST_PINS = pins(TEST_LOCK)


def tool_inputs() -> list[str]:
    return list(PYPROJECT["project"]["optional-dependencies"]["test"])


def test_the_test_lock_was_compiled_from_today_s_test_extra() -> None:
    assert re.findall(r"^# input: (.+)$", TEST_LOCK, re.M) == tool_inputs(), RELOCK


def test_the_test_lock_adds_only_what_the_image_lock_lacks() -> None:
    """Both are installed with --require-hashes --no-deps: a package in both could not be installed twice,
    and the suite must run on the image's own versions of everything the image ships."""
    assert TEST_PINS and not set(TEST_PINS) & set(PINS)
    for name, entries in TEST_PINS.items():
        for version, _, hashes in entries:
            assert hashes >= 1, f"{name}=={version} has no hash"


@pytest.mark.parametrize("text", tool_inputs())
def test_each_test_tool_is_pinned_within_its_range(text: str) -> None:
    wanted = Requirement(text)
    entries = TEST_PINS.get(canonicalize_name(wanted.name)) or PINS.get(canonicalize_name(wanted.name))
    assert entries, f"{wanted.name} is in neither lock: {RELOCK}"
    for version, _, _ in entries:
        assert wanted.specifier.contains(version, prereleases=True), f"{wanted.name}=={version} is outside {text}"


def test_ci_installs_the_locks_with_hashes_and_the_project_without_dependencies() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install --require-hashes --no-deps -r requirements.lock -r requirements-test.lock" in ci
    assert "pip install --no-deps --no-build-isolation -e ." in ci
    assert "'.[test]'" not in ci  # no resolution at test time: what is tested is what is locked


def test_the_lock_was_compiled_from_today_s_pyproject() -> None:
    listed = re.findall(r"^# input: (.+)$", LOCK, re.M)
    assert listed == image_inputs(), RELOCK


def test_every_pin_is_exact_and_hashed() -> None:
    assert len(PINS) >= 10
    for name, entries in PINS.items():
        for version, _, hashes in entries:
            assert hashes >= 1, f"{name}=={version} has no hash"


@pytest.mark.parametrize("text", image_inputs())
def test_each_input_is_pinned_within_its_range(text: str) -> None:
    wanted = Requirement(text)
    entries = PINS.get(canonicalize_name(wanted.name))
    assert entries, f"{wanted.name} is not in requirements.lock: {RELOCK}"
    for version, _, _ in entries:
        assert wanted.specifier.contains(version, prereleases=True), f"{wanted.name}=={version} is outside {text}"


def test_the_parser_sees_a_missing_or_stale_pin() -> None:
    """The checks above can fail: a lock without a package, or with one outside its range, is caught."""
    sample = ("# input: rich>=15,<16\nrich==14.0.0 \\\n    --hash=sha256:" + "a" * 64 + "\n    # via x\n"
              "idna==3.10 ; sys_platform != 'emscripten' \\\n    --hash=sha256:" + "b" * 64 + "\n")
    parsed = pins(sample)
    assert set(parsed) == {"rich", "idna"} and parsed["idna"][0][1].marker is not None
    assert not Requirement("rich>=15,<16").specifier.contains(parsed["rich"][0][0])


def test_the_dockerfile_installs_the_lock_with_hashes() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^COPY requirements\.lock ", dockerfile, re.M)
    assert re.search(r"^RUN pip install .*--require-hashes .*-r requirements\.lock$", dockerfile, re.M)
    assert re.search(r"^RUN pip install .*--no-deps --no-build-isolation \.", dockerfile, re.M)
    assert re.search(r"^FROM python:3\.\d+-slim@sha256:[0-9a-f]{64}$", dockerfile, re.M), "pin the base by digest"


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_the_lock_installs_on_the_image_s_platforms(tmp_path: Path, arch: str) -> None:
    """Every pin has a wheel with a matching hash for the image's Python on both platforms it is built for
    (downloads from PyPI; the install itself is exercised in tests/test_container.py)."""
    image_python = re.search(r"^FROM python:(3\.\d+)-slim", (ROOT / "Dockerfile").read_text(), re.M)
    assert image_python
    platforms = [f"--platform={tag}_{arch}" for tag in ("manylinux_2_28", "manylinux_2_17", "manylinux2014")]
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--only-binary=:all:", *platforms, f"--python-version={image_python[1]}", "--implementation=cp",
         "--require-hashes", "-r", str(ROOT / "requirements.lock"), "--dest", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = {p.name.split("-")[0].replace("_", "-").lower() for p in tmp_path.glob("*.whl")}
    assert wheels >= {"pydantic-core", "jiter"}
