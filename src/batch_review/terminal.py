"""What the local CLI prints, with `rich`: the findings table, the plan, the run's totals.

File names, model text and API messages are untrusted: they are printed as plain text (never as rich
markup, where a name like `a[/b].py` would crash the printer) with control characters shown as
escapes (so no name can send escape sequences to the terminal).
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .config import Config
from .findings import Severity
from .plan import Plan
from .publishers.markdown import visible
from .report import RunReport


def plain(text: str) -> str:
    """Untrusted text, safe inside a rich markup string."""
    return escape(visible(text))

STYLE = {
    Severity.critical: "bold white on red",
    Severity.high: "bold red",
    Severity.medium: "yellow",
    Severity.low: "cyan",
    Severity.info: "dim",
}


def print_findings(console: Console, report: RunReport) -> None:
    if not report.findings:
        return
    table = Table(title=f"{len(report.findings)} finding(s)", show_lines=True, expand=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Location", overflow="fold")
    table.add_column("Finding", ratio=3)
    for f in report.findings:
        span = f"{f.line}-{f.end_line}" if f.end_line else str(f.line)
        detail = Text(f"[{f.category}] {visible(f.title)}\n", style="bold")
        detail.append("\n".join(visible(line) for line in f.body.split("\n")))
        if f.note:
            detail.append(f"\n({visible(f.note)})", style="dim")
        table.add_row(Text(f.severity.value, style=STYLE[f.severity]), Text(f"{visible(f.path)}:{span}"), detail)
    console.print(table)


def print_plan(console: Console, report: RunReport, plan: Plan, batch_cost: float, parallel_cost: float) -> None:
    table = Table(title=f"Plan: {len(plan.files)} file(s) in {len(plan.requests)} request(s)", expand=False)
    table.add_column("Request")
    table.add_column("Files", overflow="fold")
    table.add_column("Est. input tokens", justify="right")
    for request in plan.requests[:40]:
        table.add_row(request.custom_id, Text("\n".join(visible(p) for p in request.paths)),
                      f"{request.input_tokens:,}")
    if len(plan.requests) > 40:
        table.add_row("…", f"{len(plan.requests) - 40} more requests", "")
    console.print(table)
    console.print(
        f"Estimated tokens: ~{plan.input_tokens:,} input (+ cached system prompt), ~{plan.output_tokens:,} output. "
        f"Estimated cost: [bold]${parallel_cost:.4f}[/] in parallel, [bold]${batch_cost:.4f}[/] as a batch."
    )
    print_skipped(console, report)


def print_skipped(console: Console, report: RunReport) -> None:
    skipped = report.skipped_files()
    if skipped:
        shown = ", ".join(f"{n} {plain(reason)}" for reason, n in report.skip_reasons())
        console.print(f"Skipped {len(skipped)} file(s): {shown}")


def print_totals(console: Console, report: RunReport) -> None:
    failed = report.failed_files()
    for f in failed:
        console.print(f"[red]not reviewed[/]: {plain(f.path)} — {plain(f.reason)}")
    for note in report.notes:
        console.print(f"[yellow]note[/]: {plain(note)}")
    if report.error:
        console.print(f"[bold red]failed ({report.error_kind})[/]: {plain(report.error)}")
    u = report.usage
    console.print(
        f"status [bold]{report.status}[/] · {report.count('reviewed')} reviewed, {report.count('skipped')} skipped, "
        f"{len(failed)} failed · {u.requests} request(s), {u.input_tokens:,} input + {u.cache_read_tokens:,} "
        f"cached + {u.output_tokens:,} output tokens · ${report.cost_usd:.4f}"
    )


def print_report(console: Console, report: RunReport, plan: Plan, config: Config) -> None:
    """What a local command prints: the plan (plan-only runs), the findings, the totals."""
    from .pricing import estimate, price_for
    from .prompt import system_tokens

    if report.dry_run:
        price, _ = price_for(config.model, config.prices)
        args = (plan.input_tokens, plan.output_tokens, system_tokens(config.instructions), len(plan.requests), price)
        print_plan(console, report, plan, estimate(*args, batch=True), estimate(*args, batch=False))
    print_findings(console, report)
    print_totals(console, report)
