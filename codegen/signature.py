"""From a request schema to the typed keyword parameters and rule texts of ``create()``."""

from __future__ import annotations

import textwrap
from typing import Any

# Handled by the runtime rather than passed through as a plain body field.
RUNTIME_PARAMETERS = frozenset({"stream"})

_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
_ARTICLES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean"}


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return str(ref).rsplit("/", 1)[-1] if ref else None


def annotation(schema: dict[str, Any], models_module: str) -> str:
    """The Python annotation a caller sees for one request property."""
    if "enum" in schema:
        return "Literal[" + ", ".join(repr(v) for v in schema["enum"]) + "]"
    kind = schema.get("type")
    if kind in _SCALARS:
        return _SCALARS[kind]
    if kind == "array":
        items = schema["items"]
        name = _ref_name(items)
        item = f"{models_module}.{name} | Mapping[str, Any]" if name else annotation(items, models_module)
        reply = schema.get("x-accepts-reply-message")  # a reply's message model goes back as sent
        if reply:
            item = f"{models_module}.{name} | {models_module}.{reply} | Mapping[str, Any]"
        return f"Sequence[{item}]"
    if kind == "object":
        return "Mapping[str, Any]"
    raise ValueError(f"no Python annotation for request schema {schema!r}")


def _bounds(schema: dict[str, Any]) -> str:
    low = next(
        (f"{schema[k]} {op} " for k, op in (("exclusiveMinimum", "<"), ("minimum", "<=")) if k in schema), ""
    )
    high = next(
        (f" {op} {schema[k]}" for k, op in (("exclusiveMaximum", "<"), ("maximum", "<=")) if k in schema), ""
    )
    if low and not high:  # "x >= 1" reads better than "1 <= x"
        number, op = low.split()
        return f" with x {op.replace('<', '>')} {number}"
    return f" with {low}x{high}" if low or high else ""


def rule(request: dict[str, Any], field: str, schemas: dict[str, Any]) -> str:
    """The documented rule of one request field, in words, for docstrings and error messages."""
    schema = request["properties"][field]
    if "enum" in schema:
        text = "one of " + ", ".join(repr(v) for v in schema["enum"])
    elif schema.get("type") == "array":
        item = _ref_name(schema["items"]) or schema["items"].get("type", "item")
        text = f"a list of {item} objects"
        if "minItems" in schema:
            text += f" with at least {schema['minItems']} item{'s' if schema['minItems'] != 1 else ''}"
    elif schema.get("type") == "object":
        text = "an object"
    else:
        text = _ARTICLES[schema["type"]] + _bounds(schema)
    for trigger, dependency in request.get("dependentSchemas", {}).items():
        if trigger == field:
            needs = ", ".join(f"{k}={v['const']!r}" for k, v in dependency["properties"].items())
            text += f"; only together with {needs}"
    if field in request.get("required", []):
        text += "; required"
    return text


def parameters(request: dict[str, Any], models_module: str, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    """Keyword parameters of ``create()``, required ones first, in the spec's order."""
    required = request.get("required", [])
    params = []
    for name, schema in request["properties"].items():
        if name in RUNTIME_PARAMETERS:
            continue
        is_required = name in required
        doc = schema.get("description", "").strip()
        doc += f" Rule: {rule(request, name, schemas)}."
        if "default" in schema:
            doc += f" Server default: {schema['default']!r}."
        params.append(
            {
                "name": name,
                "annotation": annotation(schema, models_module) + ("" if is_required else " | None"),
                "required": is_required,
                "doc": textwrap.fill(
                    f"{name}: {doc}", width=96, initial_indent=" " * 12, subsequent_indent=" " * 16
                ),
            }
        )
    return sorted(params, key=lambda p: not p["required"])
