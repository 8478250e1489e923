"""Regenerate ``tests/data/github-graphql-subset.graphql`` from GitHub's published GraphQL schema.

GitHub's schema ships in the MIT-licensed npm package ``@octokit/graphql-schema`` (``schema.graphql``).
The fake GitHub serves a few types of it; this keeps exactly those types and fields (``KEEP`` below),
with GitHub's own descriptions, argument lists and deprecations, plus every enum, input object and scalar
their arguments and fields use. Interfaces keep the listed fields and every kept implementer gets them.

Usage (from the repository root; needs ``npm`` and the registry, which tests never do)::

    python tests/data/make_github_graphql_subset.py            # npm pack @octokit/graphql-schema@VERSION
    python tests/data/make_github_graphql_subset.py path/to/schema.graphql   # an unpacked copy

To serve a new field: add it to ``KEEP``, rerun, and give it a resolver in ``tests/fakes/github_graphql*.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    print_ast,
)

PACKAGE = "@octokit/graphql-schema"
VERSION = "15.26.1"
OUT = Path(__file__).resolve().parent / "github-graphql-subset.graphql"
BUILTIN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}

GIT_OBJECT = ["abbreviatedOid", "commitResourcePath", "commitUrl", "id", "oid", "repository"]
CONNECTION = ["edges", "nodes", "pageInfo", "totalCount"]
EDGE = ["cursor", "node"]
PAYLOAD = ["clientMutationId"]
COMMENT = [
    "author",
    "authorAssociation",
    "body",
    "bodyText",
    "createdAt",
    "databaseId",
    "fullDatabaseId",
    "id",
    "isMinimized",
    "lastEditedAt",
    "minimizedReason",
    "publishedAt",
    "updatedAt",
    "url",
    "viewerCanDelete",
    "viewerCanMinimize",
    "viewerCanUpdate",
    "viewerDidAuthor",
]

# type name -> fields kept (object types and interfaces; everything else is kept whole when reached)
KEEP: dict[str, list[str]] = {
    "Query": ["node", "nodes", "rateLimit", "repository", "viewer"],
    "Mutation": ["minimizeComment", "resolveReviewThread", "unminimizeComment", "unresolveReviewThread"],
    "Node": ["id"],
    "Actor": ["avatarUrl", "login", "resourcePath", "url"],
    "GitObject": GIT_OBJECT,
    "Minimizable": ["isMinimized", "minimizedReason", "viewerCanMinimize"],
    "User": ["databaseId", "id", "name"],
    "Bot": ["databaseId", "id"],
    "Repository": ["databaseId", "id", "name", "nameWithOwner", "object", "pullRequest", "url"],
    "PullRequest": [
        "author",
        "baseRefName",
        "baseRefOid",
        "body",
        "comments",
        "commits",
        "databaseId",
        "fullDatabaseId",
        "headRefName",
        "headRefOid",
        "id",
        "isDraft",
        "number",
        "repository",
        "reviewThreads",
        "reviews",
        "state",
        "title",
        "url",
    ],
    "PullRequestReviewThread": [
        "comments",
        "diffSide",
        "id",
        "isCollapsed",
        "isOutdated",
        "isResolved",
        "line",
        "originalLine",
        "originalStartLine",
        "path",
        "pullRequest",
        "repository",
        "resolvedBy",
        "startDiffSide",
        "startLine",
        "subjectType",
        "viewerCanReply",
        "viewerCanResolve",
        "viewerCanUnresolve",
    ],
    "PullRequestReviewComment": [
        *COMMENT,
        "commit",
        "diffHunk",
        "line",
        "originalCommit",
        "originalLine",
        "originalStartLine",
        "outdated",
        "path",
        "pullRequest",
        "pullRequestReview",
        "replyTo",
        "repository",
        "startLine",
        "state",
        "subjectType",
    ],
    "PullRequestReview": [*COMMENT, "comments", "commit", "pullRequest", "repository", "state", "submittedAt"],
    "IssueComment": [*COMMENT, "pullRequest", "repository"],
    "Blob": [*GIT_OBJECT, "byteSize", "isBinary", "isTruncated", "text"],
    "Commit": [*GIT_OBJECT, "message", "url"],
    "Tree": [*GIT_OBJECT, "entries"],
    "TreeEntry": ["mode", "name", "oid", "path", "type"],
    "RateLimit": ["cost", "limit", "nodeCount", "remaining", "resetAt", "used"],
    "PageInfo": ["endCursor", "hasNextPage", "hasPreviousPage", "startCursor"],
    "PullRequestCommit": ["commit", "id", "pullRequest", "url"],
    "PullRequestCommitConnection": CONNECTION,
    "PullRequestCommitEdge": EDGE,
    "PullRequestReviewThreadConnection": CONNECTION,
    "PullRequestReviewThreadEdge": EDGE,
    "PullRequestReviewCommentConnection": CONNECTION,
    "PullRequestReviewCommentEdge": EDGE,
    "PullRequestReviewConnection": CONNECTION,
    "PullRequestReviewEdge": EDGE,
    "IssueCommentConnection": CONNECTION,
    "IssueCommentEdge": EDGE,
    "ResolveReviewThreadPayload": [*PAYLOAD, "thread"],
    "UnresolveReviewThreadPayload": [*PAYLOAD, "thread"],
    "MinimizeCommentPayload": [*PAYLOAD, "minimizedComment"],
    "UnminimizeCommentPayload": [*PAYLOAD, "unminimizedComment"],
}


def named(t: TypeNode) -> str:
    while isinstance(t, NonNullTypeNode | ListTypeNode):
        t = t.type
    return t.name.value  # type: ignore[attr-defined, no-any-return]


def fetch_schema(workdir: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{VERSION}", "--json"], cwd=workdir, check=True, capture_output=True, text=True
    )
    tarball = workdir / json.loads(out.stdout)[0]["filename"]
    with tarfile.open(tarball) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package" / "schema.graphql"


def subset(doc: DocumentNode) -> DocumentNode:
    defs = {d.name.value: d for d in doc.definitions if hasattr(d, "name")}
    interface_fields = {
        n: set(KEEP[n]) for n, d in defs.items() if n in KEEP and isinstance(d, InterfaceTypeDefinitionNode)
    }
    kept: dict[str, Any] = {}
    todo = list(KEEP)
    while todo:
        name = todo.pop()
        if name in kept or name in BUILTIN_SCALARS:
            continue
        node = defs.get(name)
        if node is None:
            raise SystemExit(f"{name} is not in GitHub's schema")
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            if name not in KEEP:
                raise SystemExit(f"{name} is reached but not listed in KEEP: list the fields to serve")
            ifaces = [i for i in node.interfaces or () if i.name.value in interface_fields]
            wanted = set(KEEP[name]).union(*(interface_fields[i.name.value] for i in ifaces))
            fields = [f for f in node.fields or () if f.name.value in wanted]
            missing = wanted - {f.name.value for f in fields}
            if missing:
                raise SystemExit(f"{name} has no field(s) {sorted(missing)}")
            for f in fields:
                todo.append(named(f.type))
                todo.extend(named(a.type) for a in f.arguments or ())
            kept[name] = with_(node, interfaces=tuple(ifaces), directives=(), fields=tuple(map(clean_field, fields)))
        elif isinstance(node, InputObjectTypeDefinitionNode):
            todo.extend(named(f.type) for f in node.fields or ())
            kept[name] = node
        elif isinstance(node, UnionTypeDefinitionNode):
            raise SystemExit(f"union {name} is reached: not supported by this script")
        elif isinstance(node, EnumTypeDefinitionNode | ScalarTypeDefinitionNode):
            kept[name] = node
    ordered = [kept[n] for n in sorted(kept)]
    return DocumentNode(definitions=tuple(strip_capabilities(d) for d in ordered))


def with_(node: Any, **changes: Any) -> Any:
    return dataclasses.replace(node, **changes)  # graphql-core 3.3 AST nodes are frozen dataclasses


def deprecations(node: Any) -> tuple[Any, ...]:
    """Keep ``@deprecated``; drop GitHub's ``@requiredCapabilities`` (a directive the subset does not define)."""
    return tuple(d for d in getattr(node, "directives", ()) or () if d.name.value == "deprecated")


def clean_field(f: Any) -> Any:
    args = tuple(with_(a, directives=deprecations(a)) for a in f.arguments or ())
    return with_(f, arguments=args, directives=deprecations(f))


def strip_capabilities(node: Any) -> Any:
    if isinstance(node, EnumTypeDefinitionNode):
        values = tuple(with_(v, directives=deprecations(v)) for v in node.values or ())
        return with_(node, values=values, directives=())
    if isinstance(node, InputObjectTypeDefinitionNode):
        fields = tuple(with_(f, directives=deprecations(f)) for f in node.fields or ())
        return with_(node, fields=fields, directives=())
    if isinstance(node, ScalarTypeDefinitionNode):
        return with_(node, directives=())
    return node


def header(sha256: str, licence: str) -> str:
    lines = [
        f"Subset of GitHub's GraphQL schema: the npm package {PACKAGE} {VERSION}, file schema.graphql",
        f"(sha256 {sha256}).",
        "Generated by tests/data/make_github_graphql_subset.py: edit KEEP there and rerun, never this file.",
        "Licence of the source (MIT):",
        "",
        *licence.rstrip("\n").splitlines(),
    ]
    return "".join(f"# {line}".rstrip() + "\n" for line in lines) + "\n"


def main(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(argv[0]) if argv else fetch_schema(Path(tmp))
        raw = src.read_bytes()
        licence = (src.parent / "LICENSE.md").read_text(encoding="utf-8")  # the package's own licence file
    doc = subset(parse(raw.decode("utf-8"), no_location=True))
    text = header(hashlib.sha256(raw).hexdigest(), licence) + print_ast(doc) + "\n"
    build_ast_schema(parse(text))  # the subset must be a valid schema on its own
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text)} characters, {len(doc.definitions)} types)")


if __name__ == "__main__":
    main(sys.argv[1:])
