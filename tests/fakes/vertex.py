"""A loopback fake of Claude on Google Vertex AI, as `AsyncAnthropicVertex` speaks it, with an OAuth token
endpoint so google-auth's Application Default Credentials run for real (no network).

    with FakeVertex() as fake:        # fake.env(tmp): ANTHROPIC_VERTEX_BASE_URL, GOOGLE_APPLICATION_CREDENTIALS…
        client = anthropic.AnthropicVertex(region=fake.region, project_id=fake.project)

- `POST /v1/projects/{project}/locations/{region}/publishers/anthropic/models/{model}:rawPredict` (JSON) and
  `:streamRawPredict` (server-sent events, as the Anthropic API streams). The body carries `anthropic_version`
  (this fake takes only `vertex-2023-10-16`, the value Google documents) and no `model`.
- `Authorization: Bearer <token>`: a token this fake's `POST /token` minted. google-auth gets it as it does
  from Google: a service-account credentials file (its `token_uri` points here; authorized-user files always
  go to Google's own endpoint) makes google-auth sign a JWT with the key, which the fake verifies.
- Errors: the platform's own in Google's envelope `{"error": {"code", "message", "status"}}` — 401
  UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND (unknown model), 429 RESOURCE_EXHAUSTED, 503
  UNAVAILABLE —, while the model's own (400 invalid_request_error, 529 overloaded_error) pass through in
  Anthropic's envelope, as rawPredict forwards them.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from .anthropic_api import RecordedRequest
from .anthropic_common import ApiError
from .anthropic_faults import Fault
from .anthropic_http import Reply
from .bedrock_vertex_common import CloudError, CloudFake

VERTEX_VERSION = "vertex-2023-10-16"
DEFAULT_VERTEX_MODELS = frozenset({"claude-sonnet-4-5@20250929", "claude-haiku-4-5@20251001", "claude-opus-4-6"})
_PATH = re.compile(
    r"^/v1/projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)/publishers/anthropic/models/"
    r"(?P<model>[^/:]+):(?P<op>rawPredict|streamRawPredict)$"
)
ALLOWED_KEYS = frozenset({
    "anthropic_version", "max_tokens", "messages", "system", "output_config", "tools", "tool_choice", "metadata",
    "stop_sequences", "thinking", "cache_control", "stream",
})
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
#: name -> (HTTP status, message)
VERTEX_FAULTS: dict[str, tuple[int, str]] = {
    "resource_exhausted": (429, "Quota exceeded for aiplatform.googleapis.com/online_prediction_input_tokens_per_"
                                "minute_per_base_model with base model: anthropic-claude-sonnet-4-5. Please submit "
                                "a quota increase request."),
    "permission_denied": (403, "Permission 'aiplatform.endpoints.predict' denied on resource "
                               "'//aiplatform.googleapis.com/projects/{project}/locations/{region}/publishers/"
                               "anthropic/models/{model}' (or it may not exist)."),
    "unauthenticated": (401, "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                             "login cookie or other valid authentication credential."),
    "unavailable": (503, "The service is currently unavailable."),
}


class FakeVertex(CloudFake):
    request_id_header = "x-vertex-ai-request-id"

    def __init__(
        self,
        *,
        project: str = "acme-reviews",
        region: str = "us-east5",
        known_models: frozenset[str] | set[str] = DEFAULT_VERTEX_MODELS,
        **options: Any,
    ) -> None:
        super().__init__(known_models=known_models, **options)
        self.project, self.region = project, region
        self.tokens: set[str] = set()
        self._key_pem, self._public_pem = _rsa_key()
        self.token_requests = 0

    @property
    def vertex_url(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def client_email(self) -> str:
        return f"batch-review@{self.project}.iam.gserviceaccount.com"

    def credentials_file(self, folder: Path) -> Path:
        """A service-account ADC file whose token requests come to this fake."""
        path = folder / "gha-creds-fake.json"
        path.write_text(json.dumps({
            "type": "service_account", "project_id": self.project, "private_key_id": "fake-key-1",
            "private_key": self._key_pem, "client_email": self.client_email, "client_id": "1234567890",
            "token_uri": f"{self.base_url}/token",
        }), encoding="utf-8")
        return path

    def env(self, folder: Path | None = None) -> dict[str, str]:  # type: ignore[override]
        """What google-github-actions/auth leaves (credentials file, project), pointed at this fake."""
        env = {"ANTHROPIC_VERTEX_BASE_URL": self.vertex_url, "GOOGLE_CLOUD_PROJECT": self.project,
               "CLOUD_ML_REGION": self.region, "NO_GCE_CHECK": "True"}
        if folder is not None:
            env["GOOGLE_APPLICATION_CREDENTIALS"] = str(self.credentials_file(folder))
        return env

    def mint(self) -> str:
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return token

    def inject(self, kind: str | tuple[Any, ...], times: int = 1, match: Any = None) -> Fault:
        if isinstance(kind, str) and kind in VERTEX_FAULTS:
            status, message = VERTEX_FAULTS[kind]
            text = message.format(project=self.project, region=self.region, model="{model}")
            body = json.dumps({"error": {"code": status, "message": text, "status": STATUS[status]}})
            fault = super().inject(("custom", status, {}, body), times, match)
            fault.kind = kind
            return fault
        return super().inject(kind, times, match)

    # ---- routing ----------------------------------------------------------------------------------
    def route(self, rec: RecordedRequest) -> Reply:
        if rec.method == "POST" and rec.path == "/token":
            return self._token(rec)
        match = _PATH.match(rec.path)
        if rec.method != "POST" or match is None:
            raise CloudError(404, "NOT_FOUND", f"The requested URL {rec.path} was not found on this server.")
        auth = rec.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            status, message = VERTEX_FAULTS["unauthenticated"]
            raise CloudError(status, STATUS[status], message)
        project, region, model = match["project"], match["region"], unquote(match["model"])
        if project != self.project or region != self.region:
            raise CloudError(403, "PERMISSION_DENIED", f"Permission 'aiplatform.endpoints.predict' denied on "
                             f"resource '//aiplatform.googleapis.com/projects/{project}/locations/{region}/publishers/"
                             f"anthropic/models/{model}' (or it may not exist).")
        body = rec.json
        if not isinstance(body, dict):
            raise CloudError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        if body.get("anthropic_version") != VERTEX_VERSION:
            raise ApiError(400, f"anthropic_version: invalid value {body.get('anthropic_version')!r}")
        extra = sorted(set(body) - ALLOWED_KEYS)
        if extra:
            raise ApiError(400, f"{extra[0]}: Extra inputs are not permitted")
        streamed = match["op"] == "streamRawPredict"
        if bool(body.get("stream")) != streamed:
            raise ApiError(400, f"stream: {body.get('stream')!r} does not match :{match['op']}")
        if model not in self.engine.known_models:
            raise CloudError(404, "NOT_FOUND", f"Publisher Model `projects/{project}/locations/{region}/publishers/"
                                               f"anthropic/models/{model}` not found.")
        anthropic_body = {k: v for k, v in body.items() if k != "anthropic_version"}
        anthropic_body["model"] = model
        return self.answer(rec, anthropic_body)

    def _token(self, rec: RecordedRequest) -> Reply:
        from google.auth import exceptions, jwt

        form = dict(parse_qsl(rec.raw.decode()))
        try:
            if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
                raise ValueError(f"unsupported grant_type {form.get('grant_type')!r}")
            claims = jwt.decode(form.get("assertion", ""), certs={"fake-key-1": self._public_pem},
                                audience="https://oauth2.googleapis.com/token")  # as Google checks it
            if claims.get("iss") != self.client_email:
                raise ValueError("wrong issuer")
        except (ValueError, exceptions.GoogleAuthError) as exc:
            body = {"error": "invalid_grant", "error_description": f"Invalid JWT: {exc}"}
            return Reply(400, json.dumps(body).encode())
        self.token_requests += 1
        body = {"access_token": self.mint(), "expires_in": 3599, "token_type": "Bearer",
                "scope": "https://www.googleapis.com/auth/cloud-platform"}
        return Reply(200, json.dumps(body).encode())

    # ---- errors -------------------------------------------------------------------------------------
    def error_reply(self, error: CloudError) -> Reply:
        body = {"error": {"code": error.status, "message": error.message, "status": error.kind}}
        return Reply(error.status, json.dumps(body).encode())

    def convert(self, error: ApiError) -> CloudError | None:
        if error.status in (401, 403, 404, 429):
            return CloudError(error.status, STATUS[error.status], error.message)
        return None  # the model's own errors pass through in Anthropic's envelope


def _rsa_key() -> tuple[str, str]:
    """A fresh RSA key: (private PKCS#8 PEM, public PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public
