"""Where the model runs: the Anthropic API, Amazon Bedrock or Google Vertex AI (`provider`).

- Bedrock: the SDK's `AsyncAnthropicBedrock` (InvokeModel, `POST /model/{id}/invoke`), SigV4-signed with
  the credentials boto3 finds (env keys and session token as `aws-actions/configure-aws-credentials` sets
  them, a profile, …), or a Bedrock API key (`AWS_BEARER_TOKEN_BEDROCK`). The body carries
  `anthropic_version: bedrock-2023-05-31`, the version Bedrock documents for InvokeModel (the SDK would send
  the Anthropic API's own version, which Bedrock's versioned model ids may refuse).
- Vertex: the SDK's `AsyncAnthropicVertex` (`…/publishers/anthropic/models/{id}:rawPredict`), with
  Application Default Credentials (`google-github-actions/auth` writes them and sets
  `GOOGLE_APPLICATION_CREDENTIALS`); the body carries `anthropic_version: vertex-2023-10-16`.
- Neither has the Message Batches API (the SDK refuses it on the client): sweeps go parallel.
- Credentials are looked up once, before anything is planned to be sent, so a missing one is a named
  failure (or a plan-only run locally) rather than an error in the middle of a run.

Both SDK extras (`anthropic[bedrock]`: boto3; `anthropic[vertex]`: google-auth) are imported only here and
only when that provider is used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .. import linear
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config import Config

LABELS = {"anthropic": "the Anthropic API", "bedrock": "Amazon Bedrock", "vertex": "Google Vertex AI"}
BODY_VERSION = {"bedrock": "bedrock-2023-05-31", "vertex": "vertex-2023-10-16"}
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
DEFAULT_VERTEX_REGION = "global"
# Bedrock answers 400 ValidationException for a model id it does not know or cannot run on demand: every
# request would get the same answer, so the run stops at once as it does for a 404.
_BEDROCK_MODEL = linear.compile(r"(?:[a-z]{2,6}\.)?anthropic\.")
_BEDROCK_DOOMED = linear.compile(r"model identifier is invalid|on-demand throughput|inference profile",
                                 ignore_case=True)


@dataclass(frozen=True)
class Provider:
    """The provider of a run and where it is reached (resolved by `resolve`)."""

    name: str = "anthropic"
    region: str = ""  # bedrock: the AWS region; vertex: the location (`global`, `us-east5`, …)
    project: str = ""  # vertex: the Google Cloud project
    credentials: Any = None  # vertex: the google-auth credentials found by `resolve`

    @classmethod
    def for_config(cls, config: Config) -> Provider:
        if config.provider == "bedrock":
            return cls("bedrock", region=config.aws_region)
        if config.provider == "vertex":
            return cls("vertex", region=config.vertex_region, project=config.vertex_project)
        return cls()

    @property
    def label(self) -> str:
        return LABELS[self.name]

    @property
    def has_batches(self) -> bool:
        return self.name == "anthropic"

    def request_extras(self) -> dict[str, Any]:
        """Keyword arguments added to every `messages.create` / `messages.stream` call."""
        version = BODY_VERSION.get(self.name)
        return {"extra_body": {"anthropic_version": version}} if version else {}


def bedrock_model_id(model: str) -> bool:
    """Bedrock names Claude `anthropic.…`, an inference profile `us.anthropic.…`, or an ARN."""
    return model.startswith("arn:") or _BEDROCK_MODEL.match(model) is not None


def has_batches(provider: str) -> bool:
    return provider == "anthropic"


def no_batches_reason(provider: str) -> str:
    return f"{LABELS[provider]} has no Message Batches API"


def resolve(provider: Provider, environ: Mapping[str, str] = os.environ) -> tuple[Provider, str]:
    """The provider with its region, project and credentials filled in, and '' — or why it cannot be used
    (no credentials, no region). A missing SDK extra raises ConfigError: that is an installation problem."""
    if provider.name == "bedrock":
        return _resolve_bedrock(provider, environ)
    if provider.name == "vertex":
        return _resolve_vertex(provider, environ)
    return provider, ""


def _resolve_bedrock(provider: Provider, environ: Mapping[str, str]) -> tuple[Provider, str]:
    try:
        import boto3
    except ImportError:
        raise ConfigError("provider: bedrock needs boto3, which is not installed (pip install "
                          "'batch-review[bedrock]')") from None
    from botocore.exceptions import BotoCoreError

    profile = environ.get("AWS_PROFILE") or None
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        region = (provider.region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
                  or session.region_name)
        if not region:
            return provider, ("no AWS region: set aws-region, or AWS_REGION (aws-actions/configure-aws-credentials "
                              "sets it)")
        if not environ.get("AWS_BEARER_TOKEN_BEDROCK") and session.get_credentials() is None:
            return provider, ("no AWS credentials were found (environment, profile or instance role): use "
                              "aws-actions/configure-aws-credentials in the workflow, or set AWS_PROFILE locally")
    except BotoCoreError as exc:
        raise ConfigError(f"provider bedrock: {_aws_problem(exc, profile, environ)}") from None
    return replace(provider, region=region), ""


def _aws_problem(exc: Exception, profile: str | None, environ: Mapping[str, str]) -> str:
    """What is wrong with the AWS configuration boto3 read, and how to fix it (botocore's messages name
    variables and files, never a secret)."""
    from botocore.exceptions import ConfigParseError, PartialCredentialsError, ProfileNotFound

    if isinstance(exc, PartialCredentialsError):
        return (f"the AWS credentials are incomplete ({exc}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "together (and AWS_SESSION_TOKEN with temporary credentials), or let "
                "aws-actions/configure-aws-credentials set them")
    if isinstance(exc, ProfileNotFound):
        config = environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
        shared = environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
        return (f"AWS_PROFILE names the profile {profile!r}, which is in neither {config} nor {shared}: fix the "
                "name (`aws configure list-profiles` lists them), or unset AWS_PROFILE to use the environment's "
                "credentials")
    if isinstance(exc, ConfigParseError):
        path = getattr(exc, "kwargs", {}).get("path") or environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
        return (f"the AWS config or credentials file {path} cannot be parsed: fix its INI syntax ([default] and "
                "[profile NAME] sections of `key = value` lines), or point AWS_CONFIG_FILE at a valid file")
    return f"the AWS configuration could not be read ({type(exc).__name__}: {exc})"


def _resolve_vertex(provider: Provider, environ: Mapping[str, str]) -> tuple[Provider, str]:
    try:
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError
    except ImportError:
        raise ConfigError("provider: vertex needs google-auth, which is not installed (pip install "
                          "'batch-review[vertex]')") from None
    region = provider.region or environ.get("CLOUD_ML_REGION") or DEFAULT_VERTEX_REGION
    try:
        credentials, found_project = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
    except DefaultCredentialsError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return provider, (f"no Google Cloud credentials were found ({first}): use google-github-actions/auth "
                          "in the workflow, or `gcloud auth application-default login` locally")
    project = provider.project or environ.get("ANTHROPIC_VERTEX_PROJECT_ID") or found_project or ""
    if not project:
        return provider, ("no Google Cloud project: set vertex-project, or ANTHROPIC_VERTEX_PROJECT_ID "
                          "(google-github-actions/auth sets GOOGLE_CLOUD_PROJECT when it knows the project)")
    return replace(provider, region=region, project=project, credentials=credentials), ""


def make_async_provider_client(provider: Provider, *, http: Any, timeout: Any, max_retries: int) -> Any:
    """The SDK's async client for Bedrock or Vertex, on the given httpx2 client (its response hook)."""
    if provider.name == "bedrock":
        from anthropic import AsyncAnthropicBedrock

        return AsyncAnthropicBedrock(aws_region=provider.region, http_client=http, max_retries=max_retries,
                                     timeout=timeout)
    if provider.name == "vertex":
        from anthropic import AsyncAnthropicVertex

        return AsyncAnthropicVertex(region=provider.region, project_id=provider.project,
                                    credentials=provider.credentials, http_client=http,
                                    max_retries=max_retries, timeout=timeout)
    raise ValueError(f"not a cloud provider: {provider.name}")


def secrets_in(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Credentials in the environment that must never appear in any output."""
    names = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK")
    return [environ[name] for name in names if environ.get(name)]


# -- errors ------------------------------------------------------------------------------------------
def provider_of(exc: Any) -> str:
    """Which provider answered an SDK status error (by the request it answered)."""
    request = getattr(exc, "request", None)
    path = str(getattr(getattr(request, "url", None), "path", "") or "")
    if path.startswith("/model/") and "/invoke" in path:
        return "bedrock"
    if "/publishers/anthropic/models/" in path:
        return "vertex"
    return "anthropic"


def error_parts(exc: Any) -> tuple[str, str, str]:
    """(kind, message, request id) of an SDK status error in the provider's own terms:
    Bedrock `{"message"}` with `x-amzn-ErrorType`; Google `{"error": {"code", "message", "status"}}`
    (sometimes inside a one-element list); Anthropic `{"type": "error", "error": {"type", "message"}}`."""
    headers = exc.response.headers
    body: Any = exc.body
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    body = body if isinstance(body, dict) else {}
    error = body.get("error")
    inner: dict[str, Any] = error if isinstance(error, dict) else {}
    amzn = str(headers.get("x-amzn-errortype") or "").split(":", 1)[0]
    kind = str(inner.get("type") or inner.get("status") or amzn or type(exc).__name__)
    message = str(inner.get("message") or body.get("message") or body.get("Message") or exc.message)
    request_id = str(headers.get("request-id") or headers.get("x-amzn-requestid") or body.get("request_id") or "")
    return kind, message, request_id


def doomed(exc: Any) -> bool:
    """A provider error other than 401/402/403/404 that every request would get alike (Bedrock's answer to
    a model id it cannot run)."""
    status = getattr(exc, "status_code", 0)
    return status == 400 and provider_of(exc) == "bedrock" and bool(_BEDROCK_DOOMED.search(error_parts(exc)[1]))
