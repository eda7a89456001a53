"""Derive the two views of a spec that the model generator is fed.

A spec is written once, as the vendor documents it. The generated code needs two views:

* ``lenient``: request schemas closed (``additionalProperties: false`` unless the spec opens
  them), response schemas open to unknown fields, every response enum widened to "one of
  the documented values, or any value of the same type" so that a new ``finish_reason`` or
  model name never breaks a caller, and no response field required (real servers leave out
  what the pages show, such as a first stream chunk with no ``id``). A response field that
  may be absent reads ``None``, except an array (absent means no items: ``[]``) and an
  object the spec requires (absent means an empty object), so that ``reply.choices[0]
  .message.content`` stays typed without a ``None`` check that could never fail on a
  documented reply.
* ``strict``: only the response-side schemas, closed and with their enums as documented
  (gapless integer enums as the equal range), used to check a response against the spec
  exactly.

Which side a schema is on follows from reachability: schemas reached from a request body are
request-side, schemas reached from a response are response-side.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

JsonObject = dict[str, Any]

_REF_PREFIX = "#/components/schemas/"
_JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number"}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            yield ref.removeprefix(_REF_PREFIX)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def reachable(spec: JsonObject, roots: Any) -> set[str]:
    """Names of the component schemas reachable from ``roots``."""
    schemas = spec["components"]["schemas"]
    seen: set[str] = set()
    todo = list(_refs(roots))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_refs(schemas[name]))
    return seen


def operation(spec: JsonObject) -> JsonObject:
    """The one operation a spec documents (each spec transcribes one endpoint)."""
    ((path, item),) = spec["paths"].items()
    ((method, op),) = ((m, o) for m, o in item.items() if m in {"get", "post", "put", "patch", "delete"})
    return {"path": path, "method": method.upper(), **op}


def _content_schemas(node: Any) -> Iterator[JsonObject]:
    if isinstance(node, dict):
        if "contentSchema" in node:
            yield node["contentSchema"]
        for value in node.values():
            yield from _content_schemas(value)
    elif isinstance(node, list):
        for item in node:
            yield from _content_schemas(item)


def stream_chunk(media: JsonObject) -> JsonObject:
    """The chunk schema (a ``$ref`` holder) of a text/event-stream media type object.

    OpenAPI 3.2's ``itemSchema`` describes one event; its ``data`` holds the chunk as JSON,
    so the chunk is the one ``contentSchema`` in it. A spec without ``itemSchema`` may name
    it in ``x-sse-event-schema`` (the 3.1 way).
    """
    if "itemSchema" in media:
        found = list(_content_schemas(media["itemSchema"]))
        if len(found) != 1:
            raise ValueError(
                f"itemSchema must hold exactly one contentSchema (the chunk), found {len(found)}"
            )
        return found[0]
    chunk: JsonObject = media["x-sse-event-schema"]
    return chunk


def sides(spec: JsonObject) -> tuple[set[str], set[str]]:
    """(request-side, response-side) schema names; a schema on both sides is an error."""
    op = operation(spec)
    request = reachable(spec, op["requestBody"])
    response = reachable(spec, op["responses"])
    shared = request & response
    if shared:
        raise ValueError(f"schemas used by both request and response: {sorted(shared)}")
    return request, response


def _close(schema: JsonObject, *, default: bool) -> None:
    if schema.get("type") == "object" or "properties" in schema:
        schema.setdefault("additionalProperties", default)


def _widen_enums(node: Any) -> Any:
    """Replace each ``enum`` with ``anyOf: [<enum>, <any value of its type>]``."""
    if isinstance(node, list):
        return [_widen_enums(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _widen_enums(value) for key, value in node.items()}
    if "enum" in node:
        json_type = _JSON_TYPES[type(node["enum"][0])]
        documented = {k: v for k, v in node.items() if k in {"type", "enum", "format"}}
        rest = {k: v for k, v in node.items() if k not in documented}
        node = {**rest, "anyOf": [documented, {"type": json_type}]}
    return node


def _optional(schema: JsonObject, schemas: JsonObject) -> JsonObject:
    """``schema`` with no required property; defaults for the arrays and required objects."""
    required = set(schema.pop("required", []))
    for key, prop in schema.get("properties", {}).items():
        if "default" in prop:
            continue
        if prop.get("type") == "array":
            prop["default"] = []
        elif key in required and "$ref" in prop:
            target = schemas[prop["$ref"].removeprefix(_REF_PREFIX)]
            if target.get("type") == "object":
                prop["default"] = {}
    return schema


def _int_enums_as_ranges(node: Any) -> Any:
    """Integer enums with no gaps become ``minimum``/``maximum`` (the same set of values).

    pydantic checks a ``Literal[0, 1]`` with ``==``, so ``true`` passes as ``1`` even in strict
    mode; a strict ``int`` between bounds refuses booleans. Enums with gaps stay enums.
    """
    if isinstance(node, list):
        return [_int_enums_as_ranges(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _int_enums_as_ranges(value) for key, value in node.items()}
    values = node.get("enum")
    if (
        values
        and all(type(v) is int for v in values)
        and sorted(values) == list(range(min(values), max(values) + 1))
    ):
        del node["enum"]
        node.update(type="integer", minimum=min(values), maximum=max(values))
    return node


def _with_schemas(spec: JsonObject, schemas: JsonObject) -> JsonObject:
    view = {key: spec[key] for key in ("openapi", "info")}
    view["paths"] = {}
    view["components"] = {"schemas": schemas}
    return view


def lenient_view(spec: JsonObject) -> JsonObject:
    request, response = sides(spec)
    schemas = copy.deepcopy(spec["components"]["schemas"])
    for name in response:
        _optional(schemas[name], schemas)
    for name, schema in schemas.items():
        if name in request:
            _close(schema, default=False)
        elif name in response:
            _close(schema, default=True)
            schemas[name] = _widen_enums(schema)
    return _with_schemas(spec, schemas)


def strict_view(spec: JsonObject) -> JsonObject:
    _, response = sides(spec)
    schemas = {
        name: copy.deepcopy(s) for name, s in spec["components"]["schemas"].items() if name in response
    }
    for schema in schemas.values():
        _close(schema, default=False)
    return _with_schemas(spec, _int_enums_as_ranges(schemas))
