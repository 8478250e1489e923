"""What the local CLI prints, with `rich`: the findings table, the plan, the run's totals.

File names, model text and API messages are untrusted: they are printed as plain text (never as rich
markup, where a name like `a[/b].py` would crash the printer) with control characters shown as
escapes (so no name can send escape sequences to the terminal).

Output that is not a terminal (a pipe, a file) is never folded or cut: tables are as wide as their
longest path or request id, and lines are not wrapped, so what a script reads is whole.
"""

from __future__ import annotations

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .config import Config
from .findings import Severity
from .plan import Plan
from .pricing import budget_warning
from .publishers.markdown import visible
from .report import RunReport
from .words import plural


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
MAX_PIPED_WIDTH = 4000


def make_console(*, stderr: bool = False) -> Console:
    """A console; when it is not a terminal, lines are never wrapped."""
    console = Console(stderr=stderr)
    if not console.is_terminal:
        console.soft_wrap = True
    return console


def print_whole(console: Console, renderable: RenderableType) -> None:
    """A table printed as wide as it needs when the output is not a terminal (a terminal keeps its width)."""
    if console.is_terminal:
        console.print(renderable)
        return
    needed = Measurement.get(console, console.options.update_width(MAX_PIPED_WIDTH), renderable).maximum
    width = console.width
    console.width = max(width, min(needed, MAX_PIPED_WIDTH))
    try:
        console.print(renderable, soft_wrap=False)
    finally:
        console.width = width


def print_findings(console: Console, report: RunReport) -> None:
    if not report.findings:
        return
    table = Table(title=plural(len(report.findings), "finding"), show_lines=True, expand=console.is_terminal)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Location", overflow="fold", no_wrap=not console.is_terminal)
    table.add_column("Finding", ratio=3 if console.is_terminal else None, max_width=None if console.is_terminal
                     else 100)
    for f in report.findings:
        span = f"{f.line}-{f.end_line}" if f.end_line else str(f.line)
        detail = Text(f"[{f.category}] {visible(f.title)}\n", style="bold")
        detail.append("\n".join(visible(line) for line in f.body.split("\n")))
        if f.note:
            detail.append(f"\n({visible(f.note)})", style="dim")
        table.add_row(Text(f.severity.value, style=STYLE[f.severity]), Text(f"{visible(f.path)}:{span}"), detail)
    print_whole(console, table)


def print_plan(
    console: Console, report: RunReport, plan: Plan, batch_cost: float, parallel_cost: float, *,
    system_tokens: int = 0, budget: float | None = None, batches: bool = True, priced: str = "",
) -> None:
    """The plan: its requests, the same token totals and costs as the log's plan line and the report
    (`system_tokens`: the cached system prompt, counted once), and a warning when it exceeds `budget`."""
    title = f"Plan: {plural(len(plan.files), 'file')} in {plural(len(plan.requests), 'request')}"
    table = Table(title=title, expand=False)
    table.add_column("Request (id)", overflow="fold", no_wrap=not console.is_terminal)
    table.add_column("Files", overflow="fold", no_wrap=not console.is_terminal)
    table.add_column("Est. input tokens", justify="right", no_wrap=True)
    for request in plan.requests[:40]:
        name = Text(visible(request.label))
        name.append(f"\n{request.custom_id}", style="dim")
        table.add_row(name, Text("\n".join(visible(p) for p in request.holds())), f"{request.input_tokens:,}")
    if len(plan.requests) > 40:
        table.add_row("…", f"{plural(len(plan.requests) - 40, 'more request')}", "")
    print_whole(console, table)
    tokens = (f"Estimated tokens: ~{plan.input_tokens + system_tokens:,} input (the ~{system_tokens:,}-token "
              f"system prompt counted once: later requests read it from the cache), ~{plan.output_tokens:,} output.")
    costs = (f"Estimated cost: [bold]${parallel_cost:.4f}[/] in parallel, [bold]${batch_cost:.4f}[/] as a batch."
             if batches else f"Estimated cost: [bold]${parallel_cost:.4f}[/] (in parallel: no batches here).")
    console.print(f"{tokens} {costs}")
    if priced:
        console.print(f"Priced as {plain(priced)}.")
    warning = budget_warning(report.estimated_cost_usd, budget)
    if warning:
        console.print(f"[bold yellow]warning[/]: {warning}")
    print_skipped(console, report)


MAX_SKIPPED_SHOWN = 50


def print_skipped(console: Console, report: RunReport) -> None:
    """Every skipped file with its reason (the first 50; the report has them all)."""
    skipped = report.skipped_files()
    if not skipped:
        return
    shown = ", ".join(f"{n} {plain(reason)}" for reason, n in report.skip_reasons())
    console.print(f"Skipped {plural(len(skipped), 'file')} (not sent): {shown}")
    for f in skipped[:MAX_SKIPPED_SHOWN]:
        console.print(f"  {plain(f.path)} — {plain(f.reason)}", highlight=False)
    if len(skipped) > MAX_SKIPPED_SHOWN:
        console.print(f"  … {plural(len(skipped) - MAX_SKIPPED_SHOWN, 'more file')}: every one is in the --json report")


def print_totals(console: Console, report: RunReport) -> None:
    """Files not reviewed, notes, and the status line. The run's error is not repeated: the log printed it
    when it happened; the status line names its kind."""
    failed = report.failed_files()
    stopped = [f for f in failed if _stopped_by_the_run(report, f.reason)]
    if len(stopped) > 1:  # one refusal (budget, key, billing) is one line, not one per file
        names = ", ".join(plain(f.path) for f in stopped[:3]) + (", …" if len(stopped) > 3 else "")
        console.print(f"[red]not reviewed[/]: {plural(len(stopped), 'file')} ({names}) — the run failed "
                      f"({plain(report.error_kind or '')})")
    for f in failed:
        if len(stopped) > 1 and f in stopped:
            continue
        reason = f"the run failed ({report.error_kind})" if f in stopped else f.reason
        console.print(f"[red]not reviewed[/]: {plain(f.path)} — {plain(reason)}")
    for note in report.notes:
        console.print(f"[yellow]note[/]: {plain(note)}")
    u = report.usage
    status = f"{report.status} ({report.error_kind})" if report.error else report.status
    console.print(
        f"status [bold]{plain(status)}[/] · {report.count('reviewed')} reviewed, {report.count('skipped')} skipped, "
        f"{len(failed)} failed · {plural(u.requests, 'request')}, {u.input_tokens:,} input + "
        f"{u.cache_read_tokens:,} cached + {u.output_tokens:,} output tokens · ${report.cost_usd:.4f}"
    )


def _stopped_by_the_run(report: RunReport, reason: str) -> bool:
    """A file that failed only because the whole run did (its reason is the run's error, or says so)."""
    if report.error is None:
        return False
    return report.error in log_redact(reason) or reason.startswith("not reviewed: the run failed")


def log_redact(text: str) -> str:
    from .log import log

    return log.redact(text)


def print_report(console: Console, report: RunReport, plan: Plan, config: Config) -> None:
    """What a local command prints: the plan (plan-only runs), the findings, the totals."""
    from .engines.providers import has_batches
    from .pricing import CACHE_READ_FACTOR, cache_floor, estimate, price_for
    from .prompt import cacheable_tokens, system_blocks, system_tokens

    if report.dry_run:
        price, known = price_for(config.model, config.prices)
        system = system_tokens(config.instructions, plan.shared)
        floor = cache_floor(config.model, config.cache_floors)
        counted = cacheable_tokens(system_blocks(config.instructions, plan.shared))
        args = (plan.input_tokens, plan.output_tokens, system, len(plan.requests), price)
        cache_read = price.cache_read if price.cache_read is not None else price.input * CACHE_READ_FACTOR
        priced = (f"{config.model} (${price.input:.2f} input / ${price.output:.2f} output / ${cache_read:.2f} "
                  f"cache read per million tokens"
                  + ("" if known else "; an unknown model, priced as the most expensive one listed") + ")")
        print_plan(console, report, plan, estimate(*args, batch=True, floor=floor, cacheable=counted),
                   estimate(*args, batch=False, floor=floor, cacheable=counted),
                   system_tokens=system, budget=config.budget_usd, batches=has_batches(config.provider),
                   priced=priced)
    print_findings(console, report)
    print_totals(console, report)
