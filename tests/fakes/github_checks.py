"""Routes: check runs (annotations capped at 50 a request, appended on update) and SARIF uploads."""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import zlib
from typing import TYPE_CHECKING, Any

from tests.fakes import github_json as J
from tests.fakes.github_pulls import repos
from tests.fakes.github_server import Request, Response, fail, not_found, paginate, route

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub

CHECKS_DOC = "https://docs.github.com/rest/checks/runs#create-a-check-run"
SARIF_DOC = "https://docs.github.com/rest/code-scanning/code-scanning#upload-an-analysis-as-sarif-data"
MAX_ANNOTATIONS = 50
MAX_TEXT = 65535
MAX_RESULTS_PER_RUN = 25000
SHA_RE = re.compile(r"^[0-9a-f]{40}$")
REF_RE = re.compile(r"^refs/(heads|tags|pull)/.+$")


def _invalid(message: str) -> Exception:
    return fail(422, f"Invalid request.\n\n{message}", doc=CHECKS_DOC)


def _check_output(output: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not output:
        return []
    for key in ("summary", "text"):
        if len(output.get(key) or "") > MAX_TEXT:
            raise _invalid(f"For 'properties/{key}', the value is too long (maximum is {MAX_TEXT} characters).")
    annotations = list(output.get("annotations") or [])
    if len(annotations) > MAX_ANNOTATIONS:
        raise _invalid(f"Only {MAX_ANNOTATIONS} annotations are allowed per request.")
    for a in annotations:
        if a.get("end_line", 0) < a.get("start_line", 0):
            raise _invalid("end_line must be greater than or equal to start_line.")
        if ("start_column" in a or "end_column" in a) and a.get("start_line") != a.get("end_line"):
            raise _invalid("start_column and end_column may only be used when start_line equals end_line.")
    return annotations


def _apply(fake: FakeGitHub, run: dict[str, Any], data: dict[str, Any]) -> None:
    for key in ("name", "details_url", "external_id", "started_at", "completed_at", "actions"):
        if key in data:
            run[key] = data[key]
    if data.get("status"):
        run["status"] = data["status"]
    if data.get("conclusion"):
        run["conclusion"] = data["conclusion"]
        run["status"] = "completed"
    if run["status"] == "completed" and not run.get("completed_at"):
        run["completed_at"] = J.now()
    output = data.get("output")
    if output:
        for key in ("title", "summary", "text"):
            if key in output:
                run["output"][key] = output[key]
        run["annotations"].extend(output.get("annotations") or [])
        run["output"]["annotations_count"] = len(run["annotations"])


def public(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k != "annotations"}


@route("POST", r"{repo}/check-runs")
def create_check_run(fake: FakeGitHub, req: Request) -> Any:
    data = req.json or {}
    if not data.get("name"):
        raise _invalid("name wasn't supplied.")
    sha = str(data.get("head_sha") or "")
    known = any(r.object_type(sha) == "commit" for r in repos(fake))
    if not SHA_RE.match(sha) or (repos(fake) and not known):
        raise fail(422, f"No commit found for SHA: {sha}", doc=CHECKS_DOC)
    if data.get("status") == "completed" and not data.get("conclusion"):
        raise _invalid("conclusion wasn't supplied.")
    _check_output(data.get("output"))
    ident = fake.next_id("check_run")
    api = f"{fake.repo_api}/check-runs/{ident}"
    run: dict[str, Any] = {
        "id": ident,
        "node_id": J.node_id("CheckRun", ident),
        "head_sha": sha,
        "external_id": "",
        "url": api,
        "html_url": f"{fake.repo_web}/runs/{ident}",
        "details_url": None,
        "status": "queued",
        "conclusion": None,
        "started_at": J.now(),
        "completed_at": None,
        "output": {
            "title": None,
            "summary": None,
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{api}/annotations",
        },
        "name": "",
        "check_suite": {"id": 10_000_000_000 + ident},
        "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions", "owner": J.user(fake, "github")},
        "pull_requests": [],
        "annotations": [],
    }
    _apply(fake, run, data)
    fake.check_runs.append(run)
    return Response(201, public(run))


def _run(fake: FakeGitHub, run_id: str) -> dict[str, Any]:
    for run in fake.check_runs:
        if run["id"] == int(run_id):
            return run
    raise not_found()


@route("GET", r"{repo}/check-runs/(?P<run_id>\d+)")
def get_check_run(fake: FakeGitHub, req: Request, run_id: str) -> Any:
    return public(_run(fake, run_id))


@route("PATCH", r"{repo}/check-runs/(?P<run_id>\d+)")
def update_check_run(fake: FakeGitHub, req: Request, run_id: str) -> Any:
    run = _run(fake, run_id)
    data = req.json or {}
    if data.get("status") == "completed" and not data.get("conclusion") and not run.get("conclusion"):
        raise _invalid("conclusion wasn't supplied.")
    _check_output(data.get("output"))
    _apply(fake, run, data)
    return public(run)


@route("GET", r"{repo}/check-runs/(?P<run_id>\d+)/annotations")
def list_annotations(fake: FakeGitHub, req: Request, run_id: str) -> Any:
    run = _run(fake, run_id)
    items = [
        {"blob_href": "", "start_column": None, "end_column": None, "title": None, "raw_details": None, **a}
        for a in run["annotations"]
    ]
    return paginate(fake, req, items)


@route("POST", r"{repo}/code-scanning/sarifs")
def upload_sarif(fake: FakeGitHub, req: Request) -> Any:
    data = req.json or {}
    commit_sha, ref, blob = str(data.get("commit_sha", "")), str(data.get("ref", "")), data.get("sarif")
    if not SHA_RE.match(commit_sha):
        raise fail(422, "Invalid request.\n\ncommit_sha must be a 40-character hex SHA.", doc=SARIF_DOC)
    if not REF_RE.match(ref):
        raise fail(
            422, "Invalid request.\n\nref must be of the form refs/heads/…, refs/tags/… or refs/pull/….", doc=SARIF_DOC
        )
    if not isinstance(blob, str):
        raise fail(400, "Invalid request: the sarif field must be a string", doc=SARIF_DOC)
    try:
        compressed = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        raise fail(400, "Invalid SARIF upload: the sarif field is not valid base64", doc=SARIF_DOC) from None
    if len(compressed) > fake.sarif_max_compressed_bytes:
        raise fail(413, "Request Entity Too Large: the compressed SARIF upload exceeds 10 MB", doc=SARIF_DOC)
    try:
        sarif = json.loads(gzip.decompress(compressed))
    except (OSError, EOFError, zlib.error):
        raise fail(400, "Invalid SARIF upload: the sarif field is not gzip-compressed", doc=SARIF_DOC) from None
    except ValueError:
        raise fail(400, "Invalid SARIF upload: the decompressed sarif is not valid JSON", doc=SARIF_DOC) from None
    ident = f"47177e22-5596-11eb-80a1-c1e54ef945c{fake.next_id('sarif'):x}"
    errors = []
    if not isinstance(sarif, dict) or not isinstance(sarif.get("runs"), list):
        errors.append("SARIF file is missing the runs array")
    else:
        for run in sarif["runs"]:
            if len(run.get("results") or []) > MAX_RESULTS_PER_RUN:
                errors.append(f"run has more than {MAX_RESULTS_PER_RUN} results")
    fake.sarif_uploads.append(
        {
            "id": ident,
            "commit_sha": commit_sha,
            "ref": ref,
            "sarif": sarif,
            "tool_name": data.get("tool_name"),
            "checkout_uri": data.get("checkout_uri"),
            "started_at": data.get("started_at"),
            "compressed_bytes": len(compressed),
            "processing_status": "failed" if errors else "complete",
            "errors": errors or None,
        }
    )
    return Response(202, {"id": ident, "url": f"{fake.repo_api}/code-scanning/sarifs/{ident}"})


@route("GET", r"{repo}/code-scanning/sarifs/(?P<sarif_id>[^/]+)")
def get_sarif(fake: FakeGitHub, req: Request, sarif_id: str) -> Any:
    for up in fake.sarif_uploads:
        if up["id"] == sarif_id:
            return {
                "processing_status": up["processing_status"],
                "analyses_url": f"{fake.repo_api}/code-scanning/analyses?sarif_id={sarif_id}",
                "errors": up["errors"],
            }
    raise not_found()
