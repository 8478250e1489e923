"""The Message Batches endpoints of the fake Anthropic API (create, list, retrieve, cancel, delete, results)
and the controls a test has over its batches; `FakeAnthropicAPI` routes every /v1/messages/batches request here.
The batches themselves (validation, processing, results) are `anthropic_batches.BatchStore`'s."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping

from .anthropic_batches import BatchStore, StoredBatch
from .anthropic_common import JSON, ApiError
from .anthropic_faults import ERROR_FAULTS
from .anthropic_http import Reply, json_reply
from .anthropic_records import RecordedRequest

_BATCH = re.compile(r"^/v1/messages/batches/(?P<id>[^/]+)(?P<tail>/cancel|/results)?$")


class BatchEndpoints:
    """Mixed into `FakeAnthropicAPI`, which sets these attributes."""

    _store: BatchStore
    _lock: threading.Lock
    batch_create_faults: list[str]
    on_batch_created: Callable[[JSON], None] | None

    @property
    def batches(self) -> dict[str, StoredBatch]:
        return self._store.batches

    @property
    def batches_created(self) -> int:
        return self._store.created

    def end_batch(self, batch_id: str, outcomes: Mapping[str, str] | None = None) -> JSON:
        return self._store.end(batch_id, outcomes)

    def forget_results(self, batch_id: str) -> None:
        self._store.forget_results(batch_id)

    def _batches_route(self, rec: RecordedRequest) -> Reply | None:
        """The reply of a Message Batches endpoint; None when `rec` is for none of them."""
        method, path = rec.method, rec.path
        if path == "/v1/messages/batches":
            if method == "POST":
                with self._lock:
                    fault = self.batch_create_faults.pop(0) if self.batch_create_faults else None
                if fault is not None:
                    status, kind, message = ERROR_FAULTS[fault]
                    raise ApiError(status, message, kind)
                created = self._store.create(rec.json)
                if self.on_batch_created is not None:  # e.g. the client is killed before the answer reaches it
                    self.on_batch_created(created)
                return json_reply(created)
            if method == "GET":
                return json_reply(self._store.list_page(rec.query))
        m = _BATCH.match(path)
        if m:
            batch_id, tail = m["id"], m["tail"]
            if method == "GET" and tail is None:
                return json_reply(self._store.retrieve(batch_id))
            if method == "DELETE" and tail is None:
                return json_reply(self._store.delete(batch_id))
            if method == "POST" and tail == "/cancel":
                return json_reply(self._store.cancel(batch_id))
            if method == "GET" and tail == "/results":
                return Reply(200, self._store.results(batch_id), content_type="application/binary")
        return None
