"""Files skipped by name as key material are never sent, but the credentials in them are findings.

A file the default excludes name as key material or an environment file (`*.pem`, `*.key`, `prod.env`,
`.npmrc`, `credentials.json`, … in filters.py) never reaches the model. It is still read here, locally — from
the checkout, git's objects, or the head content a pull request's review already fetches (sources/) — and the
same scanner as every reviewed file's (secret_scan.py, through scrub.clean) runs on it: each credential it
recognises is a finding like a reviewed file's (critical, security, on its line, its value redacted wherever
it is shown). A pull request's key files are the ones it adds or changes (a deleted one is "deleted", not key
material); a sweep's, every one the repository holds. The file's outcome stays skipped with its reason.

Only what the scanner reads of a reviewed file is read: the first `MAX_FILE_BYTES` (a larger reviewed file is
skipped unread), and a binary file (a NUL in its first 8 KiB: a `.p12`, a keystore) is not scanned, as a
binary reviewed file is not. A key file holding nothing the scanner recognises gets no finding.
"""

from __future__ import annotations

from .diff import FileDiff, PatchError, parse_patch
from .filters import KEY_MATERIAL, MAX_FILE_BYTES
from .log import log
from .plan import Plan
from .scrub import Scrubbed, clean, secret_finding
from .sources.base import Skip
from .words import plural

BODY = ("The {kind} on this line is in the repository's history once this is merged, where anyone who can read the "
        "repository can use it. Revoke it, remove it, and load it at run time from a secret store or the "
        "environment. (Found by batch-review's secret scanner in a file skipped by name as key material: the "
        "file was read locally and never sent to the model.)")


def scan_key_files(plan: Plan, out: Scrubbed) -> list[str]:
    """Scan every skipped key-material file that can be read; its credentials join `out.findings`, its
    commentable lines `plan.scanned`. Returns the notes for the report (how many were scanned, what could not
    be read)."""
    from .sources.head_content import fetch_head_contents

    wanted = [s for s in plan.skipped if s.reason == KEY_MATERIAL and s.load is not None]
    if not wanted:
        return []
    fetch_head_contents(wanted)  # a pull request's head content: every key file in one go
    unread: list[str] = []
    found = 0
    for skip in wanted:
        assert skip.load is not None
        data = skip.load()
        if data is None:
            why = str(getattr(skip.load, "unavailable", "") or "content unavailable")
            unread.append(f"{skip.path} ({why})")
            continue
        found += _scan(skip, data, plan, out)
    notes = []
    if unread:
        shown = ", ".join(unread[:5]) + (f" and {len(unread) - 5} more" if len(unread) > 5 else "")
        notes.append(f"{plural(len(unread), 'file')} skipped as key material could not be read for the credential "
                     f"scan (never sent; a credential in it is not reported): {shown}")
        log.warning(notes[-1])
    scanned = len(wanted) - len(unread)
    log.info(f"Key material: {plural(scanned, 'file')} skipped by name, never sent, scanned locally for "
             f"credentials: {plural(found, 'credential')} found")
    return notes


def _scan(skip: Skip, data: bytes, plan: Plan, out: Scrubbed) -> int:
    if b"\0" in data[:8192]:
        return 0  # binary (a keystore): not scanned, like a binary file that is reviewed
    text, found = clean(data[:MAX_FILE_BYTES], patch=False)
    out.findings += [secret_finding(skip.path, secret, row + 1, text, body=BODY) for secret, row in found]
    out.redacted += len(found)
    plan.scanned[skip.path] = _commentable(skip.patch)
    return len(found)


def _commentable(patch: str | None) -> FileDiff:
    """The lines of the change GitHub takes comments on (no text is kept: the patch holds the credential)."""
    if not patch:
        return FileDiff()
    try:
        diff = parse_patch(patch)
    except PatchError:
        return FileDiff()
    return FileDiff(hunk_count=diff.hunk_count, right=diff.right)
