"""``POST /graphql`` (GHES: ``/api/graphql``): GitHub's GraphQL API over the fake's state.

Every request goes through what GitHub does, in GitHub's order and with GitHub's answers (all HTTP 200):

1. parse and validate against GitHub's real schema (``tests/data/github-graphql-subset.graphql``, from
   the npm package ``@octokit/graphql-schema``): ``{"errors": […]}`` in graphql-ruby's words, no ``data``;
2. coerce the variables (same shape);
3. check pagination: every connection needs ``first`` or ``last``, at most 100
   (``MISSING_PAGINATION_BOUNDARIES``, ``EXCESSIVE_PAGINATION``), at most 500,000 nodes in all
   (``MAX_NODE_LIMIT_EXCEEDED``); and compute the cost as GitHub documents it (the requests needed for
   each connection, divided by 100, at least 1);
4. charge the points budget (``fake.graphql_rate_limit`` an hour, ``x-ratelimit-resource: graphql``),
   or ``{"errors": [{"type": "RATE_LIMITED", …}]}``;
5. execute with resolvers over the same reviews and comments the REST routes serve
   (``github_graphql_model``, ``github_graphql_roots``): typed errors (``NOT_FOUND``, ``FORBIDDEN`` for
   any mutation when ``fake.read_only``) come with ``data`` and a null where they struck.

Every request is recorded in ``fake.calls`` (path ``/graphql``, so ``fake.inject("POST", "^/graphql$", …)``
works) and, once parsed, in ``fake.graphql_ops`` (:class:`Operation`).
"""

from __future__ import annotations

import functools
import json
import re
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLSchema,
    GraphQLSkipDirective,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    execute_sync,
    get_named_type,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values, get_variable_values

from tests.fakes.github_graphql_errors import syntax_error, validation_error, variable_error
from tests.fakes.github_graphql_model import Ctx, Failure
from tests.fakes.github_graphql_roots import root
from tests.fakes.github_server import ROUTES, Request, Response, Route

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "data" / "github-graphql-subset.graphql"
MAX_PAGE = 100
MAX_NODES = 500_000
INTERNAL = "Something went wrong while executing your query. Please include `{rid}` when reporting this issue."


@functools.cache
def schema() -> GraphQLSchema:
    return build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))


def endpoint_path(prefix: str) -> str:
    """Where GraphQL lives for a REST path prefix, as PyGithub derives it: ``/api/v3`` -> ``/api/graphql``."""
    return prefix.rstrip("/").removesuffix("/v3") + "/graphql"


@dataclass
class Operation:
    """One GraphQL request the fake parsed: ``kind`` query or mutation, its ``name``, top-level ``fields``
    (field names, not aliases, in order), ``cost`` in points, and the ``errors`` it answered (messages)."""

    kind: str
    name: str | None
    fields: list[str]
    cost: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Analysis:
    errors: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    nodes: int = 0
    expressions: list[str] = field(default_factory=list)

    @property
    def cost(self) -> int:
        return max(1, round(self.requests / 100))


def _loc(node: Any) -> list[dict[str, int]]:
    return [{"line": node.loc.start_token.line, "column": node.loc.start_token.column}] if node.loc else []


def analyse(s: GraphQLSchema, doc: Any, op: OperationDefinitionNode, variables: VariableValues) -> Analysis:
    """Pagination limits, node count and cost; the ``object`` expressions to fetch from git at once."""
    out = Analysis()
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}

    def included(node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, variables)
        include = get_directive_values(GraphQLIncludeDirective, node, variables)
        return not (skip and skip["if"]) and not (include and not include["if"])

    def walk(selections: Any, parent: Any, path: list[str], mult: int) -> None:
        for sel in selections.selections:
            if not included(sel):
                continue
            if isinstance(sel, InlineFragmentNode):
                walk(
                    sel.selection_set,
                    s.get_type(sel.type_condition.name.value) if sel.type_condition else parent,
                    path,
                    mult,
                )
                continue
            if not isinstance(sel, FieldNode):
                frag = fragments[sel.name.value]
                walk(frag.selection_set, s.get_type(frag.type_condition.name.value), path, mult)
                continue
            fdef = parent.fields.get(sel.name.value)
            if fdef is None:  # __typename and friends
                continue
            args = get_argument_values(fdef, sel, variables)
            here, kind, inner = [*path, (sel.alias or sel.name).value], get_named_type(fdef.type), mult
            if parent.name == "Repository" and sel.name.value == "object":
                out.expressions.append(str(args.get("oid") or args.get("expression") or ""))
            if kind.name.endswith("Connection"):
                inner = connection_limits(out, sel, args, here, mult)
            if sel.selection_set is not None:
                walk(sel.selection_set, kind, here, inner)

    root_type = s.mutation_type if op.operation == OperationType.MUTATION else s.query_type
    walk(op.selection_set, root_type, [], 1)
    return out


def connection_limits(out: Analysis, sel: FieldNode, args: dict[str, Any], path: list[str], mult: int) -> int:
    name = sel.name.value
    first, last = args.get("first"), args.get("last")
    size = first if first is not None else last
    if size is None:
        message = f"You must provide a `first` or `last` value to properly paginate the `{name}` connection."
        out.errors.append(typed("MISSING_PAGINATION_BOUNDARIES", path, sel, message))
        return 0
    if size > MAX_PAGE:
        which = "first" if first is not None else "last"
        message = (
            f"Requesting {size} records on the `{name}` connection exceeds the `{which}` limit of {MAX_PAGE} records."
        )
        out.errors.append(typed("EXCESSIVE_PAGINATION", path, sel, message))
        return 0
    out.requests += mult
    out.nodes += mult * max(size, 0)
    if out.nodes > MAX_NODES and not any(e["type"] == "MAX_NODE_LIMIT_EXCEEDED" for e in out.errors):
        message = (
            f"By the time this query traverses to the {name} connection, it is requesting up to {out.nodes:,} "
            f"possible nodes which exceeds the maximum limit of {MAX_NODES:,}."
        )
        out.errors.append({"message": message, "type": "MAX_NODE_LIMIT_EXCEEDED"})
    return mult * max(size, 0)


def typed(kind: str, path: list[Any], node: Any, message: str) -> dict[str, Any]:
    return {"type": kind, "path": path, "locations": _loc(node), "message": message}


def _ratelimit_headers(fake: FakeGitHub) -> dict[str, str]:
    remaining = max(fake.graphql_rate_remaining, 0)
    return {
        "x-ratelimit-limit": str(fake.graphql_rate_limit),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(fake.graphql_rate_reset),
        "x-ratelimit-used": str(fake.graphql_rate_limit - remaining),
        "x-ratelimit-resource": "graphql",
    }


def handle(fake: FakeGitHub, req: Request) -> Response:
    if time.time() >= fake.graphql_rate_reset:
        fake.graphql_rate_remaining, fake.graphql_rate_reset = fake.graphql_rate_limit, int(time.time()) + 3600

    def answer(payload: dict[str, Any], op: Operation | None = None) -> Response:
        if op is not None:
            op.errors = [str(e.get("message")) for e in payload.get("errors", [])]
            fake.graphql_ops.append(op)
        return Response(200, payload, _ratelimit_headers(fake))

    body = req.json if isinstance(req.json, dict) else {}
    query, variables = body.get("query"), body.get("variables")
    if not isinstance(query, str):
        return answer({"errors": [{"message": "A query attribute must be specified and must be a string."}]})
    if isinstance(variables, str):
        try:
            variables = json.loads(variables) if variables.strip() else {}
        except ValueError:
            variables = None
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        return answer({"errors": [{"message": "Variables are invalid JSON."}]})
    s = schema()
    try:
        doc = parse(query)
    except GraphQLSyntaxError as e:
        return answer({"errors": [syntax_error(query, e)]})
    op_name = body.get("operationName") or None
    op_node = get_operation_ast(doc, op_name)
    fields = (
        [sel.name.value for sel in op_node.selection_set.selections if isinstance(sel, FieldNode)] if op_node else []
    )
    op = Operation(
        op_node.operation.value if op_node else "query",
        op_node.name.value if op_node and op_node.name else None,
        fields,
    )
    if errors := validate(s, doc):
        return answer({"errors": [validation_error(s, doc, e) for e in errors]}, op)
    if op_node is None:
        message = f'No operation named "{op_name}"' if op_name else "An operation name is required"
        return answer({"errors": [{"message": message}]}, op)
    coerced = get_variable_values(s, op_node.variable_definitions or (), variables)
    if isinstance(coerced, list):
        return answer({"errors": [variable_error(s, op_node, variables, e) for e in coerced]}, op)
    plan = analyse(s, doc, op_node, coerced)
    if plan.errors:
        return answer({"errors": plan.errors}, op)
    op.cost = plan.cost
    if fake.graphql_rate_remaining < plan.cost:
        fake.graphql_rate_remaining = 0
        return answer(
            {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for installation ID 1."}]}, op
        )
    fake.graphql_rate_remaining -= plan.cost
    ctx = Ctx(fake, cost=plan.cost, node_count=plan.nodes, expressions=plan.expressions)
    result = execute_sync(s, doc, root(ctx), ctx, variables, op_name)
    payload: dict[str, Any] = {"data": result.data}
    errors = [executed_error(fake, e) for e in result.errors or []] + ctx.extra_errors
    if errors:
        payload["errors"] = errors
    return answer(payload, op)


def executed_error(fake: FakeGitHub, err: GraphQLError) -> dict[str, Any]:
    where = [loc.formatted for loc in err.locations or []]
    cause = err.original_error
    if isinstance(cause, Failure):
        out: dict[str, Any] = {"type": cause.kind, "path": err.path}
        if cause.extensions is not None:
            out["extensions"] = cause.extensions
        return {**out, "locations": where, "message": err.message}
    # anything else is a bug in the fake (a resolver that raised, a null for a non-null field)
    fake.server_errors.append(
        f"GraphQL {err.path}: {err.message}\n" + "".join(traceback.format_exception(cause or err))
    )
    return {"path": err.path, "locations": where, "message": INTERNAL.format(rid="FAKE:GRAPHQL")}


ROUTES.append(Route("POST", re.compile(r"^/graphql/?$"), handle, False))  # not a REST write: no 403 when read-only
