"""The local commands: `batch-review review` (the branch's diff) and `batch-review sweep` (a repository)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .config import Config, Secrets, load_config, read_secrets
from .errors import EXIT_FAILED, RunError
from .filters import FileFilter
from .log import log
from .pipeline import Job, Sink, run
from .plan import Plan
from .pricing import estimate, price_for
from .prompt import system_tokens
from .report import RunReport
from .terminal import plain

FLAG_OPTIONS = (
    "model", "min_severity", "fail_on", "max_concurrency", "instructions", "budget_usd",
    "context_lines", "strategy", "wait_minutes",
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
    return values


def setup(args: argparse.Namespace) -> tuple[Path, Config, Secrets]:
    from rich.console import Console

    log.configure(actions=False, stream=None)
    root = Path(args.path).resolve()
    try:
        from .gitcmd import repo_root

        root = repo_root(root) if (root / ".git").exists() or _inside_git(root) else root
        config = load_config(options_from(args), root, source_name="flag")
    except RunError as exc:
        Console(stderr=True).print(f"[bold red]error ({exc.kind})[/]: {plain(exc.message)}")
        raise SystemExit(EXIT_FAILED) from None
    secrets = read_secrets({}, os.environ)
    log.secret(secrets.anthropic_api_key)
    return root, config, secrets


def _inside_git(path: Path) -> bool:
    from .gitcmd import rev_parse

    return path.is_dir() and rev_parse(path, "HEAD") is not None


def review_command(args: argparse.Namespace) -> int:
    from .action import note_nothing_to_review
    from .sources.local_git import collect_local

    root, config, secrets = setup(args)
    filt = FileFilter(config.include, config.exclude, defaults=config.default_excludes)
    job = Job(
        mode="local",
        config=config,
        collect=lambda: collect_local(root, args.base, filt, context_lines=config.context_lines),
        engine=None,
        sinks=json_sink(args.json),
        on_plan=note_nothing_to_review,
    )
    return execute(job, config, secrets, default_engine="parallel")


def sweep_command(args: argparse.Namespace) -> int:
    from .sweep import local_sweep

    root, config, secrets = setup(args)
    return local_sweep(args, root, config, secrets)


def json_sink(path: str | None) -> list[tuple[str, Sink]]:
    if not path:
        return []
    from .report import write_report

    def write(report: RunReport, plan: Plan) -> str:
        report.report_path = path
        write_report(report, Path(path), log.redact)
        return path

    return [("report", write)]


def execute(job: Job, config: Config, secrets: Secrets, *, default_engine: str) -> int:
    """Attach the engine (or explain why there is none), run, print. Returns the exit code."""
    from rich.console import Console

    from .action import make_engine

    console = Console()
    if not config.dry_run and not secrets.anthropic_api_key:
        console.print("[yellow]No ANTHROPIC_API_KEY is set: showing the plan instead (nothing is sent).[/]")
    try:
        job.engine, job.plan_only_reason = make_engine(
            config, secrets, default=default_engine, no_key_reason="no API key"
        )
    except RunError as exc:
        console.print(f"[bold red]error ({exc.kind})[/]: {plain(exc.message)}")
        return EXIT_FAILED
    report, plan = run(job)
    print_report(console, report, plan, config)
    return report.exit_code(config.fail_on)


def print_report(console: object, report: RunReport, plan: Plan, config: Config) -> None:
    from rich.console import Console

    from .terminal import print_findings, print_plan, print_totals

    assert isinstance(console, Console)
    if report.dry_run:
        price, _ = price_for(config.model, config.prices)
        args = (plan.input_tokens, plan.output_tokens, system_tokens(config.instructions), len(plan.requests), price)
        print_plan(console, report, plan, estimate(*args, batch=True), estimate(*args, batch=False))
    print_findings(console, report)
    print_totals(console, report)
