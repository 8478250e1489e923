"""Build the example eval dataset: real bugs from patch releases of public Python projects, each case's
repository holding the package's whole source (from its PyPI sdists, fetched by pinned sha256 and cached).

Each case takes a fix named in a project's changelog (x.y.z → x.y.z+1 on PyPI) and reverses it: the case's
base is the release with the fix, its head the same tree with only that fix's hunks of one file undone, so
the change from base to head introduces the bug. Comment lines that the fix itself added are removed from
the base as well, so the diff never deletes the fix's own explanation. The labels are the head lines the
reversal wrote (for a fix that only added code: the lines around the spot where it is missing).

    python eval/build.py                      # eval/repos/<project> and eval/dataset.jsonl
    python eval/build.py --out DIR            # the same, into DIR
    python eval/build.py --case ID [--case …]  # only these cases (and only their sdists)
    python eval/build.py --template           # also rewrite eval/dataset.template.jsonl (the labels)
    python eval/build.py --show click 8.1.6 8.1.7 src/click/shell_completion.py   # hunks to pick from
    python eval/build.py --pin click 8.1.7    # the sha256 of a release's sdist, for a new recipe

`eval/recipes.json` pins every sdist (`sdists`: project → version → sha256) and says per case (`cases`):
the project, the version pair, the file, which hunks of the zero-context diff between the versions make up
the fix (numbered as `--show` prints them), the hunks that carry the label, the changelog line, a severity,
and optionally the intent (`title`, `description`) and `context`: code in other files that a reviewer needs
to see (`path`, `contains`), checked against the head tree here. One git repository per project, a root
commit per released version (tag `release/<version>`), per case a base (tag `base/<id>`) and a head (tag
`case/<id>`), with fixed dates: commit ids are the same on every machine.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from eval.hunks import fix_comment_lines, rebuild, unified, zero_context_hunks  # noqa: E402
from eval.repos import commit_tree, git, new_repository  # noqa: E402
from eval.sdists import FetchError, pin, source  # noqa: E402

RECIPES = HERE / "recipes.json"
TEMPLATE = HERE / "dataset.template.jsonl"
LEFT_OUT_DIRS = {"tests", "testing", "docs", "artwork", "examples"}  # dirs named so, anywhere in the sdist
LEFT_OUT_FILES = ("CHANGES", "HISTORY", "NEWS", "PKG-INFO", "CHANGELOG", ".complete")


def load_recipes() -> tuple[dict[str, dict[str, str]], list[dict[str, Any]]]:
    data = json.loads(RECIPES.read_text(encoding="utf-8"))
    return data["sdists"], data["cases"]


def release(pins: dict[str, dict[str, str]], project: str, version: str) -> Path:
    try:
        sha256 = pins[project][version]
    except KeyError:
        raise SystemExit(f"error: recipes.json pins no sdist of {project}=={version}") from None
    return source(project, version, sha256)


def tree_files(root: Path) -> dict[str, bytes]:
    """The sdist's files that a case's repository holds: its source, without tests, docs and changelogs
    (they describe or test the fix, which the reviewer must find on its own)."""
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or path.is_symlink() or any(p in LEFT_OUT_DIRS or p.endswith(".egg-info")
                                                          for p in rel.parts[:-1]):
            continue
        if rel.name.upper().startswith(LEFT_OUT_FILES) or rel.name == ".complete":
            continue
        files[rel.as_posix()] = path.read_bytes()
    return files


def make_case(recipe: dict[str, Any], old_root: Path, new_root: Path) -> dict[str, Any]:
    """The base and head text of the case's file, its labels, and the leak check. `undone_in_both`
    (optional) are hunks undone in base and head alike: the fix's own documentation (a docstring's
    `versionchanged`) or other edits inside the definitions the case changes, so that neither the diff nor the
    code shown around it explains the bug and the head's definitions are the buggy release's."""
    path = recipe["path"]
    old, new = (old_root / path).read_bytes(), (new_root / path).read_bytes()
    hunks = zero_context_hunks(old, new)
    chosen, docs = set(recipe["hunks"]), set(recipe.get("undone_in_both", []))
    if any(i >= len(hunks) for i in chosen | docs) or chosen & docs:
        raise SystemExit(f"error: {recipe['id']}: hunks {sorted(chosen)} / undone_in_both {sorted(docs)} do not fit "
                         f"the {len(hunks)} hunks of {path}")
    head, labels = rebuild(old, new, hunks, chosen | docs, labelled=set(recipe.get("label_hunks", chosen)))
    base, _ = rebuild(old, new, hunks, docs, drop=fix_comment_lines(hunks, sorted(chosen), old))
    if head == base:
        raise SystemExit(f"error: {recipe['id']}: the chosen hunks change nothing")
    leaks = leaked_comments(unified(base, head, path), old)
    if leaks:
        raise SystemExit(f"error: {recipe['id']}: the diff still carries comment lines only the fix has: {leaks}")
    changed = not_shipped(base, head, old) if path.endswith(".py") else []
    if changed:
        raise SystemExit(f"error: {recipe['id']}: the head's {', '.join(changed)} never shipped in {recipe['buggy']} "
                         "(undo the other hunks inside it too: `undone_in_both`)")
    return {"base": base, "head": head, "labels": labels}


def not_shipped(base: bytes, head: bytes, buggy: bytes) -> list[str]:
    """Functions the case changes whose head text is not the buggy release's (a hybrid that never shipped)."""
    before, after, shipped = _functions(base), _functions(head), _functions(buggy)
    return [name for name, text in after.items() if text != before.get(name) and text != shipped.get(name)]


def _functions(source: bytes) -> dict[str, str]:
    text = source.decode("utf-8", "replace")
    lines = text.split("\n")
    found: dict[str, str] = {}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    found[name] = "\n".join(lines[child.lineno - 1 : child.end_lineno])
                walk(child, name + ".")

    walk(ast.parse(text), "")
    return found


def leaked_comments(diff: bytes, buggy: bytes) -> list[str]:
    """Comment lines the diff adds or deletes that the buggy release's file does not have (the fix's own)."""
    known = {line.strip() for line in buggy.decode("utf-8", "replace").split("\n")}
    out = []
    for line in diff.decode("utf-8", "replace").split("\n"):
        if line[:1] in "+-" and not line.startswith(("+++", "---")):
            text = line[1:].strip()
            if text.startswith("#") and text not in known:
                out.append(text)
    return out


def check_context(recipe: dict[str, Any], head_files: dict[str, bytes]) -> None:
    for item in recipe.get("context", []):
        text = head_files.get(item["path"])
        if text is None:
            raise SystemExit(f"error: {recipe['id']}: context path {item['path']} is not in the head tree")
        if item["contains"] not in text.decode("utf-8", "replace"):
            raise SystemExit(f"error: {recipe['id']}: {item['path']} does not contain {item['contains']!r}")


def build(out: Path, only: set[str] | None = None) -> tuple[Path, list[dict[str, Any]]]:
    pins, recipes = load_recipes()
    if only is not None:
        unknown = only - {r["id"] for r in recipes}
        if unknown:
            raise SystemExit(f"error: no such case(s) in recipes.json: {', '.join(sorted(unknown))}")
        recipes = [r for r in recipes if r["id"] in only]
    rows: list[dict[str, Any]] = []
    for project in sorted({r["project"] for r in recipes}):
        repo = new_repository(out / "repos" / project)
        mine = [r for r in recipes if r["project"] == project]
        trees = {}
        for version in sorted({r["fixed"] for r in mine}, key=_version_key):
            trees[version] = tree_files(release(pins, project, version))
            commit_tree(repo, trees[version], f"{project} {version} as released on PyPI", orphan=f"v{version}")
            git(repo, "tag", f"release/{version}")
        for recipe in mine:
            made = make_case(recipe, release(pins, project, recipe["buggy"]), release(pins, project, recipe["fixed"]))
            check_context(recipe, {**trees[recipe["fixed"]], recipe["path"]: made["head"]})
            git(repo, "checkout", "-q", "--detach", f"release/{recipe['fixed']}")
            if made["base"] != trees[recipe["fixed"]][recipe["path"]]:
                commit_tree(repo, {recipe["path"]: made["base"]}, f"{recipe['id']}: base")
            git(repo, "tag", f"base/{recipe['id']}")
            commit_tree(repo, {recipe["path"]: made["head"]},
                        f"{recipe['id']}: {recipe.get('title') or recipe['changelog']}")
            git(repo, "tag", f"case/{recipe['id']}")
            rows.append(_row(recipe, made["labels"]))
    order = {r["id"]: i for i, r in enumerate(recipes)}
    rows.sort(key=lambda row: order[row["id"]])
    resolved = []
    for row in rows:
        repo = out / row["repo"]
        entry = dict(row, base=git(repo, "rev-parse", f"{row['base']}^{{commit}}").strip(),
                     head=git(repo, "rev-parse", f"{row['head']}^{{commit}}").strip())
        resolved.append(entry)
    dataset = out / "dataset.jsonl"
    dataset.parent.mkdir(parents=True, exist_ok=True)
    dataset.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in resolved), encoding="utf-8")
    return dataset, rows


def _row(recipe: dict[str, Any], labels: list[list[int]]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": recipe["id"], "repo": f"repos/{recipe['project']}", "base": f"base/{recipe['id']}",
        "head": f"case/{recipe['id']}",
        "expected": [{"path": recipe["path"], "line": first, "end_line": last, "severity": recipe["severity"]}
                     for first, last in labels],
        "note": recipe["bug"],
        "meta": {"project": recipe["project"], "buggy": recipe["buggy"], "fixed": recipe["fixed"],
                 "changelog": recipe["changelog"]},
    }
    for key in ("title", "description", "context"):
        if recipe.get(key):
            row[key] = recipe[key]
    return row


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def check_template(rows: list[dict[str, Any]], rewrite: bool) -> None:
    """The labels built from the sdists are the ones committed in dataset.template.jsonl."""
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if rewrite:
        TEMPLATE.write_text(text, encoding="utf-8")
        return
    committed = {json.loads(line)["id"]: json.loads(line) for line in TEMPLATE.read_text("utf-8").splitlines() if line}
    for row in rows:
        if committed.get(row["id"]) != row:
            raise SystemExit(f"error: case {row['id']}: what the recipe builds differs from dataset.template.jsonl "
                             "(run `python eval/build.py --template` after changing a recipe)")


def show(project: str, old_v: str, new_v: str, path: str) -> None:
    pins, _ = load_recipes()
    old = (release(pins, project, old_v) / path).read_bytes()
    new = (release(pins, project, new_v) / path).read_bytes()
    for index, (o_start, o_count, n_start, n_count, lines) in enumerate(zero_context_hunks(old, new)):
        print(f"[{index}] -{o_start},{o_count} +{n_start},{n_count}")
        print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where repos/ and dataset.jsonl go (default: eval/)")
    parser.add_argument("--case", action="append", default=None, help="build only this case (repeatable)")
    parser.add_argument("--template", action="store_true", help="rewrite dataset.template.jsonl from the build")
    parser.add_argument("--show", nargs=4, metavar=("PROJECT", "OLD", "NEW", "PATH"),
                        help="print the numbered zero-context hunks between two releases of a file")
    parser.add_argument("--pin", nargs=2, metavar=("PROJECT", "VERSION"), help="print the sha256 of an sdist")
    args = parser.parse_args(argv)
    try:
        if args.pin:
            print(f'"{args.pin[1]}": "{pin(*args.pin)}"')
            return 0
        if args.show:
            show(*args.show)
            return 0
        dataset, rows = build(args.out.resolve(), set(args.case) if args.case else None)
        check_template(rows, args.template)
    except FetchError as exc:
        print(exc.code, file=sys.stderr)
        return 1
    print(f"dataset: {dataset} ({len(rows)} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
