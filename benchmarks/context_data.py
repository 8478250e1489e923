"""The targeted-context fixtures: real patch releases of public Python packages from PyPI, fetched by pinned
sha256 through the eval's sdist cache (eval/sdists.py; nothing of these packages is committed here).

Each fixture is the package's `src/` Python files diffed between the two releases with real git (`-U3`, as
GitHub shows a pull request): `release.diff`, and the head version of every changed file under `head/`,
written into a folder of the cache.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASES = (  # (name, old, new, old sdist sha256, new sdist sha256)
    ("click", "8.1.7", "8.1.8", "ca9853ad459e787e2192211578cc907e7594e294c7ccc834310722b41b9ca6de",
     "ed53c9d8990d83c2a27deae68e4ee337473f6330c040a31d4225c9574d16096a"),
    ("jinja2", "3.1.4", "3.1.5", "4a3aee7acbbe7303aede8e9648d13b8bf88a429282aa6122a993f0ac800cb369",
     "8fefff8dc3034e27bb80d67c671eb8a9bc424c0ef4c0826edbff304cceff43bb"),
)
_GIT = ("git", "-c", "core.autocrlf=false", "-c", "core.hooksPath=/dev/null", "-c", "user.name=bench",
        "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false")


def fixtures() -> list[Path]:
    return [fixture(*release) for release in RELEASES]


def fixture(name: str, old: str, new: str, old_sha: str, new_sha: str) -> Path:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from eval.sdists import cache_dir, source

    target = cache_dir() / "context" / f"{name}-{old}-{new}"
    if (target / "release.diff").is_file():
        return target
    trees = [source(name, old, old_sha), source(name, new, new_sha)]
    with tempfile.TemporaryDirectory(prefix="context-data-") as tmp:
        repo = Path(tmp) / "repo"
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
        building = target.with_name(target.name + ".part")
        if building.exists():
            shutil.rmtree(building)
        (building / "head").mkdir(parents=True)
        for path in changed.decode().split():
            out = building / "head" / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes((repo / path).read_bytes())
        (building / "release.diff").write_bytes(diff)
        if target.exists():
            shutil.rmtree(target)
        building.rename(target)
    return target


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run([*_GIT, *args], cwd=repo, capture_output=True, check=True).stdout


if __name__ == "__main__":
    for path in fixtures():
        print(path)
