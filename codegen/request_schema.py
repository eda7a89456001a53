"""The request schema of a spec as one self-contained JSON Schema (draft 2020-12), for the mock.

Only validation keywords are kept (descriptions, examples and ``x-`` data are dropped) and
every ``#/components/schemas/<Name>`` reference becomes ``#/$defs/<Name>``, holding just the
schemas the request reaches. A keyword that is neither a known validation keyword nor a known
annotation stops codegen: the mock's validator must not meet a rule it silently ignores.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any


def _validator_keywords() -> frozenset[str]:
    """The keywords the mock's validator implements: its own ``KEYWORDS``, less the two the
    bundle writes itself. Its module needs only the standard library, so it is loaded from its
    file: codegen must not need an importable, up-to-date ``chatcontract`` (it makes one)."""
    path = Path(__file__).resolve().parents[1] / "src" / "chatcontract" / "mock" / "_schema.py"
    spec = importlib.util.spec_from_file_location("_chatcontract_mock_schema", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while a class is built
    spec.loader.exec_module(module)
    keywords: frozenset[str] = module.KEYWORDS
    return keywords - {"$schema", "$defs"}


# The keywords the mock's validator (chatcontract.mock._schema) implements.
VALIDATION = _validator_keywords()
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
