#!/usr/bin/env python3
"""Regenerate requirements.lock, the hashed lock the Docker image installs:  python3 scripts/lock.py

Inputs, all from pyproject.toml: [project] dependencies, every extra except the development ones (test,
bench), and [build-system] requires (the image builds the project with --no-build-isolation, so the
build backend is locked too). They are resolved by uv (`uv pip compile --universal --generate-hashes`,
uv pinned below and installed into a throw-away venv) for every platform and every Python the project
supports, and listed in the lock's header; tests/test_lock.py fails when pyproject.toml and the lock
disagree. Needs the network (PyPI); run it after any change to the dependencies.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
UV = "uv==0.13.8"
DEV_EXTRAS = frozenset({"test", "bench"})
COMMAND = "python3 scripts/lock.py"


def inputs(pyproject: dict[str, object]) -> list[str]:
    """The requirements the image needs, in pyproject.toml's order."""
    project = pyproject["project"]
    build = pyproject["build-system"]
    assert isinstance(project, dict) and isinstance(build, dict)
    found: list[str] = list(project.get("dependencies", []))
    for extra, requirements in project.get("optional-dependencies", {}).items():
        if extra not in DEV_EXTRAS:
            found.extend(requirements)
    found.extend(build.get("requires", []))
    return found


def lowest_python(pyproject: dict[str, object]) -> str:
    project = pyproject["project"]
    assert isinstance(project, dict)
    match = re.fullmatch(r">=\s*(3\.\d+)", str(project.get("requires-python", "")).strip())
    if not match:
        sys.exit("lock.py: requires-python must be '>=3.N' to pick the lowest Python to resolve for")
    return match[1]


def uv_binary(work: Path) -> str:
    if found := os.environ.get("UV"):
        return found
    env = work / "uv-venv"
    venv.EnvBuilder(with_pip=True).create(env)
    subprocess.run([str(env / "bin" / "python"), "-m", "pip", "install", "--quiet", UV], check=True)
    return str(env / "bin" / "uv")


def main() -> int:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = inputs(pyproject)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "image.in").write_text("\n".join(wanted) + "\n", encoding="utf-8")
        uv = uv_binary(work)
        subprocess.run(
            [uv, "pip", "compile", "image.in", "--output-file", "image.lock", "--no-config", "--quiet",
             "--universal", "--python-version", lowest_python(pyproject), "--generate-hashes",
             "--custom-compile-command", COMMAND],
            cwd=work, check=True,
        )
        compiled = (work / "image.lock").read_text(encoding="utf-8")
    header, _, body = compiled.partition(f"#    {COMMAND}\n")
    listed = "".join(f"# input: {requirement}\n" for requirement in wanted)
    note = "# Inputs (pyproject.toml: dependencies, extras but test/bench, build-system requires):\n"
    body = body.replace("-r image.in", "pyproject.toml")
    LOCK.write_text(f"{header}#    {COMMAND}\n{note}{listed}{body}", encoding="utf-8")
    pins = sum(1 for line in body.splitlines() if re.match(r"[A-Za-z0-9]", line))
    print(f"{LOCK.relative_to(ROOT)}: {pins} pinned packages from {len(wanted)} inputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
