"""What reaches the model: every changed file is reviewed, with credentials redacted and long lines cut.

Words a pull request writes never take its own code out of review. A committed credential
(secret_scan.py) is a finding — critical, security, at its line, found by the scanner rather than the
model — and its file is still reviewed, with the credential's value replaced by `[REDACTED <kind>]` in
everything sent (the diff, the head content shown around it, the whole file in a sweep). A line longer
than `MAX_LINE` characters is cut there (`… [cut: N more characters]`), so one long line no longer skips
the file. Newlines are kept, so line numbers hold.

The collected files' patches and loaders are replaced in place (`scrub`), before the plan reads them (a sweep's
files one by one, as the plan reads them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .findings import Check, Finding, Severity, legacy_fingerprint
from .secret_scan import Found, find_secrets
from .sources.base import Collected, SourceFile

MAX_LINE = 2000
TITLE = "A credential is committed: {kind}"
BODY = ("The {kind} on this line is in the repository's history once this is merged, where anyone who can read the "
        "repository can use it. Revoke it, remove it, and load it at run time from a secret store or the "
        "environment. (Found by batch-review's secret scanner; its value was redacted before anything was sent "
        "to the model.)")


def by_scanner(title: str) -> bool:
    """Whether a finding with this title is the secret scanner's (a credential), not the model's."""
    return title.startswith(TITLE.split("{", 1)[0])


@dataclass
class Scrubbed:
    """Findings the scanner made, filled in as the files are read (a whole file is read when planned)."""

    findings: list[Finding] = field(default_factory=list)
    redacted: int = 0  # credentials redacted
    cut: int = 0  # lines cut


def scrub(collected: Collected) -> Scrubbed:
    """Scrub the files in place: a list at once; a stream (a sweep's files) as the plan reads it."""
    out = Scrubbed()
    if isinstance(collected.files, list):
        for source in collected.files:
            _scrub(source, out)
    else:
        collected.files = (_scrub(source, out) for source in collected.files)
    return out


def _scrub(source: SourceFile, out: Scrubbed) -> SourceFile:
    if source.patch is not None:
        source.patch = _scrub_patch(source.path, source.patch, out)
    if source.load is not None:
        source.load = RedactedLoader(source.path, source.load, out, source.patch is None)
    return source


class RedactedLoader:
    """A file's loader, redacted; a whole file's credentials become findings (once, however often it is read).
    `inner` is the loader it wraps (a pull request's HeadLoader is fetched with its neighbours)."""

    __slots__ = ("_scanned", "findings", "inner", "out", "path")

    def __init__(self, path: str, inner: Callable[[], bytes | None], out: Scrubbed, findings: bool) -> None:
        self.path, self.inner, self.out, self.findings = path, inner, out, findings
        self._scanned = False

    @property
    def unavailable(self) -> str:  # why a pull request's head content could not be read
        return str(getattr(self.inner, "unavailable", "") or "")

    def __call__(self) -> bytes | None:
        data = self.inner()
        if data is None:
            return None
        text, found = clean(data, patch=False)
        if not self._scanned:  # read again (context, verification, SARIF): counted once
            self._scanned = True
            if self.findings:
                self.out.findings += [secret_finding(self.path, f, row + 1, text) for f, row in found]
            self.out.redacted += len(found)
        return text


def _scrub_patch(path: str, patch: str, out: Scrubbed) -> str:
    data = patch.encode("utf-8", "surrogateescape")
    text, found = clean(data, patch=True)
    new_lines = _new_line_numbers(text)
    for secret, row in found:
        line = new_lines.get(row)
        if line is not None:  # on an added or kept line (a removed credential is redacted, not a finding)
            out.findings.append(secret_finding(path, secret, line, text, row=row))
    out.redacted += len(found)
    out.cut += text.count(b" more characters]") - data.count(b" more characters]")
    return text.decode("utf-8", "surrogateescape")


def clean(data: bytes, *, patch: bool) -> tuple[bytes, list[tuple[Found, int]]]:
    """`data` with every credential's value redacted and long lines cut; each credential with the (0-based)
    row of `data` it starts on."""
    found = find_secrets(data)
    rows: list[tuple[Found, int]] = []
    pieces: list[bytes] = []
    at = 0
    for secret in found:
        if secret.offset < at:
            continue  # inside one already redacted
        rows.append((secret, data.count(b"\n", 0, secret.offset)))
        pieces += [data[at : secret.offset], _redacted(data[secret.offset : secret.end], secret.kind, patch)]
        at = secret.end
    pieces.append(data[at:])
    text = b"".join(pieces)
    if any(len(line) > MAX_LINE for line in text.split(b"\n")):
        text = b"\n".join(_cut(line) for line in text.split(b"\n"))
    return text, rows


def _redacted(value: bytes, kind: str, patch: bool) -> bytes:
    """The value replaced, its line breaks kept (and in a diff each line's +, - or space)."""
    lines = value.split(b"\n")
    out = [f"[REDACTED {kind}]".encode()]
    for line in lines[1:]:
        keep = line[:1] if patch and line[:1] in (b"+", b"-", b" ") else b""
        out.append(keep + b"[REDACTED]")
    return b"\n".join(out)


def _cut(line: bytes) -> bytes:
    if len(line) <= MAX_LINE:
        return line
    return line[:MAX_LINE] + f" … [cut: {len(line) - MAX_LINE} more characters]".encode()


def _new_line_numbers(patch: bytes) -> dict[int, int]:
    """Row of the patch -> line of the new file, for added and context rows."""
    lines: dict[int, int] = {}
    new = 0
    for row, text in enumerate(patch.split(b"\n")):
        if text.startswith(b"@@"):
            try:
                new = int(text.split(b"+", 1)[1].split(b" ", 1)[0].split(b",", 1)[0]) - 1
            except (IndexError, ValueError):
                new = 0
        elif text[:1] in (b"+", b" ") and new >= 0:
            new += 1
            lines[row] = new
    return lines


def secret_finding(path: str, secret: Found, line: int, text: bytes, *, row: int | None = None,
                   body: str = BODY) -> Finding:
    """The scanner's finding for `secret` on `line`; `text` is the redacted content (or patch, with `row`)."""
    rows = text.split(b"\n")
    shown = rows[row if row is not None else line - 1] if rows else b""
    anchor = shown.decode("utf-8", "replace")
    if row is not None:
        anchor = anchor[1:]  # the diff's +/space
    return Finding(
        path=path, line=line, end_line=None, severity=Severity.critical, category="security",
        title=TITLE.format(kind=secret.kind), body=body.format(kind=secret.kind), suggestion=None, confidence=1.0,
        fingerprint=legacy_fingerprint(path, "security", f"secret:{secret.kind}:{anchor}", line), anchor=anchor,
        check=Check("kept", "found by the secret scanner, not the model", 1.0), origin=path,
    )
