"""Request validation for the fake Messages API, and the JSON Schema subset ``output_config.format`` accepts.

Mirrors what ``anthropic.lib._parse._transform.transform_schema`` (SDK 2.10.0) keeps: every object
node has ``additionalProperties: false``; numeric and string-length constraints, ``maxItems`` and
``minItems`` above 1 are not supported (the SDK moves them into descriptions instead).
"""

from __future__ import annotations

import functools
import json
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from .anthropic_common import ApiError, invalid

MAX_OUTPUT_TOKENS = 128_000
CREATE_KEYS = frozenset(
    {
        "model", "max_tokens", "messages", "system", "output_config", "tools", "tool_choice", "cache_control",
        "metadata", "stop_sequences", "service_tier", "thinking", "stream", "container", "diagnostics",
        "inference_geo", "speed", "context_management", "mcp_servers",
    }
)  # fmt: skip
COUNT_KEYS = frozenset(
    {"model", "messages", "system", "tools", "tool_choice", "thinking", "output_config", "cache_control",
     "context_management", "mcp_servers", "speed"}
)  # fmt: skip
UNSUPPORTED = (
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minLength", "maxLength", "maxItems", "uniqueItems", "patternProperties",
    "minProperties", "maxProperties", "if", "then", "else", "not",
)  # fmt: skip
_SUBSCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "$defs", "definitions")


def check_output_schema(schema: dict[str, Any]) -> None:
    """Raise a 400 ApiError if ``schema`` is not a valid JSON Schema in the supported subset."""
    problem = _schema_problem(_key(schema))
    if problem is not None:
        raise invalid(problem)


def schema_errors(instance: Any, schema: dict[str, Any]) -> jsonschema.ValidationError | None:
    """The best error of ``instance`` against an accepted ``schema`` (as ``jsonschema.validate`` raises it), or None.
    The validator is built once per schema: building it (and checking the schema) for every answer made the fake
    spend its interpreter lock on that while other requests waited to be read, which a real API does not."""
    return best_match(_validator(_key(schema)).iter_errors(instance))


def _key(schema: dict[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


@functools.lru_cache(maxsize=64)
def _schema_problem(key: str) -> str | None:
    """What is wrong with a schema (the 400's message), or None: worked out once per schema."""
    schema = json.loads(key)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        _walk(schema, "output_config.format.schema")
    except jsonschema.SchemaError as exc:
        return f"output_config.format.schema: invalid JSON schema: {exc.message}"
    except ApiError as exc:  # the subset's walk
        return exc.message
    return None


@functools.lru_cache(maxsize=64)
def _validator(key: str) -> Any:
    schema = json.loads(key)
    return jsonschema.validators.validator_for(schema)(schema)


def _is_object(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in node


def _walk(node: Any, where: str) -> None:
    if not isinstance(node, dict):
        return
    if _is_object(node) and node.get("additionalProperties") is not False:
        raise invalid(f"{where}: For 'object' type, 'additionalProperties' must be explicitly set to false")
    for key in UNSUPPORTED:
        if key in node:
            raise invalid(f"{where}: '{key}' is not supported in output_config.format schemas")
    min_items = node.get("minItems")
    if min_items is not None and min_items not in (0, 1):
        raise invalid(f"{where}: 'minItems' values other than 0 or 1 are not supported")
    for key in _SUBSCHEMA_MAPS:
        for name, sub in (node.get(key) or {}).items():
            _walk(sub, f"{where}.{key}.{name}")
    for key in _SUBSCHEMA_LISTS:
        for i, sub in enumerate(node.get(key) or []):
            _walk(sub, f"{where}.{key}.{i}")
    if isinstance(node.get("items"), dict):
        _walk(node["items"], f"{where}.items")


def validate_body(body: Any, *, count_only: bool = False) -> None:
    if not isinstance(body, dict):
        raise invalid("body: Input should be a valid dictionary")
    allowed = COUNT_KEYS if count_only else CREATE_KEYS
    for key in body:
        if key not in allowed:
            raise invalid(f"{key}: Extra inputs are not permitted")
    required = ("model", "messages") if count_only else ("model", "max_tokens", "messages")
    for key in required:
        if key not in body:
            raise invalid(f"{key}: Field required")
    model = body["model"]
    if not isinstance(model, str) or not model:
        raise invalid("model: Input should be a valid string")
    if not count_only:
        _validate_max_tokens(body["max_tokens"], model)
        if "stream" in body and not isinstance(body["stream"], bool):
            raise invalid("stream: Input should be a valid boolean")
    _validate_system(body.get("system"))
    tools = body.get("tools")
    if tools is not None and (not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools)):
        raise invalid("tools: Input should be a valid list of tool definitions")
    _validate_messages(body["messages"])
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        raise invalid(
            "tool_choice: forced tool use (type 'any' or 'tool') is not supported with this model; "
            "use output_config.format for structured outputs"
        )
    thinking = body.get("thinking")
    if thinking is not None and (
        not isinstance(thinking, dict) or thinking.get("type") not in ("enabled", "disabled", "adaptive")
    ):
        raise invalid("thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'")
    _validate_output_config(body.get("output_config"))


def _validate_max_tokens(value: Any, model: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid("max_tokens: Input should be a valid integer")
    if value < 1:
        raise invalid("max_tokens: Input should be greater than or equal to 1")
    if value > MAX_OUTPUT_TOKENS:
        raise invalid(
            f"max_tokens: {value} > {MAX_OUTPUT_TOKENS}, which is the maximum allowed number of output "
            f"tokens for {model}"
        )


def _validate_system(system: Any) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list):
        raise invalid("system: Input should be a valid string or list of text blocks")
    for i, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text" or not isinstance(block.get("text"), str):
            raise invalid(f"system.{i}: Input should be a text block")
        if not block["text"]:
            raise invalid("system: text content blocks must be non-empty")


def _validate_messages(messages: Any) -> None:
    if not isinstance(messages, list):
        raise invalid("messages: Input should be a valid list")
    if not messages:
        raise invalid("messages: at least one message is required")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise invalid(f"messages.{i}: Input should be a valid dictionary")
        if message.get("role") not in ("user", "assistant"):
            raise invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        content = message.get("content")
        last = i == len(messages) - 1
        if isinstance(content, str):
            if not content and not (last and message["role"] == "assistant"):
                raise invalid(
                    f"messages.{i}: all messages must have non-empty content except for the optional final "
                    "assistant message"
                )
            continue
        if not isinstance(content, list):
            raise invalid(f"messages.{i}.content: Input should be a valid string or list")
        for j, block in enumerate(content):
            if not isinstance(block, dict) or not isinstance(block.get("type"), str):
                raise invalid(f"messages.{i}.content.{j}: Input should be a content block")
            if block["type"] == "text" and not block.get("text"):
                raise invalid("messages: text content blocks must be non-empty")


def _validate_output_config(config: Any) -> None:
    if config is None:
        return
    if not isinstance(config, dict):
        raise invalid("output_config: Input should be a valid dictionary")
    for key in config:
        if key not in ("format", "effort"):
            raise invalid(f"output_config.{key}: Extra inputs are not permitted")
    fmt = config.get("format")
    if fmt is None:
        return
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        raise invalid("output_config.format.type: Input should be 'json_schema'")
    if not isinstance(fmt.get("schema"), dict):
        raise invalid("output_config.format.schema: Field required")
    check_output_schema(fmt["schema"])
