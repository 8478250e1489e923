"""The command line: a thin layer over the library. Imports stay inside the commands so that
`batch-review --help` starts fast."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Config, Secrets
    from .pipeline import Job
    from .report import RunReport

SEVERITIES = ("critical", "high", "medium", "low", "info")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="plan only: no model call")
    parser.add_argument("--model", help="model id (default: the config file's, else claude-sonnet-5-5)")
    parser.add_argument("--min-severity", choices=SEVERITIES, help="lowest severity reported")
    parser.add_argument("--fail-on", choices=(*SEVERITIES, "none"), help="exit 1 when a finding is at or above this")
    parser.add_argument("--fail-on-partial", action="store_true",
                        help="exit 3 when some file could not be reviewed (a run that reviewed none exits 2 anyway)")
    parser.add_argument("--max-concurrency", help="most model calls in flight (1-128, or auto)")
    parser.add_argument("--include", action="append", metavar="GLOB", help="review only matching paths (repeatable)")
    parser.add_argument("--exclude", action="append", metavar="GLOB", help="skip matching paths (repeatable)")
    parser.add_argument("--instructions", help="extra review guidance: text, or a path in the repository")
    parser.add_argument("--budget-usd", help="hard cap on this run's estimated spend")
    _verify_flags(parser)
    parser.add_argument("--json", metavar="PATH", help="also write the JSON report here")


def _verify_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-verify", action="store_true",
                        help="report findings without the verification pass (a second request per file with findings)")
    parser.add_argument("--verify-model", help="model of the verification pass (default: the review model)")


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
    review.add_argument("--context-lines",
                        help="git's lines of context around each hunk, before targeted context widens them (default 3)")
    review.add_argument("--max-related-tokens", metavar="N",
                        help="tokens of code from other files added to each request (default 4000; 0: none)")
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
    _eval_parser(sub)
    return parser


def _eval_parser(sub: Any) -> None:
    ev = sub.add_parser("eval", help="review a labelled dataset of changes; precision and recall")
    ev.add_argument("dataset", help="JSON Lines: {id, repo, base, head, expected: [{path, line, ...}]}")
    ev.add_argument("--json", metavar="OUT", help="also write the figures, per case and in all, here")
    ev.add_argument("--model", help="model id (default: the config file's, else claude-sonnet-5-5)")
    ev.add_argument("--batch", dest="strategy", action="store_const", const="batch",
                    help="all cases in one Message Batches job, at half price")
    ev.add_argument("--wait-minutes", help="with --batch: how long to wait for the batch (default 30)")
    ev.add_argument("--dry-run", action="store_true", help="plan only: no model call")
    ev.add_argument("--min-severity", choices=SEVERITIES, help="lowest severity counted as a finding")
    ev.add_argument("--max-concurrency", help="most model calls in flight (1-128, or auto)")
    ev.add_argument("--budget-usd", help="hard cap on the whole eval's estimated spend")
    ev.add_argument("--context-lines",
                    help="git's lines of context around each hunk, before targeted context widens them (default 3)")
    ev.add_argument("--instructions", help="extra review guidance: text, or a path in this repository")
    _verify_flags(ev)
    ev.set_defaults(path=".")


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
        return review_command(args)
    if args.command == "sweep":
        return sweep_command(args)
    if args.command == "eval":
        return eval_command(args)
    parser.print_help(sys.stderr)
    return 2


# -- the local commands --------------------------------------------------------------------------
FLAG_OPTIONS = (
    "model", "min_severity", "fail_on", "max_concurrency", "instructions", "budget_usd",
    "context_lines", "strategy", "wait_minutes", "verify_model", "max_related_tokens",
)


def options_from(args: argparse.Namespace) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in FLAG_OPTIONS:
        value = getattr(args, name, None)
        if value is not None:
            option = "batch-wait-minutes" if name == "wait_minutes" else name.replace("_", "-")
            values[option] = str(value)
    for name in ("include", "exclude"):
        if getattr(args, name, None):
            values[name] = "\n".join(getattr(args, name))
    if args.dry_run:
        values["dry-run"] = "true"
    if getattr(args, "no_verify", False):
        values["verify"] = "false"
    if getattr(args, "fail_on_partial", False):
        values["fail-on-partial"] = "true"
    return values


def setup(args: argparse.Namespace) -> tuple[Path, Config, Secrets]:
    """The repository, the options (flags over the config file) and the key; a bad option exits 2."""
    from .config import load_config, read_secrets
    from .errors import RunError
    from .gitcmd import repo_root, rev_parse
    from .log import log

    log.configure(actions=False, stream=None)
    root = Path(args.path).resolve()
    try:
        inside = root.is_dir() and ((root / ".git").exists() or rev_parse(root, "HEAD") is not None)
        root = repo_root(root) if inside else root
        config = load_config(options_from(args), root, source_name="flag")
    except RunError as exc:
        _error(exc)
        raise SystemExit(2) from None
    secrets = read_secrets({}, os.environ)
    log.secret(secrets.anthropic_api_key)
    return root, config, secrets


def review_command(args: argparse.Namespace) -> int:
    from .errors import RunError
    from .jobs.review import local_review_job

    root, config, secrets = setup(args)
    try:
        job = local_review_job(root, args.base, config, secrets, args.json)
    except RunError as exc:
        return _error(exc)
    return _run(job, config)[0]


def sweep_command(args: argparse.Namespace) -> int:
    from .errors import RunError
    from .jobs.sweep import NothingToDo, local_sweep_job, sweep_status

    root, config, secrets = setup(args)
    console = _console()
    step = "submit" if args.submit else "collect" if args.collect else ""
    try:
        if args.status:
            for line in sweep_status(root, config, secrets):
                console.print(line, markup=False, highlight=False)
            return 0
        sweep = local_sweep_job(root, config, secrets, step=step, sarif=args.sarif, json_path=args.json)
    except RunError as exc:
        return _error(exc)
    if isinstance(sweep, NothingToDo):
        console.print(sweep.message, markup=False, highlight=False)
        return sweep.code
    try:
        code, report = _run(sweep.job, config)
    finally:
        sweep.session.close()
    sweep.finish(report)
    if args.sarif:
        written = report.sarif_path == args.sarif
        what = f"wrote {args.sarif}" if written else (
            f"nothing written to {args.sarif}: "
            f"{(report.published.get('sarif') or 'no results').removeprefix('not written: ')}")
        console.print(f"SARIF: {what}", markup=False, highlight=False)
    if report.pending:
        console.print(f"Pending: batch(es) {', '.join(report.batch_ids)}. `batch-review sweep --collect "
                      f"{root}` collects them once they end (state in {sweep.store.where}).",
                      markup=False, highlight=False)
    return code


def eval_command(args: argparse.Namespace) -> int:
    from .errors import RunError
    from .evaluation.printing import print_eval
    from .jobs.eval import run_eval

    _, config, secrets = setup(args)  # options: flags over the config file of the current repository
    console = _console()
    if not config.dry_run and not secrets.anthropic_api_key:
        console.print("[yellow]No ANTHROPIC_API_KEY is set: showing the plan instead (nothing is sent).[/]")
    try:
        result = run_eval(Path(args.dataset), config, secrets, args.json)
    except RunError as exc:
        return _error(exc)
    print_eval(console, result, config)
    return result.exit_code()


def _run(job: Job, config: Config) -> tuple[int, RunReport]:
    """Run a job, print what it found (or its plan); the exit code and the report."""
    from .pipeline import run
    from .terminal import print_report

    console = _console()
    if job.engine is None and job.plan_only_reason == "no API key":
        console.print("[yellow]No ANTHROPIC_API_KEY is set: showing the plan instead (nothing is sent).[/]")
    elif job.engine is None and job.plan_only_reason.startswith("provider "):  # Bedrock / Vertex credentials
        from .terminal import plain

        console.print(f"[yellow]{plain(job.plan_only_reason)}: showing the plan instead (nothing is sent).[/]")
    report, plan = run(job)
    print_report(console, report, plan, config)
    return report.exit_code(config.fail_on, config.fail_on_partial), report


def _console() -> Any:
    from .terminal import make_console

    return make_console()


def _error(exc: Any) -> int:
    from .terminal import make_console, plain

    make_console(stderr=True).print(f"[bold red]error ({exc.kind})[/]: {plain(exc.message)}")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
