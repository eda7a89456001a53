"""The request schema of a spec as one self-contained JSON Schema (draft 2020-12), for the mock.

Only validation keywords are kept (descriptions, examples and ``x-`` data are dropped) and
every ``#/components/schemas/<Name>`` reference becomes ``#/$defs/<Name>``, holding just the
schemas the request reaches. A keyword that is neither a known validation keyword nor a known
annotation stops codegen: the mock's validator must not meet a rule it silently ignores.
"""

from __future__ import annotations

from typing import Any

# The keywords the mock's validator (chatcontract.mock._schema) implements.
VALIDATION = frozenset(
    {
        "$ref",
        "additionalProperties",
        "allOf",
        "anyOf",
        "const",
        "dependentSchemas",
        "enum",
        "exclusiveMaximum",
        "exclusiveMinimum",
        "format",
        "items",
        "maxItems",
        "maxLength",
        "maximum",
        "minItems",
        "minLength",
        "minimum",
        "not",
        "oneOf",
        "properties",
        "required",
        "type",
    }
)
ANNOTATIONS = frozenset(
    {"default", "deprecated", "description", "examples", "readOnly", "title", "writeOnly"}
)
# Keywords whose value is a schema, a list of schemas or a map of schemas.
_ONE = ("additionalProperties", "items", "not")
_MANY = ("allOf", "anyOf", "oneOf")
_MAP = ("dependentSchemas", "properties")
_PREFIX = "#/components/schemas/"


def _name(ref: str) -> str:
    if not ref.startswith(_PREFIX):
        raise ValueError(f"request schema: only {_PREFIX}<Name> references are supported, got {ref!r}")
    return ref[len(_PREFIX) :]


def _clean(schema: Any, where: str, reached: list[str]) -> Any:
    if isinstance(schema, bool):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key.startswith("x-") or key in ANNOTATIONS:
            continue
        if key not in VALIDATION:
            raise ValueError(f"{where}: keyword {key!r} is not supported by the mock's request validator")
        if key == "$ref":
            reached.append(_name(value))
            out[key] = "#/$defs/" + _name(value)
        elif key in _ONE:
            out[key] = _clean(value, f"{where}/{key}", reached)
        elif key in _MANY:
            out[key] = [_clean(item, f"{where}/{key}/{n}", reached) for n, item in enumerate(value)]
        elif key in _MAP:
            out[key] = {name: _clean(item, f"{where}/{key}/{name}", reached) for name, item in value.items()}
        else:
            out[key] = value
    return out


def request_schema(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    """The schema ``ref`` points to, with the schemas it reaches under ``$defs`` (sorted)."""
    schemas = spec["components"]["schemas"]
    root = _name(ref)
    reached: list[str] = []
    bundle: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    bundle.update(_clean(schemas[root], f"{_PREFIX}{root}", reached))
    defs: dict[str, Any] = {}
    while reached:
        name = reached.pop()
        if name not in defs:
            defs[name] = _clean(schemas[name], f"{_PREFIX}{name}", reached)
    if defs:
        bundle["$defs"] = dict(sorted(defs.items()))
    return bundle
