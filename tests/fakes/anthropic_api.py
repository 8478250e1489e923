"""A loopback HTTP fake of the Anthropic Messages and Message Batches API.

    with FakeAnthropicAPI(api_key="sk-ant-test") as fake:
        client = anthropic.Anthropic(api_key="sk-ant-test", base_url=fake.base_url)

See ``tests/fakes/anthropic_*.py`` for the parts: validation and caching (messages), rate limits,
faults, batches (the store) and their endpoints (batch_endpoints), the recorded requests and the gates
(records); and ``model_brain.py`` for the default deterministic "model".
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import anthropic_sse as sse
from .anthropic_batch_endpoints import BatchEndpoints
from .anthropic_batches import BatchStore, add_usage
from .anthropic_common import JSON, ApiError, error_body, invalid, new_request_id
from .anthropic_faults import ERROR_FAULTS, OUTPUT_FAULTS, CustomReply, Fault, FaultBox, error_for, make_fault
from .anthropic_http import Drop, Handler, Reply, Server, json_reply, read_body, send
from .anthropic_messages import Brain, MessageEngine, TokenCounter
from .anthropic_ratelimit import RateLimiter, RateLimits, synthetic_headers
from .anthropic_records import Gate, RecordedRequest

__all__ = ["FakeAnthropicAPI", "Gate", "RateLimits", "RecordedRequest"]

class FakeAnthropicAPI(BatchEndpoints):
    """Messages + Message Batches on 127.0.0.1, faithful to the API facts of anthropic 2.10.0.

    Options: ``api_key`` (None accepts any; ``Authorization: Bearer`` or ``x-api-key``), ``latency``
    (seconds, or callable(body) -> seconds, slept per /v1/messages request), ``ttft`` (the same for a streamed
    answer's first event, `message_start`; the rest of the stream comes at ``latency``), ``brain`` (callable(body) ->
    text, None meaning "use the planted-marker brain"), ``verifier`` (the same for verification requests, None
    meaning "keep every finding"), ``talker`` (the same for answers in a thread, None: ``conversation_brain``),
    ``hold`` (callable(body) -> threading.Event or None: a request given an event is answered only once the
    event is set, or after ``hold_seconds``; tests order answers by what the fake has received, not by time),
    ``known_models``, ``rate_limits`` (RateLimits, a
    mapping or an object with rpm/input_tpm/output_tpm), ``count_tokens`` (callable(text) -> int),
    ``min_cache_tokens`` (the shortest prefix cached: one for every model, or a table by model over the
    documented floors; None: the documented floors, ``anthropic_messages.CACHE_FLOORS``), ``thinking``
    (answers start with a thinking block unless the request disables thinking), ``auto_end_after_polls`` /
    ``auto_end_after_seconds`` (batches end by themselves),
    ``timeout_seconds`` (the "timeout" fault's stall), ``fault_retry_after`` (retry-after of the
    "rate_limit" fault), ``max_request_bytes`` / ``max_batch_bytes`` (413 past them), ``strict`` (leaving
    the ``with`` block raises AssertionError if ``errors`` is not empty: brain output that breaks the
    requested schema, a crash in the fake, a fault predicate that raised).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        latency: float | Callable[[JSON], float] = 0.0,
        ttft: float | Callable[[JSON], float] = 0.0,
        brain: Brain | None = None,
        verifier: Brain | None = None,
        talker: Brain | None = None,
        hold: Callable[[JSON], threading.Event | None] | None = None,
        hold_seconds: float = 30.0,
        known_models: set[str] | frozenset[str] | None = None,
        rate_limits: RateLimits | Mapping[str, int] | Any = None,
        count_tokens: TokenCounter | None = None,
        min_cache_tokens: int | Mapping[str, int] | None = None,
        thinking: bool = True,
        auto_end_after_polls: int | None = None,
        auto_end_after_seconds: float | None = None,
        timeout_seconds: float = 3.0,
        fault_retry_after: float = 1,
        max_request_bytes: int = 32 * 1024 * 1024,
        max_batch_bytes: int = 256 * 1024 * 1024,
        strict: bool = True,
    ) -> None:
        self.api_key = api_key
        self.latency = latency
        self.ttft = ttft
        self.hold_answer, self.hold_seconds = hold, hold_seconds  # `hold` the method is the gate (race tests)
        self.timeout_seconds = timeout_seconds
        self.fault_retry_after = fault_retry_after
        self.max_request_bytes = max_request_bytes
        self.max_batch_bytes = max_batch_bytes
        self.strict = strict
        self.on_batch_created: Callable[[JSON], None] | None = None  # called once a batch is stored, before answering
        # error faults (ERROR_FAULTS kinds) answered, one each, to the next batch creations, before the body is read
        # into a batch: the API's transient 5xx (the SDK retries them) or a refusal
        self.batch_create_faults: list[str] = []
        self.engine = MessageEngine(
            brain=brain,
            verifier=verifier,
            talker=talker,
            known_models=known_models,
            count_tokens=count_tokens,
            min_cache_tokens=min_cache_tokens,
            thinking=thinking,
        )
        limits = RateLimits.coerce(rate_limits)
        self.rate_limiter: RateLimiter | None = RateLimiter(limits) if limits else None
        self._store = BatchStore(self.engine, lambda: self.base_url)
        self._store.auto_end_after_polls = auto_end_after_polls
        self._store.auto_end_after_seconds = auto_end_after_seconds
        self._faults = FaultBox()
        self._requests: list[RecordedRequest] = []
        self._crashes: list[str] = []
        self._lock = threading.Lock()
        # One answer worked out at a time (the brains are the heavy part; cache use is planned as requests arrive).
        # The interpreter runs one thread at a time anyway; taking turns leaves it free between two answers for
        # the requests arriving meanwhile to be read (forty threads working at once each take a fortieth of it).
        self._thinking = threading.Lock()
        self._stop = threading.Event()
        self._conns: set[socket.socket] = set()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self._gates: list[Gate] = []

    # ---- lifecycle ----------------------------------------------------------------------------
    def start(self) -> FakeAnthropicAPI:
        if self._server is None:
            server = Server(("127.0.0.1", 0), Handler)
            server.app = self
            self._server = server
            self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        for gate in self._gates:
            gate.open()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            with self._lock:
                conns = list(self._conns)
            for conn in conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._server = None

    def __enter__(self) -> FakeAnthropicAPI:
        return self.start()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.close()
        if exc_type is None and self.strict and self.errors:
            raise AssertionError("fake Anthropic API saw problems:\n" + "\n".join(self.errors))

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeAnthropicAPI is not running; use it as a context manager or call start()")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment variables that point a client (or a subprocess) at the fake."""
        return {"ANTHROPIC_BASE_URL": self.base_url, "ANTHROPIC_API_KEY": self.api_key or "sk-ant-fake"}

    # ---- inspection and control ---------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(
            1 for r in self.requests if (method is None or r.method == method) and (path is None or r.path == path)
        )

    @property
    def errors(self) -> list[str]:
        return [*self.engine.errors, *self._faults.match_errors, *self._crashes]

    def clear_errors(self) -> None:
        """Forget recorded problems (after a test provoked one on purpose)."""
        self.engine.errors.clear()
        self._faults.match_errors.clear()
        self._crashes.clear()

    def inject(self, kind: str | tuple[Any, ...], times: int = 1, match: Callable[[JSON], bool] | None = None) -> Fault:
        """Give the next ``times`` matching POST /v1/messages requests a fault; returns it (see ``.hits``)."""
        return self._faults.add(make_fault(kind, times, match))

    def hold(self, match: Callable[[JSON], bool]) -> Gate:
        """Hold every POST /v1/messages request that `match` accepts (its body) until the gate is opened;
        `gate.arrived` is set when the first one arrives. Leaving the `with` block opens every gate."""
        gate = Gate(match, threading.Event(), threading.Event())
        with self._lock:
            self._gates.append(gate)
        return gate

    def _wait_at_gates(self, body: JSON) -> None:
        with self._lock:
            gates = list(self._gates)
        for gate in gates:
            if not gate.opened.is_set() and gate.match(body):
                gate.held += 1
                gate.arrived.set()
                while not gate.opened.wait(0.05) and not self._stop.is_set():
                    pass

    def clear_faults(self) -> None:
        self._faults.clear()

    def clear_cache(self) -> None:
        self.engine.clear_cache()

    def usage_totals(self, *, include_batches: bool = True) -> dict[str, int]:
        """Usage summed over answered /v1/messages requests (and succeeded batch results)."""
        totals: dict[str, int] = {}
        for rec in self.requests:
            if rec.usage is not None:
                add_usage(totals, rec.usage)
        if include_batches:
            for batch in list(self.batches.values()):
                add_usage(totals, batch.usage_totals())
        return totals

    # ---- HTTP -----------------------------------------------------------------------------------
    def track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def handle(self, h: Handler) -> None:
        rec = self.record(h)
        request_id = new_request_id()
        is_messages = h.command == "POST" and rec.path == "/v1/messages"
        try:
            reply = self._route(rec)
        except Drop:
            self.drop(h, rec)
            return
        except Exception as exc:
            if not isinstance(exc, ApiError):
                self._crashes.append(f"FAKE ANTHROPIC crashed on {h.command} {rec.path}: {exc!r}")
                exc = ApiError(500, f"fake crashed: {exc!r}")
            extra = dict(exc.headers)
            if is_messages and self.rate_limiter is not None:
                extra = {**self.rate_limiter.headers(), **extra}
            reply = Reply(exc.status, error_body(exc.type, exc.message, request_id), extra)
        if rec.response is None and reply.content_type == "application/json":
            with contextlib.suppress(ValueError):
                rec.response = json.loads(reply.body)
        self.deliver(h, rec, reply, request_id)

    def record(self, h: Handler) -> RecordedRequest:
        """Read the request and record it (`rec.raw` keeps the body as the client sent it)."""
        url = urlsplit(h.path)
        headers = {k.lower(): v for k, v in h.headers.items()}
        raw = read_body(h, headers)
        # started when its first line arrived: the time this process then takes to read it (its threads take turns
        # with the others') is the service's, part of the latency
        rec = RecordedRequest(h.command, url.path, dict(parse_qsl(url.query)), headers, None, raw, h.arrived)
        if raw:
            try:
                rec.json = json.loads(raw)
            except ValueError:
                rec.json = None
        with self._lock:
            self._requests.append(rec)
        return rec

    def drop(self, h: Handler, rec: RecordedRequest) -> None:
        """Close the connection without an answer (a dropped connection fault)."""
        h.close_connection = True
        with contextlib.suppress(OSError):
            h.connection.shutdown(socket.SHUT_RDWR)
        rec.finished = time.time()

    def deliver(self, h: Handler, rec: RecordedRequest, reply: Reply, request_id: str,
                id_header: str = "request-id") -> None:
        rec.status = reply.status
        if reply.on_start is not None:
            reply.on_start()  # the response begins: as on the real API, its cache write is readable now
        try:
            send(h, reply, request_id, self._stop.wait, id_header)
        finally:
            if reply.on_end is not None:
                reply.on_end()
            rec.finished = time.time()

    def _route(self, rec: RecordedRequest) -> Reply:
        self._authenticate(rec.headers)
        method, path = rec.method, rec.path
        limit = self.max_batch_bytes if path == "/v1/messages/batches" else self.max_request_bytes
        if len(rec.raw) > limit:
            raise ApiError(413, "Request exceeds the maximum allowed number of bytes.")
        if method == "POST" and rec.raw and rec.json is None:
            raise invalid("There was an error parsing the body of your request: invalid JSON")
        if method == "POST" and path == "/v1/messages":
            self._wait_at_gates(rec.json)
            return self._messages(rec)
        if method == "POST" and path == "/v1/messages/count_tokens":
            self.engine.validate(rec.json, count_only=True)
            return json_reply({"input_tokens": self.engine.input_tokens(rec.json)})
        reply = self._batches_route(rec)
        if reply is not None:
            return reply
        raise ApiError(404, f"Not found: {method} {path}")

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        if self.api_key is not None:
            key = headers.get("x-api-key")
            auth = headers.get("authorization", "")
            if key is None and auth.lower().startswith("bearer "):
                key = auth[7:].strip()
            if not key:
                raise ApiError(401, "x-api-key header is required")
            if key != self.api_key:
                raise ApiError(401, "invalid x-api-key")
        if "anthropic-version" not in headers:
            raise invalid("anthropic-version: header is required")

    def _messages(self, rec: RecordedRequest) -> Reply:
        body = rec.json
        fault = self._faults.take(body)
        output_fault: str | None = None
        if fault is not None:
            rec.fault = fault.kind
            if fault.custom is not None:
                return _custom_reply(fault.custom)
            if fault.kind in ERROR_FAULTS:
                raise self._fault_error(fault.kind)
            if fault.kind == "drop":
                raise Drop
            if fault.kind == "midstream_overloaded" and not body.get("stream"):
                raise self._fault_error("overloaded")
            if fault.kind == "timeout":
                self._stop.wait(self.timeout_seconds)
            if fault.kind in OUTPUT_FAULTS:
                output_fault = fault.kind
        self.engine.validate(body)
        plan = self.engine.plan(body)  # not in turn: requests sent together plan their cache use together
        limiter = self.rate_limiter
        rl_headers = limiter.admit(plan.uncached_tokens + plan.write_tokens) if limiter else {}
        streamed = bool(body.get("stream"))
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            delay = self.latency(body) if callable(self.latency) else self.latency
            # a streamed answer begins (message_start, the cache entry readable) after the time to first
            # token; the rest follows when the whole latency has passed
            first = min(delay, self.ttft(body) if callable(self.ttft) else self.ttft) if streamed else delay
            with self._thinking:
                message = self.engine.answer(body, plan, output_fault)
            # `latency` is the whole time the API takes, its own work included: the fake's CPU time
            # (tokenizing, validating, the brain) is part of it, not added on top.
            remaining = rec.started + first - time.time()
            if remaining > 0:
                self._stop.wait(remaining)
            gate = self.hold_answer(body) if self.hold_answer is not None else None
            deadline = time.time() + self.hold_seconds
            while gate is not None and not gate.wait(0.02) and not self._stop.is_set() and time.time() < deadline:
                pass
        except BaseException:
            self._leave()
            raise
        if limiter is not None:
            rl_headers = limiter.charge_output(message["usage"]["output_tokens"])
        rec.usage = message["usage"]
        rec.response = message
        commit = lambda: self.engine.commit(plan)  # noqa: E731
        if not streamed:
            self._leave()
            return Reply(200, json.dumps(message).encode(), rl_headers, on_start=commit)
        rest = sse.rest(message) if rec.fault != "midstream_overloaded" else sse.error("overloaded_error", "Overloaded")
        return Reply(200, sse.message_start(message), rl_headers, "text/event-stream", on_start=commit,
                     chunks=[(rec.started + delay, rest)], on_end=self._leave)  # fmt: skip

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _fault_error(self, kind: str) -> ApiError:
        err = error_for(kind)
        if kind == "rate_limit":
            after = self.fault_retry_after
            base = self.rate_limiter.headers() if self.rate_limiter else synthetic_headers(after)
            err.headers = {**base, "retry-after": f"{after:g}"}
        elif kind == "spend_cap" and self.rate_limiter:
            err.headers = self.rate_limiter.headers()
        return err


def _custom_reply(custom: CustomReply) -> Reply:
    headers = dict(custom.headers)
    content_type = headers.pop("content-type", "application/json")
    return Reply(custom.status, custom.body, headers, content_type)
