"""The command line: a thin layer over the library. Imports stay inside the commands so that
`batch-review --help` starts fast."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

SEVERITIES = ("critical", "high", "medium", "low", "info")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="plan only: no model call")
    parser.add_argument("--model", help="model id (default: the config file's, else claude-sonnet-5-5)")
    parser.add_argument("--min-severity", choices=SEVERITIES, help="lowest severity reported")
    parser.add_argument("--fail-on", choices=(*SEVERITIES, "none"), help="exit 1 when a finding is at or above this")
    parser.add_argument("--max-concurrency", help="most model calls in flight at once")
    parser.add_argument("--include", action="append", metavar="GLOB", help="review only matching paths (repeatable)")
    parser.add_argument("--exclude", action="append", metavar="GLOB", help="skip matching paths (repeatable)")
    parser.add_argument("--instructions", help="extra review guidance: text, or a path in the repository")
    parser.add_argument("--budget-usd", help="hard cap on this run's estimated spend")
    parser.add_argument("--json", metavar="PATH", help="also write the JSON report here")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="batch-review",
        description="Review code with Claude at scale: parallel reviews of a change, batch sweeps of a repository.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("action", help="run as the GitHub Action (reads INPUT_* and GITHUB_*)")
    review = sub.add_parser("review", help="review the local branch's diff against a base")
    review.add_argument("path", nargs="?", default=".", help="repository (default: .)")
    review.add_argument("--base", help="base ref (default: origin/HEAD, origin/main, main or master)")
    review.add_argument("--context-lines", help="lines of context around each hunk (default 10)")
    _common(review)
    sweep = sub.add_parser("sweep", help="review every tracked file of a repository (Message Batches)")
    sweep.add_argument("path", nargs="?", default=".", help="repository (default: .)")
    steps = sweep.add_mutually_exclusive_group()
    steps.add_argument("--submit", action="store_true", help="submit the batch and return without waiting")
    steps.add_argument("--status", action="store_true", help="show the state of the submitted batch")
    steps.add_argument("--collect", action="store_true", help="collect the batch's results if it has ended")
    sweep.add_argument("--strategy", choices=("auto", "parallel", "batch"), help="how requests are sent")
    sweep.add_argument("--wait-minutes", help="how long to wait for the batch (default 30)")
    sweep.add_argument("--sarif", metavar="PATH", help="also write a SARIF 2.1.0 file here")
    _common(sweep)
    return parser


def _version() -> str:
    from . import __version__

    return f"batch-review {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(parser, args)
    except KeyboardInterrupt:
        print("batch-review: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback: a named failure, the secret masked
        from .log import log

        message = log.redact(f"{type(exc).__name__}: {exc}")
        log.error(f"internal error — {message}. Please report it with the log above.", title="batch-review crashed")
        return 2


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "action":
        from .action import main as action_main

        return action_main()
    if args.command == "review":
        from .local import review_command

        return review_command(args)
    if args.command == "sweep":
        from .local import sweep_command

        return sweep_command(args)
    parser.print_help(sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
