#!/usr/bin/env python3
"""What must hold before .github/workflows/release.yml creates or moves any tag (standard library only: it
runs on the runner's python3). Every refusal is one line on stderr, `release_gate.py: error: ...`, naming
the fix, and exit status 2; nothing here writes anything.

    release_gate.py gate --version 1.2.3 --sha SHA --owner Acme --compare FILE --ci-runs FILE --tags-from FILE
        before the build: pyproject.toml's version is VERSION; CHANGELOG.md has notes under `## [VERSION]`
        and nothing left under `## [Unreleased]`; the tag vVERSION does not exist yet (a version tag is
        created once and never moves); the commit is on the default branch (FILE: GitHub's
        `GET /repos/{repo}/compare/{default}...{sha}`); CI passed on exactly that commit (FILE: GitHub's
        `GET /repos/{repo}/actions/workflows/ci.yml/runs?head_sha={sha}`). Prints version, tag, major,
        image (ghcr.io/<owner>/batch-review) and move-major as key=value lines for $GITHUB_OUTPUT;
        move-major is false when a higher release of the same major exists (a late patch of an older minor
        must not move `v1` or the image's `:1` back).
    release_gate.py pullable --image ghcr.io/acme/batch-review --tag 1.2.3 --digest sha256:...
        after the push, before any tag: the image can be pulled by anyone, with no credentials (GHCR
        creates a new package private; every `uses: …@v1` would then fail with `denied`), and its tag
        names the digest that was pushed. Speaks the registry protocol: the manifest request, the Bearer
        challenge, an anonymous token from the challenge's realm, the manifest again.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from release_action import (  # a sibling script, not a package
    ROOT,
    VERSION,
    ReleaseError,
    changelog_notes,
    image_name,
    moves_major,
    parse_version,
    pyproject_version,
)

MANIFESTS = ", ".join((
    "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
))
PRIVATE_FIX = ("GHCR creates a new package private. Make it public once: github.com/{owner} → Packages → "
               "{name} → Package settings → Danger Zone → Change visibility → Public; then re-run this "
               "workflow. No tag was created or moved.")


def unreleased_entries(changelog: str) -> list[str]:
    """The lines under `## [Unreleased]` that are more than blank lines or sub-headings."""
    match = re.search(r"^## \[Unreleased\][^\n]*\n(.*?)(?=^## |^\[[^\]]+\]: |\Z)", changelog, re.M | re.S)
    if not match:
        return []
    return [line for line in match[1].splitlines() if line.strip() and not line.startswith("#")]


def on_default_branch(compare: dict[str, Any], sha: str) -> None:
    """`compare/{default}...{sha}` says `identical` or `behind` exactly when sha is in the default branch."""
    status = compare.get("status")
    if status not in ("identical", "behind"):
        ahead = compare.get("ahead_by", "?")
        raise ReleaseError(f"commit {sha[:12]} is not on the default branch (compare status {status!r}, "
                           f"{ahead} commit(s) ahead): release a commit that is on it")


def ci_passed(runs: dict[str, Any], sha: str) -> str:
    """The URL of a successful CI run on exactly this commit, or a refusal naming the latest run."""
    mine = [run for run in runs.get("workflow_runs", []) if run.get("head_sha") == sha]
    for run in mine:
        if run.get("status") == "completed" and run.get("conclusion") == "success":
            return str(run.get("html_url", ""))
    if not mine:
        raise ReleaseError(f"CI has not run on {sha[:12]}: push it to the default branch and wait for CI")
    latest = max(mine, key=lambda run: str(run.get("created_at", "")))
    state = latest.get("conclusion") or latest.get("status")
    raise ReleaseError(f"CI has not passed on {sha[:12]} (latest run {state}: {latest.get('html_url', '?')}): "
                       "fix it, or wait for it to finish, then release again")


def gate(version: str, sha: str, owner: str, *, pyproject: Path, changelog: str, compare: dict[str, Any],
         ci_runs: dict[str, Any], tags: Iterable[str]) -> dict[str, str]:
    parse_version(version)
    image = image_name(owner)
    if not re.fullmatch(r"[0-9a-f]{40}", sha):
        raise ReleaseError(f"commit {sha!r} is not a full SHA")
    declared = pyproject_version(pyproject)
    if declared != version:
        raise ReleaseError(f"pyproject.toml's version is {declared}, not {version}: bump it on the default branch")
    changelog_notes(changelog, version)
    if entries := unreleased_entries(changelog):
        raise ReleaseError(f"CHANGELOG.md still has {len(entries)} line(s) under '## [Unreleased]': move them "
                           f"under '## [{version}]' (they would be left out of this release's notes)")
    tags = [t.strip().removeprefix("refs/tags/") for t in tags if t.strip()]
    tag = f"v{version}"
    if tag in tags:
        raise ReleaseError(f"{tag} is already released, and a version tag never moves: release {version} "
                           "under a new version")
    on_default_branch(compare, sha)
    ci_passed(ci_runs, sha)
    major = str(parse_version(version)[0])
    return {"version": version, "tag": tag, "major": major, "image": image,
            "move-major": "true" if moves_major(version, tags) else "false"}


# -- the registry ------------------------------------------------------------------------------------------
def _get(url: str, headers: dict[str, str], method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers, method=method)  # noqa: S310 (https or a test's loopback)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ReleaseError(f"cannot reach the registry at {url}: {exc}") from exc


def _challenge(headers: dict[str, str]) -> dict[str, str]:
    value = next((v for k, v in headers.items() if k.lower() == "www-authenticate"), "")
    if not value.lower().startswith("bearer "):
        return {}
    return dict(re.findall(r'(\w+)="([^"]*)"', value))


def _registry_error(body: bytes) -> str:
    try:
        errors = json.loads(body).get("errors") or []
        described = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
        return described or body[:200].decode("utf-8", "replace")
    except (ValueError, AttributeError):
        return body[:200].decode("utf-8", "replace")


def split_image(image: str, registry: str | None) -> tuple[str, str, str]:
    """(registry base URL, repository path, owner) of `host/owner/name`."""
    host, _, path = image.partition("/")
    if not path or "/" not in path or ":" in path or "@" in path:
        raise ReleaseError(f"image {image!r} is not host/owner/name (no tag, no digest)")
    return (registry or f"https://{host}").rstrip("/"), path, path.split("/")[0]


def pullable(image: str, tag: str, digest: str, registry: str | None = None) -> str:
    """Refuse unless an anonymous client can pull image:tag, and the tag names `digest`."""
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise ReleaseError(f"digest {digest!r} is not sha256: followed by 64 lower-case hex digits")
    base, path, owner = split_image(image, registry)
    url = f"{base}/v2/{path}/manifests/{urllib.parse.quote(tag)}"
    headers = {"Accept": MANIFESTS}
    status, answer, body = _get(url, headers, "HEAD")
    if status == 401 and (challenge := _challenge(answer)).get("realm"):
        query = urllib.parse.urlencode({"scope": f"repository:{path}:pull",
                                        **({"service": challenge["service"]} if "service" in challenge else {})})
        got, _, token_body = _get(f"{challenge['realm']}?{query}", {})
        token = ""
        if got == 200:
            data = json.loads(token_body or b"{}")
            token = data.get("token") or data.get("access_token") or ""
        if not token:
            raise ReleaseError(f"{image}:{tag} cannot be pulled anonymously (the registry gave no anonymous "
                               f"token: HTTP {got} {_registry_error(token_body)}). "
                               + PRIVATE_FIX.format(owner=owner, name=path.split('/')[-1]))
        status, answer, body = _get(url, {**headers, "Authorization": f"Bearer {token}"}, "HEAD")
    if status in (401, 403):
        raise ReleaseError(f"{image}:{tag} cannot be pulled anonymously (HTTP {status}). "
                           + PRIVATE_FIX.format(owner=owner, name=path.split('/')[-1]))
    if status == 404:
        raise ReleaseError(f"{image}:{tag} is not in the registry (HTTP 404): did the push step push it?")
    if status != 200:
        raise ReleaseError(f"{image}:{tag}: the registry answered HTTP {status} {_registry_error(body)}")
    served = next((v for k, v in answer.items() if k.lower() == "docker-content-digest"), "")
    if served != digest:
        raise ReleaseError(f"{image}:{tag} names {served or 'no digest'}, not the pushed {digest}: "
                           "another push replaced it; release again")
    return f"{image}:{tag}@{digest} can be pulled anonymously"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="release_gate.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    g = commands.add_parser("gate", help="may this commit be released as this version?")
    g.add_argument("--version", required=True)
    g.add_argument("--sha", required=True)
    g.add_argument("--owner", required=True, help="the repository owner (the image is ghcr.io/<owner>/batch-review)")
    g.add_argument("--compare", type=Path, required=True, help="JSON of GET /repos/{repo}/compare/{default}...{sha}")
    g.add_argument("--ci-runs", type=Path, required=True, help="JSON of the CI workflow's runs on the commit")
    g.add_argument("--tags-from", type=Path, required=True, help="the repository's tags, one a line")
    g.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    g.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    p = commands.add_parser("pullable", help="can anyone pull the pushed image, without credentials?")
    p.add_argument("--image", required=True)
    p.add_argument("--tag", required=True)
    p.add_argument("--digest", required=True)
    p.add_argument("--registry", help="registry base URL (default https://<the image's host>)")
    return parser


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReleaseError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ReleaseError(f"{path} is not a JSON object")
    return data


def run(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    if args.command == "gate":
        try:
            changelog = args.changelog.read_text(encoding="utf-8")
            tags = args.tags_from.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ReleaseError(f"cannot read {exc.filename}: {exc.strerror}") from exc
        result = gate(args.version, args.sha, args.owner, pyproject=args.pyproject, changelog=changelog,
                      compare=_json(args.compare), ci_runs=_json(args.ci_runs), tags=tags)
        for key, value in result.items():
            print(f"{key}={value}")
    else:
        if not VERSION.fullmatch(args.tag):
            raise ReleaseError(f"tag {args.tag!r} is not MAJOR.MINOR.PATCH")
        print(pullable(args.image, args.tag, args.digest, args.registry))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except ReleaseError as exc:
        print(f"release_gate.py: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
