"""A loopback fake of Amazon Bedrock's InvokeModel for Anthropic models, as `AsyncAnthropicBedrock` speaks it.

    with FakeBedrock() as fake:                      # fake.env(): ANTHROPIC_BEDROCK_BASE_URL, AWS_* keys
        client = anthropic.AnthropicBedrock(aws_region=fake.region, base_url=fake.base_url)

- `POST /model/{model id}/invoke` (JSON) and `/invoke-with-response-stream` (AWS event-stream framing: each
  Anthropic stream event base64-encoded in a `chunk` event, prelude and message CRC32s; a stream that breaks
  off sends an `exception` message). The body carries `anthropic_version` (this fake takes only
  `bedrock-2023-05-31`, the value Bedrock documents for InvokeModel) and no `model`, `stream` or unknown key.
- SigV4, verified for real with botocore's own signer: `Authorization: AWS4-HMAC-SHA256 Credential=
  AKID/{date}/{region}/bedrock/aws4_request, SignedHeaders=…, Signature=…`, `x-amz-date`, and
  `x-amz-security-token` when the credentials have a session token. Or a Bedrock API key (`Bearer`).
- Errors as Bedrock answers them: `{"message": "…"}` with `x-amzn-ErrorType: <Kind>:http://internal.amazon.com/
  coral/com.amazon.bedrock/` and `x-amzn-RequestId`: ValidationException 400 (also "The provided model
  identifier is invalid."), AccessDeniedException 403, ResourceNotFoundException 404, ThrottlingException 429,
  ModelTimeoutException 408, InternalServerException 500, ServiceUnavailableException 503; the signature
  checks answer 403 UnrecognizedClientException / InvalidSignatureException.
- Faults: `inject(name)` with a name of BEDROCK_FAULTS, or any of the Anthropic fake's kinds (an error kind
  is converted to Bedrock's shape).
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import struct
import zlib
from typing import Any
from urllib.parse import unquote

from .anthropic_api import RecordedRequest
from .anthropic_common import ApiError
from .anthropic_faults import Fault
from .anthropic_http import Reply
from .bedrock_vertex_common import CloudError, CloudFake, sse_events

BEDROCK_VERSION = "bedrock-2023-05-31"
DEFAULT_BEDROCK_MODELS = frozenset({
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "us.anthropic.claude-haiku-4-5-20251001-v1:0",
})
_PATH = re.compile(r"^/model/(?P<model>[^/]+)/(?P<op>invoke|invoke-with-response-stream)$")
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)
ALLOWED_KEYS = frozenset({
    "anthropic_version", "anthropic_beta", "max_tokens", "messages", "system", "output_config", "tools",
    "tool_choice", "metadata", "stop_sequences", "thinking", "cache_control",
})
INVALID_TOKEN = "The security token included in the request is invalid."
ERROR_NAMESPACE = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
#: name -> (status, x-amzn-ErrorType, message)
BEDROCK_FAULTS: dict[str, tuple[int, str, str]] = {
    "throttling": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "access_denied": (403, "AccessDeniedException",
                      "You don't have access to the model with the specified model ID."),
    "model_not_found": (404, "ResourceNotFoundException", "Model not found."),
    "invalid_model": (400, "ValidationException", "The provided model identifier is invalid."),
    "unavailable": (503, "ServiceUnavailableException", "Bedrock is unable to process your request."),
    "internal": (500, "InternalServerException", "The server encountered an internal error."),
}


class FakeBedrock(CloudFake):
    request_id_header = "x-amzn-RequestId"

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        access_key: str = "AKIAFAKEBEDROCK00001",
        secret_key: str = "fake/secret+key/0000000000000000000000000",
        session_token: str | None = "FwoGZXIvYXdzEfake-session-token",
        api_key: str | None = None,  # a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK), accepted as Bearer
        known_models: frozenset[str] | set[str] = DEFAULT_BEDROCK_MODELS,
        **options: Any,
    ) -> None:
        super().__init__(known_models=known_models, **options)
        self.region = region
        self.access_key, self.secret_key, self.session_token = access_key, secret_key, session_token
        self.bedrock_api_key = api_key
        self.signatures_checked = 0

    def env(self) -> dict[str, str]:
        """The environment aws-actions/configure-aws-credentials leaves, pointed at this fake (and no file or
        instance-metadata lookups)."""
        env = {
            "ANTHROPIC_BEDROCK_BASE_URL": self.base_url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/nonexistent/aws-config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        }
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
        return env

    def inject(self, kind: str | tuple[Any, ...], times: int = 1, match: Any = None) -> Fault:
        if isinstance(kind, str) and kind in BEDROCK_FAULTS:
            status, error_type, message = BEDROCK_FAULTS[kind]
            headers = {"x-amzn-ErrorType": error_type + ERROR_NAMESPACE}
            fault = super().inject(("custom", status, headers, json.dumps({"message": message})), times, match)
            fault.kind = kind
            return fault
        return super().inject(kind, times, match)

    # ---- routing ----------------------------------------------------------------------------------
    def route(self, rec: RecordedRequest) -> Reply:
        match = _PATH.match(rec.path)
        if rec.method != "POST" or match is None:
            raise CloudError(404, "UnknownOperationException", f"Unknown operation {rec.method} {rec.path}")
        self.authenticate(rec)
        body = rec.json
        if not isinstance(body, dict):
            raise CloudError(400, "ValidationException",
                             "Malformed input request, please reformat your input and try again.")
        version = body.get("anthropic_version")
        if version != BEDROCK_VERSION:
            raise CloudError(400, "ValidationException", f"invalid anthropic_version: {version!r}")
        extra = sorted(set(body) - ALLOWED_KEYS)
        if extra:
            raise CloudError(400, "ValidationException", f"#: extraneous key [{extra[0]}] is not permitted")
        model = unquote(match["model"])
        streamed = match["op"] == "invoke-with-response-stream"
        anthropic_body = {k: v for k, v in body.items() if k not in ("anthropic_version", "anthropic_beta")}
        anthropic_body["model"] = model
        if streamed:
            anthropic_body["stream"] = True
        reply = self.answer(rec, anthropic_body)
        if streamed and reply.status == 200:
            return _event_stream(reply)
        if reply.status == 200 and rec.usage is not None:
            reply.headers = {**reply.headers, "x-amzn-bedrock-input-token-count": str(rec.usage["input_tokens"]),
                             "x-amzn-bedrock-output-token-count": str(rec.usage["output_tokens"])}
        return reply

    def authenticate(self, rec: RecordedRequest) -> None:
        auth = rec.headers.get("authorization", "")
        if self.bedrock_api_key is not None and auth == f"Bearer {self.bedrock_api_key}":
            return
        match = _AUTH.match(auth)
        if match is None:
            raise CloudError(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        if match["key"] != self.access_key:
            raise CloudError(403, "UnrecognizedClientException", INVALID_TOKEN)
        if match["service"] != "bedrock":
            raise CloudError(403, "InvalidSignatureException",
                             f"Credential should be scoped to correct service: 'bedrock'. (got {match['service']!r})")
        if match["region"] != self.region:
            raise CloudError(403, "InvalidSignatureException",
                             f"Credential should be scoped to a valid region, not {match['region']!r}.")
        amz_date = rec.headers.get("x-amz-date", "")
        if not amz_date.startswith(match["date"]):
            raise CloudError(403, "InvalidSignatureException", "Date in Credential scope does not match x-amz-date.")
        if self.session_token and rec.headers.get("x-amz-security-token") != self.session_token:
            raise CloudError(403, "UnrecognizedClientException", INVALID_TOKEN)
        signed = match["signed"].split(";")
        if "host" not in signed or "x-amz-date" not in signed:
            raise CloudError(403, "InvalidSignatureException", "'Host' and 'X-Amz-Date' must be signed.")
        if not hmac.compare_digest(self._signature(rec, signed, amz_date), match["signature"]):
            raise CloudError(403, "InvalidSignatureException",
                             "The request signature we calculated does not match the signature you provided. Check "
                             "your AWS Secret Access Key and signing method. Consult the service documentation for "
                             "details.")
        self.signatures_checked += 1

    def _signature(self, rec: RecordedRequest, signed: list[str], amz_date: str) -> str:
        """The signature botocore computes for this request, from the signed headers as received."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        target = rec.path + (f"?{'&'.join(f'{k}={v}' for k, v in rec.query.items())}" if rec.query else "")
        url = f"http://{rec.headers['host']}{target}"
        request = AWSRequest(method=rec.method, url=url, headers={h: rec.headers.get(h, "") for h in signed},
                             data=rec.raw)
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(self.access_key, self.secret_key, self.session_token), "bedrock", self.region)
        return str(signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request))

    # ---- errors -------------------------------------------------------------------------------------
    def error_reply(self, error: CloudError) -> Reply:
        return Reply(error.status, json.dumps({"message": error.message}).encode(),
                     {"x-amzn-ErrorType": error.kind + ERROR_NAMESPACE})

    def convert(self, error: ApiError) -> CloudError:
        if error.status == 404:  # the Anthropic logic's unknown model
            return CloudError(400, "ValidationException", "The provided model identifier is invalid.")
        kind = {400: "ValidationException", 413: "ValidationException", 401: "UnrecognizedClientException",
                403: "AccessDeniedException", 429: "ThrottlingException", 504: "ModelTimeoutException",
                529: "ServiceUnavailableException"}.get(error.status, "InternalServerException")
        status = {413: 400, 401: 403, 504: 408, 529: 503}.get(error.status, error.status)
        if status >= 500 and status != 503:
            status = 500
        return CloudError(status, kind, error.message)


def event_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One AWS event-stream message: prelude (total and headers length, CRC32), string headers, payload, CRC32."""
    head = b"".join(
        bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(value.encode())) + value.encode()
        for name, value in headers.items()
    )
    prelude = struct.pack(">II", 16 + len(head) + len(payload), len(head))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + head + payload
    return message + struct.pack(">I", zlib.crc32(message))


def chunk_event(data: bytes) -> bytes:
    payload = json.dumps({"bytes": base64.b64encode(data).decode()}).encode()
    return event_frame({":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"},
                       payload)


def exception_event(kind: str, message: str) -> bytes:
    return event_frame({":exception-type": kind, ":content-type": "application/json", ":message-type": "exception"},
                       json.dumps({"message": message}).encode())


def _frames(sse: bytes) -> bytes:
    out = []
    for name, data in sse_events(sse):
        if name == "ping":
            continue  # Bedrock does not forward pings
        if name == "error":
            error = json.loads(data).get("error", {})
            out.append(exception_event("modelStreamErrorException", str(error.get("message", "error"))))
            continue
        out.append(chunk_event(data))
    return b"".join(out)


def _event_stream(reply: Reply) -> Reply:
    """The Anthropic fake's SSE reply, re-framed as Bedrock's event stream (same timing)."""
    chunks = [(due, _frames(data)) for due, data in (reply.chunks or [])]
    return Reply(200, _frames(reply.body), {"x-amzn-Bedrock-Content-Type": "application/json"},
                 "application/vnd.amazon.eventstream", on_start=reply.on_start, chunks=chunks, on_end=reply.on_end)
