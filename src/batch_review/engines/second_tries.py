"""A batch's second tries: requests that errored or expired in the batch are sent once more, and answers that
could not be used get their one repair — through the Messages API, at standard price, inside `budget-usd`.

The results are merged into the batch's own: usage added, attempts counted, a pack split by the parallel
engine keeps its files' own results, and a second try that fails says what the first one did.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..errors import RunError
from ..log import log
from ..plan import PlannedRequest
from ..pricing import SpendGuard, Usage
from .answers import RequestResult
from .parallel import ParallelOptions, review_parallel
from .task import Task


def send_second_tries(
    requests: Sequence[PlannedRequest],
    results: Mapping[str, RequestResult],
    render: Callable[[PlannedRequest], str],
    options: ParallelOptions,
    task: Task,
    *,
    api_key: str,
    spend: SpendGuard,
    repairs: Mapping[str, str],
    retried: int,
    notes: list[str],
) -> Usage:
    """Send `requests` again (those in `repairs` as their repair), merge into `results`; the usage sent
    outside the batch (standard price)."""
    log.info(f"Second tries through the Messages API (standard price): {retried} errored or expired "
             f"request(s), {len(repairs)} answer(s) to repair")
    try:
        again = review_parallel(requests, render, options, api_key=api_key, spend=spend, repairs=repairs, task=task)
    except RunError as exc:
        note = f"the second tries of {len(requests)} request(s) failed: {exc.message}"
        log.warning(note)
        notes.append(note)
        for request in requests:
            first = results[request.custom_id]
            first.error = f"{first.error}; second try failed: {exc.message}"
        return Usage()
    full = Usage()
    fixed = 0
    for second in again:
        first = results[second.custom_id]
        full.add(second.usage)
        first.usage.add(second.usage)
        first.attempts += second.attempts
        first.parts = second.parts  # a pack whose answer stayed unusable, split: its files' own results
        if second.answer is not None:
            first.answer, first.error = second.answer, None
            fixed += 1
        elif second.parts:
            first.error = second.error
            fixed += all(part.answer is not None for _, part in second.parts)
        else:
            first.error = f"{second.error} (first: {first.error})"
    notes.append(f"Second tries: {fixed} of {len(requests)} request(s) answered at standard price")
    return full
