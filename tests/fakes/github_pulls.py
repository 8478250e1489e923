"""Routes: repository, user, pull requests, PR files and commits, contents, blobs, commits."""

from __future__ import annotations

import json
import posixpath
from typing import TYPE_CHECKING, Any

from tests.fakes import github_json as J
from tests.fakes.github_server import Request, Response, fail, not_found, paginate, route

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub
    from tests.support.gitrepo import GitRepo, PullFixture, TreeEntry

MAX_FILES = 3000
MAX_CONTENT_BYTES = 1024 * 1024  # above this, contents answers content "" and encoding "none"
DIFF_MAX_FILES = 300
DIFF_MAX_LINES = 20000
MAX_TREE_ENTRIES = 100_000  # `git/trees?recursive=1` answers `truncated: true` past this (or 7 MB)
MAX_TREE_BYTES = 7 * 1024 * 1024


def get_pr(fake: FakeGitHub, number: str | int) -> PullFixture:
    pr = fake.pulls.get(int(number))
    if pr is None:
        raise not_found()
    return pr


def repos(fake: FakeGitHub) -> list[GitRepo]:
    out: list[GitRepo] = []
    for r in [fake.git, *(p.repo for p in fake.pulls.values())]:
        if r is not None and all(r is not o for o in out):
            out.append(r)
    return out


@route("GET", r"/user")
def get_user(fake: FakeGitHub, req: Request) -> Any:
    raise fail(
        403,
        "Resource not accessible by integration",
        doc="https://docs.github.com/rest/users/users#get-the-authenticated-user",
    )


@route("GET", r"{repo}")
def get_repo(fake: FakeGitHub, req: Request) -> Any:
    return J.repository(fake)


@route("GET", r"{repo}/pulls")
def list_pulls(fake: FakeGitHub, req: Request) -> Any:
    state = req.query.get("state", "open")
    prs = sorted(fake.pulls.values(), key=lambda p: -p.number)
    prs = [p for p in prs if state == "all" or (p.state == "open") == (state == "open")]
    return paginate(fake, req, [J.pull(fake, p) for p in prs])


@route("GET", r"{repo}/pulls/(?P<number>\d+)")
def get_pull(fake: FakeGitHub, req: Request, number: str) -> Any:
    pr = get_pr(fake, number)
    accept = req.headers.get("accept", "")
    if "diff" in accept or "patch" in accept:
        if pr.changed_files > DIFF_MAX_FILES or pr.diff_lines > DIFF_MAX_LINES:
            which = "files (300)" if pr.changed_files > DIFF_MAX_FILES else "lines (20000)"
            raise fail(
                406,
                f"Sorry, the diff exceeded the maximum number of {which}. Consider using 'List pull requests "
                "files' API or locally cloning the repository instead.",
                [{"resource": "PullRequest", "field": "diff", "code": "too_large"}],
                doc="https://docs.github.com/rest/pulls/pulls#list-pull-requests-files",
            )
        return Response(200, pr.diff, content_type="text/plain; charset=utf-8")
    return J.pull(fake, pr)


@route("GET", r"{repo}/pulls/(?P<number>\d+)/files")
def list_pull_files(fake: FakeGitHub, req: Request, number: str) -> Any:
    pr = get_pr(fake, number)
    files = [J.pull_file(fake, pr, f) for f in pr.files[:MAX_FILES]]
    return paginate(fake, req, files, cap=MAX_FILES)


@route("GET", r"{repo}/pulls/(?P<number>\d+)/commits")
def list_pull_commits(fake: FakeGitHub, req: Request, number: str) -> Any:
    pr = get_pr(fake, number)
    return paginate(fake, req, [commit_json(fake, pr.repo, sha) for sha in pr.commits[:250]])


def commit_json(fake: FakeGitHub, repo: GitRepo, sha: str) -> dict[str, Any]:
    fmt = "%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"
    fields = repo.run("show", "-s", f"--format={fmt}", sha, "--").decode("utf-8", "replace").split("\0")
    full, tree, parents, an, ae, ad, cn, ce, cd, msg = fields
    api = f"{fake.repo_api}/commits/{full}"
    return {
        "sha": full,
        "node_id": J.node_id("Commit", int(full[:8], 16)),
        "url": api,
        "html_url": f"{fake.repo_web}/commit/{full}",
        "comments_url": f"{api}/comments",
        "commit": {
            "url": f"{fake.repo_api}/git/commits/{full}",
            "message": msg.rstrip("\n"),
            "author": {"name": an, "email": ae, "date": ad},
            "committer": {"name": cn, "email": ce, "date": cd},
            "tree": {"sha": tree, "url": f"{fake.repo_api}/git/trees/{tree}"},
            "comment_count": 0,
        },
        "author": None,
        "committer": None,
        "parents": [
            {"sha": p, "url": f"{fake.repo_api}/commits/{p}", "html_url": f"{fake.repo_web}/commit/{p}"}
            for p in parents.split()
        ],
    }


def resolve(fake: FakeGitHub, ref: str) -> tuple[GitRepo, str] | None:
    for repo in repos(fake):
        sha = repo.try_rev_parse(ref) if not ref.startswith("-") else None
        if sha:
            return repo, sha
    return None


@route("GET", r"{repo}/commits/(?P<ref>.+)")
def get_commit(fake: FakeGitHub, req: Request, ref: str) -> Any:
    found = resolve(fake, ref)
    if found is None:
        raise fail(
            422, f"No commit found for SHA: {ref}", doc="https://docs.github.com/rest/commits/commits#get-a-commit"
        )
    return commit_json(fake, *found)


def _kind(e: TreeEntry, listing: bool) -> str:
    if e.type == "tree":
        return "dir"
    if e.type == "commit":
        return "file" if listing else "submodule"  # GitHub lists submodules as "file" in directories
    return "symlink" if e.mode == "120000" else "file"


def _file_json(fake: FakeGitHub, repo: GitRepo, e: TreeEntry, ref: str) -> dict[str, Any]:
    item = J.content_item(fake, e.path, "file", e.sha, e.size, ref)
    if e.size > MAX_CONTENT_BYTES:
        item.update(content="", encoding="none")
    else:
        item.update(content=J.b64_wrapped(repo.read_blob(e.sha)), encoding="base64")
    return item


@route("GET", r"{repo}/contents(?:/(?P<path>.*))?")
def get_contents(fake: FakeGitHub, req: Request, path: str | None = None) -> Any:
    ref = req.query.get("ref") or fake.default_branch
    found = resolve(fake, ref)
    if found is None:
        raise fail(
            404,
            f"No commit found for the ref {ref}",
            doc="https://docs.github.com/rest/repos/contents#get-repository-content",
        )
    repo, commit = found
    path = (path or "").strip("/")
    if not path:
        return [J.content_item(fake, e.path, _kind(e, True), e.sha, e.size, ref) for e in repo.ls_tree(commit)]
    e = repo.entry(commit, path)
    if e is None:
        raise fail(404, "Not Found", doc="https://docs.github.com/rest/repos/contents#get-repository-content")
    if e.type == "tree":
        return [J.content_item(fake, c.path, _kind(c, True), c.sha, c.size, ref) for c in repo.ls_tree(commit, path)]
    if e.type == "commit":
        item = J.content_item(fake, e.path, "submodule", e.sha, 0, ref)
        item.update(submodule_git_url=None, download_url=None, git_url=None, html_url=None)
        return item
    if e.mode == "120000":
        target = repo.read_blob(e.sha).decode("utf-8", "surrogateescape")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        t = repo.entry(commit, resolved) if not resolved.startswith("..") and not target.startswith("/") else None
        if t is not None and t.type == "blob" and t.mode != "120000":
            return _file_json(fake, repo, t, ref)  # a symlink to a file serves that file
        item = J.content_item(fake, e.path, "symlink", e.sha, e.size, ref)
        item["target"] = target
        return item
    return _file_json(fake, repo, e, ref)


@route("GET", r"{repo}/git/trees/(?P<ref>[^/]+)")
def get_tree(fake: FakeGitHub, req: Request, ref: str) -> Any:
    """A tree (a commit or tree SHA, or a ref, as GitHub takes it); `recursive` lists every entry beneath,
    `truncated` once `fake.tree_max_entries` (GitHub: 100,000) are listed or the entries reach 7 MB of JSON (the
    limit of a recursive listing; one level is listed whole)."""
    repo, tree = None, ""
    for candidate in repos(fake) if not ref.startswith("-") else []:
        try:
            tree = candidate.run("rev-parse", "--verify", "--quiet", f"{ref}^{{tree}}").decode().strip()
        except Exception:  # GitError: not an object of this repository
            continue
        repo = candidate
        break
    if repo is None or not tree:
        raise fail(404, "Not Found", doc="https://docs.github.com/rest/git/trees#get-a-tree")
    recursive = req.query.get("recursive") not in (None, "", "0", "false")
    out = repo.run("ls-tree", "-z", "-l", *(["-r", "-t"] if recursive else []), tree)
    from tests.support.gitrepo import TreeEntry

    entries = [TreeEntry.parse(rec) for rec in out.split(b"\0") if rec]
    items: list[dict[str, Any]] = []
    size = 0
    for e in entries:
        kind = {"blob": "blobs", "tree": "trees"}.get(e.type)
        item: dict[str, Any] = {"path": e.path, "mode": e.mode, "type": e.type, "sha": e.sha}
        if e.type == "blob":
            item["size"] = e.size
        if kind:
            item["url"] = f"{fake.repo_api}/git/{kind}/{e.sha}"
        size += len(json.dumps(item)) + 1
        if recursive and (len(items) >= fake.tree_max_entries or size > MAX_TREE_BYTES):
            break
        items.append(item)
    return {"sha": tree, "url": f"{fake.repo_api}/git/trees/{tree}", "tree": items,
            "truncated": len(items) < len(entries)}


@route("GET", r"{repo}/git/blobs/(?P<sha>[0-9a-fA-F]{4,40})")
def get_blob(fake: FakeGitHub, req: Request, sha: str) -> Any:
    for repo in repos(fake):
        if repo.object_type(sha) == "blob":
            full = repo.run("rev-parse", "--verify", f"{sha}^{{blob}}").decode().strip()
            data = repo.read_blob(full)
            return {
                "sha": full,
                "node_id": J.node_id("Blob", int(full[:8], 16)),
                "size": len(data),
                "url": f"{fake.repo_api}/git/blobs/{full}",
                "content": J.b64_wrapped(data),
                "encoding": "base64",
            }
    raise fail(404, "Not Found", doc="https://docs.github.com/rest/git/blobs#get-a-blob")
