"""Everything about the GitHub Actions runtime: inputs, context, event payload, outputs, summary,
and the workflow-command syntax. Nothing else in the package reads `INPUT_*` or `GITHUB_*`.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, EventError

SUMMARY_LIMIT = 1024 * 1024  # GitHub shows nothing for a step summary past 1 MiB


def read_inputs(environ: Mapping[str, str]) -> dict[str, str]:
    """`INPUT_<NAME>` → name, lower-cased, hyphens kept (the runner keeps them: INPUT_MAX-CONCURRENCY)."""
    return {key[6:].lower(): value for key, value in environ.items() if key.startswith("INPUT_")}


@dataclass
class ActionsContext:
    event_name: str
    event: dict[str, Any]
    repository: str
    sha: str
    ref: str
    run_id: str
    server_url: str
    api_url: str
    workspace: Path
    output_file: Path | None
    summary_file: Path | None
    environ: Mapping[str, str] = field(repr=False, default_factory=dict)
    run_attempt: str = "1"  # GITHUB_RUN_ATTEMPT: a re-run keeps the run id and counts up its attempt

    @property
    def owner_repo(self) -> tuple[str, str]:
        owner, _, name = self.repository.partition("/")
        return owner, name

    @property
    def run_url(self) -> str:
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    @property
    def run_order(self) -> tuple[int, int]:
        """(run id, attempt) as numbers: GitHub numbers workflow runs in the order it creates them, so a run
        started for a later event is greater; (0, 0) outside a runner (or when unreadable)."""
        run, attempt = self.run_id.strip(), self.run_attempt.strip() or "1"
        if not (run.isdigit() and attempt.isdigit()):
            return (0, 0)
        return (int(run), int(attempt))

    @property
    def pull_request(self) -> dict[str, Any] | None:
        pr = self.event.get("pull_request")
        return pr if isinstance(pr, dict) else None


PR_EVENTS = ("pull_request", "pull_request_target")
SWEEP_EVENTS = ("schedule", "workflow_dispatch")
COMMENT_EVENTS = ("issue_comment", "pull_request_review_comment")


def read_context(environ: Mapping[str, str]) -> ActionsContext:
    repository = environ.get("GITHUB_REPOSITORY", "").strip()
    if repository.count("/") != 1:
        raise EventError("GITHUB_REPOSITORY is missing or not owner/name; is this running in GitHub Actions?")
    event_name = environ.get("GITHUB_EVENT_NAME", "").strip()
    if not event_name:
        raise EventError("GITHUB_EVENT_NAME is not set")
    return ActionsContext(
        event_name=event_name,
        event=_read_event(environ.get("GITHUB_EVENT_PATH", "")),
        repository=repository,
        sha=environ.get("GITHUB_SHA", ""),
        ref=environ.get("GITHUB_REF", ""),
        run_id=environ.get("GITHUB_RUN_ID", "0"),
        server_url=environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
        api_url=environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
        workspace=Path(environ.get("GITHUB_WORKSPACE") or os.getcwd()),
        output_file=_optional_path(environ.get("GITHUB_OUTPUT")),
        summary_file=_optional_path(environ.get("GITHUB_STEP_SUMMARY")),
        environ=environ,
        run_attempt=environ.get("GITHUB_RUN_ATTEMPT", "1"),
    )


def _read_event(path: str) -> dict[str, Any]:
    if not path:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EventError(f"the event payload {path!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EventError(f"the event payload {path!r} cannot be read: {exc}") from None
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise EventError(f"the event payload {path!r} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, dict):
        raise EventError(f"the event payload {path!r} is not a JSON object")
    return data


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value else None


# -- workflow commands -------------------------------------------------------------------------


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", **properties: object) -> str:
    props = ",".join(
        f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None
    )
    head = f"::{name} {props}" if props else f"::{name}"
    return f"{head}::{escape_data(message)}"


# -- outputs and summary -------------------------------------------------------------------------


def format_outputs(outputs: Mapping[str, str]) -> str:
    """`$GITHUB_OUTPUT` lines; every value uses the heredoc form so newlines can never inject keys."""
    chunks = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(chunks)


def write_outputs(path: Path | None, outputs: Mapping[str, str]) -> None:
    if path is None:
        return
    with path.open("a", encoding="utf-8") as handle:
        handle.write(format_outputs(outputs))


def write_summary(path: Path | None, markdown: str) -> None:
    """Append the step summary, cut to fit GitHub's 1 MiB limit (past it GitHub shows nothing)."""
    if path is None:
        return
    used = path.stat().st_size if path.exists() else 0
    room = SUMMARY_LIMIT - used - 200
    data = markdown.encode("utf-8")
    if len(data) > room:
        note = "\n\n_The summary was cut to fit GitHub's 1 MiB limit; the JSON report has everything._\n"
        data = data[: max(0, room - len(note))].decode("utf-8", "ignore").encode("utf-8") + note.encode()
    with path.open("ab") as handle:
        handle.write(data)


def report_dir(workspace: Path, configured: str) -> Path:
    """`report-dir` resolved inside the workspace (later steps read the files from there)."""
    path = (workspace / configured).resolve()
    if not path.is_relative_to(workspace.resolve()):
        raise ConfigError(f"report-dir: {configured!r} is outside the workspace")
    return path


def workspace_relative(path: Path, workspace: Path) -> str:
    """A path as later steps of the job see it: relative to the workspace (the container's mount differs)."""
    try:
        return str(path.relative_to(workspace.resolve()))
    except ValueError:
        return str(path)
