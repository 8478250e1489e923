#!/usr/bin/env python3
"""What the batch-review container runs (the Dockerfile's ENTRYPOINT).

Deliberately Python, not a shell script: the runner passes inputs as `INPUT_<NAME>` with hyphens
kept (`INPUT_ANTHROPIC-API-KEY`), and dash — Debian's /bin/sh — silently drops environment variables
whose names are not shell identifiers. This keeps the environment intact, marks the workspace safe
for git (the container runs as root over a checkout owned by another user) and hands over to
`batch-review action` in $GITHUB_WORKSPACE.
"""

from __future__ import annotations

import os
import subprocess
import sys


def main() -> int:
    workspace = os.environ.get("GITHUB_WORKSPACE") or "/github/workspace"
    subprocess.run(
        ["git", "config", "--global", "--add", "safe.directory", workspace],
        check=False, capture_output=True,
    )
    if os.path.isdir(workspace):
        os.chdir(workspace)
    from batch_review.cli import main as cli_main

    return cli_main(["action", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
