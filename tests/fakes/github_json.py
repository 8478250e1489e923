"""JSON shapes of GitHub REST objects, with every API URL built from the fake's own base."""

from __future__ import annotations

import base64
import urllib.parse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub
    from tests.support.gitrepo import PullFixture

BOT_LOGIN = "github-actions[bot]"
BOT_ID = 41898282
REPO_ID = 1296269


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# types whose REST ``node_id`` (and GraphQL ``id``) GitHub now writes in the next-generation form
# ``PREFIX_`` + unpadded base64url of msgpack ``[0, repository id, database id]``; users, bots and
# git objects keep the legacy ``base64("0<len>:<Type><id>")`` form
NEXT_GEN = {
    "PullRequestReviewComment": "PRRC",
    "PullRequestReviewThread": "PRRT",
    "PullRequestReview": "PRR",
    "PullRequest": "PR",
    "IssueComment": "IC",
    "Issue": "I",
}


def node_id(kind: str, ident: int) -> str:
    if kind in NEXT_GEN:
        return gid(NEXT_GEN[kind], REPO_ID, ident)
    return base64.b64encode(f"0{len(kind)}:{kind}{ident}".encode()).decode()


def _msgpack_uint(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    for tag, size in ((0xCC, 1), (0xCD, 2), (0xCE, 4), (0xCF, 8)):
        if n < 1 << (8 * size):
            return bytes([tag]) + n.to_bytes(size, "big")
    raise ValueError(n)


def gid(prefix: str, *parts: int) -> str:
    """A next-generation global id: ``gid("PRRC", repo_id, 42)`` -> ``PRRC_kwDO…``."""
    packed = bytes([0x90 + len(parts) + 1, 0]) + b"".join(map(_msgpack_uint, parts))
    return f"{prefix}_" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def quote(s: str) -> str:
    return urllib.parse.quote(s, safe="")


def user(fake: FakeGitHub, login: str, *, bot: bool = False, ident: int | None = None) -> dict[str, Any]:
    uid = ident if ident is not None else (BOT_ID if login == BOT_LOGIN else 1000 + sum(map(ord, login)))
    api = f"{fake.base_url}/users/{quote(login)}"
    return {
        "login": login,
        "id": uid,
        "node_id": node_id("Bot" if bot else "User", uid),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{fake.web_url}/apps/{login.removesuffix('[bot]')}" if bot else f"{fake.web_url}/{login}",
        "followers_url": f"{api}/followers",
        "repos_url": f"{api}/repos",
        "type": "Bot" if bot else "User",
        "user_view_type": "public",
        "site_admin": False,
    }


def bot(fake: FakeGitHub) -> dict[str, Any]:
    """The token's own identity, the author of everything the client writes: ``fake.viewer_login``,
    the Actions bot by default (a ``…[bot]`` login is a Bot, any other a User, as for a PAT)."""
    login = getattr(fake, "viewer_login", BOT_LOGIN)
    return user(fake, login, bot=login.endswith("[bot]"))


def repository(fake: FakeGitHub, owner: str | None = None, name: str | None = None, *, fork: bool = False) -> dict:
    owner = owner or fake.owner
    name = name or fake.repo
    own = owner == fake.owner and name == fake.repo
    ident = REPO_ID if own else REPO_ID + 1 + sum(map(ord, owner))
    api = f"{fake.base_url}/repos/{owner}/{name}"
    return {
        "id": ident,
        "node_id": node_id("Repository", ident),
        "name": name,
        "full_name": f"{owner}/{name}",
        "owner": user(fake, owner),
        "private": False,
        "html_url": f"{fake.web_url}/{owner}/{name}",
        "description": "A fake repository",
        "fork": fork,
        "url": api,
        "pulls_url": f"{api}/pulls{{/number}}",
        "issues_url": f"{api}/issues{{/number}}",
        "contents_url": f"{api}/contents/{{+path}}",
        "clone_url": f"{fake.web_url}/{owner}/{name}.git",
        "default_branch": fake.default_branch,
        "visibility": "public",
        "archived": False,
        "disabled": False,
        "has_issues": True,
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "pushed_at": "2024-01-01T00:00:00Z",
    }


def pull(fake: FakeGitHub, pr: PullFixture) -> dict[str, Any]:
    api = f"{fake.repo_api}/pulls/{pr.number}"
    issue_api = f"{fake.repo_api}/issues/{pr.number}"
    html = f"{fake.repo_web}/pull/{pr.number}"
    merged = pr.state == "merged"
    head_repo = repository(fake, "contributor", fake.repo, fork=True) if pr.fork else repository(fake)
    head_owner = head_repo["owner"]["login"]
    author = user(fake, pr.author)
    return {
        "url": api,
        "id": 500000000 + pr.number,
        "node_id": node_id("PullRequest", 500000000 + pr.number),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue_api,
        "commits_url": f"{api}/commits",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": f"{fake.repo_api}/pulls/comments{{/number}}",
        "comments_url": f"{issue_api}/comments",
        "statuses_url": f"{fake.repo_api}/statuses/{pr.head_sha}",
        "number": pr.number,
        "state": "closed" if merged else pr.state,
        "locked": False,
        "title": pr.title,
        "user": author,
        "body": pr.body,
        "labels": [fake.label_json(n) for n in pr.labels],
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "closed_at": None,
        "merged_at": None,
        "merge_commit_sha": None,
        "assignees": [],
        "requested_reviewers": [],
        "draft": pr.draft,
        "head": {
            "label": f"{head_owner}:{pr.head_ref}",
            "ref": pr.head_ref,
            "sha": pr.head_sha,
            "user": head_repo["owner"],
            "repo": head_repo,
        },
        "base": {
            "label": f"{fake.owner}:{pr.base_ref}",
            "ref": pr.base_ref,
            "sha": pr.base_sha,
            "user": user(fake, fake.owner),
            "repo": repository(fake),
        },
        "author_association": "CONTRIBUTOR" if pr.fork else "MEMBER",
        "merged": merged,
        "mergeable": None,
        "rebaseable": None,
        "mergeable_state": "unknown",
        "comments": sum(1 for c in fake.issue_comments if c["issue_url"] == issue_api),
        "review_comments": sum(1 for c in fake.review_comments if c["pull_request_url"] == api),
        "maintainer_can_modify": False,
        "commits": len(pr.commits),
        "additions": pr.additions,
        "deletions": pr.deletions,
        "changed_files": pr.changed_files,
    }


def pull_file(fake: FakeGitHub, pr: PullFixture, rec: dict[str, Any]) -> dict[str, Any]:
    name = rec["filename"]
    q = urllib.parse.quote(name)
    out = dict(rec)
    out["blob_url"] = f"{fake.repo_web}/blob/{pr.head_sha}/{q}"
    out["raw_url"] = f"{fake.repo_web}/raw/{pr.head_sha}/{q}"
    out["contents_url"] = f"{fake.repo_api}/contents/{q}?ref={pr.head_sha}"
    return out


def content_item(fake: FakeGitHub, path: str, kind: str, sha: str, size: int, ref: str) -> dict[str, Any]:
    q = urllib.parse.quote(path)
    api = f"{fake.repo_api}/contents/{q}?ref={urllib.parse.quote(ref, safe='')}"
    git_url = f"{fake.repo_api}/git/{'trees' if kind == 'dir' else 'blobs'}/{sha}"
    html = f"{fake.repo_web}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{q}"
    return {
        "type": kind,
        "size": size,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "url": api,
        "git_url": git_url,
        "html_url": html,
        "download_url": f"{fake.raw_url}/{fake.owner}/{fake.repo}/{ref}/{q}" if kind == "file" else None,
        "_links": {"self": api, "git": git_url, "html": html},
    }


def b64_wrapped(data: bytes) -> str:
    """Base64 the way GitHub sends it: a newline every 60 characters."""
    enc = base64.b64encode(data).decode()
    return "".join(enc[i : i + 60] + "\n" for i in range(0, len(enc), 60))


def review(fake: FakeGitHub, number: int, ident: int, *, body: str, state: str, commit_id: str) -> dict:
    html = f"{fake.repo_web}/pull/{number}#pullrequestreview-{ident}"
    pr_api = f"{fake.repo_api}/pulls/{number}"
    out: dict[str, Any] = {
        "id": ident,
        "node_id": node_id("PullRequestReview", ident),
        "user": bot(fake),
        "body": body,
        "state": state,
        "html_url": html,
        "pull_request_url": pr_api,
        "author_association": "NONE",
        "_links": {"html": {"href": html}, "pull_request": {"href": pr_api}},
        "commit_id": commit_id,
    }
    if state != "PENDING":
        out["submitted_at"] = now()
    return out


def issue_comment(fake: FakeGitHub, number: int, ident: int, body: str) -> dict[str, Any]:
    ts = now()
    return {
        "id": ident,
        "node_id": node_id("IssueComment", ident),
        "url": f"{fake.repo_api}/issues/comments/{ident}",
        "html_url": f"{fake.repo_web}/issues/{number}#issuecomment-{ident}",
        "issue_url": f"{fake.repo_api}/issues/{number}",
        "body": body,
        "user": bot(fake),
        "created_at": ts,
        "updated_at": ts,
        "author_association": "NONE",
    }


def label(fake: FakeGitHub, ident: int, name: str, color: str = "ededed", description: str | None = None) -> dict:
    return {
        "id": ident,
        "node_id": node_id("Label", ident),
        "url": f"{fake.repo_api}/labels/{quote(name)}",
        "name": name,
        "color": color,
        "default": False,
        "description": description,
    }
