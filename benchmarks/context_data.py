"""Rebuild the targeted-context fixtures: real patch releases of public Python packages from PyPI.

    python -m benchmarks.context_data click 8.1.7 8.1.8
    python -m benchmarks.context_data jinja2 3.1.4 3.1.5

Downloads both source distributions (`pip download --no-binary :all:`), diffs the package's Python
sources with real git (`-U3`, as GitHub shows a pull request) and writes, under
benchmarks/data/context/<name>-<old>-<new>/: `release.diff`, the head version of every changed file
(`head/…`) and the package's licence. Nothing else of the package is kept.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

DATA = Path(__file__).parent / "data" / "context"
_GIT = ("git", "-c", "core.autocrlf=false", "-c", "core.hooksPath=/dev/null", "-c", "user.name=bench",
        "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false")


def fixtures() -> list[Path]:
    return sorted(p for p in DATA.iterdir() if (p / "release.diff").is_file()) if DATA.is_dir() else []


def rebuild(name: str, old: str, new: str) -> Path:
    target = DATA / f"{name}-{old}-{new}"
    with tempfile.TemporaryDirectory(prefix="context-data-") as tmp:
        root = Path(tmp)
        trees = [_sdist(name, version, root) for version in (old, new)]
        repo = root / "repo"
        repo.mkdir()
        _git(repo, "init", "-q")
        for index, tree in enumerate(trees):
            for child in repo.iterdir():
                if child.name != ".git":
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
            shutil.copytree(tree / "src", repo / "src")
            _git(repo, "add", "-A")
            _git(repo, "commit", "-q", "-m", f"v{index}")
        diff = _git(repo, "diff", "-M", "-U3", "--no-color", "--no-ext-diff", "HEAD~1", "HEAD", "--", "*.py")
        changed = _git(repo, "diff", "-M", "--name-only", "--diff-filter=AMR", "HEAD~1", "HEAD", "--", "*.py")
        if target.exists():
            shutil.rmtree(target)
        (target / "head").mkdir(parents=True)
        (target / "release.diff").write_bytes(diff)
        for path in changed.decode().split():
            out = target / "head" / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes((repo / path).read_bytes())
        licence = next(trees[1].glob("LICENSE*"), None) or next(trees[1].glob("COPYING*"), None)
        if licence is not None:
            shutil.copy(licence, target / licence.name)
    return target


def _sdist(name: str, version: str, root: Path) -> Path:
    download = root / f"dl-{version}"
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                    f"{name}=={version}", "-d", str(download)], check=True)
    (archive,) = download.glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(root / f"src-{version}", filter="data")
    (tree,) = (root / f"src-{version}").iterdir()
    return tree


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run([*_GIT, *args], cwd=repo, capture_output=True, check=True).stdout


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    print(rebuild(*sys.argv[1:4]))
