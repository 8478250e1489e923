#!/usr/bin/env python3
"""Regenerate the hashed locks:  python3 scripts/lock.py [--upgrade]

Without --upgrade the versions already locked are kept wherever pyproject.toml still allows them (a new
dependency gets its newest version); --upgrade takes the newest versions the ranges allow.

requirements.lock is what the Docker image installs; requirements-test.lock adds the test tools, and the
tests install both (.ci/run, `pip install --require-hashes --no-deps`), so the suite runs on exactly the
versions the image ships.


Inputs, all from pyproject.toml: [project] dependencies, every extra except the development ones (test,
bench), and [build-system] requires (the image builds the project with --no-build-isolation, so the
build backend is locked too). They are resolved by uv (`uv pip compile --universal --generate-hashes`,
uv pinned below and installed into a throw-away venv) for every platform and every Python the project
supports, and listed in the lock's header. The test lock is compiled from the `test` extra under the image
lock as constraints, and lists only what the image lock does not hold. tests/test_lock.py fails when
pyproject.toml and a lock disagree. Needs the network (PyPI); run it after any change to the dependencies
(.github/workflows/dependencies.yml runs it every week and proposes the result).
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
TEST_LOCK = ROOT / "requirements-test.lock"
TEST_EXTRA = "test"
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


def test_inputs(pyproject: dict[str, object]) -> list[str]:
    """The test tools: the `test` extra, in pyproject.toml's order."""
    project = pyproject["project"]
    assert isinstance(project, dict)
    return list(project.get("optional-dependencies", {}).get(TEST_EXTRA, []))


def pinned_names(lock: str) -> set[str]:
    return {re.split(r"[=<>!~ ;\[]", line, maxsplit=1)[0].lower().replace("_", "-")
            for line in lock.splitlines() if re.match(r"[A-Za-z0-9]", line)}


def without(lock_body: str, names: set[str]) -> str:
    """The compiled entries (each a pin line, its hashes and `# via` comments) not named in `names`."""
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock_body)
    kept = [e for e in entries if not re.match(r"[A-Za-z0-9]", e) or pinned_names(e) - names]
    return "\n".join(kept)


def compile_lock(uv: str, work: Path, wanted: list[str], name: str, python: str, *extra: str,
                 keep: Path | None = None) -> str:
    """uv's lock of `wanted`; the versions pinned in `keep` (the current lock) are kept where they still fit."""
    (work / f"{name}.in").write_text("\n".join(wanted) + "\n", encoding="utf-8")
    if keep is not None and keep.exists():
        (work / f"{name}.lock").write_text(keep.read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run(
        [uv, "pip", "compile", f"{name}.in", "--output-file", f"{name}.lock", "--no-config", "--quiet",
         "--universal", "--python-version", python, "--generate-hashes", "--custom-compile-command", COMMAND,
         *extra],
        cwd=work, check=True,
    )
    return (work / f"{name}.lock").read_text(encoding="utf-8")


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


def main(argv: list[str] | None = None) -> int:
    upgrade = "--upgrade" in (sys.argv[1:] if argv is None else argv)
    keep = {} if upgrade else {"image": LOCK, "test": TEST_LOCK}
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted, tools, python = inputs(pyproject), test_inputs(pyproject), lowest_python(pyproject)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        uv = uv_binary(work)
        compiled = compile_lock(uv, work, wanted, "image", python, keep=keep.get("image"))
        (work / "image-constraints.txt").write_text(compiled, encoding="utf-8")
        compiled_tests = compile_lock(uv, work, tools, "test", python, "--constraint", "image-constraints.txt",
                                      keep=keep.get("test"))
    header, _, body = compiled.partition(f"#    {COMMAND}\n")
    listed = "".join(f"# input: {requirement}\n" for requirement in wanted)
    note = "# Inputs (pyproject.toml: dependencies, extras but test/bench, build-system requires):\n"
    body = body.replace("-r image.in", "pyproject.toml")
    LOCK.write_text(f"{header}#    {COMMAND}\n{note}{listed}{body}", encoding="utf-8")
    test_header, _, test_body = compiled_tests.partition(f"#    {COMMAND}\n")
    test_body = without(test_body.replace("-r test.in", "pyproject.toml"), pinned_names(body))
    test_body = re.sub(r"\n\s*#   -c image-constraints\.txt", "", test_body).replace("-c image-constraints.txt", "")
    test_note = ("# Inputs (pyproject.toml: the test extra), resolved together with requirements.lock, which\n"
                 "# holds every package not listed here: install both with --require-hashes --no-deps.\n")
    tested = "".join(f"# input: {requirement}\n" for requirement in tools)
    TEST_LOCK.write_text(f"{test_header}#    {COMMAND}\n{test_note}{tested}{test_body}", encoding="utf-8")
    for path, text in ((LOCK, body), (TEST_LOCK, test_body)):
        pins = sum(1 for line in text.splitlines() if re.match(r"[A-Za-z0-9]", line))
        print(f"{path.relative_to(ROOT)}: {pins} pinned packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
