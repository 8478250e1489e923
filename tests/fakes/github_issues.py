"""Routes: issues (pull requests are issues too), issue comments, labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes import github_json as J
from tests.fakes.github_server import HttpError, Request, Response, fail, not_found, paginate, route

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub

MAX_BODY = 65536
TOO_LONG = "Body is too long (maximum is 65536 characters)"


def too_long(resource: str) -> HttpError:
    err = {"resource": resource, "code": "custom", "field": "body", "message": TOO_LONG}
    return fail(422, "Validation Failed", [err])


def _label_names(raw: Any) -> list[str]:
    names = []
    for item in raw or []:
        name = item.get("name") if isinstance(item, dict) else str(item)
        if name and name not in names:
            names.append(name)
    return names


def pr_as_issue(fake: FakeGitHub, number: int) -> dict[str, Any]:
    pr = fake.pulls[number]
    p = J.pull(fake, pr)
    out = {
        k: p[k]
        for k in (
            "id",
            "node_id",
            "number",
            "title",
            "user",
            "labels",
            "state",
            "locked",
            "assignees",
            "comments",
            "created_at",
            "updated_at",
            "closed_at",
            "body",
            "author_association",
        )
    }
    out.update(
        url=p["issue_url"],
        html_url=p["html_url"],
        repository_url=fake.repo_api,
        labels_url=f"{p['issue_url']}/labels{{/name}}",
        comments_url=p["comments_url"],
        events_url=f"{p['issue_url']}/events",
        assignee=None,
        milestone=None,
        draft=pr.draft,
        state_reason=None,
        pull_request={
            "url": p["url"],
            "html_url": p["html_url"],
            "diff_url": p["diff_url"],
            "patch_url": p["patch_url"],
            "merged_at": None,
        },
    )
    return out


def find_issue(fake: FakeGitHub, number: str | int) -> dict[str, Any]:
    n = int(number)
    for issue in fake.issues:
        if issue["number"] == n:
            issue["comments"] = sum(1 for c in fake.issue_comments if c["issue_url"] == issue["url"])
            return issue
    if n in fake.pulls:
        return pr_as_issue(fake, n)
    raise not_found()


@route("GET", r"{repo}/issues")
def list_issues(fake: FakeGitHub, req: Request) -> Any:
    state = req.query.get("state", "open")
    wanted = [w.strip().lower() for w in req.query.get("labels", "").split(",") if w.strip()]
    creator = req.query.get("creator")
    items = [find_issue(fake, i["number"]) for i in fake.issues] + [pr_as_issue(fake, n) for n in fake.pulls]
    out = []
    for it in items:
        names = {lab["name"].lower() for lab in it["labels"]}
        if state != "all" and it["state"] != state:
            continue
        if any(w not in names for w in wanted) or (creator and it["user"]["login"] != creator):
            continue
        out.append(it)
    key = "updated_at" if req.query.get("sort") == "updated" else "created_at"
    out.sort(key=lambda i: (i[key], i["number"]), reverse=req.query.get("direction", "desc") != "asc")
    return paginate(fake, req, out)


@route("POST", r"{repo}/issues")
def create_issue(fake: FakeGitHub, req: Request) -> Any:
    data = req.json or {}
    title = data.get("title")
    if title in (None, ""):
        raise fail(422, "Validation Failed", [{"resource": "Issue", "code": "missing_field", "field": "title"}])
    body = data.get("body")
    if body is not None and len(body) > MAX_BODY:
        raise too_long("Issue")
    number = fake.next_issue_number()
    api = f"{fake.repo_api}/issues/{number}"
    ts = J.now()
    issue = {
        "id": 3_000_000_000 + number,
        "node_id": J.node_id("Issue", number),
        "url": api,
        "repository_url": fake.repo_api,
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": f"{fake.repo_web}/issues/{number}",
        "number": number,
        "title": str(title),
        "user": J.bot(fake),
        "labels": [fake.label_json(n) for n in _label_names(data.get("labels"))],
        "state": "open",
        "state_reason": None,
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": 0,
        "created_at": ts,
        "updated_at": ts,
        "closed_at": None,
        "author_association": "NONE",
        "body": body,
    }
    fake.issues.append(issue)
    return Response(201, issue)


@route("GET", r"{repo}/issues/(?P<number>\d+)")
def get_issue(fake: FakeGitHub, req: Request, number: str) -> Any:
    return find_issue(fake, number)


@route("PATCH", r"{repo}/issues/(?P<number>\d+)")
def edit_issue(fake: FakeGitHub, req: Request, number: str) -> Any:
    issue = find_issue(fake, number)
    if int(number) in fake.pulls and issue not in fake.issues:
        pr = fake.pulls[int(number)]
        data = req.json or {}
        if "labels" in data:
            pr.labels = _label_names(data["labels"])
        if data.get("title"):
            pr.title = str(data["title"])
        return pr_as_issue(fake, pr.number)
    data = req.json or {}
    if data.get("body") is not None and len(data["body"]) > MAX_BODY:
        raise too_long("Issue")
    for key in ("title", "body", "state_reason"):
        if key in data:
            issue[key] = data[key]
    if "state" in data:
        issue["state"] = data["state"]
        issue["closed_at"] = J.now() if data["state"] == "closed" else None
        if data["state"] == "closed" and not data.get("state_reason"):
            issue["state_reason"] = "completed"
    if "labels" in data:
        issue["labels"] = [fake.label_json(n) for n in _label_names(data["labels"])]
    issue["updated_at"] = J.now()
    return issue


@route("POST", r"{repo}/issues/(?P<number>\d+)/labels")
def add_issue_labels(fake: FakeGitHub, req: Request, number: str) -> Any:
    issue = find_issue(fake, number)
    data = req.json
    names = _label_names(data.get("labels") if isinstance(data, dict) else data)
    current = [lab["name"] for lab in issue["labels"]]
    merged = current + [n for n in names if n.lower() not in {c.lower() for c in current}]
    if issue in fake.issues:
        issue["labels"] = [fake.label_json(n) for n in merged]
    else:
        fake.pulls[int(number)].labels = merged
    return [fake.label_json(n) for n in merged]


@route("DELETE", r"{repo}/issues/(?P<number>\d+)/labels/(?P<name>[^/]+)")
def remove_issue_label(fake: FakeGitHub, req: Request, number: str, name: str) -> Any:
    issue = find_issue(fake, number)
    left = [lab["name"] for lab in issue["labels"] if lab["name"].lower() != name.lower()]
    if len(left) == len(issue["labels"]):
        raise fail(404, "Label does not exist")
    if issue in fake.issues:
        issue["labels"] = [fake.label_json(n) for n in left]
    else:
        fake.pulls[int(number)].labels = left
    return [fake.label_json(n) for n in left]


@route("GET", r"{repo}/issues/(?P<number>\d+)/comments")
def list_issue_comments(fake: FakeGitHub, req: Request, number: str) -> Any:
    issue = find_issue(fake, number)
    return paginate(fake, req, [c for c in fake.issue_comments if c["issue_url"] == issue["url"]])


@route("POST", r"{repo}/issues/(?P<number>\d+)/comments")
def create_issue_comment(fake: FakeGitHub, req: Request, number: str) -> Any:
    issue = find_issue(fake, number)
    body = (req.json or {}).get("body") or ""
    if len(body) > MAX_BODY:
        raise too_long("IssueComment")
    comment = J.issue_comment(fake, issue["number"], fake.next_id("issue_comment"), body)
    fake.issue_comments.append(comment)
    return Response(201, comment)


def _comment(fake: FakeGitHub, comment_id: str) -> dict[str, Any]:
    for c in fake.issue_comments:
        if c["id"] == int(comment_id):
            return c
    raise not_found()


@route("GET", r"{repo}/issues/comments/(?P<comment_id>\d+)")
def get_issue_comment(fake: FakeGitHub, req: Request, comment_id: str) -> Any:
    return _comment(fake, comment_id)


@route("PATCH", r"{repo}/issues/comments/(?P<comment_id>\d+)")
def edit_issue_comment(fake: FakeGitHub, req: Request, comment_id: str) -> Any:
    c = _comment(fake, comment_id)
    body = (req.json or {}).get("body") or ""
    if len(body) > MAX_BODY:
        raise too_long("IssueComment")
    c.update(body=body, updated_at=J.now())
    return c


@route("DELETE", r"{repo}/issues/comments/(?P<comment_id>\d+)")
def delete_issue_comment(fake: FakeGitHub, req: Request, comment_id: str) -> Any:
    fake.issue_comments.remove(_comment(fake, comment_id))
    return Response(204, None)


@route("GET", r"{repo}/labels")
def list_labels(fake: FakeGitHub, req: Request) -> Any:
    return paginate(fake, req, fake.labels)


@route("GET", r"{repo}/labels/(?P<name>[^/]+)")
def get_label(fake: FakeGitHub, req: Request, name: str) -> Any:
    for lab in fake.labels:
        if lab["name"].lower() == name.lower():
            return lab
    raise not_found()


@route("POST", r"{repo}/labels")
def create_label(fake: FakeGitHub, req: Request) -> Any:
    data = req.json or {}
    name = str(data.get("name") or "")
    if any(lab["name"].lower() == name.lower() for lab in fake.labels):
        raise fail(422, "Validation Failed", [{"resource": "Label", "code": "already_exists", "field": "name"}])
    color = str(data.get("color") or "ededed").lstrip("#")
    return Response(201, fake.label_json(name, color, data.get("description")))
