"""Secrets (issue #16.5): credentials caught on a labelled set, and real source files wrongly flagged.

The labelled set (tests/support/credentials.py) is built at run time by each format's rules from random
bytes: the cases of issue #16.5 and every format the scanner knows, each in the kind of file it is committed
in, with the line it starts on; beside it, decoys shaped like credentials (placeholders, a PEM parser, docs).
Real code: every file of ten PyPI sdists (the latest release of each eval project, fetched by pinned sha256
through the eval's cache, eval/sdists.py).

Credentials in files skipped by name as key material (tests/support/credentials.py `in_key_files`: a
`server.key`, a `prod.env`, an `.npmrc`, a `credentials.json`, …) are read locally and never sent: (1) the
file filter names each file key material and the scanner finds the credential at its line; (2) a CLI sweep
against the loopback fake reports a finding at that line with the file skipped, and none of the credentials
nor the files' names are in the requests the fake received.

Each figure is measured twice. Labelled set: (1) the scanner and the name rules, file by file, with the kind
and line expected; (2) a sweep through the CLI (`batch-review sweep`) against the loopback Anthropic fake:
the secret's bytes are in none of the requests the fake received, and the report has a critical finding at
its line (or the file skipped by name). Real code: (1) the scanner over each file the sweep would review;
(2) a dry sweep through the CLI (no API key: nothing sent) of each sdist committed to a git repository with
one labelled credential added as a canary, counting the report's credential findings (the canary must be
the only one). When detect-secrets is installed (`pip install -e '.[bench]'`), its regex plugins are
measured on the same files, for comparison (docs/security.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.support.credentials import Sample, decoys, in_key_files, labelled
from tests.support.gitrepo import git_env

from .common import KEY, Row

ROOT = Path(__file__).resolve().parent.parent
SDISTS = (  # the latest release of each eval project (eval/recipes.json pins every one)
    ("click", "8.1.8", "ed53c9d8990d83c2a27deae68e4ee337473f6330c040a31d4225c9574d16096a"),
    ("django", "3.2.1", "95c13c750f1f214abadec92b82c2768a5e795e6c2ebd0b4126f895ce9efffcdd"),
    ("flask", "3.0.3", "ceb27b0af3823ea2737928a4d99d125a06175b8512c445cbd9a9ce200ef76842"),
    ("itsdangerous", "2.1.2", "5dbbc68b317e5e42f327f9021763545dc3fc3bfe22e6deb96aaf1fc38874156a"),
    ("jinja2", "3.1.6", "0137fb05990d35f1275a587e9aee6d56da821fc83491a0fb838183be43f66d6d"),
    ("markupsafe", "2.1.5", "d283d37a890ba4c1ae73ffadf8046435c76e7bc2247bbb63c00bd1a709c6544b"),
    ("pymysql", "1.1.1", "e127611aaf2b417403c60bf4dc570124aeb4a57f5f37b8e95ae399a42f904cd0"),
    ("requests", "2.32.3", "55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760"),
    ("urllib3", "2.2.2", "dd505485549a7a552833da5e6063639d0d177c04f23bc3864e41e5dc5f612168"),
    ("werkzeug", "3.0.6", "a8dd59d4de28ca70471a34cba79bed5f7ef2e036a76b3ab0835474246eb41f8d"),
)
TITLE = "A credential is committed"


def figures(tmp: Path) -> list[Row]:
    samples = labelled()
    reviewed: list[bytes] = []
    rows = _labelled(tmp, samples)
    rows += _key_files(tmp)
    rows += _real_code(tmp, samples, reviewed)
    rows += _detect_secrets(samples, reviewed)
    return rows


def _caught(sample: Sample) -> bool:
    from batch_review.filters import FileFilter
    from batch_review.secret_scan import find_secrets

    if not sample.kind:
        return FileFilter().by_path(sample.path) == "key material or environment file"
    data = sample.text.encode()
    return (sample.kind, sample.line) in {(f.kind, data.count(b"\n", 0, f.offset) + 1) for f in find_secrets(data)}


def _labelled(tmp: Path, samples: list[Sample]) -> list[Row]:
    from batch_review.secret_scan import find_secrets

    total = len(samples)
    first = sum(map(_caught, samples))
    placed = {f"case-{i:02d}/{s.path}": s for i, s in enumerate(samples)}
    fakes = {f"decoy-{i:02d}/{path}": text for i, (path, text) in enumerate(decoys())}
    repo = _repo(tmp / "labelled", {**{p: s.text for p, s in placed.items()}, **fakes})
    with FakeAnthropicAPI(api_key=KEY) as fake:
        report = _sweep(tmp, repo, fake.base_url)
        sent = b"".join(r.raw for r in fake.requests)
    found = {(f["path"], f["line"]) for f in report["findings"] if f["title"].startswith(TITLE)}
    status = {f["path"]: (f["status"], f["reason"]) for f in report["files"]}
    second = sum(1 for path, s in placed.items() if s.secret not in sent and (
        (path, s.line) in found if s.kind else status.get(path) == ("skipped", "key material or environment file")))
    flagged_decoys = sum(1 for text in fakes.values() if find_secrets(text.encode()))
    decoy_findings = len({p for p, _ in found if p.startswith("decoy-")})
    listed = [s for s in samples if s.name in _ISSUE_CASES]
    return [
        Row("secrets: labelled credentials caught", f"{first}/{total}", f"{total}/{total}", first == total,
            f"{len(samples) - sum(1 for s in samples if not s.kind)} by content, the rest by file name; "
            f"the issue's {len(listed)} cases among them; second method (a CLI sweep, loopback model): "
            f"{second}/{total} never sent with a finding at the line or skipped by name"),
        Row("secrets: decoys flagged (placeholders, parsers, docs)", f"{flagged_decoys}/{len(fakes)}", "0",
            flagged_decoys == 0 and decoy_findings == 0,
            f"second method (the same sweep's findings): {decoy_findings}"),
    ]


def _key_files(tmp: Path) -> list[Row]:
    """Credentials in files skipped by name: found at their line, never sent (the sweep reviews one other file)."""
    from batch_review.filters import KEY_MATERIAL, FileFilter

    samples = in_key_files()
    total = len(samples)
    first = sum(1 for s in samples if FileFilter().by_path(s.path) == KEY_MATERIAL and _caught(s))
    files = {s.path: s.text for s in samples}  # a file may hold two labelled credentials (an AWS key pair)
    repo = _repo(tmp / "key-files", {**files, "src/app.py": "def main():\n    return 0\n"})
    with FakeAnthropicAPI(api_key=KEY) as fake:
        report = _sweep(tmp, repo, fake.base_url)
        sent = b"".join(r.raw for r in fake.requests)
        requests = len(fake.requests)
    found = {(f["path"], f["line"], f["title"].removeprefix(TITLE + ": ")) for f in report["findings"]
             if f["title"].startswith(TITLE)}
    status = {f["path"]: (f["status"], f["reason"]) for f in report["files"]}
    skipped = {path for path, outcome in status.items() if outcome == ("skipped", KEY_MATERIAL)}
    second = sum(1 for s in samples if (s.path, s.line, s.kind) in found and s.path in skipped)
    leaked = sum(1 for s in samples if s.secret in sent)
    names = sum(1 for path in files if path.encode() in sent)
    reviewed = status.get("src/app.py") == ("reviewed", "") and b"def main" in sent
    extra = len(found) - len({(s.path, s.line, s.kind) for s in samples} & found)
    return [
        Row("secrets: credentials in files skipped by name found", f"{first}/{total}", f"{total}/{total}",
            first == total and second == total and extra == 0,
            f"{len(files)} key or environment files (`server.key`, `prod.env`, `.npmrc`, `credentials.json`, "
            f"`.aws/credentials`, `terraform.tfstate`, …); second method (a CLI sweep, loopback model): "
            f"{second}/{total} a finding at the line with the file skipped by name, {extra} other findings"),
        Row("secrets: credentials in files skipped by name sent to the model", str(leaked), "0",
            leaked == 0 and names == 0 and reviewed and requests > 0,
            f"of {total}; their files' names in the requests: {names}; the sweep's other file reached the model in "
            f"{requests} request(s): {'yes' if reviewed else 'no'}"),
    ]


_ISSUE_CASES = {"kubeconfig client-key-data", "AWS secret in a credentials file", "PEM double-escaped inside a string",
                "*.env file", "docker auth", "legacy npm token in .yarnrc", "PuTTY key v3 without .ppk"}


def _real_code(tmp: Path, samples: list[Sample], reviewed: list[bytes]) -> list[Row]:
    """Every file of the sdists that a sweep reviews (its text is added to `reviewed`)."""
    from batch_review.filters import KEY_MATERIAL, MAX_FILE_BYTES, FileFilter, content_reason
    from batch_review.secret_scan import find_secrets

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from eval.sdists import source

    canary = next(s for s in samples if s.name == "kubeconfig client-key-data")
    scanned = flagged = keys_by_name = keys_found = second = canaries = reviewable = 0
    wrong: list[str] = []
    for name, version, sha in SDISTS:
        tree = source(name, version, sha)
        files = {str(p.relative_to(tree)): p.read_bytes() for p in sorted(tree.rglob("*"))
                 if p.is_file() and p.name != ".complete"}
        for path, data in files.items():
            by_name = FileFilter().by_path(path)
            if by_name is None and content_reason(data) is None and data.strip():
                scanned += 1
                reviewed.append(data)
                if find_secrets(data):
                    flagged += 1
                    wrong.append(f"{name}/{path}")
            elif by_name == KEY_MATERIAL and b"\0" not in data[:8192] and find_secrets(data[:MAX_FILE_BYTES]):
                keys_by_name += 1
        repo = _repo(tmp / "sdists" / name, {**files, "zz-canary/" + canary.path: canary.text.encode()})
        report = _sweep(tmp, repo, None)
        key_files = {f["path"] for f in report["files"] if (f["status"], f["reason"]) == ("skipped", KEY_MATERIAL)}
        found = {f["path"] for f in report["findings"] if f["title"].startswith(TITLE)}
        canaries += ("zz-canary/" + canary.path) in found
        second += len(found - key_files - {"zz-canary/" + canary.path})
        keys_found += len(found & key_files)
        reviewable += sum(1 for f in report["files"] if f["status"] == "pending") - 1
    note = (f"{len(SDISTS)} sdists ({', '.join(n for n, _, _ in SDISTS)}), {scanned} files the sweep reviews"
            f"{' ' + ', '.join(wrong[:3]) if wrong else ''}; second method (a dry CLI sweep of each, a canary "
            f"credential added): {second} wrongly flagged, canary found {canaries}/{len(SDISTS)}, "
            f"{reviewable} files listed for review")
    return [
        Row("secrets: real source files wrongly flagged", f"{flagged}/{scanned}", "0",
            flagged == 0 and second == 0 and canaries == len(SDISTS) and reviewable == scanned, note),
        Row("secrets: key files (skipped by name) that hold a credential", str(keys_by_name), "—",
            keys_found == keys_by_name,
            "test certificates' private keys in the sdists' tests: never sent, each a finding; second method (the "
            f"dry sweeps' findings on files skipped by name): {keys_found}"),
    ]


def _detect_secrets(samples: list[Sample], reviewed: list[bytes]) -> list[Row]:
    """detect-secrets 1.5.0's regex plugins (no entropy, no keyword heuristics, no public IP) on the same files."""
    try:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.core.scan import scan_line
        from detect_secrets.settings import transient_settings
    except ImportError:
        return [Row("secrets: detect-secrets comparison", "not installed", "—", None, "pip install -e '.[bench]'")]
    heuristics = {"Base64 High Entropy String", "Hex High Entropy String", "Secret Keyword", "Public IP (ipv4)"}
    plugins = [{"name": c.__name__} for t, c in get_mapping_from_secret_type_to_class().items() if t not in heuristics]

    kinds: Counter[str] = Counter()

    def hits(text: str) -> bool:
        found = {secret.type for line in text.splitlines() for secret in scan_line(line)}
        kinds.update(found)
        return bool(found)

    with transient_settings({"plugins_used": plugins, "filters_used": []}):
        content = [s for s in samples if s.kind]
        caught = sum(1 for s in content if hits(s.text))
        fooled = sum(1 for _, text in decoys() if hits(text))
        kinds.clear()
        flagged = sum(1 for data in reviewed if hits(data.decode("utf-8", "replace")))
    return [Row("secrets: detect-secrets 1.5.0 regex plugins, labelled credentials caught (by content)",
                f"{caught}/{len(content)}", "—", None,
                f"line by line; decoys flagged {fooled}/{len(decoys())}; ours: every one, no decoy"),
            Row("secrets: detect-secrets 1.5.0 regex plugins, real source files flagged", f"{flagged}/{len(reviewed)}",
                "—", None, "the same files as ours; files by kind: "
                + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()))]


def _repo(path: Path, files: dict[str, Any]) -> Path:
    if path.exists():
        shutil.rmtree(path)
    for name, data in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else data.encode())
    env = git_env()
    who = ["-c", "user.name=bench", "-c", "user.email=b@example.com"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A", "-f"], [*who, "commit", "-q", "-m", "all"]):
        subprocess.run(["git", *args], cwd=path, env=env, check=True, capture_output=True)
    return path


def _sweep(tmp: Path, repo: Path, base_url: str | None) -> dict[str, Any]:
    """`batch-review sweep` as a user runs it; without `base_url` no API key: a dry run, nothing sent."""
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    out = tmp / f"{repo.name}.json"
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "NO_COLOR": "1"}
    strategy = []
    if base_url:
        env |= {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": base_url}
        strategy = ["--strategy", "parallel"]  # the fake model answers at once (a batch would wait for its end)
    done = subprocess.run([sys.executable, "-m", "batch_review.cli", "sweep", str(repo), *strategy, "--json", str(out)],
                          capture_output=True, text=True, env=env, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"sweep of {repo.name} failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result
