"""Build the example eval dataset: real bugs from patch releases of public Python projects.

Each case takes a fix named in a project's changelog (x.y.z → x.y.z+1 on PyPI) and reverses it: the
case's base is the file as released with the fix, its head the same file with only that fix's hunks
undone, so the change from base to head introduces the bug. The labels are the head lines the reversal
wrote (for a fix that only added code: the two head lines around the spot where it is missing).

    python eval/build.py                 # offline: git repositories and dataset.jsonl from eval/data
    python eval/build.py --out DIR       # the same, into DIR (DIR/repos/<project>, DIR/dataset.jsonl)
    python eval/build.py --from-pypi     # download both sdists of every recipe, extract eval/data anew
    python eval/build.py --show click 8.1.6 8.1.7 src/click/shell_completion.py   # hunks to pick from

`eval/recipes.json` says, per case: the project, the version pair, the file, which hunks of the
zero-context diff between the versions make up the fix (numbered as `--show` prints them), the
changelog line, and a severity. `--from-pypi` writes eval/data/<project>/<version>/<path> (the fixed
files), eval/data/<project>/cases/<id>.diff (base → head) and the project's licence file, and
eval/dataset.template.jsonl (the labels). The offline build needs only git: one repository per project,
a root commit per released version (tag `base/<version>`) and a child commit per case (tag
`case/<id>`), with fixed dates, so commit ids are the same on every machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RECIPES = HERE / "recipes.json"
TEMPLATE = HERE / "dataset.template.jsonl"
CACHE = HERE / ".sdists"
LICENCE_NAMES = ("LICENSE.rst", "LICENSE.txt", "LICENSE", "LICENSE.md", "COPYING")
MERGE_GAP = 6  # reversed hunks this close together make one label


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="batch-review eval", GIT_AUTHOR_EMAIL="eval@example.invalid",
        GIT_COMMITTER_NAME="batch-review eval", GIT_COMMITTER_EMAIL="eval@example.invalid",
        GIT_AUTHOR_DATE="2024-01-01T00:00:00+0000", GIT_COMMITTER_DATE="2024-01-01T00:00:00+0000",
        LC_ALL="C",
    )
    return env


def git(repo: Path, *args: str, input: bytes | None = None, check: bool = True) -> str:
    proc = subprocess.run(["git", "-c", "core.autocrlf=false", "-c", "commit.gpgsign=false", *args], cwd=repo,
                          input=input, capture_output=True, env=git_env(), check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed in {repo}: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout.decode("utf-8", "replace")


# -- offline: repositories and dataset.jsonl from eval/data -----------------------------------------
def build(out: Path) -> Path:
    template = [json.loads(line) for line in TEMPLATE.read_text(encoding="utf-8").splitlines() if line.strip()]
    repos = out / "repos"
    resolved: list[dict[str, Any]] = []
    for project in sorted({case["meta"]["project"] for case in template}):
        repo = repos / project
        if repo.exists():
            shutil.rmtree(repo)
        repo.mkdir(parents=True)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "config", "core.hooksPath", os.devnull)
        for version in sorted({c["meta"]["fixed"] for c in template if c["meta"]["project"] == project}):
            _commit_version(repo, project, version)
        for case in (c for c in template if c["meta"]["project"] == project):
            _commit_case(repo, project, case)
    for case in template:
        repo = repos / case["meta"]["project"]
        entry = dict(case)
        entry["repo"] = os.path.relpath(repo, out)
        entry["base"] = git(repo, "rev-parse", f"{case['base']}^{{commit}}").strip()
        entry["head"] = git(repo, "rev-parse", f"{case['head']}^{{commit}}").strip()
        resolved.append(entry)
    dataset = out / "dataset.jsonl"
    dataset.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in resolved), encoding="utf-8")
    return dataset


def _commit_version(repo: Path, project: str, version: str) -> None:
    git(repo, "checkout", "-q", "--orphan", f"v{version}")
    git(repo, "rm", "-rq", "--cached", "--ignore-unmatch", ".")
    _clean_tree(repo)
    source = DATA / project / version
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        target = repo / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"{project} {version} as released on PyPI")
    git(repo, "tag", f"base/{version}")


def _commit_case(repo: Path, project: str, case: dict[str, Any]) -> None:
    git(repo, "checkout", "-q", "--detach", case["base"])
    _clean_tree(repo)
    git(repo, "checkout", "-q", "--", ".")
    patch = (DATA / project / "cases" / f"{case['id']}.diff").read_bytes()
    git(repo, "apply", "--whitespace=nowarn", "-", input=patch)
    git(repo, "commit", "-q", "-am", f"{case['id']}: {case['meta']['changelog']} (reversed)")
    git(repo, "tag", case["head"])


def _clean_tree(repo: Path) -> None:
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()


# -- from PyPI: download, diff, reverse the chosen hunks ------------------------------------------
def sdist(project: str, version: str) -> Path:
    """The extracted sdist of project==version (downloaded with pip into eval/.sdists once)."""
    CACHE.mkdir(exist_ok=True)
    folder = CACHE / f"{project}-{version}"
    if folder.is_dir():
        return folder
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        f"{project}=={version}", "-d", tmp], check=True)
        archives = list(Path(tmp).glob("*.tar.gz"))
        if len(archives) != 1:
            raise SystemExit(f"expected one sdist of {project}=={version}, got {archives}")
        with tarfile.open(archives[0]) as tar:
            top = tar.getnames()[0].split("/")[0]
            tar.extractall(tmp, filter="data")
        shutil.move(str(Path(tmp) / top), folder)
    return folder


def zero_context_hunks(old: bytes, new: bytes) -> list[tuple[int, int, int, int, list[str]]]:
    """(old start, old count, new start, new count, diff lines) of `git diff -U0`, in order."""
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp, "a"), Path(tmp, "b")
        a.write_bytes(old)
        b.write_bytes(new)
        proc = subprocess.run(["git", "diff", "--no-index", "-U0", "--no-color", "a", "b"], cwd=tmp,
                              capture_output=True, env=git_env(), check=False)
    hunks: list[tuple[int, int, int, int, list[str]]] = []
    for line in proc.stdout.decode("utf-8", "surrogateescape").split("\n"):
        if line.startswith("@@ "):
            old_part, new_part = line.split(" ")[1:3]
            o_start, o_count = _range(old_part[1:])
            n_start, n_count = _range(new_part[1:])
            hunks.append((o_start, o_count, n_start, n_count, []))
        elif hunks and line[:1] in ("+", "-") and not line.startswith(("+++", "---")):
            hunks[-1][4].append(line)
    return hunks


def _range(text: str) -> tuple[int, int]:
    start, _, count = text.partition(",")
    return int(start), int(count) if count else 1


def reverse_hunks(old: bytes, new: bytes, chosen: list[int], labelled: list[int]) -> tuple[bytes, list[list[int]]]:
    """`new` with the chosen hunks of old → new undone, and the head line ranges of the `labelled` ones:
    the lines a reversal wrote, or the two lines around the spot where it only removed lines."""
    hunks = zero_context_hunks(old, new)
    if any(i >= len(hunks) for i in chosen):
        raise SystemExit(f"hunk index out of range: there are {len(hunks)} hunks")
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    ranges: list[list[int]] = []
    shift = 0  # lines the reversals above this one added (or removed)
    for index in sorted(chosen, key=lambda i: hunks[i][2]):
        o_start, o_count, n_start, n_count, _ = hunks[index]
        at = (n_start - 1 if n_count else n_start) + shift  # a pure insertion is "after line n_start"
        new_lines[at : at + n_count] = old_lines[o_start - 1 : o_start - 1 + o_count]
        shift += o_count - n_count
        if index in labelled:
            first, last = (at + 1, at + o_count) if o_count else (max(1, at), at + 1)
            if ranges and first - ranges[-1][1] <= MERGE_GAP:
                ranges[-1][1] = max(last, ranges[-1][1])
            else:
                ranges.append([first, last])
    for label in ranges:  # a range must hold code, not only the blank lines around a gap
        while label[0] > 1 and not new_lines[label[0] - 1].strip():
            label[0] -= 1
    return b"\n".join(new_lines), ranges


def unified(base: bytes, head: bytes, path: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp, "a", path), Path(tmp, "b", path)
        a.parent.mkdir(parents=True)
        b.parent.mkdir(parents=True)
        a.write_bytes(base)
        b.write_bytes(head)
        command = ["git", "diff", "--no-index", "--no-color", "--no-prefix", f"a/{path}", f"b/{path}"]
        proc = subprocess.run(command, cwd=tmp, capture_output=True, env=git_env(), check=False)
    return proc.stdout


def from_pypi() -> None:
    recipes = json.loads(RECIPES.read_text(encoding="utf-8"))
    if DATA.exists():
        shutil.rmtree(DATA)
    lines = []
    for recipe in recipes:
        project, old_v, new_v, path = recipe["project"], recipe["buggy"], recipe["fixed"], recipe["path"]
        old_root, new_root = sdist(project, old_v), sdist(project, new_v)
        old, new = (old_root / path).read_bytes(), (new_root / path).read_bytes()
        head, labels = reverse_hunks(old, new, recipe["hunks"], recipe.get("label_hunks", recipe["hunks"]))
        if head == new:
            raise SystemExit(f"{recipe['id']}: the chosen hunks change nothing")
        fixed_file = DATA / project / new_v / path
        fixed_file.parent.mkdir(parents=True, exist_ok=True)
        fixed_file.write_bytes(new)
        cases = DATA / project / "cases"
        cases.mkdir(parents=True, exist_ok=True)
        (cases / f"{recipe['id']}.diff").write_bytes(unified(new, head, path))
        expected = [{"path": path, "line": first, "end_line": last, "severity": recipe["severity"]}
                    for first, last in labels]
        lines.append({
            "id": recipe["id"], "repo": f"repos/{project}", "base": f"base/{new_v}", "head": f"case/{recipe['id']}",
            "expected": expected, "note": recipe["bug"],
            "meta": {"project": project, "buggy": old_v, "fixed": new_v, "changelog": recipe["changelog"]},
        })
    for project in {r["project"] for r in recipes}:  # the licence of the newest version used, beside the data
        newest = max((r["fixed"] for r in recipes if r["project"] == project),
                     key=lambda v: tuple(int(x) for x in v.split(".")))
        root = sdist(project, newest)
        licences = [name for name in LICENCE_NAMES if (root / name).is_file()]
        if not licences:
            raise SystemExit(f"{project} {newest}: no licence file found in the sdist")
        for name in (licences[0], "NOTICE"):
            if (root / name).is_file():
                shutil.copyfile(root / name, DATA / project / name)
    TEMPLATE.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    print(f"{len(lines)} cases from {len({r['project'] for r in recipes})} projects written to {DATA}")


def show(project: str, old_v: str, new_v: str, path: str) -> None:
    old = (sdist(project, old_v) / path).read_bytes()
    new = (sdist(project, new_v) / path).read_bytes()
    for index, (o_start, o_count, n_start, n_count, lines) in enumerate(zero_context_hunks(old, new)):
        print(f"[{index}] -{o_start},{o_count} +{n_start},{n_count}")
        print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where repos/ and dataset.jsonl go (default: eval/)")
    parser.add_argument("--from-pypi", action="store_true", help="download the sdists and extract the cases anew")
    parser.add_argument("--show", nargs=4, metavar=("PROJECT", "OLD", "NEW", "PATH"),
                        help="print the numbered zero-context hunks between two releases of a file")
    args = parser.parse_args(argv)
    if args.show:
        show(*args.show)
        return 0
    if args.from_pypi:
        from_pypi()
    dataset = build(args.out.resolve())
    print(f"dataset: {dataset}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
