"""Options: defaults, the repository's config file, then action inputs or CLI flags (last wins).

Every option has one name, spelled with hyphens, used alike in `action.yml`, the config file
(`.github/batch-review.yml`) and the CLI. A bad value fails with a message that names the option
and where it came from; secrets never live here (see `Secrets`).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError, field_validator

from . import linear
from .errors import ConfigError
from .findings import Severity
from .guidance import PathInstruction
from .log import log
from .repo_files import RepoFiles, RepoText, WorkingTree, clean_path

DEFAULT_MODEL = "claude-sonnet-5-5"
DEFAULT_CONFIG_FILE = ".github/batch-review.yml"
AUTHOR_ASSOCIATIONS = ("OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "FIRST_TIMER", "FIRST_TIME_CONTRIBUTOR",
                       "MANNEQUIN", "NONE")  # GitHub's `author_association` values
_NAME = linear.compile(r"[a-z][a-z0-9-]{1,62}")  # a cloud region or project


def _hyphenate(name: str) -> str:
    return name.replace("_", "-")


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float | None = Field(default=None, ge=0)


class Config(BaseModel):
    """Every option of a run. Field names are the input names with `_` for `-`."""

    model_config = ConfigDict(  # no option takes inf or nan (`budget-usd: inf` is not a cap)
        extra="forbid", alias_generator=_hyphenate, populate_by_name=True, frozen=True, allow_inf_nan=False
    )

    mode: Literal["auto", "review", "sweep", "converse"] = "auto"
    provider: Literal["anthropic", "bedrock", "vertex"] = "anthropic"
    aws_region: str = ""
    vertex_project: str = ""
    vertex_region: str = ""
    model: str = DEFAULT_MODEL
    max_concurrency: int | None = Field(default=None, ge=1, le=128)  # None: "auto" (engines/limiter.py)
    min_severity: Severity = Severity.low
    fail_on: Severity | Literal["none"] = "none"
    fail_on_partial: bool = False  # a partial run fails the job (exit 3) and its check run (docs/outcomes.md)
    request_changes_on: Severity | Literal["none"] = "none"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    default_excludes: bool = True
    instructions: str = ""  # once loaded: the text of every instruction for all files (see guidance.py)
    repository_guidance: bool = True
    path_instructions: tuple[PathInstruction, ...] = ()  # once loaded: text, not file names
    budget_usd: float | None = Field(default=None, gt=0, allow_inf_nan=False)  # a cap: a number of dollars
    batch_wait_minutes: float = Field(default=30, ge=0, le=350)
    dry_run: bool = False
    strategy: Literal["auto", "parallel", "batch"] = "auto"
    upload_sarif: bool = False
    check_run: bool = True
    walkthrough: bool = True  # the status comment shows what the change does (the requests' summaries)
    review_drafts: bool = False
    full_review: bool = False
    request_timeout: float = Field(default=600, ge=1, le=3600)
    max_retry_wait: float = Field(default=60, ge=0, le=3600)
    max_inline_comments: int = Field(default=50, ge=0, le=300)
    max_output_tokens: int = Field(default=8192, ge=1024, le=64000)
    max_request_tokens: int = Field(default=20000, ge=2000, le=150000)
    max_files_per_request: int = Field(default=12, ge=1, le=100)
    context: Literal["definitions", "hunks"] = "definitions"
    max_context_tokens: int = Field(default=8000, ge=0, le=100000)
    max_related_tokens: int = Field(default=4000, ge=0, le=100000)  # code from other files, per request; 0: none
    verify: bool = True  # a second request checks each new finding before it is posted (verify/)
    verify_model: str = ""  # empty: the review model
    context_lines: int = Field(default=3, ge=0, le=200)
    report_dir: str = ".batch-review"
    issue_label: str = "batch-review"
    issue_title: str = "batch-review: repository audit"
    prices: dict[str, Price] = Field(default_factory=dict)
    cache_floors: dict[str, NonNegativeInt] = Field(default_factory=dict)  # model -> minimum cacheable prefix
    allowed_associations: tuple[str, ...] = ("OWNER", "MEMBER", "COLLABORATOR")  # who may make a conversation cost
    max_thread_answers: int = Field(default=3, ge=0, le=50)
    outsider_reply: bool = False  # one polite line to a person not allowed to ask

    @field_validator("allowed_associations", mode="before")
    @classmethod
    def _associations(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part for part in value.replace(",", " ").split() if part]
        if isinstance(value, list | tuple):
            value = tuple(str(v).strip().upper() for v in value)
            unknown = [v for v in value if v not in AUTHOR_ASSOCIATIONS]
            if unknown:
                raise ValueError(f"unknown author association {unknown[0]!r} (known: {', '.join(AUTHOR_ASSOCIATIONS)})")
        return value

    @field_validator("model")
    @classmethod
    def _model_id(cls, value: str) -> str:
        value = value.strip()
        if not value or any(c.isspace() for c in value):
            raise ValueError("must be a model id such as claude-sonnet-5-5")
        return value

    @field_validator("verify_model")
    @classmethod
    def _verify_model_id(cls, value: str) -> str:
        value = value.strip()
        if any(c.isspace() for c in value):
            raise ValueError("must be a model id such as claude-haiku-5-5 (empty: the review model)")
        return value

    @property
    def verifier(self) -> str:
        """The model that verifies findings: `verify-model`, else the review model."""
        return self.verify_model or self.model

    @field_validator("max_concurrency", mode="before")
    @classmethod
    def _auto(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.strip().lower() == "auto" else value

    @field_validator("provider", mode="before")
    @classmethod
    def _provider_name(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("aws_region", "vertex_project", "vertex_region")
    @classmethod
    def _cloud_name(cls, value: str) -> str:
        value = value.strip()
        if value and not _NAME.fullmatch(value):
            raise ValueError("must be a name such as us-east-1, my-project or us-east5 "
                             "(lower-case letters, digits, hyphens)")
        return value

    @field_validator("fail_on", "request_changes_on", "min_severity", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("fail_on", "request_changes_on", mode="before")
    @classmethod
    def _severity_or_none(cls, value: Any) -> Any:
        allowed = [s.value for s in Severity] + ["none"]
        if isinstance(value, str):
            value = value.strip().lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    @field_validator("include", "exclude", mode="before")
    @classmethod
    def _pattern_lines(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(
                line.strip()
                for line in value.splitlines()
                if line.strip() and not line.strip().startswith("#")
            )
        return value

    @field_validator("include", "exclude")
    @classmethod
    def _valid_patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import pathspec

        for pattern in value:
            try:
                pathspec.GitIgnoreSpec.from_lines([pattern])
            except Exception:  # pathspec raises its own error types
                raise ValueError(f"{pattern!r} is not a valid .gitignore-style pattern") from None
        return value

    @field_validator("issue_label")
    @classmethod
    def _label(cls, value: str) -> str:
        """GitHub's issue search splits `labels=` on commas: a label with one would never find the audit issue
        (nor the sweep's pending state in it), and every run would open a new issue and pay for a new batch."""
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        if "," in value:
            raise ValueError("must not contain a comma (GitHub's issue search reads it as two labels)")
        if len(value) > 50:
            raise ValueError("must be at most 50 characters (GitHub's limit for a label name)")
        return value

    @field_validator("report_dir")
    @classmethod
    def _relative_dir(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()


OPTION_NAMES: tuple[str, ...] = tuple(_hyphenate(name) for name in Config.model_fields)
SECRET_INPUTS = ("anthropic-api-key", "github-token", "memory-key")
# Options the action does not take as inputs, and inputs the config file may not set.
FILE_ONLY = {"prices", "cache-floors", "path-instructions"}
LOCAL_ONLY = {"context-lines"}
INPUT_ONLY = {"config-file", *SECRET_INPUTS}


@dataclass(frozen=True)
class Secrets:
    anthropic_api_key: str | None
    github_token: str | None
    memory_key: str | None = None  # seals batch-review's memory on GitHub (memory/seal.py)


def read_secrets(inputs: Mapping[str, str], environ: Mapping[str, str] = os.environ) -> Secrets:
    """The API key comes from the input, else ANTHROPIC_API_KEY; the token from the input, else GITHUB_TOKEN;
    the memory key from the input, else BATCH_REVIEW_MEMORY_KEY."""
    key = (inputs.get("anthropic-api-key") or "").strip() or environ.get("ANTHROPIC_API_KEY", "").strip()
    token = (inputs.get("github-token") or "").strip() or environ.get("GITHUB_TOKEN", "").strip()
    memory = (inputs.get("memory-key") or "").strip() or environ.get("BATCH_REVIEW_MEMORY_KEY", "").strip()
    return Secrets(anthropic_api_key=key or None, github_token=token or None, memory_key=memory or None)


def load_config(
    inputs: Mapping[str, str],
    files: RepoFiles | Path | None,
    *,
    source_name: str = "input",
) -> Config:
    """Merge defaults < config file < inputs (empty inputs mean "not set"), then resolve every instruction into
    text. `files` is where the repository's files are read: a pull request's base commit (`repo_files.py`), a
    working tree (a Path), or nowhere (None)."""
    from .guidance import GUIDANCE_FILES, resolve

    reader = WorkingTree(files) if isinstance(files, Path) else files
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    config_file = (inputs.get("config-file") or "").strip() or DEFAULT_CONFIG_FILE
    prefetched: dict[str, RepoText] = {}
    if reader is not None:
        path = clean_path(config_file)
        if path is None:
            raise ConfigError(f"config-file: {config_file!r} is outside the repository")
        prefetched = reader.read([path, *GUIDANCE_FILES, ".gitattributes"])  # one read: one query through the API
        found = prefetched.get(path)
        for key, value in _config_values(found, config_file, reader, bool(inputs.get("config-file"))).items():
            merged[key] = value
            origin[key] = f"{config_file}: {key}"
    for name in OPTION_NAMES:
        if name in FILE_ONLY:
            continue
        raw = inputs.get(name)
        if raw is not None and raw.strip() != "":
            merged[name] = raw
            origin[name] = f"{source_name} {name}"
    try:
        config = Config.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None
    if reader is not None:
        text, entries = resolve(config.instructions, config.path_instructions, files=reader, prefetched=prefetched,
                                repository_files=config.repository_guidance)
        config = config.model_copy(update={"instructions": text, "path_instructions": entries})
        attributes = prefetched.get(".gitattributes")
        generated = _generated(attributes.text) if attributes is not None and attributes.text else ()
        if generated and config.default_excludes:  # what the repository itself says is generated (base commit)
            config = config.model_copy(update={"exclude": (*config.exclude, *generated)})
    return config


def _generated(text: str) -> tuple[str, ...]:
    from .filters import linguist_generated

    try:
        return linguist_generated(text)
    except ValueError:
        return ()


def _config_values(found: RepoText | None, name: str, files: RepoFiles, explicit: bool) -> dict[str, Any]:
    import yaml  # only needed when a config file exists

    if found is None:
        if explicit:
            raise ConfigError(f"config-file: {name!r} does not exist {files.where}")
        log.info(f"config: no {name} {files.where}; inputs and defaults only")
        return {}
    if found.problem == "leads outside the repository":
        raise ConfigError(f"config-file: {name!r} is outside the repository")
    if found.problem == "is a symlink":
        raise ConfigError(f"config-file: {name!r} is a symlink {files.where}: refused (a link could lead outside "
                          "the repository)")
    if found.problem == "is not UTF-8 text":
        raise ConfigError(f"{name}: not valid YAML (it is not UTF-8 text)")
    if found.text is None:
        raise ConfigError(f"config-file: {name!r} {found.problem}")
    log.info(f"config: {name} {files.where}" + (f" (read {files.how})" if files.how else ""))
    try:
        data = yaml.safe_load(found.text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not valid YAML ({_first_line(str(exc))})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: must be a mapping of option names to values")
    values: dict[str, Any] = {}
    for key, value in data.items():
        option = _hyphenate(str(key))
        if option in INPUT_ONLY:
            raise ConfigError(f"{name}: {key} cannot be set in the config file (use the action input)")
        if option not in OPTION_NAMES:
            close = difflib.get_close_matches(option, OPTION_NAMES, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(OPTION_NAMES)}"
            raise ConfigError(f"{name}: unknown option {key!r} ({hint})")
        values[option] = value
    return values


def resolve_instructions(value: str, repo_root: Path) -> str:
    """`instructions` as text: the content of the file it names in the repository, or itself."""
    from .guidance import resolve

    return resolve(value, (), files=WorkingTree(repo_root), prefetched={}, repository_files=False)[0]


def _describe(exc: ValidationError, origin: Mapping[str, str]) -> str:
    problems = []
    for error in exc.errors():
        loc = error.get("loc") or ("?",)
        key = _hyphenate(str(loc[0]))
        where = origin.get(key, key)
        if key == "path-instructions" and len(loc) > 1:  # name the entry (from 1) and its field
            where += "".join(f" entry {part + 1}" if isinstance(part, int) else f": {part}" for part in loc[1:3])
        given = error.get("input")
        shown = f" (got {given!r})" if isinstance(given, str | int | float) and len(str(given)) < 80 else ""
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "unknown option"
        problems.append(f"{where}: {message}{shown}")
    return "invalid configuration: " + "; ".join(problems)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
