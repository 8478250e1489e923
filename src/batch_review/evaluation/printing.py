"""What `batch-review eval` prints, with `rich`: a row per case, a row per severity, the totals — or,
when nothing was sent, each case's plan and what the whole eval would cost. Case ids and paths come
from the dataset and are printed as plain text (`Text`), never as markup."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..config import Config
from ..findings import Severity
from ..pricing import estimate, price_for
from ..prompt import system_tokens
from ..publishers.markdown import visible
from ..terminal import STYLE, plain
from .recall import totals
from .results import EvalResult
from .scoring import UNLABELLED, severity_keys

MAX_ROWS = 200


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def print_eval(console: Console, result: EvalResult, config: Config) -> None:
    if result.plan_only:
        print_eval_plan(console, result, config)
    else:
        _cases_table(console, result)
        if result.status in ("done", "partial"):
            _severity_table(console, result)
    for note in result.notes:
        console.print(f"[yellow]note[/]: {plain(note)}")
    _totals(console, result)


def _cases_table(console: Console, result: EvalResult) -> None:
    table = Table(title=f"Eval: {len(result.cases)} case(s) · {plain(result.model)} · engine {result.engine}")
    for name in ("Case", "Status", "Labels", "Findings", "TP", "FP", "FN", "Precision", "Recall"):
        table.add_column(name, justify="left" if name in ("Case", "Status") else "right",
                         overflow="fold" if name == "Case" else "ellipsis")
    for case in result.cases[:MAX_ROWS]:
        t = case.score.tally
        figures = [str(t.true_positives), str(t.false_positives), str(t.false_negatives),
                   percent(t.precision), percent(t.recall)] if case.scorable else ["—"] * 5
        status = Text(case.report.status, style="red" if case.report.status == "failed" else "")
        table.add_row(Text(visible(case.case.id)), status, str(len(case.case.expected)), str(len(case.found)),
                      *figures)
    if len(result.cases) > MAX_ROWS:
        table.add_row("…", f"{len(result.cases) - MAX_ROWS} more in --json", *[""] * 7)
    console.print(table)
    for case in result.cases:
        if case.report.error:
            console.print(f"[red]case {plain(case.case.id)} failed ({plain(case.report.error_kind or 'error')})[/]: "
                          f"{plain(case.report.error)}")
        for failed in case.report.failed_files():
            console.print(f"[red]case {plain(case.case.id)}: not reviewed[/] {plain(failed.path)} — "
                          f"{plain(failed.reason)}")


def _severity_table(console: Console, result: EvalResult) -> None:
    table = Table(title="By severity (recall by the label's, precision by the finding's)")
    for name in ("Severity", "Labels", "Found", "Recall", "Findings", "Matched", "Precision"):
        table.add_column(name, justify="left" if name == "Severity" else "right")
    rows = result.score.by_severity
    for key in severity_keys():
        row = rows[key]
        if not row.labels and not row.findings:
            continue
        style = STYLE[Severity(key)] if key != UNLABELLED else "dim"
        table.add_row(Text(key, style=style), str(row.labels), str(row.labels_found), percent(row.recall),
                      str(row.findings), str(row.findings_matched), percent(row.precision))
    console.print(table)


def _recall(console: Console, result: EvalResult) -> None:
    r = totals(c.recall for c in result.cases)
    if not r["labels"] and not r["context_items"]:
        return
    sent = "would reach" if result.plan_only else "reached"
    console.print(f"Context that {sent} the model: labelled lines {r['lines_shown']} of {r['labels']}, their whole "
                  f"enclosing definitions {r['definitions_shown']} of {r['labels']}, context items "
                  f"{r['context_reached']} of {r['context_items']}.")


def _totals(console: Console, result: EvalResult) -> None:
    _recall(console, result)
    u = result.usage
    tokens = (f"{u.requests} request(s), {u.input_tokens:,} input + {u.cache_read_tokens:,} cached + "
              f"{u.output_tokens:,} output tokens · ${result.cost_usd:.4f}")
    batches = f" · batch {', '.join(result.batch_ids)}" if result.batch_ids else ""
    if result.status in ("done", "partial"):
        s = result.score
        t = s.tally
        console.print(
            f"[bold]precision {percent(t.precision)} · recall {percent(t.recall)} · F1 {percent(t.f1)}[/] "
            f"({t.true_positives} true positive(s), {t.false_positives} false positive(s), "
            f"{t.false_negatives} false negative(s); a finding matches a label on the same path within "
            f"3 lines) · status {result.status} · {tokens}{batches}"
        )
        if s.severity_compared:
            console.print(f"Severity agreed with the label on {s.severity_agreed} of {s.severity_compared} "
                          "matched labels.")
        if result.verified:
            filtered = sum(len(c.filtered or []) for c in result.cases)
            console.print(f"Verification filtered {filtered} finding(s).")
        return
    if result.status == "pending" and not result.plan_only:
        console.print(f"[yellow]status pending[/]: the batch had not ended when the wait did{batches}. "
                      f"Run the same command again to collect it (nothing is submitted twice; its ids are in "
                      f"{plain(result.state_file or 'the log above')}) · {tokens}")
        return
    if result.status == "failed":
        console.print(f"[bold red]status failed[/]: no case was reviewed · {tokens}")


def print_eval_plan(console: Console, result: EvalResult, config: Config) -> None:
    table = Table(title=f"Plan ({plain(result.plan_only)}): {len(result.cases)} case(s), nothing sent")
    for name in ("Case", "Files", "Skipped", "Requests", "Est. input tokens"):
        table.add_column(name, justify="left" if name == "Case" else "right", overflow="fold")
    inputs = outputs = requests = 0
    for case in result.cases[:MAX_ROWS]:
        plan = case.plan
        table.add_row(Text(visible(case.case.id)), str(len(plan.files)), str(len(plan.skipped)),
                      str(len(plan.requests)), f"{plan.input_tokens:,}")
    for case in result.cases:
        inputs += case.plan.input_tokens
        outputs += case.plan.output_tokens
        requests += len(case.plan.requests)
    console.print(table)
    price, _ = price_for(config.model, config.prices)
    args = (inputs, outputs, system_tokens(config.instructions), requests, price)
    console.print(
        f"Estimated tokens: ~{inputs:,} input (+ cached system prompt), ~{outputs:,} output in {requests} request(s). "
        f"Estimated cost: [bold]${estimate(*args, batch=False):.4f}[/] in parallel, "
        f"[bold]${estimate(*args, batch=True):.4f}[/] as one batch (--batch)."
    )
    for case in result.cases:
        if case.report.error:
            console.print(f"[red]case {plain(case.case.id)} failed ({plain(case.report.error_kind or 'error')})[/]: "
                          f"{plain(case.report.error)}")
