"""A value that satisfies a JSON schema: the local endpoint's stand-in for a model's answer.

Tool-call arguments and structured output (``text.format`` / ``response_format`` of type
``json_schema``) must parse into the caller's types (``responses.parse``, pydantic models,
smolagents' argument checks), so each value is built from the schema: every required
property present with its type, enums and constants respected, ``$ref`` followed. Strings
carry ``hint`` (what the user said) where no format or enum constrains them, so a reply
still shows that the request arrived.
"""

from __future__ import annotations

from typing import Any

#: Deterministic values for the string formats pydantic and openai's helpers emit.
_FORMATTED = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
}


def example_for(schema: Any, *, hint: str = "", root: Any = None, depth: int = 0) -> Any:
    """A JSON value valid against ``schema`` (the subset models are given: types, objects,
    arrays, enums, ``const``, ``anyOf`` / ``oneOf`` / ``allOf``, ``$ref`` into ``$defs``)."""
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > 12:
        return hint or "example"
    if "$ref" in schema:
        return example_for(_resolve(root, str(schema["$ref"])), hint=hint, root=root, depth=depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    for combinator in ("anyOf", "oneOf"):
        options = [option for option in schema.get(combinator) or [] if option.get("type") != "null"]
        if options:
            return example_for(options[0], hint=hint, root=root, depth=depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(_resolve(root, part["$ref"]) if "$ref" in part else part)
        return example_for(merged, hint=hint, root=root, depth=depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        properties = schema.get("properties") or {}
        return {
            name: example_for(sub, hint=hint or name, root=root, depth=depth + 1) for name, sub in properties.items()
        }
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [example_for(schema.get("items", {}), hint=hint, root=root, depth=depth + 1) for _ in range(count)]
    if kind == "integer":
        if "minimum" in schema:
            return int(schema["minimum"])
        return int(schema["exclusiveMinimum"]) + 1 if "exclusiveMinimum" in schema else 1
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, hint)


def _string(schema: dict[str, Any], hint: str) -> str:
    formatted = _FORMATTED.get(str(schema.get("format", "")))
    if formatted is not None:
        return formatted
    text = hint or "example"
    if "maxLength" in schema:
        text = text[: int(schema["maxLength"])]
    return text.ljust(int(schema.get("minLength", 0)), "x")


def _resolve(root: Any, reference: str) -> Any:
    """``#/$defs/Name`` (or ``#/definitions/Name``) inside the root schema."""
    node = root
    for part in reference.lstrip("#/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    return node
