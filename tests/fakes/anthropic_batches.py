"""Message Batches for the fake Anthropic API."""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .anthropic_common import JSON, ApiError, invalid, new_id, now, rfc3339
from .anthropic_faults import OUTPUT_FAULTS
from .anthropic_messages import MessageEngine

CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_REQUESTS = 100_000
DAY = 24 * 3600.0
#: outcome -> errored result (error type, message)
ERRORED = {
    "errored": ("api_error", "Internal server error"),
    "overloaded": ("overloaded_error", "Overloaded"),
    "invalid": ("invalid_request_error", "messages: invalid request (injected outcome)"),
}
OUTCOMES = frozenset(ERRORED) | {"succeeded", "expired", "canceled"} | OUTPUT_FAULTS


@dataclass
class StoredBatch:
    id: str
    requests: list[JSON]
    created_at: float
    processing_status: str = "in_progress"
    ended_at: float | None = None
    cancel_initiated_at: float | None = None
    archived_at: float | None = None
    results: dict[str, JSON] = field(default_factory=dict)  # custom_id -> result object
    results_available: bool = True
    deleted: bool = False
    polls: int = 0

    @property
    def expires_at(self) -> float:
        return self.created_at + DAY

    def params(self, custom_id: str) -> JSON:
        return next(r["params"] for r in self.requests if r["custom_id"] == custom_id)

    def request_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("processing", "succeeded", "errored", "canceled", "expired"), 0)
        if self.processing_status != "ended":
            counts["processing"] = len(self.requests)
            return counts
        for result in self.results.values():
            counts[result["type"]] += 1
        return counts

    def usage_totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for result in self.results.values():
            if result["type"] == "succeeded":
                add_usage(totals, result["message"]["usage"])
        return totals

    def to_json(self, base_url: str) -> JSON:
        ended = self.processing_status == "ended"
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": self.processing_status,
            "request_counts": self.request_counts(),
            "created_at": rfc3339(self.created_at),
            "expires_at": rfc3339(self.expires_at),
            "ended_at": rfc3339(self.ended_at),
            "cancel_initiated_at": rfc3339(self.cancel_initiated_at),
            "archived_at": rfc3339(self.archived_at),
            "results_url": f"{base_url}/v1/messages/batches/{self.id}/results" if ended else None,
        }


def add_usage(totals: dict[str, int], usage: Mapping[str, Any]) -> None:
    for key, value in usage.items():
        if isinstance(value, int) and not isinstance(value, bool):
            totals[key] = totals.get(key, 0) + value
        elif isinstance(value, Mapping):
            add_usage(totals, value)


class BatchStore:
    def __init__(self, engine: MessageEngine, base_url: Callable[[], str]) -> None:
        self.engine = engine
        self.base_url = base_url
        self.batches: dict[str, StoredBatch] = {}
        self.created = 0
        self.auto_end_after_polls: int | None = None
        self.auto_end_after_seconds: float | None = None
        self._lock = threading.RLock()

    # ---- endpoints --------------------------------------------------------------------------
    def create(self, body: Any) -> JSON:
        if not isinstance(body, dict):
            raise invalid("body: Input should be a valid dictionary")
        for key in body:
            if key != "requests":
                raise invalid(f"{key}: Extra inputs are not permitted")
        requests = body.get("requests")
        if not isinstance(requests, list):
            raise invalid("requests: Field required" if requests is None else "requests: Input should be a valid list")
        if not requests or len(requests) > MAX_REQUESTS:
            bound = "at least 1 item" if not requests else f"at most {MAX_REQUESTS} items"
            raise invalid(f"requests: List should have {bound} after validation, not {len(requests)}")
        seen: set[str] = set()
        for i, item in enumerate(requests):
            if not isinstance(item, dict):
                raise invalid(f"requests.{i}: Input should be a valid dictionary")
            for key in item:
                if key not in ("custom_id", "params"):
                    raise invalid(f"requests.{i}.{key}: Extra inputs are not permitted")
            cid = item.get("custom_id")
            if not isinstance(cid, str) or not CUSTOM_ID.match(cid):
                raise invalid(f"requests.{i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
            if cid in seen:
                raise invalid(f"requests: custom_id values must be unique within a batch; duplicate: {cid!r}")
            seen.add(cid)
            if not isinstance(item.get("params"), dict):
                raise invalid(f"requests.{i}.params: Input should be a valid dictionary")
        batch = StoredBatch(id=new_id("msgbatch"), requests=requests, created_at=now())
        with self._lock:
            self.batches[batch.id] = batch
            self.created += 1
        return batch.to_json(self.base_url())

    def retrieve(self, batch_id: str) -> JSON:
        with self._lock:
            batch = self.get(batch_id)
            batch.polls += 1
            self._auto_end(batch)
            return batch.to_json(self.base_url())

    def list_page(self, query: Mapping[str, str]) -> JSON:
        try:
            limit = int(query.get("limit", "20"))
        except ValueError:
            raise invalid("limit: Input should be a valid integer") from None
        if not 1 <= limit <= 1000:
            raise invalid("limit: Input should be between 1 and 1000")
        with self._lock:
            for batch in self.batches.values():
                self._auto_end(batch)
            items = [b for b in reversed(self.batches.values()) if not b.deleted]
            ids = [b.id for b in items]
            after, before = query.get("after_id"), query.get("before_id")
            if after:
                start = self._index(ids, after, "after_id") + 1
                page, has_more = items[start : start + limit], start + limit < len(items)
            elif before:
                stop = self._index(ids, before, "before_id")
                start = max(0, stop - limit)
                page, has_more = items[start:stop], start > 0
            else:
                page, has_more = items[:limit], limit < len(items)
            base = self.base_url()
            return {
                "data": [b.to_json(base) for b in page],
                "has_more": has_more,
                "first_id": page[0].id if page else None,
                "last_id": page[-1].id if page else None,
            }

    def cancel(self, batch_id: str) -> JSON:
        with self._lock:
            batch = self.get(batch_id)
            if batch.processing_status == "ended":
                raise invalid(f"Message batch {batch_id} has already ended and cannot be canceled.")
            if batch.processing_status == "in_progress":
                batch.processing_status = "canceling"
                batch.cancel_initiated_at = now()
            return batch.to_json(self.base_url())

    def delete(self, batch_id: str) -> JSON:
        with self._lock:
            batch = self.get(batch_id)
            if batch.processing_status != "ended":
                raise invalid(
                    f"Message batch {batch_id} is still processing; it can only be deleted once it "
                    "has ended. Cancel it first."
                )
            batch.deleted = True
            return {"id": batch_id, "type": "message_batch_deleted"}

    def results(self, batch_id: str) -> bytes:
        with self._lock:
            batch = self.get(batch_id)
            self._auto_end(batch)
            if batch.processing_status != "ended":
                raise ApiError(404, f"Results for message batch {batch_id} are not available yet.")
            if not batch.results_available:
                raise ApiError(404, f"Results for message batch {batch_id} are no longer available.")
            lines = [json.dumps({"custom_id": cid, "result": r}) for cid, r in batch.results.items()]
        random.Random(batch_id).shuffle(lines)
        return ("\n".join(lines) + "\n").encode()

    # ---- test controls ----------------------------------------------------------------------
    def get(self, batch_id: str) -> StoredBatch:
        batch = self.batches.get(batch_id)
        if batch is None or batch.deleted:
            raise ApiError(404, f"message_batch: {batch_id} not found")
        return batch

    def end(self, batch_id: str, outcomes: Mapping[str, str] | None = None) -> JSON:
        outcomes = dict(outcomes or {})
        for cid, outcome in outcomes.items():
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown outcome {outcome!r} for {cid!r}; expected one of {sorted(OUTCOMES)}")
        with self._lock:
            batch = self.get(batch_id)
            if batch.processing_status == "ended":
                raise ValueError(f"batch {batch_id} has already ended")
            unknown = set(outcomes) - {r["custom_id"] for r in batch.requests}
            if unknown:
                raise ValueError(f"outcomes name custom_ids not in the batch: {sorted(unknown)}")
            canceling = batch.processing_status == "canceling"
            for item in batch.requests:
                cid = item["custom_id"]
                batch.results[cid] = self._process(item["params"], outcomes.get(cid), canceling)
            batch.processing_status = "ended"
            batch.ended_at = now()
            return batch.to_json(self.base_url())

    def forget_results(self, batch_id: str) -> None:
        with self._lock:
            batch = self.get(batch_id)
            batch.results_available = False
            batch.archived_at = now()

    # ---- internals --------------------------------------------------------------------------
    def _process(self, params: JSON, outcome: str | None, canceling: bool) -> JSON:
        if outcome is None and canceling:
            return {"type": "canceled"}
        if outcome in ("expired", "canceled"):
            return {"type": outcome}
        if outcome in ERRORED:
            return _errored(*ERRORED[outcome])
        try:
            if params.get("stream"):
                raise invalid("stream: streaming is not supported in Message Batches")
            self.engine.validate(params)
            plan = self.engine.plan(params)
            fault = outcome if outcome in OUTPUT_FAULTS else None
            message = self.engine.answer(params, plan, fault, service_tier="batch")
            self.engine.commit(plan)
        except ApiError as exc:
            return _errored(exc.type, exc.message)
        return {"type": "succeeded", "message": message}

    def _auto_end(self, batch: StoredBatch) -> None:
        if batch.processing_status == "ended":
            return
        polls, seconds = self.auto_end_after_polls, self.auto_end_after_seconds
        if (polls is not None and batch.polls >= polls) or (
            seconds is not None and now() - batch.created_at >= seconds
        ):
            self.end(batch.id)

    @staticmethod
    def _index(ids: list[str], batch_id: str, name: str) -> int:
        try:
            return ids.index(batch_id)
        except ValueError:
            raise invalid(f"{name}: no message batch with id {batch_id}") from None


def _errored(error_type: str, message: str) -> JSON:
    return {"type": "errored", "error": {"type": "error", "error": {"type": error_type, "message": message}}}
