"""GitHub's shapes for GraphQL errors that arise before execution.

GitHub runs graphql-ruby; the fake validates with graphql-core against the same schema, so the same
queries fail, but graphql-core words its errors differently. This rewrites the common ones into
graphql-ruby's words and fields as GitHub returns them (HTTP 200, ``{"errors": […]}`` and no ``data``):

- ``{"path": ["query Name", "viewer", "foo"], "extensions": {"code": "undefinedField", "typeName": "User",
  "fieldName": "foo"}, "locations": [{"line": 1, "column": 12}], "message": "Field 'foo' doesn't exist on
  type 'User'"}``
- ``{"message": "Parse error on \\"}\\" (RCURLY) at [1, 21]", "locations": [{"line": 1, "column": 21}]}``
- ``{"extensions": {"value": "x", "problems": [{"path": [], "explanation": "Could not coerce value \\"x\\" to
  Int"}]}, "locations": […], "message": "Variable $n of type Int! was provided invalid value"}``

Anything not recognised keeps graphql-core's message (with its locations).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    Node,
    ObjectFieldNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Source,
    TokenKind,
    VariableDefinitionNode,
    get_named_type,
    print_ast,
)
from graphql.language import Lexer

TOKENS = {
    TokenKind.BRACE_L: "LCURLY",
    TokenKind.BRACE_R: "RCURLY",
    TokenKind.PAREN_L: "LPAREN",
    TokenKind.PAREN_R: "RPAREN",
    TokenKind.BRACKET_L: "LBRACKET",
    TokenKind.BRACKET_R: "RBRACKET",
    TokenKind.COLON: "COLON",
    TokenKind.DOLLAR: "VAR_SIGN",
    TokenKind.AT: "DIR_SIGN",
    TokenKind.SPREAD: "ELLIPSIS",
    TokenKind.EQUALS: "EQUALS",
    TokenKind.BANG: "BANG",
    TokenKind.PIPE: "PIPE",
    TokenKind.AMP: "AMP",
    TokenKind.INT: "INT",
    TokenKind.FLOAT: "FLOAT",
    TokenKind.STRING: "STRING",
    TokenKind.BLOCK_STRING: "STRING",
}
KEYWORDS = {"query", "mutation", "subscription", "fragment", "on", "true", "false", "null"}


def _locations(err: GraphQLError) -> list[dict[str, int]]:
    return [{"line": loc.line, "column": loc.column} for loc in err.locations or []]


def syntax_error(source: str, err: GraphQLSyntaxError) -> dict[str, Any]:
    """``Parse error on "}" (RCURLY) at [1, 21]``, or ``Unexpected end of document``."""
    loc = (err.locations or [None])[0]
    if loc is None:
        return {"message": err.message, "locations": []}
    lexer, token = Lexer(Source(source)), None
    try:
        while (token := lexer.advance()).kind != TokenKind.EOF:
            if (token.line, token.column) >= (loc.line, loc.column):
                break
    except GraphQLSyntaxError:  # the lexer stopped on a character GraphQL does not know
        line = source.splitlines()[loc.line - 1] if loc.line <= len(source.splitlines()) else ""
        column = min(loc.column, len(line)) or 1
        return parse_error(line[column - 1 : column], "error", loc.line, column)
    if token is None or token.kind == TokenKind.EOF:
        return {"message": "Unexpected end of document", "locations": []}
    value = token.value if token.value is not None else token.kind.value
    named = token.kind == TokenKind.NAME
    kind = value.upper() if named and value in KEYWORDS else TOKENS.get(token.kind, "IDENTIFIER")
    return parse_error(value, kind, token.line, token.column)


def parse_error(value: str, kind: str, line: int, column: int) -> dict[str, Any]:
    return {
        "message": f"Parse error on {json.dumps(value)} ({kind}) at [{line}, {column}]",
        "locations": [{"line": line, "column": column}],
    }


# -- where a node sits: graphql-ruby's "path" and the types around it --------------------------------------
def ancestry(doc: DocumentNode, target: Node) -> list[Node]:
    """``target`` and the nodes above it, outermost first (empty if it is not in ``doc``)."""
    stack: list[tuple[Node, list[Node]]] = [(doc, [])]
    while stack:
        node, above = stack.pop()
        if node is target:
            return [*above, node]
        for key in node.keys:
            value = getattr(node, key, None)
            for child in value if isinstance(value, tuple | list) else [value]:
                if isinstance(child, Node) and key != "loc":
                    stack.append((child, [*above, node]))
    return []


def label(node: Node) -> str | None:
    if isinstance(node, OperationDefinitionNode):
        return node.operation.value + (f" {node.name.value}" if node.name else "")
    if isinstance(node, FragmentDefinitionNode):
        return f"fragment {node.name.value}"
    if isinstance(node, FieldNode):
        return (node.alias or node.name).value
    if isinstance(node, InlineFragmentNode):
        return f"... on {node.type_condition.name.value}" if node.type_condition else "..."
    if isinstance(node, FragmentSpreadNode):
        return f"... {node.name.value}"
    if isinstance(node, ArgumentNode | ObjectFieldNode):
        return node.name.value
    return None


def input_type(schema: GraphQLSchema, chain: list[Node]) -> tuple[str, str, Any]:
    """For the innermost argument or input field in ``chain``: ("Field" or "InputObject", the field's or
    input object's name, the argument's type)."""
    parent: Any = None
    held: tuple[str, str, Any] = ("Field", "", None)
    for node in chain:
        if isinstance(node, OperationDefinitionNode):
            parent = schema.mutation_type if node.operation == OperationType.MUTATION else schema.query_type
        elif isinstance(node, FragmentDefinitionNode | InlineFragmentNode) and node.type_condition:
            parent = schema.get_type(node.type_condition.name.value)
        elif isinstance(node, FieldNode) and parent is not None and hasattr(parent, "fields"):
            fdef = parent.fields.get(node.name.value)
            held = ("Field", node.name.value, fdef)
            parent = get_named_type(fdef.type) if fdef else None
        elif isinstance(node, ArgumentNode) and held[2] is not None:
            arg = held[2].args.get(node.name.value)
            held = ("Field", held[1], arg.type if arg else None)
        elif isinstance(node, ObjectFieldNode) and isinstance(get_named_type(held[2]), GraphQLInputObjectType):
            obj = get_named_type(held[2])
            held = (
                "InputObject",
                obj.name,
                obj.fields[node.name.value].type if node.name.value in obj.fields else None,
            )
    return held


@dataclass
class Site:
    schema: GraphQLSchema
    doc: DocumentNode
    err: GraphQLError
    node: Node | None
    chain: list[Node]

    @property
    def path(self) -> list[str]:
        return [lab for n in self.chain if (lab := label(n)) is not None]

    def nearest(self, kind: Any, chain: list[Node] | None = None) -> Any:
        return next((n for n in reversed(self.chain if chain is None else chain) if isinstance(n, kind)), None)

    def op_name(self) -> str:
        op = self.nearest(OperationDefinitionNode)
        return op.name.value if op is not None and op.name else "anonymous query"


Rule = Callable[[re.Match[str], Site], tuple[list[str], dict[str, Any], str]]
RULES: list[tuple[re.Pattern[str], Rule]] = []


def rule(pattern: str) -> Callable[[Rule], Rule]:
    def deco(fn: Rule) -> Rule:
        RULES.append((re.compile(pattern), fn))
        return fn

    return deco


@rule(r"Cannot query field '(\w+)' on type '(\w+)'\.")
def _undefined_field(m: re.Match[str], at: Site) -> Any:
    f, t = m.groups()
    return (
        at.path,
        {"code": "undefinedField", "typeName": t, "fieldName": f},
        f"Field '{f}' doesn't exist on type '{t}'",
    )


@rule(r"Field '(\w+)' must not have a selection since type '\[*(\w+)[!\]]*' has no subfields\.")
def _selections_on_leaf(m: re.Match[str], at: Site) -> Any:
    f, t = m.groups()
    sel = at.node if isinstance(at.node, SelectionSetNode) else getattr(at.node, "selection_set", None)
    subs = ", ".join(label(s) or "..." for s in sel.selections) if sel else ""
    kind = "enums" if isinstance(at.schema.get_type(t), GraphQLEnumType) else "scalars"
    text = f"Selections can't be made on {kind} (field '{f}' returns {t} but has selections [{subs}])"
    return at.path, {"code": "selectionMismatch", "nodeName": f"field '{f}'", "typeName": t}, text


@rule(r"Field '(\w+)' of type '\[*(\w+)[!\]]*' must have a selection of subfields")
def _no_selections(m: re.Match[str], at: Site) -> Any:
    f, t = m.groups()
    text = f"Field must have selections (field '{f}' returns {t} but has no selections. Did you mean '{f} {{ ... }}'?)"
    return at.path, {"code": "selectionMismatch", "nodeName": f"field '{f}'", "typeName": t}, text


@rule(r"Argument '(?:\w+\.(\w+)|@(\w+))\((\w+):\)' of type '.+' is required, but it was not provided\.")
def _missing_argument(m: re.Match[str], at: Site) -> Any:
    f, d, a = m.groups()
    cls, name = ("Field", f) if f else ("Directive", d)
    ext = {"code": "missingRequiredArguments", "className": cls, "name": name, "arguments": a}
    return at.path, ext, f"{cls} '{name}' is missing required arguments: {a}"


@rule(r"Unknown argument '(\w+)' on (?:field '\w+\.(\w+)'|directive '@(\w+)')\.")
def _unknown_argument(m: re.Match[str], at: Site) -> Any:
    a, f, d = m.groups()
    cls, name = ("Field", f) if f else ("Directive", d)
    ext = {"code": "argumentNotAccepted", "name": name, "typeName": cls, "argumentName": a}
    return at.path, ext, f"{cls} '{name}' doesn't accept argument '{a}'"


@rule(r"Expected value of type '(\w+)' not to include unknown field '(\w+)'")
def _unknown_input_field(m: re.Match[str], at: Site) -> Any:
    t, a = m.groups()
    ext = {"code": "argumentNotAccepted", "name": t, "typeName": "InputObject", "argumentName": a}
    return at.path, ext, f"InputObject '{t}' doesn't accept argument '{a}'"


@rule(r"Expected value of type '(\w+)' to include required field '(\w+)', found: .*")
def _missing_input_field(m: re.Match[str], at: Site) -> Any:
    t, a = m.groups()
    obj = at.schema.get_type(t)
    want = str(obj.fields[a].type) if isinstance(obj, GraphQLInputObjectType) and a in obj.fields else "?"
    ext = {"code": "missingRequiredInputObjectAttribute", "argumentName": a, "argumentType": want, "inputObjectType": t}
    return at.path, ext, f"Argument '{a}' on InputObject '{t}' is required. Expected type {want}"


@rule(r"Variable '\$(\w+)' is not defined")
def _undeclared_variable(m: re.Match[str], at: Site) -> Any:
    v = m.group(1)
    return (
        at.path,
        {"code": "variableNotDefined", "variableName": v},
        f"Variable ${v} is used by {at.op_name()} but not declared",
    )


@rule(r"Variable '\$(\w+)' is never used")
def _unused_variable(m: re.Match[str], at: Site) -> Any:
    v = m.group(1)
    return (
        at.path[:1],
        {"code": "variableNotUsed", "variableName": v},
        f"Variable ${v} is declared by {at.op_name()} but not used",
    )


@rule(r"Variable '\$(\w+)' of type '(.+)' used in position expecting type '(.+)'\.")
def _variable_mismatch(m: re.Match[str], at: Site) -> Any:
    v, have, want = m.groups()
    use = (at.err.nodes or [None])[-1]
    chain = ancestry(at.doc, use) if use is not None else []
    arg = at.nearest((ArgumentNode, ObjectFieldNode), chain)
    what = "Nullability mismatch" if have.strip("!") == want.strip("!") else "Type mismatch"
    name = arg.name.value if arg else ""
    ext = {"code": "variableMismatch", "variableName": v, "typeName": have, "argumentName": name, "errorMessage": what}
    path = [lab for n in chain if (lab := label(n)) is not None]
    return path, ext, f"{what} on variable ${v} and argument {name} ({have} / {want})"


@rule(r"Unknown type '(\w+)'\.")
def _unknown_type(m: re.Match[str], at: Site) -> Any:
    t = m.group(1)
    var = at.nearest(VariableDefinitionNode)
    if var is not None:
        v = var.variable.name.value
        ext = {"code": "variableRequiresValidType", "typeName": t, "variableName": v}
        return at.path, ext, f"{t} isn't a defined input type (on ${v})"
    return at.path, {"code": "undefinedType", "typeName": t}, f"No such type {t}, so it can't be a fragment condition"


@rule(r"Fragment (?:'(\w+)' )?cannot be spread here as objects of type '(\w+)' can never be of type '(\w+)'\.")
def _bad_spread(m: re.Match[str], at: Site) -> Any:
    frag, parent, t = m.groups()
    ext = {"code": "cannotSpreadFragment", "typeName": t, "fragmentName": frag or "unknown", "parentName": parent}
    return at.path, ext, f"Fragment {frag + ' ' if frag else ''}on {t} can't be spread inside {parent}"


@rule(r"Unknown fragment '(\w+)'\.")
def _unknown_fragment(m: re.Match[str], at: Site) -> Any:
    f = m.group(1)
    return at.path, {"code": "useAndDefineFragment", "fragmentName": f}, f"Fragment {f} was used, but not defined"


@rule(r"Fragment '(\w+)' is never used\.")
def _unused_fragment(m: re.Match[str], at: Site) -> Any:
    f = m.group(1)
    return at.path, {"code": "useAndDefineFragment", "fragmentName": f}, f"Fragment {f} was defined, but not used"


def _bad_literal(at: Site) -> Any:
    """An argument's literal value that the argument's type rejects."""
    owner = at.nearest((ArgumentNode, ObjectFieldNode))
    cls, holder, want = input_type(at.schema, at.chain[: at.chain.index(owner) + 1])
    name = owner.name.value
    value = print_ast(owner.value)
    text = f"Argument '{name}' on {cls} '{holder}' has an invalid value ({value}). Expected type '{want}'."
    path = [lab for n in at.chain[: at.chain.index(owner) + 1] if (lab := label(n)) is not None]
    return path, {"code": "argumentLiteralsIncompatible", "typeName": cls, "argumentName": name}, text


def validation_error(schema: GraphQLSchema, doc: DocumentNode, err: GraphQLError) -> dict[str, Any]:
    node = (err.nodes or [None])[0]
    at = Site(schema, doc, err, node, ancestry(doc, node) if node is not None else [])
    found = next(((m, fn) for rx, fn in RULES if (m := rx.match(err.message))), None)
    if found is not None:
        path, ext, text = found[1](found[0], at)
    elif node is not None and not isinstance(node, ArgumentNode) and at.nearest((ArgumentNode, ObjectFieldNode)):
        path, ext, text = _bad_literal(at)
    else:
        return {"message": re.sub(r" Did you mean .*\?$", "", err.message), "locations": _locations(err)}
    return {"path": path, "extensions": ext, "locations": _locations(err), "message": text}


# -- variable values ------------------------------------------------------------------------------------
def variable_error(
    schema: GraphQLSchema, op: OperationDefinitionNode, variables: dict[str, Any], err: GraphQLError
) -> dict[str, Any]:
    m = re.match(r"Variable '\$(\w+)' has invalid value(?: at ([^:]+))?: (.*)$", err.message, re.S)
    if m is None:
        return {"message": err.message, "locations": _locations(err)}
    name, at, why = m.groups()
    definition = next((d for d in op.variable_definitions or () if d.variable.name.value == name), None)
    path: list[Any] = [int(i) if i else f for f, i in re.findall(r"\.(\w+)|\[(\d+)\]", at or "")]
    value = variables.get(name)
    inner = value
    for step in path:
        inner = inner[step] if isinstance(inner, list) and isinstance(step, int) else (inner or {}).get(step)
    if "non-null" in why:
        explanation = "Expected value to not be null"
    elif cm := re.match(r"(\w+) cannot represent", why):
        explanation = f"Could not coerce value {json.dumps(inner)} to {cm.group(1)}"
    elif em := re.match(r"Value '(.*)' does not exist in '(\w+)' enum", why):
        enum = schema.get_type(em.group(2))
        values = ", ".join(enum.values) if isinstance(enum, GraphQLEnumType) else ""
        explanation = f'Expected "{em.group(1)}" to be one of: {values}'
    elif fm := re.match(r"Expected value of type '\w+' to include required field '(\w+)'", why):
        path, explanation = [*path, fm.group(1)], "Expected value to not be null"
    elif fm := re.match(r"Expected value of type '(\w+)' not to include unknown field '(\w+)'", why):
        path, explanation = [*path, fm.group(2)], f"Field is not defined on {fm.group(1)}"
    else:
        explanation = re.sub(r" Did you mean .*\?$", "", why)
    type_name = print_ast(definition.type) if definition else "?"
    return {
        "extensions": {"value": value, "problems": [{"path": path, "explanation": explanation}]},
        "locations": _locations(err),
        "message": f"Variable ${name} of type {type_name} was provided invalid value",
    }
