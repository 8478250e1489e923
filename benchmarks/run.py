"""Run every benchmark and print the table: `python -m benchmarks.run` (from the repository root).

Each figure is a ratio or a count measured within one run against the loopback fakes (simulated
latency and rate limits), so it holds on a noisy shared machine. Writes benchmarks/RESULTS.md too.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .common import Row

HERE = Path(__file__).parent


def collect(tmp: Path, only: set[str]) -> list[Row]:
    from . import (
        context,
        conversation,
        coverage,
        eval_context,
        fanout,
        memory,
        related,
        secrets,
        sweeps,
        throughput,
        verify,
        walkthrough,
        wave,
        whole_change,
    )

    sections: dict[str, Callable[[Path], list[Row]]] = {  # each gets a folder of its own under tmp
        "fanout": lambda t: fanout.figures(t),
        "throughput": lambda t: throughput.figures(),
        "coverage": lambda t: coverage.figures(t),
        "sweep": lambda t: sweeps.planning() + sweeps.cost_ratio(t),
        "sweep-memory": lambda t: sweeps.memory_100k(t),
        "startup": lambda t: sweeps.cold_start(),
        "memory": lambda t: memory.figures(t),
        "context": lambda t: context.figures(),
        "verify": lambda t: verify.figures(t),
        "eval-context": lambda t: eval_context.figures(t),
        "related": lambda t: related.figures(t),
        "wave": lambda t: wave.figures(t),
        "conversation": lambda t: conversation.figures(t),
        "whole-change": lambda t: whole_change.figures(t),
        "walkthrough": lambda t: walkthrough.figures(t),
        "secrets": lambda t: secrets.figures(t),
    }
    rows: list[Row] = []
    for name, make in sections.items():
        if only and name not in only:
            continue
        started = time.perf_counter()
        print(f"… {name}", file=sys.stderr, flush=True)
        folder = tmp / name
        folder.mkdir()
        rows += make(folder)
        print(f"  {name} took {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| figure | measured | target | met | how |", "| --- | ---: | --- | :---: | --- |"]
    for row in rows:
        met = "—" if row.ok is None else ("yes" if row.ok else "**no**")
        lines.append(f"| {row.figure} | {row.value} | {row.target} | {met} | {row.note} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sections", nargs="*",
                        help="fanout, throughput, coverage, sweep, sweep-memory, startup, memory, context, verify, "
                        "eval-context, related, wave, conversation, whole-change, walkthrough, secrets (default: all)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not rewrite RESULTS.md")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="batch-review-bench-") as tmp:
        rows = collect(Path(tmp), set(args.sections))
    text = table(rows)
    print(text)
    elapsed = time.perf_counter() - started
    print(f"\n{len(rows)} figures in {elapsed:.0f}s on {platform.machine()}, Python {platform.python_version()}")
    if not args.no_write and not args.sections:
        (HERE / "RESULTS.md").write_text(
            f"# Benchmark results\n\n`python -m benchmarks.run`, {time.strftime('%Y-%m-%d')}, {elapsed:.0f}s, "
            f"{platform.machine()}, Python {platform.python_version()}.\n\n{text}\n", encoding="utf-8")
    return 0 if all(row.ok is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
