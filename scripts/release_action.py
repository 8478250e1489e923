#!/usr/bin/env python3
"""Release tooling for .github/workflows/release.yml (standard library only: it runs on the runner's python3).

    release_action.py action --version 1.2.3 --image ghcr.io/acme/batch-review [--digest sha256:...]
        writes the released action.yml: `runs.image` becomes docker://IMAGE:VERSION[@DIGEST]; every
        other byte (inputs, outputs, comments) is copied verbatim from the source.
    release_action.py notes --version 1.2.3
        prints the CHANGELOG.md section of that version; refuses a version without one.

What must hold before a release (version, CHANGELOG, CI, the default branch, an image anyone can pull) is
checked by release_gate.py, which uses the helpers here.

Errors are one line on stderr, `release_action.py: error: ...`, and exit status 2.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# An image name without tag or digest, lower case as registries require: host[:port]/path/name.
IMAGE = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+")
OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
IMAGE_NAME = "batch-review"
RUNS_BLOCK = re.compile(r"^runs:[ \t]*(?:#.*)?\n((?:(?:[ \t]+.*|[ \t]*)(?:\n|$))*)", re.M)


class ReleaseError(Exception):
    """A refusal with a message for the person releasing."""


def parse_version(text: str) -> tuple[int, int, int]:
    match = VERSION.fullmatch(text)
    if not match:
        hint = " (drop the leading v)" if VERSION.fullmatch(text.removeprefix("v")) else ""
        raise ReleaseError(f"version {text!r} is not MAJOR.MINOR.PATCH, e.g. 1.2.3{hint}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def image_name(owner: str) -> str:
    if not OWNER.fullmatch(owner):
        raise ReleaseError(f"owner {owner!r} is not a GitHub user or organisation name")
    return f"ghcr.io/{owner.lower()}/{IMAGE_NAME}"


def pyproject_version(path: Path) -> str:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ReleaseError(f"cannot read the project version from {path}: {exc}") from exc
    version = data.get("project", {}).get("version")
    if not isinstance(version, str):
        raise ReleaseError(f"{path} has no [project] version")
    return version


def moves_major(version: str, tags: Iterable[str]) -> bool:
    """True unless a higher release of the same major is already tagged."""
    mine = parse_version(version)
    for tag in tags:
        name = tag.strip().removeprefix("refs/tags/")
        if name.startswith("v") and VERSION.fullmatch(name[1:]):
            other = parse_version(name[1:])
            if other[0] == mine[0] and other > mine:
                return False
    return True


def image_reference(version: str, image: str, digest: str | None) -> str:
    parse_version(version)
    if not IMAGE.fullmatch(image):
        raise ReleaseError(f"image {image!r} is not a lower-case image name like ghcr.io/owner/{IMAGE_NAME} "
                           "(no tag, no digest)")
    if digest is not None and not DIGEST.fullmatch(digest):
        raise ReleaseError(f"digest {digest!r} is not sha256: followed by 64 lower-case hex digits")
    return f"docker://{image}:{version}" + (f"@{digest}" if digest else "")


def _scalar(line: str, indent: str, key: str) -> str | None:
    """The value of `key: value` written at exactly this indentation (quotes and a comment removed)."""
    match = re.fullmatch(rf"{indent}{key}:[ \t]*(['\"]?)([^'\"#]*?)\1[ \t]*(?:#.*)?", line)
    return match[2] if match else None


def released_action(source: str, reference: str) -> str:
    """The source action.yml with runs.image replaced by `reference`; everything else unchanged."""
    blocks = list(RUNS_BLOCK.finditer(source))
    if len(blocks) != 1:
        raise ReleaseError(f"action.yml must have exactly one top-level runs: block (found {len(blocks)})")
    block = blocks[0]
    lines = block[1].split("\n")
    indent = next((line[: len(line) - len(line.lstrip(" \t"))] for line in lines if line.strip()), "  ")
    usings = [value for line in lines if (value := _scalar(line, indent, "using")) is not None]
    images = [i for i, line in enumerate(lines) if _scalar(line, indent, "image") is not None]
    if usings != ["docker"]:
        raise ReleaseError(f"action.yml: runs.using must be docker (found {usings or 'none'})")
    if len(images) != 1:
        raise ReleaseError("action.yml: runs must have exactly one image: line")
    current = _scalar(lines[images[0]], indent, "image")
    if current != "Dockerfile":
        raise ReleaseError(f"action.yml: runs.image is {current!r}, expected 'Dockerfile' "
                           "(is this already a release commit?)")
    lines[images[0]] = f"{indent}image: {reference}"
    return source[: block.start(1)] + "\n".join(lines) + source[block.end(1):]


def changelog_notes(changelog: str, version: str) -> str:
    parse_version(version)
    heading = re.compile(rf"^## \[{re.escape(version)}\][^\n]*\n(.*?)(?=^## |\Z)", re.M | re.S)
    match = heading.search(changelog)
    if not match or not match[1].strip():
        raise ReleaseError(f"CHANGELOG.md has no notes under '## [{version}]': write them before tagging")
    return match[1].strip() + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="release_action.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    a = commands.add_parser("action", help="write the released action.yml")
    a.add_argument("--version", required=True)
    a.add_argument("--image", required=True)
    a.add_argument("--digest")
    a.add_argument("--source", type=Path, default=ROOT / "action.yml")
    a.add_argument("--output", type=Path, required=True)
    n = commands.add_parser("notes", help="print the CHANGELOG.md section of a version")
    n.add_argument("--version", required=True)
    n.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    return parser


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReleaseError(f"cannot read {path}: {exc.strerror}") from exc


def run(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    if args.command == "action":
        reference = image_reference(args.version, args.image, args.digest)
        text = released_action(_read(args.source), reference)
        args.output.write_text(text, encoding="utf-8")
        print(f"{args.output}: runs.image = {reference}")
    else:
        sys.stdout.write(changelog_notes(_read(args.changelog), args.version))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except ReleaseError as exc:
        print(f"release_action.py: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
