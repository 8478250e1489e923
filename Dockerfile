# batch-review: the container GitHub runs for `uses: org/batch-review@v1`.
# Docker actions must not set USER: the runner expects root and mounts the workspace.
# Releases push this image to GHCR and their action.yml pulls it by digest; `main` builds it from here.
# The base is pinned by digest: python:3.12-slim (Python 3.12.13 on Debian 13), a multi-platform index.
FROM python:3.12-slim@sha256:229a2c5bfa27522db7815ea81f9bed70af17ccb9de9fc7ad142b1877b5830d36

# git reads the checkout (sweeps, omitted patches); nothing else is needed at run time.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/batch-review
# Every dependency and the build backend, exactly as locked and hashed (regenerate: python3 scripts/lock.py).
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --only-binary=:all: -r requirements.lock
COPY pyproject.toml README.md ./
COPY src ./src
COPY entrypoint ./entrypoint
# The project itself: nothing resolved or downloaded here; pip check fails the build if the lock lacks a dependency.
RUN pip install --no-cache-dir --no-deps --no-build-isolation . && pip check

# Python, not sh: dash drops the runner's hyphenated INPUT_* variables (see entrypoint/main.py).
ENTRYPOINT ["python", "/opt/batch-review/entrypoint/main.py"]
