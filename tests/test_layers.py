"""The shape of the code: front doors → jobs → stages, each importing only downward, and no circles; no source
file over 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "batch_review"
MAX_LINES = 400  # a longer file is split by concern
FRONT_DOORS = {"batch_review.action", "batch_review.cli"}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every batch_review module `path` imports, lazily (inside functions) or not."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("batch_review"):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("batch_review"))
    modules = {_module(p) for p in PACKAGE.rglob("*.py")}
    return {name for name in found if name in modules and name != module}


GRAPH = {_module(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def _layer(module: str) -> int:
    if module in FRONT_DOORS:
        return 2
    if module.startswith("batch_review.jobs"):
        return 1
    return 0


def test_each_layer_imports_only_downward() -> None:
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _layer(target) > _layer(module) or (_layer(target) == 2 and module != target and _layer(module) == 2
                                                and target != "batch_review.action")
    )
    assert not upward, upward


def test_no_job_imports_another_front_door_and_no_stage_imports_a_job() -> None:
    jobs = [m for m in GRAPH if _layer(m) == 1]
    assert {"batch_review.jobs.review", "batch_review.jobs.sweep"} <= set(jobs)
    for module in jobs:
        assert not GRAPH[module] & FRONT_DOORS, module
    for module in (m for m in GRAPH if _layer(m) == 0):
        assert not any(t.startswith("batch_review.jobs") for t in GRAPH[module]), module


def test_no_import_circles() -> None:
    """Module-level circles (a → b → … → a) among the package's modules, lazy imports included."""
    seen: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        seen[module] = 1
        stack.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if seen.get(target) == 1:
                circles.append([*stack[stack.index(target):], target])
            elif target not in seen:
                visit(target)
        stack.pop()
        seen[module] = 2

    for module in sorted(GRAPH):
        if module not in seen:
            visit(module)
    assert not circles, circles


def test_no_python_file_is_over_400_lines() -> None:
    """The project's Python under src/, tests/ and benchmarks/ (not data files, nor the sources benchmarks fetch
    into hidden folders such as benchmarks/.cache)."""
    files = sorted(p for top in ("src", "tests", "benchmarks") for p in (ROOT / top).rglob("*.py")
                   if not any(part.startswith(".") for part in p.relative_to(ROOT).parts))
    assert len(files) > 100 and PACKAGE / "plan.py" in files
    long = {str(p.relative_to(ROOT)): n for p in files
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines, split by concern: {long}"
