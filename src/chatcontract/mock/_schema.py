"""A small JSON Schema (draft 2020-12) validator: the mock's check of request bodies.

It reads the request schema each spec documents (``Endpoint.request_schema``, bundled by
codegen) and nothing of the client's own rule code (``chatcontract._request``), so the mock
is an independent witness of what the specs allow. The library depends on httpx and pydantic
only; a full validator (jsonschema) would be a third dependency for the mock alone, and the
specs use a handful of keywords, so the validator is this one module. codegen refuses a spec
whose request schema uses a keyword outside :data:`KEYWORDS`; the tests compare the verdicts
with jsonschema's on every documented example and rule case.

Types follow JSON Schema, not Python: ``1.0`` is an integer, ``true`` is not a number.
``format`` ``int32`` and ``int64`` bound integers to their range (``1e20`` is no int64);
other formats are annotations.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

KEYWORDS = frozenset(
    {
        "$ref",
        "$schema",
        "$defs",
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
INTEGER_FORMATS: Mapping[str, tuple[int, int]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}
_BOUNDS: tuple[tuple[str, str, Callable[[Any, Any], bool]], ...] = (
    ("minimum", ">=", operator.ge),
    ("exclusiveMinimum", ">", operator.gt),
    ("maximum", "<=", operator.le),
    ("exclusiveMaximum", "<", operator.lt),
)
_KINDS = {
    "null": "null",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "array": "an array",
    "object": "an object",
}


@dataclass(frozen=True)
class Violation:
    """One broken rule: where in the body (``messages[0].role``), the rule, the value found."""

    path: str
    rule: str
    value: Any

    def __str__(self) -> str:
        return f"{self.path or 'body'}: {self.rule}"


def _is(kind: str, value: Any) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (
            isinstance(value, float) and math.isfinite(value) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    raise ValueError(f"unknown JSON Schema type {kind!r}")


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON Schema defines it (``1 == 1.0``, but ``true != 1``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and bool(a == b)


def _show(value: Any) -> str:
    if value is True or value is False or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    return repr(value)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Validator:
    """Checks instances against ``schema`` (with its ``$defs``)."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        unknown = sorted(self._keywords(schema) - KEYWORDS)
        if unknown:
            raise ValueError(f"the mock's validator does not implement {', '.join(unknown)}")

    def _keywords(self, schema: Any) -> set[str]:
        if not isinstance(schema, Mapping):
            return set()
        found = set(schema)
        for key, value in schema.items():
            if key in ("properties", "dependentSchemas", "$defs"):
                for sub in value.values():
                    found |= self._keywords(sub)
            elif key in ("items", "additionalProperties", "not"):
                found |= self._keywords(value)
            elif key in ("anyOf", "allOf", "oneOf"):
                for sub in value:
                    found |= self._keywords(sub)
        return found

    def first_violation(self, instance: Any) -> Violation | None:
        """The most specific broken rule, or ``None`` when ``instance`` is valid."""
        found = list(self._check(self.schema, instance, ""))
        return max(found, key=lambda v: v.path.count(".") + v.path.count("[")) if found else None

    def _resolve(self, ref: str) -> Mapping[str, Any]:
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"unsupported $ref {ref!r}")
        resolved: Mapping[str, Any] = self.schema["$defs"][ref.removeprefix("#/$defs/")]
        return resolved

    def _check(self, schema: Any, value: Any, path: str) -> Iterator[Violation]:
        if schema is True:
            return
        if schema is False:
            yield Violation(path, "is not allowed", value)
            return
        if "$ref" in schema:
            yield from self._check(self._resolve(schema["$ref"]), value, path)
        kinds = schema.get("type")
        if kinds is not None:
            allowed = [kinds] if isinstance(kinds, str) else list(kinds)
            if not any(_is(kind, value) for kind in allowed):
                names = " or ".join(_KINDS[kind] for kind in allowed)
                yield Violation(
                    path, f"must be {names}, not {_show(value) if value is None else type_of(value)}", value
                )
                return
        yield from self._values(schema, value, path)
        yield from self._combinators(schema, value, path)
        if isinstance(value, dict):
            yield from self._object(schema, value, path)
        elif isinstance(value, list):
            yield from self._array(schema, value, path)

    def _values(self, schema: Mapping[str, Any], value: Any, path: str) -> Iterator[Violation]:
        if "const" in schema and not json_equal(schema["const"], value):
            yield Violation(path, f"must be {_show(schema['const'])}", value)
        if "enum" in schema and not any(json_equal(option, value) for option in schema["enum"]):
            yield Violation(path, "must be one of " + ", ".join(_show(o) for o in schema["enum"]), value)
        if _is("number", value):
            yield from self._number(schema, value, path)
        if isinstance(value, str):
            length = len(value)
            if "minLength" in schema and length < schema["minLength"]:
                yield Violation(path, f"must have at least {schema['minLength']} characters", value)
            if "maxLength" in schema and length > schema["maxLength"]:
                yield Violation(path, f"must have at most {schema['maxLength']} characters", value)

    @staticmethod
    def _number(schema: Mapping[str, Any], value: float, path: str) -> Iterator[Violation]:
        for keyword, sign, holds in _BOUNDS:
            if keyword in schema and not holds(value, schema[keyword]):
                yield Violation(path, f"must be {sign} {schema[keyword]}", value)
        span = INTEGER_FORMATS.get(schema.get("format", ""))
        if span and _is("integer", value) and not span[0] <= value <= span[1]:
            yield Violation(path, f"must be an {schema['format']} ({span[0]} <= x <= {span[1]})", value)

    def _combinators(self, schema: Mapping[str, Any], value: Any, path: str) -> Iterator[Violation]:
        for sub in schema.get("allOf", ()):
            yield from self._check(sub, value, path)
        if "not" in schema and not any(True for _ in self._check(schema["not"], value, path)):
            yield Violation(path, "must not match the schema under 'not'", value)
        for keyword in ("anyOf", "oneOf"):
            if keyword not in schema:
                continue
            failures = [list(self._check(sub, value, path)) for sub in schema[keyword]]
            matched = sum(1 for failure in failures if not failure)
            if matched == 0:
                yield self._best(failures, value, path)
            elif keyword == "oneOf" and matched > 1:
                yield Violation(path, "must match exactly one of the schemas under 'oneOf'", value)

    @staticmethod
    def _best(failures: list[list[Violation]], value: Any, path: str) -> Violation:
        """One violation for a failed anyOf: the deepest, or the branches' types together."""
        flat = [v for failure in failures for v in failure]
        deepest = max(flat, key=lambda v: len(v.path))
        if deepest.path != path:
            return deepest
        kinds = [
            v.rule.removeprefix("must be ").split(", not ")[0] for v in flat if v.rule.startswith("must be ")
        ]
        if len(kinds) == len(flat) and all(", not " in v.rule for v in flat):
            got = "null" if value is None else type_of(value)
            return Violation(path, f"must be {' or '.join(kinds)}, not {got}", value)
        return deepest

    def _object(self, schema: Mapping[str, Any], value: dict[str, Any], path: str) -> Iterator[Violation]:
        for name in schema.get("required", ()):
            if name not in value:
                yield Violation(_join(path, name), "is required", None)
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                yield from self._check(properties[name], item, _join(path, name))
            elif "additionalProperties" in schema:
                yield from self._check(schema["additionalProperties"], item, _join(path, name))
        for trigger, needs in schema.get("dependentSchemas", {}).items():
            if trigger in value:
                for violation in self._check(needs, value, path):
                    yield Violation(
                        violation.path, f"{violation.rule} when {trigger} is given", violation.value
                    )

    def _array(self, schema: Mapping[str, Any], value: list[Any], path: str) -> Iterator[Violation]:
        if "minItems" in schema and len(value) < schema["minItems"]:
            yield Violation(path, f"must have at least {schema['minItems']} item(s)", value)
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            yield Violation(path, f"must have at most {schema['maxItems']} item(s)", value)
        if "items" in schema:
            for index, item in enumerate(value):
                yield from self._check(schema["items"], item, _join(path, index))


def type_of(value: Any) -> str:
    """The JSON kind of ``value`` as the messages name it ("a string", "an integer", ...)."""
    for kind in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is(kind, value):
            return _KINDS[kind]
    return type(value).__name__
