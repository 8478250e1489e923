# batch-review: the container GitHub runs for `uses: org/batch-review@v1`.
# Docker actions must not set USER: the runner expects root and mounts the workspace.
FROM python:3.12-slim

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
COPY pyproject.toml README.md ./
COPY src ./src
COPY entrypoint ./entrypoint
RUN pip install --no-cache-dir .

# Python, not sh: dash drops the runner's hyphenated INPUT_* variables (see entrypoint/main.py).
ENTRYPOINT ["python", "/opt/batch-review/entrypoint/main.py"]
