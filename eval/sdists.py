"""Source distributions from PyPI, fetched by pinned sha256 and cached: the other projects' sources that the
eval dataset and the context benchmarks are built from (none of them is committed to this repository).

    tree = source("click", "8.1.7", "ca9853ad…")   # the extracted sdist, downloaded once

Where they are kept: `$BATCH_REVIEW_EVAL_CACHE`, else `$XDG_CACHE_HOME/batch-review/eval`, else
`~/.cache/batch-review/eval` (`sdists/` the archives as downloaded, `src/` each one extracted). An archive in
the cache is checked against its pin every time it is extracted, so a damaged cache fails loudly.

How: the package index's JSON simple API (PEP 691: the same index pip reads; `$PIP_INDEX_URL` when set,
else PyPI) gives the sdist's address; the file is downloaded and its sha256 compared with the pin. If that
index does not answer in JSON, `pip download --no-deps --no-binary :all:` fetches it instead (slower: pip
prepares the package's metadata), and the same pin is checked. Nothing is ever used unverified.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

DEFAULT_INDEX = "https://pypi.org/simple"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
TIMEOUT = 60


class FetchError(SystemExit):
    """A source that cannot be had or does not match its pin (a clear message, exit status 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"error: {message}")


def cache_dir() -> Path:
    chosen = os.environ.get("BATCH_REVIEW_EVAL_CACHE")
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "batch-review" / "eval"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive(name: str, version: str, sha256: str) -> Path:
    """The sdist archive of name==version, from the cache or downloaded into it; always matching `sha256`."""
    folder = cache_dir() / "sdists"
    for cached in folder.glob(f"{sha256[:16]}-*"):
        if sha256_of(cached) == sha256:
            return cached
        cached.unlink()  # damaged or partial: fetched again below
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as tmp:
        got = _from_index(name, version, sha256, Path(tmp)) or _with_pip(name, version, Path(tmp))
        actual = sha256_of(got)
        if actual != sha256:
            raise FetchError(f"{name}=={version}: the sdist {got.name} has sha256 {actual}, not the pinned "
                             f"{sha256}; nothing was used")
        target = folder / f"{sha256[:16]}-{got.name}"
        os.replace(got, target)
    return target


def source(name: str, version: str, sha256: str) -> Path:
    """The extracted sdist (its top folder), cached; extracted from the verified archive when missing."""
    tree = cache_dir() / "src" / f"{normalise(name)}-{version}-{sha256[:16]}"
    if (tree / ".complete").is_file():
        return tree
    packed = archive(name, version, sha256)
    tree.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tree.parent, prefix=".extract-") as tmp:
        top = _extract(packed, Path(tmp))
        (top / ".complete").write_text(f"{name}=={version} sha256:{sha256}\n", encoding="utf-8")
        try:
            os.replace(top, tree)
        except OSError:  # another process extracted it at the same time: keep theirs
            if not (tree / ".complete").is_file():
                raise
    return tree


def _extract(packed: Path, into: Path) -> Path:
    if not packed.name.endswith(".tar.gz"):
        raise FetchError(f"{packed.name}: only .tar.gz sdists are supported")
    with tarfile.open(packed) as tar:
        tar.extractall(into, filter="data")  # the "data" filter refuses absolute paths, links out and devices
    tops = [p for p in into.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise FetchError(f"{packed.name}: expected one top folder in the sdist, found {len(tops)}")
    return tops[0]


def _from_index(name: str, version: str, sha256: str, into: Path) -> Path | None:
    """Through the index's JSON API: the file whose hash is the pin (None: that index gives no JSON)."""
    index = _index()
    if not index.startswith("https://"):
        return None  # a local or plain-http index: pip reads it
    request = urllib.request.Request(f"{index}/{normalise(name)}/", headers={"Accept": JSON_TYPE})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 (https only)
            if not answer.headers.get("Content-Type", "").startswith(JSON_TYPE):
                return None
            files = json.load(answer).get("files", [])
    except (urllib.error.URLError, OSError, ValueError):
        return None
    for item in files:
        filename = str(item.get("filename", ""))
        if item.get("hashes", {}).get("sha256") != sha256:
            continue
        if not _is_sdist_of(filename, name, version):
            raise FetchError(f"{name}=={version}: the pinned sha256 belongs to {filename}, not this release's sdist")
        target = into / Path(filename).name
        url = urllib.parse.urljoin(f"{index}/{normalise(name)}/", str(item["url"]))
        if not url.startswith("https://"):
            raise FetchError(f"{name}=={version}: the index gives a non-https address for {filename}")
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as body, target.open("wb") as out:  # noqa: S310
                shutil.copyfileobj(body, out)
        except (urllib.error.URLError, OSError) as exc:
            raise FetchError(f"{name}=={version}: downloading {filename} failed ({exc})") from None
        return target
    raise FetchError(f"{name}=={version}: the index lists no file with the pinned sha256 {sha256}")


def _index() -> str:
    return (os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX).rstrip("/")


def _with_pip(name: str, version: str, into: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
               f"{name}=={version}", "-d", str(into)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = [p for p in into.iterdir() if p.name.endswith(".tar.gz")]
    if done.returncode != 0 or len(found) != 1:
        raise FetchError(f"{name}=={version}: pip download failed: {done.stderr.strip()[-500:]}")
    return found[0]


def pin(name: str, version: str) -> str:
    """The sha256 of name==version's sdist as the index lists it (for writing a new recipe, not for building)."""
    request = urllib.request.Request(f"{_index()}/{normalise(name)}/", headers={"Accept": JSON_TYPE})  # noqa: S310
    with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 (the index's https address)
        files = json.load(answer).get("files", [])
    for item in files:
        filename = str(item.get("filename", ""))
        if _is_sdist_of(filename, name, version):
            return str(item["hashes"]["sha256"])
    raise FetchError(f"{name}=={version}: no sdist on the index")


def _is_sdist_of(filename: str, name: str, version: str) -> bool:
    if not filename.endswith(".tar.gz"):
        return False
    stem = filename[: -len(".tar.gz")]
    return stem.endswith(f"-{version}") and normalise(stem[: -len(version) - 1]) == normalise(name)
