"""Route: compare two commits, `GET /repos/{o}/{r}/compare/{base}...{head}`, as GitHub answers it.

The comparison is of the merge base of the two with the head (what a pull request shows): `merge_base_commit`,
`base_commit`, `status` (ahead, behind, diverged, identical), `ahead_by`/`behind_by`, the commits from the
merge base to the head (at most 250) and the changed files with their patches (at most 300, as GitHub lists
them for the whole comparison).
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from tests.fakes.github_pulls import commit_json, resolve
from tests.fakes.github_server import Request, fail, route
from tests.support.gitdiff import build_file_records, parse_numstat_z, parse_raw_z, split_patch_sections

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub

DOC = "https://docs.github.com/rest/commits/commits#compare-two-commits"
MAX_FILES = 300
_DIFF = ("--no-color", "--no-ext-diff", "--no-textconv", "-M", "--src-prefix=a/", "--dst-prefix=b/")


@route("GET", r"{repo}/compare/(?P<basehead>.+)")
def compare(fake: FakeGitHub, req: Request, basehead: str) -> Any:
    base_ref, sep, head_ref = basehead.partition("...")
    if not sep:
        base_ref, sep, head_ref = basehead.partition("..")
    base, head = resolve(fake, base_ref), resolve(fake, head_ref)
    if not sep or base is None or head is None:
        raise fail(404, "Not Found", doc=DOC)
    repo, base_sha = base
    if head[0] is not repo:
        raise fail(404, "Not Found", doc=DOC)
    head_sha = head[1]
    merge_base = repo.merge_base(base_sha, head_sha)
    ahead = repo.run("rev-list", "--reverse", f"{merge_base}..{head_sha}").decode().split()
    behind = repo.run("rev-list", f"{merge_base}..{base_sha}").decode().split()
    status = {(False, False): "identical", (True, False): "ahead", (False, True): "behind"}.get(
        (bool(ahead), bool(behind)), "diverged")
    raw = parse_raw_z(repo.run("diff", *_DIFF, "--raw", "-z", "--no-abbrev", merge_base, head_sha))
    numstat = parse_numstat_z(repo.run("diff", *_DIFF, "--numstat", "-z", merge_base, head_sha))
    sections = split_patch_sections(repo.run("diff", *_DIFF, "-p", "-U3", merge_base, head_sha))
    files = []
    for rec in build_file_records(raw, numstat, sections):
        q = urllib.parse.quote(str(rec["filename"]))
        files.append({**rec, "blob_url": f"{fake.repo_web}/blob/{head_sha}/{q}",
                      "raw_url": f"{fake.repo_web}/raw/{head_sha}/{q}",
                      "contents_url": f"{fake.repo_api}/contents/{q}?ref={head_sha}"})
    spec = urllib.parse.quote(basehead, safe="")
    return {
        "url": f"{fake.repo_api}/compare/{spec}",
        "html_url": f"{fake.repo_web}/compare/{spec}",
        "permalink_url": f"{fake.repo_web}/compare/{fake.owner}:{base_sha[:7]}...{fake.owner}:{head_sha[:7]}",
        "diff_url": f"{fake.repo_web}/compare/{spec}.diff",
        "patch_url": f"{fake.repo_web}/compare/{spec}.patch",
        "base_commit": commit_json(fake, repo, base_sha),
        "merge_base_commit": commit_json(fake, repo, merge_base),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [commit_json(fake, repo, sha) for sha in ahead[:250]],
        "files": files[:MAX_FILES],
    }
