"""Context recall on the shipped eval dataset (issue #15.7): how much of what a reviewer needs reaches the
model — each label's lines, its whole enclosing definition (Python's `ast`) and the context items of the
cross-file cases — measured twice: by `batch-review eval`'s own report on a dry plan (nothing sent), and on
a run against the loopback API stand-in, from the requests the stand-in received, read by its own parser
(tests/support/eval_data.py). The two must agree."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from tests.fakes.anthropic_api import FakeAnthropicAPI

from .common import KEY, MODEL, Row


def figures(tmp: Path) -> list[Row]:
    from batch_review.config import Config, Secrets
    from batch_review.jobs.eval import run_eval
    from batch_review.log import log
    from tests.support.eval_data import build_dataset, independent_recall

    dataset = build_dataset(tmp / "eval", cases=())
    log.configure(actions=False, stream=io.StringIO())
    config = Config(model=MODEL, verify=False)
    plans = run_eval(dataset, config, Secrets(anthropic_api_key=None, github_token=None))
    dry: dict[str, Any] = plans.to_json()
    off = Config(model=MODEL, verify=False, max_related_tokens=0)
    bare = run_eval(dataset, off, Secrets(anthropic_api_key=None, github_token=None))
    with FakeAnthropicAPI(api_key=KEY) as ai:
        os.environ["ANTHROPIC_BASE_URL"] = ai.base_url
        sent: dict[str, Any] = run_eval(dataset, config, Secrets(anthropic_api_key=KEY, github_token=None)).to_json()
        received = [r.json for r in ai.requests if r.path == "/v1/messages"]
    with FakeAnthropicAPI(api_key=KEY) as ai:
        os.environ["ANTHROPIC_BASE_URL"] = ai.base_url
        run_eval(dataset, off, Secrets(anthropic_api_key=KEY, github_token=None))
        received_bare = [r.json for r in ai.requests if r.path == "/v1/messages"]
    seen = independent_recall(received, dataset)
    mine = dry["context_recall"]
    agree = all(mine[k] == sent["context_recall"][k] == seen[k] for k in seen)
    how = (f"{len(dry['cases'])} cases; the dry plan's report, the sent run's report and the API stand-in's own "
           f"reading of {len(received)} requests {'agree' if agree else 'DISAGREE'}")
    labels = seen["labels"]
    return [
        Row("eval: labelled lines that reach the model", f"{seen['lines_shown']} of {labels}", "100 %",
            agree and seen["lines_shown"] == labels, how),
        Row("eval: labels whose whole enclosing definition reaches the model (ast)",
            f"{seen['definitions_shown']} of {labels} ({100 * seen['definitions_shown'] / labels:.1f} %)", "100 %",
            agree and seen["definitions_shown"] == labels,
            "the innermost function or method; outside one, the module- or class-level statement with its class "
            "lines; a label between statements counts as not whole"),
        Row("eval: context items of the cross-file cases that reach the model",
            f"{seen['context_reached']} of {seen['context_items']} "
            f"({100 * seen['context_reached'] / max(1, seen['context_items']):.0f} %)", "≥ 90 %",
            agree and seen["context_reached"] >= 0.9 * seen["context_items"],
            f"{mine['cases_with_context']} cases; an item counts when its text, under its path, reached the model"),
        *_tokens(plans, bare, received, received_bare, config.max_related_tokens),
    ]


def _tokens(plans: Any, bare: Any, received: list[dict[str, Any]], received_bare: list[dict[str, Any]],
            budget: int) -> list[Row]:
    """Input tokens per request with code from other files / without (`max-related-tokens: 0`), by the plan's
    estimate and by the tokenizer on the user text the API stand-in received; the largest addition to a request
    against `max-related-tokens`."""
    from tests.fakes.model_brain import user_text

    from .tokens import counter

    count, how = counter()
    requests = sum(len(c.plan.requests) for c in plans.cases)
    with_related = sum(c.plan.input_tokens for c in plans.cases)
    without = sum(c.plan.input_tokens for c in bare.cases)
    plain = {r.custom_id: r.input_tokens for c in bare.cases for r in c.plan.requests}
    added = [r.input_tokens - plain[r.custom_id] for c in plans.cases for r in c.plan.requests]
    given = sum(1 for a in added if a > 0)
    real = sum(count(user_text(body)) for body in received)
    real_bare = sum(count(user_text(body)) for body in received_bare)
    return [
        Row("eval: input tokens per request with / without code from other files (estimate)",
            f"{with_related / without:.2f}", "report", None,
            f"{requests} requests, {given} given code from other files; mean {with_related / requests:,.0f} / "
            f"{without / requests:,.0f} estimated tokens (the user text; the cached system prompt aside)"),
        Row("eval: the same, counted with the tokenizer on the requests the API stand-in received",
            f"{real / real_bare:.2f}", "report", None,
            f"{len(received)} / {len(received_bare)} requests, {real:,} / {real_bare:,} tokens ({how})"),
        Row(f"eval: largest addition to a request / max-related-tokens ({budget:,})", f"{max(added) / budget:.2f}",
            "≤ 1", max(added) <= budget, f"{max(added):,} estimated tokens, the section's frame included"),
    ]
