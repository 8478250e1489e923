"""Routes: a commit's tarball, as GitHub serves it.

`GET /repos/{o}/{r}/tarball/{ref}` answers 302 with an empty body and a `Location` on the codeload host (here a
`/_codeload/…` path on the fake's own server: a different "host" that the API token must never reach). The link
carries a short-lived token (GitHub's private-repository links expire after five minutes:
`fake.archive_link_seconds`); codeload answers 404 once it has expired, or for a wrong token. The archive is what
`git archive` makes of the commit, under one `<owner>-<repo>-<sha7>/` folder, with the pax global header whose
comment is the commit id, gzipped. ``fake.archive_bytes`` counts the bytes served; ``fake.archive_members`` adds
members (a symlink, a `../` name) that a real archive of a hostile repository could hold.
"""

from __future__ import annotations

import gzip
import io
import secrets
import tarfile
import time
from typing import TYPE_CHECKING, Any

from tests.fakes.github_pulls import resolve
from tests.fakes.github_server import Request, Response, error_body, fail, route

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub

CODELOAD = "/_codeload"
TARBALL_DOC = "https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar"


@route("GET", r"{repo}/tarball(?:/(?P<ref>.+))?")
def get_tarball(fake: FakeGitHub, req: Request, ref: str | None = None) -> Any:
    ref = ref or fake.default_branch
    found = resolve(fake, ref)
    if found is None:
        raise fail(404, "Not Found", doc=TARBALL_DOC)
    _, sha = found
    token = secrets.token_hex(16)
    fake.archive_links[token] = (sha, time.time() + fake.archive_link_seconds)
    location = f"{fake.host_url}{CODELOAD}/{fake.owner}/{fake.repo}/legacy.tar.gz/{ref}?token={token}"
    return Response(302, b"", {"Location": location}, content_type="text/html;charset=utf-8")


def serve_codeload(fake: FakeGitHub, raw_path: str, query: dict[str, str], headers: dict[str, str]) -> Response:
    """codeload: no API authentication (a token sent here is a leak the fake records), the link's own token."""
    if headers.get("authorization"):
        fake.server_errors.append(f"the API token was sent to codeload: {raw_path}")
    link = fake.archive_links.get(query.get("token", ""))
    if link is None or time.time() > link[1]:
        return Response(404, error_body(404, "Not Found"))
    sha = link[0]
    body = fake.archive_cache.get(sha) or archive_bytes(fake, sha)
    fake.archive_cache[sha] = body  # GitHub, too, serves an archive it made before from its cache
    fake.archive_bytes += len(body)
    name = f"{fake.owner}-{fake.repo}-{sha[:7]}.tar.gz"
    return Response(200, body, {"Content-Disposition": f"attachment; filename={name}"},
                    content_type="application/x-gzip")


def archive_bytes(fake: FakeGitHub, sha: str) -> bytes:
    found = resolve(fake, sha)
    assert found is not None
    repo, _ = found
    prefix = f"{fake.owner}-{fake.repo}-{sha[:7]}/"
    data = repo.run("archive", "--format=tar", f"--prefix={prefix}", sha)
    if fake.archive_members:
        data = _with_members(data, prefix, fake.archive_members)
    return gzip.compress(data, compresslevel=6, mtime=0)  # git's default level


def _with_members(data: bytes, prefix: str, extra: list[dict[str, Any]]) -> bytes:
    """The archive with more members appended: {"name", "type": "file" | "symlink" | "hardlink", "data" | "target"}."""
    out = io.BytesIO()
    with (tarfile.open(fileobj=io.BytesIO(data), mode="r:") as source,
          tarfile.open(fileobj=out, mode="w:", format=tarfile.PAX_FORMAT, pax_headers=source.pax_headers) as target):
        for member in source.getmembers():
            target.addfile(member, source.extractfile(member) if member.isreg() else None)
        for item in extra:
            name = item["name"] if item["name"].startswith(("/", "..")) else prefix + item["name"]
            info = tarfile.TarInfo(name)
            if item["type"] == "file":
                payload = item["data"]
                info.size = len(payload)
                target.addfile(info, io.BytesIO(payload))
            else:
                info.type = tarfile.SYMTYPE if item["type"] == "symlink" else tarfile.LNKTYPE
                info.linkname = item["target"]
                target.addfile(info)
    return out.getvalue()
