#!/bin/sh
# What the batch-review container runs. The runner mounts the checkout at $GITHUB_WORKSPACE, owned
# by another user than the container's root: mark it safe for git, then hand over to the CLI.
set -eu
workspace="${GITHUB_WORKSPACE:-/github/workspace}"
git config --global --add safe.directory "$workspace" 2>/dev/null || true
cd "$workspace"
exec batch-review action "$@"
