"""A spec's bodies as data for property tests: self-contained JSON Schemas, hypothesis strategies
for the bodies they allow, and the near misses that break exactly one of their rules.

Everything here is derived from the spec documents, not from the generated models: a new field,
bound or enum in a spec is generated and mutated without a change here, and a schema keyword this
module does not know fails loudly (``UnsupportedSchema``) instead of being silently ignored.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
from collections.abc import Callable, Iterator
from typing import Any, Literal

import jsonschema
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from codegen.schema_views import stream_chunk
from tests import specs

Schema = dict[str, Any]
Path = tuple[str | int, ...]  # property names and array indexes, from the body's root

KINDS = ("request", "response", "chunk")

# Bounds that keep generation fast; the rules themselves are never narrowed below them.
MAX_ITEMS = 3
MAX_STRING = 12
MAX_EXTRA_PROPERTIES = 2

# The name of the unknown property the "additionalProperties" near miss adds.
UNKNOWN_PROPERTY = "not_in_the_spec"

_REF = "#/components/schemas/"
# Keywords that only annotate (OpenAPI 3.1+ schemas are JSON Schema 2020-12, whose "format"
# vocabulary is annotation-only by default): dropped.
_ANNOTATIONS = frozenset(
    {"description", "examples", "default", "format", "title", "deprecated", "readOnly", "writeOnly"}
)
# Validation keywords this module generates and mutates; any other one is an UnsupportedSchema.
_SCHEMA_MAPS = frozenset({"properties", "dependentSchemas"})
_SCHEMA_VALUES = frozenset({"items", "additionalProperties"})
_SCHEMA_LISTS = frozenset({"anyOf"})
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_LENGTHS = ("minItems", "maxItems", "minLength", "maxLength")
_PLAIN = frozenset({"type", "required", "enum", "const", *_BOUNDS, *_LENGTHS})

_ALL_TYPES = frozenset({"null", "boolean", "integer", "number", "string", "array", "object"})


class UnsupportedSchema(ValueError):
    """A spec uses a schema keyword that these property tests do not generate or mutate yet."""


# --- self-contained schemas -----------------------------------------------------------------


def normalise(node: Schema, components: dict[str, Schema], within: tuple[str, ...] = ()) -> Schema:
    """``node`` with its refs to ``components`` inlined and its annotations dropped."""
    out: Schema = {}
    for key, value in node.items():
        if key.startswith("x-") or key in _ANNOTATIONS:
            continue
        if key == "$ref":
            if not value.startswith(_REF):
                raise UnsupportedSchema(f"$ref {value!r} outside {_REF}")
            name = value.removeprefix(_REF)
            if name in within:
                raise UnsupportedSchema(f"recursive schema {' -> '.join((*within, name))}")
            target = normalise(components[name], components, (*within, name))
            # The project reads a component's documented fields as complete: codegen/schema_views.py
            # closes every component schema that does not say additionalProperties itself (request
            # models and strict response models forbid unknown fields; lenient ones keep them). The
            # spec's JSON Schema alone would leave them open; in particular the top-level request
            # (ChatCompletionRequest) would allow any unknown field, which the request model (and so
            # validate_params) rejects: the bodies generated here follow the project's reading.
            if target.get("type") == "object" or "properties" in target:
                target.setdefault("additionalProperties", False)
            if set(target) & set(out):
                raise UnsupportedSchema(f"$ref {value!r} beside keywords it also has")
            out.update(target)
        elif key in _SCHEMA_MAPS:
            out[key] = {k: normalise(v, components, within) for k, v in value.items()}
        elif key in _SCHEMA_VALUES:
            out[key] = value if isinstance(value, bool) else normalise(value, components, within)
        elif key in _SCHEMA_LISTS:
            out[key] = [normalise(v, components, within) for v in value]
        elif key in _PLAIN:
            out[key] = copy.deepcopy(value)
        else:
            raise UnsupportedSchema(f"schema keyword {key!r} (at {' -> '.join(within) or 'root'})")
    return out


def root_ref(api: str, kind: str) -> Schema:
    """The spec's schema (a ``$ref``) of a request, a non-streamed response or a stream chunk."""
    _, op = specs.operation(api)
    ok = op["responses"]["200"]["content"]
    schema: Schema
    if kind == "request":
        schema = op["requestBody"]["content"]["application/json"]["schema"]
    elif kind == "response":
        schema = ok["application/json"]["schema"]
    else:
        schema = stream_chunk(ok["text/event-stream"])
    return schema


@functools.cache
def _spec_schema(api: str, kind: str) -> Schema:
    """The self-contained JSON Schema (2020-12, refs inlined) of ``kind`` bodies of ``api``."""
    components = specs.spec(api)["components"]["schemas"]
    return normalise(root_ref(api, kind), components, ())


@functools.cache
def oracle(api: str, kind: str) -> jsonschema.Draft202012Validator:
    """The spec's schema as a validator: independent of the generated models."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **_spec_schema(api, kind)}
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# --- generation -----------------------------------------------------------------------------


def json_types(schema: Schema) -> frozenset[str]:
    """The JSON types a value of ``schema`` may have (an integer is a number, too)."""
    if "anyOf" in schema:
        types: frozenset[str] = frozenset().union(*(json_types(branch) for branch in schema["anyOf"]))
    elif "const" in schema:
        types = frozenset({json_type(schema["const"])})
    elif "enum" in schema:
        types = frozenset(json_type(value) for value in schema["enum"])
    else:
        types = _ALL_TYPES
    declared = schema.get("type")
    if declared is not None:
        types &= _with_integer(frozenset([declared] if isinstance(declared, str) else declared))
    return _with_integer(types)


def _with_integer(types: frozenset[str]) -> frozenset[str]:
    return types | {"integer"} if "number" in types else types


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


# The value of an unknown property of an open object: any JSON, kept small.
_SCALAR: Schema = {"type": ["null", "boolean", "integer", "number", "string"], "maxLength": 4}
_SMALL_JSON: Schema = {
    "anyOf": [
        _SCALAR,
        {"type": "array", "maxItems": 2, "items": _SCALAR},
        {"type": "object", "additionalProperties": _SCALAR},
    ]
}
_CONTAINERS = frozenset({"array", "object"})


def _strategy(node: Schema) -> st.SearchStrategy[Any]:
    """Values of ``node`` (a normalised schema), kept small.

    hypothesis-jsonschema draws every scalar (types, enums, consts, bounds: exclusive ones and
    integer-vs-number included); objects, arrays and ``anyOf`` are composed here with hypothesis'
    own strategies, because hypothesis-jsonschema builds an object's member strategies anew for
    every member it draws (some 30 ms a body for these schemas: a few seconds a test). It reads
    drafts 4 to 7 only, so 2020-12's ``dependentSchemas`` would be ignored; here it is a filter.
    """
    if "anyOf" in node:
        if set(node) != {"anyOf"}:
            raise UnsupportedSchema(f"anyOf beside other keywords: {sorted(node)}")
        return st.one_of([_strategy(branch) for branch in node["anyOf"]])
    if "type" not in node and node.keys() & {"properties", "required", "additionalProperties", "items"}:
        raise UnsupportedSchema(f"object or array keywords without a type: {sorted(node)}")
    types = json_types(node)
    if types & _CONTAINERS and len(types) > 1:
        split = types - {"integer"} if "number" in types else types  # a number may be an integer
        return st.one_of([_strategy({**node, "type": t}) for t in sorted(split)])
    if types == {"object"}:
        return _object(node)
    if types == {"array"}:
        items = node.get("items", True)
        low = node.get("minItems", 0)
        return st.lists(
            _strategy(_SMALL_JSON if items is True else items),
            min_size=low,
            max_size=min(node.get("maxItems", math.inf), max(low, MAX_ITEMS)),
        )
    if types == _ALL_TYPES and not node.keys() & {*_BOUNDS, *_LENGTHS}:
        return _strategy(_SMALL_JSON)
    leaf = dict(node)
    if "string" in types and "enum" not in leaf and "const" not in leaf:
        leaf["maxLength"] = min(leaf.get("maxLength", math.inf), max(leaf.get("minLength", 0), MAX_STRING))
    return from_schema(leaf)


def _dependent_rule(
    trigger: str, validator: jsonschema.Draft202012Validator
) -> Callable[[dict[str, Any]], bool]:
    """A filter for bodies that keep a ``dependentSchemas`` rule: no trigger, or the rule holds."""

    def holds(body: dict[str, Any]) -> bool:
        return trigger not in body or bool(validator.is_valid(body))

    return holds


def _first(n: int) -> Callable[[list[Any]], list[Any]]:
    """A change that keeps the first ``n`` items of a list."""
    return lambda items: items[:n]


def _repeated(n: int) -> Callable[[list[Any]], list[Any]]:
    """A change that makes a list ``n`` items long by repeating it."""
    return lambda items: (items * n)[:n]


def _object(node: Schema) -> st.SearchStrategy[dict[str, Any]]:
    properties = node.get("properties", {})
    required = node.get("required", [])
    if set(required) - set(properties):
        raise UnsupportedSchema(f"required without a schema: {sorted(set(required) - set(properties))}")
    strategy = st.fixed_dictionaries(
        {name: _strategy(properties[name]) for name in required},
        optional={name: _strategy(s) for name, s in properties.items() if name not in required},
    )
    additional = node.get("additionalProperties", True)
    if additional is not False:
        names = st.text(max_size=6).filter(lambda name: name not in properties)
        values = _strategy(_SMALL_JSON if additional is True else additional)
        extras = st.dictionaries(names, values, max_size=MAX_EXTRA_PROPERTIES)
        strategy = st.builds(lambda known, unknown: {**unknown, **known}, strategy, extras)
    for trigger, dependent in node.get("dependentSchemas", {}).items():
        strategy = strategy.filter(_dependent_rule(trigger, jsonschema.Draft202012Validator(dependent)))
    return strategy


def _forced(node: Schema, choice: int) -> Schema:
    """``node`` with every property required, every array non-empty and, in each ``anyOf``, only
    its ``choice``-th non-null branch: every path of the schema is then in every body."""
    out = dict(node)
    if "anyOf" in out:
        branches = [b for b in out.pop("anyOf") if json_types(b) != {"null"}]
        branch = _forced(branches[choice % len(branches)], choice)
        if set(branch) & set(out):
            raise UnsupportedSchema(f"anyOf beside keywords its branch also has: {sorted(out)}")
        return {**out, **branch}
    if "properties" in out:
        out["properties"] = {k: _forced(v, choice) for k, v in out["properties"].items()}
        out["required"] = sorted({*out.get("required", ()), *out["properties"]})
    if isinstance(out.get("items"), dict):
        out["items"] = _forced(out["items"], choice)
        out["minItems"] = max(out.get("minItems", 0), 1)
    if isinstance(out.get("type"), list) and len(out["type"]) > 1:
        out["type"] = [t for t in out["type"] if t != "null"]
    return out


def _anyof_width(node: Any) -> int:
    """The most non-null branches of any one ``anyOf`` in ``node``."""
    if isinstance(node, list):
        return max((_anyof_width(item) for item in node), default=1)
    if not isinstance(node, dict):
        return 1
    own = len([b for b in node["anyOf"] if json_types(b) != {"null"}]) if "anyOf" in node else 1
    return max(own, *(_anyof_width(value) for value in node.values()))


@functools.cache
def valid_bodies(api: str, kind: str) -> st.SearchStrategy[Any]:
    """Bodies the spec allows (the tests check each against ``oracle``, not assume it)."""
    return _strategy(_spec_schema(api, kind))


@functools.cache
def profiles(api: str, kind: str) -> tuple[Schema, ...]:
    """Forced variants of the spec's schema: together they hold every path of it."""
    schema = _spec_schema(api, kind)
    return tuple(_forced(schema, choice) for choice in range(_anyof_width(schema)))


@functools.cache
def full_bodies(api: str, kind: str, profile: int) -> st.SearchStrategy[Any]:
    """Valid bodies in which every path of ``profiles(api, kind)[profile]`` is present."""
    return _strategy(profiles(api, kind)[profile])


# --- near misses ----------------------------------------------------------------------------

# What a model is expected to do with a near miss, beyond "the spec rejects it":
#   "reject"  every model rejects it (and validate_params names the field);
#   "enum"    a value outside a documented enum: the lenient response model keeps it;
#   "extra"   an unknown property of a closed object: the lenient response model keeps it;
#   "lax"     a wrong JSON type that pydantic's lax mode converts (a numeric string for a number,
#             "true" or 1 for a boolean, a boolean for a number);
#   "null"    null for an optional property whose schema does not allow null.
Expect = Literal["reject", "enum", "extra", "lax", "null"]

# One value of each JSON type, and the types a lax pydantic validator converts it to.
_WRONG_VALUES: tuple[tuple[str, Any, frozenset[str]], ...] = (
    ("a string", "x", frozenset()),
    ("a numeric string", "7", frozenset({"integer", "number"})),
    ('the string "true"', "true", frozenset({"boolean"})),
    ("the integer 2", 2, frozenset()),
    ("the integer 1", 1, frozenset({"boolean"})),
    ("a fraction", 0.5, frozenset()),
    ("a boolean", True, frozenset({"integer", "number"})),
    ("an array", [], frozenset()),
    ("an object", {}, frozenset()),
    ("null", None, frozenset()),
)


@dataclasses.dataclass(frozen=True, eq=False)
class Mutation:
    """One rule of the spec broken at one place of an otherwise valid body."""

    rule: str  # the keyword broken, and how
    path: Path  # the value set or deleted
    expect: Expect
    delete: bool = False
    value: Any = None
    change: Callable[[Any], Any] | None = None  # the new value, from the old one

    @property
    def field(self) -> str:
        """The path as validate_params names it: ``messages[0].role``."""
        return render(self.path)

    @property
    def top_level(self) -> bool:
        return len(self.path) == 1

    def __str__(self) -> str:
        return f"{self.field or '<body>'}: {self.rule}"

    def apply(self, body: Any) -> Any:
        """A copy of ``body`` with the mutation made (``body`` itself is left as it was)."""
        mutated = copy.copy(body)
        *parents, last = self.path
        target = mutated
        for step in parents:  # only the containers on the path are copied
            target[step] = copy.copy(target[step])
            target = target[step]
        if self.delete:
            del target[last]
        elif self.change is not None:
            target[last] = self.change(target[last])
        else:
            target[last] = copy.deepcopy(self.value)
        return mutated


def render(path: Path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def _branches(schema: Schema) -> list[Schema]:
    return list(schema.get("anyOf", [schema]))


def _outside(values: list[Any]) -> Any:
    """A value of the same type as ``values`` that is none of them."""
    sample = values[0]
    if isinstance(sample, bool):
        return not sample if len(values) == 1 else "neither"
    if isinstance(sample, (int, float)):
        return max(values) + 1
    if isinstance(sample, str):
        candidate = "unknown"
        while candidate in values:
            candidate += "-value"
        return candidate
    raise UnsupportedSchema(f"enum or const of {json_type(sample)} values")


def _value_rules(path: Path, schema: Schema) -> Iterator[Mutation]:
    """Near misses of the value at ``path``: bounds, enums, lengths."""
    for branch in _branches(schema):
        integer = json_types(branch) <= {"integer"}

        def below(bound: float, integer: bool = integer) -> float:
            return bound - 1 if integer else math.nextafter(bound, -math.inf)

        def above(bound: float, integer: bool = integer) -> float:
            return bound + 1 if integer else math.nextafter(bound, math.inf)

        if "minimum" in branch:
            yield Mutation(f"minimum {branch['minimum']}", path, "reject", value=below(branch["minimum"]))
        if "maximum" in branch:
            yield Mutation(f"maximum {branch['maximum']}", path, "reject", value=above(branch["maximum"]))
        for keyword in ("exclusiveMinimum", "exclusiveMaximum"):
            if keyword in branch:
                yield Mutation(f"{keyword} {branch[keyword]}", path, "reject", value=branch[keyword])
        if "enum" in branch:
            yield Mutation(f"enum {branch['enum']}", path, "enum", value=_outside(branch["enum"]))
        if "const" in branch:
            yield Mutation(f"const {branch['const']!r}", path, "enum", value=_outside([branch["const"]]))
        if "minItems" in branch and branch["minItems"] > 0:
            n = branch["minItems"]
            yield Mutation(f"minItems {n}", path, "reject", change=_first(n - 1))
        if "maxItems" in branch:
            n = branch["maxItems"]
            yield Mutation(f"maxItems {n}", path, "reject", change=_repeated(n + 1))
        if "minLength" in branch and branch["minLength"] > 0:
            yield Mutation(
                f"minLength {branch['minLength']}", path, "reject", value="x" * (branch["minLength"] - 1)
            )
        if "maxLength" in branch:
            yield Mutation(
                f"maxLength {branch['maxLength']}", path, "reject", value="x" * (branch["maxLength"] + 1)
            )


def _type_rules(path: Path, schema: Schema, *, optional: bool) -> Iterator[Mutation]:
    allowed = json_types(schema)
    named = "/".join(sorted(allowed - {"integer"} if "number" in allowed else allowed))
    for label, value, lax_for in _WRONG_VALUES:
        if json_type(value) in allowed:
            continue
        if value is None:
            expect: Expect = "null" if optional else "reject"
        else:
            expect = "lax" if lax_for & allowed else "reject"
        yield Mutation(f"type {named}: got {label}", path, expect, value=value)


def _object_rules(path: Path, schema: Schema) -> Iterator[Mutation]:
    """Near misses of the object at ``path``: unknown properties, dependent schemas."""
    for branch in _branches(schema):
        if branch.get("additionalProperties") is False:
            unknown = (*path, UNKNOWN_PROPERTY)
            yield Mutation("additionalProperties false", unknown, "extra", value="x")
        for trigger, dependent in branch.get("dependentSchemas", {}).items():
            extra = set(dependent) - {"required", "properties"}
            if extra:
                raise UnsupportedSchema(f"dependentSchemas[{trigger!r}] with {sorted(extra)}")
            for name in dependent.get("required", ()):
                rule = f"dependentSchemas: {trigger} requires {name}"
                yield Mutation(rule, (*path, name), "reject", delete=True)
            for name, rules in dependent.get("properties", {}).items():
                for mutation in _value_rules((*path, name), rules):
                    rule = f"dependentSchemas: with {trigger}, {name} {mutation.rule}"
                    yield dataclasses.replace(mutation, rule=rule, expect="reject")


def _walk(path: Path, schema: Schema, *, required: bool, optional: bool) -> Iterator[Mutation]:
    """Near misses at ``path`` and below: ``required``, a property that may not be deleted;
    ``optional``, one that may be absent (an array item is neither)."""
    if path:
        if required:
            yield Mutation("required", path, "reject", delete=True)
        yield from _type_rules(path, schema, optional=optional)
        yield from _value_rules(path, schema)
    yield from _object_rules(path, schema)
    for branch in _branches(schema):
        needed = set(branch.get("required", ()))
        for name, sub in branch.get("properties", {}).items():
            yield from _walk((*path, name), sub, required=name in needed, optional=name not in needed)
        if isinstance(branch.get("items"), dict):
            yield from _walk((*path, 0), branch["items"], required=False, optional=False)


def _holds(schema: Schema, path: Path) -> bool:
    """Whether every body of the forced ``schema`` has a value at ``path``."""
    node = schema
    for step in path:
        child = node.get("items") if isinstance(step, int) else node.get("properties", {}).get(step)
        if not isinstance(child, dict):
            return False
        node = child
    return True


def _site(mutation: Mutation) -> Path:
    """The path a body must hold for ``mutation`` to apply (the object, for a new property)."""
    return mutation.path[:-1] if mutation.rule == "additionalProperties false" else mutation.path


@functools.cache
def mutations(api: str, kind: str) -> tuple[tuple[Mutation, int], ...]:
    """Every near miss of ``kind`` bodies, each with the profile whose bodies it applies to."""
    found = []
    for mutation in _walk((), _spec_schema(api, kind), required=False, optional=False):
        where = [i for i, p in enumerate(profiles(api, kind)) if _holds(p, _site(mutation))]
        if not where:
            raise UnsupportedSchema(f"{api} {kind}: no forced profile holds {mutation}")
        found.append((mutation, where[0]))
    return tuple(found)


# --- comparison -----------------------------------------------------------------------------


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: types must match, except that numbers compare by value.

    JSON (and JSON Schema) do not tell 1 from 1.0, while pydantic turns the integer 1 in a
    ``number`` field into the float 1.0; ``==`` alone would also equate True with 1.
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b
