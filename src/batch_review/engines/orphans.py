"""A batch created by a run that died before it could save the batch's id.

The sweep's state records the intent before each `batches.create` (the time, and how many requests the
batch holds). A run that finds such an intent without a batch id lists the organisation's batches created
in that window (`GET /v1/messages/batches`, newest first) and adopts the one batch with exactly that many
requests that no state names. It is confirmed when its results come back: results whose `custom_id`s are
not this plan's are ignored, and the plan's requests still missing are submitted again — so a batch of
another tool that happened to match is never taken for ours, and ours is never paid for twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..log import log
from ..words import plural
from .client import describe_api_error

if TYPE_CHECKING:
    import anthropic

BEFORE = timedelta(minutes=2)  # clock skew between this machine and the API
AFTER = timedelta(minutes=30)  # a create call (its upload included) finishes well within this
MAX_LISTED = 1000


def adopt_orphan(client: anthropic.Anthropic, creating_at: str, requests: int, known: set[str],
                 notes: list[str]) -> list[str]:
    """The id of the batch the stopped run created (from `creating_at` on, holding `requests` requests, not
    one of the `known` ids), when exactly one batch fits; else none, with a note."""
    import anthropic

    try:
        start = datetime.strptime(creating_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return []
    found: list[Any] = []
    try:
        for listed, batch in enumerate(client.messages.batches.list(limit=100)):
            created: datetime = batch.created_at
            if created < start - BEFORE or listed >= MAX_LISTED:
                break  # newest first: everything further is older
            if created > start + AFTER or batch.id in known:
                continue
            counts = batch.request_counts
            total = counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired
            if total == requests:
                found.append(batch)
    except anthropic.APIError as exc:
        note = f"could not look for the batch the stopped run may have created ({describe_api_error(exc)})"
        log.warning(note)
        notes.append(note)
        return []
    if len(found) != 1:
        why = "none fits" if not found else f"{len(found)} fit, so none is taken"
        note = (f"the run that submitted this sweep stopped while creating a batch of {requests} "
                f"request(s) at {creating_at}; looking for it: {why}")
        log.warning(note)
        notes.append(note)
        return []
    note = (f"batch {found[0].id} ({plural(requests, 'request')}, created {found[0].created_at:%H:%M:%S} "
            "UTC) was created by the run that stopped before saving it: it is collected, not paid for again")
    log.info(note)
    notes.append(note)
    return [str(found[0].id)]
