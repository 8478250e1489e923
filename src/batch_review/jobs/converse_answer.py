"""One answer in a thread: the finding, the thread so far, the code at the head around its line, the pull
request's intent and the repository's guidance, in ONE model request; the reply posted; a finding the answer
finds wrong dismissed (jobs/converse_github.py)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from ..errors import ApiError, BudgetError
from ..log import log

if TYPE_CHECKING:
    from ..diff import Row
    from ..memory.markers import PostedFinding
    from ..memory.pull_github import PullSnapshot, Thread
    from .converse_github import Conversation

WINDOW = 20  # lines either side of the finding when its line is outside the change shown
OUTPUT_TOKENS = 600  # the estimate of an answer's length


def answer(talk: Conversation, snapshot: PullSnapshot, thread: Thread, finding: PostedFinding, *, asked: bool) -> None:
    from ..converse.prompt import ConverseTask, Said, render, strip_comments, system_tokens
    from ..engines.factory import make_engine
    from ..guidance import PathGuidance
    from ..plan import CHARS_PER_TOKEN, Plan, PlannedRequest
    from ..pricing import cost, estimate, price_for
    from ..publishers.markdown import sanitize
    from .converse_github import dismiss, reply

    config, e, report = talk.config, talk.event, talk.report
    fork = talk.from_fork()
    no_key = ("no API key: a fork's pull request gets no secrets on this event, so nothing was answered" if fork
              else "no API key: nothing was answered")
    engine, why = make_engine(config, talk.secrets, default="parallel", no_key_reason=no_key)
    if engine is None:
        talk.note(why)
        return
    rows, note = _code(talk, finding)
    said = [Said("batch-review (you)" if c.mine else f"@{c.login}", strip_comments(c.body)) for c in thread.comments]
    if not any(c.id == e.comment_id for c in thread.comments):  # GitHub's list may lag behind the event
        said.append(Said(f"@{e.login} ({e.association})", e.body))
    guide = PathGuidance.of(config)
    text = render(finding, said, rows, note, title=e.title, description=e.description,
                  path_guidance=guide.section([finding.path]) if guide else "",
                  asked=f"@{e.login} asked: /batch-review explain. Explain the finding, and give your verdict."
                  if asked else "")
    custom_id = "c-" + hashlib.sha256(f"{talk.context.repository}#{e.number}/{e.comment_id}".encode()).hexdigest()[:24]
    request = PlannedRequest(custom_id, (), int(len(text) / CHARS_PER_TOKEN), OUTPUT_TOKENS)
    price, _ = price_for(config.model, config.prices)
    guess = estimate(request.input_tokens, request.output_tokens, system_tokens(config.instructions), 1, price,
                     batch=False)
    report.estimated_cost_usd, report.requests = guess, 1
    if config.budget_usd is not None and guess > config.budget_usd:
        raise BudgetError(f"the answer's estimated cost ${guess:.4f} exceeds budget-usd ${config.budget_usd:.2f}; "
                          "nothing was sent")
    report.engine = engine.name
    with log.group(f"Answer (comment {e.comment_id} in thread {thread.comment_id}, model {config.model})"):
        outcome = engine.review(Plan(requests=[request]), lambda _: text,
                                ConverseTask(model=config.model, max_tokens=min(2048, config.max_output_tokens),
                                             price=price))
    for result in outcome.results:
        report.usage.add(result.usage)
    report.cost_usd = cost(report.usage, price)
    if outcome.fatal is not None:
        raise outcome.fatal
    result = outcome.results[0] if outcome.results else None
    if result is None or result.answer is None:
        raise ApiError(f"no answer: {result.error if result is not None else 'the request was not sent'}")
    got = result.answer
    wrong = got.verdict == "wrong"
    from ..converse.replies import withdrawn_line

    body = sanitize(got.reply) + (f"\n\n{withdrawn_line(got.reason)}" if wrong else "")
    reply(talk, thread, body)
    talk.note(f"answered comment {e.comment_id}: the finding {'was wrong' if wrong else 'stands'}")
    if wrong:
        dismiss(talk, snapshot, thread, finding, f"withdrawn in its thread: {' '.join(got.reason.split())[:300]}")


def _code(talk: Conversation, finding: PostedFinding) -> tuple[list[Row], str]:
    """The rows to show around the finding at the pull request's head, and a note on what they are."""
    from ..context import select_context
    from ..diff import PatchError, content_rows, parse_patch
    from ..sources.head_content import HeadContents

    repo, head = talk.repo(), talk.head_sha()
    entry = next((f for f in talk.repo().get_pull(talk.event.number).get_files() if f.filename == finding.path), None)
    store = HeadContents(repo, head, talk.context.workspace)
    data = store.loader(finding.path, entry.sha if entry is not None else None)()
    if entry is not None and entry.patch and data is not None:
        try:
            view = select_context(finding.path, data, parse_patch(entry.patch), talk.config.max_context_tokens,
                                  mode=talk.config.context)
        except PatchError:
            view = None
        if view is not None and any(r.new is not None and finding.line <= r.new <= (finding.end_line or finding.line)
                                    for r in view.rows):
            return view.rows, f"; the change with its enclosing definitions ({view.kind})"
    if data is None:
        return [], ""
    start = max(0, finding.line - 1 - WINDOW)
    return content_rows(data, start, finding.line + WINDOW), f"; lines around {finding.line}"
