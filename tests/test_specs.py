"""The specs themselves: valid OpenAPI 3.2, examples valid against their own schemas."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate

from codegen.schema_views import stream_chunk
from codegen.validate_specs import example_errors, examples
from tests import specs

APIS = sorted(specs.CONFIG.specs)


@pytest.mark.parametrize("api", APIS)
def test_spec_is_valid_openapi_32(api: str) -> None:
    # 3.2 for the event streams' itemSchema; Prism 5.14, datamodel-code-generator and
    # Schemathesis read it (tests/test_prism.py, make generate, tests/test_schemathesis.py).
    document = specs.spec(api)
    assert document["openapi"].startswith("3.2")
    validate(document)


@pytest.mark.parametrize("api", APIS)
def test_every_example_matches_its_schema(api: str) -> None:
    document = specs.spec(api)
    assert sum(1 for _ in examples(document)) >= 2
    assert example_errors(document) == []


def _documented_response(document: dict[str, Any]) -> dict[str, Any]:
    ((_, item),) = document["paths"].items()
    value: dict[str, Any] = item["post"]["responses"]["200"]["content"]["application/json"]["examples"][
        "documented"
    ]["value"]
    return value


@pytest.mark.parametrize("api", APIS)
def test_example_checker_catches_a_broken_example(api: str) -> None:
    document = copy.deepcopy(specs.spec(api))
    response = _documented_response(document)
    response["choices"][0]["index"] = "zero"
    del response["id"]
    problems = example_errors(document)
    assert any("choices/0/index" in p and "integer" in p for p in problems)
    assert any("'id' is a required property" in p for p in problems)


# Keywords whose subschemas constrain a value that is described elsewhere: they make no class.
# ``itemSchema`` (OpenAPI 3.2) describes one server-sent event of a stream, the framing around a
# chunk: codegen reads only the chunk named in its ``data``'s contentSchema (a component).
_CONSTRAINTS = {"dependentSchemas", "if", "then", "else", "not", "examples", "example", "itemSchema"}


def unnamed_objects(node: Any, where: str, *, top: bool = False) -> Iterator[str]:
    """Where ``node`` holds an object schema with properties that is not a named component:
    each would become a generated class named after its place (``Model1``, ``ItemsItem``).

    The walk goes everywhere a schema may nest (properties, items, anyOf/oneOf/allOf,
    additionalProperties, the operations' bodies), whatever the ``type`` says: an object may
    be ``type: [object, "null"]`` or have no type at all.
    """
    if isinstance(node, dict):
        if not top and "properties" in node and "$ref" not in node:
            yield where
        for key, value in node.items():
            if key not in _CONSTRAINTS:
                yield from unnamed_objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from unnamed_objects(value, f"{where}/{index}")


def _all_unnamed(document: dict[str, Any]) -> list[str]:
    found = list(unnamed_objects(document.get("paths", {}), "#/paths"))
    for name, schema in document["components"]["schemas"].items():
        found += unnamed_objects(schema, f"#/components/schemas/{name}", top=True)
    return found


@pytest.mark.parametrize("api", APIS)
def test_every_schema_is_named_and_described(api: str) -> None:
    document = specs.spec(api)
    for name, schema in document["components"]["schemas"].items():
        assert schema.get("description"), name
        for field, prop in schema.get("properties", {}).items():
            assert prop.get("description") or "$ref" in prop, f"{name}.{field}"
    assert _all_unnamed(document) == []


@pytest.mark.parametrize("api", APIS)
def test_the_naming_check_finds_inline_objects(api: str) -> None:
    """The check above can fail: inline objects put in three places are each found."""
    document = copy.deepcopy(specs.spec(api))
    inline = {"type": ["object", "null"], "properties": {"x": {"type": "string"}}}
    schemas = document["components"]["schemas"]
    schemas["Probe"] = {
        "description": "a probe",
        "properties": {"direct": inline, "listed": {"type": "array", "items": inline}},
    }
    (item,) = document["paths"].values()
    item["post"]["requestBody"]["content"]["application/json"]["schema"] = {"anyOf": [inline]}
    found = _all_unnamed(document)
    assert len(found) == 3, found
    assert "#/components/schemas/Probe/properties/direct" in found
    assert "#/components/schemas/Probe/properties/listed/items" in found
    assert any(where.endswith("/requestBody/content/application/json/schema/anyOf/0") for where in found)


@pytest.mark.parametrize("api", APIS)
def test_spec_names_its_source_page(api: str) -> None:
    """The page it transcribes: a copy in shared/seeds/ (the mission's three) or the vendor's URL."""
    source = specs.spec(api)["info"]["x-source"]
    assert (source.startswith("shared/seeds/") and source.endswith(".txt")) or source.startswith(
        "https://"
    ), source


@pytest.mark.parametrize("api", APIS)
def test_no_todo_of_the_scaffold_is_left(api: str) -> None:
    """``make new-api`` marks each fact still to transcribe with TODO; a spec ships with none."""
    text = (specs.ROOT / specs.CONFIG.specs[api].spec).read_text(encoding="utf-8")
    left = [line.strip() for line in text.splitlines() if "TODO" in line]
    assert not left, f"{api}: transcribe these from the vendor's page: {left}"


@pytest.mark.parametrize("api", sorted(specs.CONFIG.specs))
def test_streams_are_described_the_openapi_3_2_way(api: str) -> None:
    """itemSchema describes each event for standard tools (Schemathesis checks the mock's
    streams with it, codegen reads the chunk from it); schema is the whole stream."""
    _, op = specs.operation(api)
    stream = op["responses"]["200"]["content"]["text/event-stream"]
    assert specs.spec(api)["openapi"].startswith("3.2")
    assert "x-sse-event-schema" not in stream
    assert stream["itemSchema"]["required"] == ["data"]
    assert stream_chunk(stream) == {"$ref": "#/components/schemas/ChatCompletionChunk"}
    assert stream["schema"]["type"] == "array" and stream["schema"]["minItems"] == 1


def test_the_chunk_is_the_one_content_schema_of_the_item_schema() -> None:
    item = {"properties": {"data": {"anyOf": [{"const": "[DONE]"}, {"contentSchema": {"$ref": "#/x"}}]}}}
    assert stream_chunk({"itemSchema": item}) == {"$ref": "#/x"}
    assert stream_chunk({"x-sse-event-schema": {"$ref": "#/y"}}) == {"$ref": "#/y"}
    with pytest.raises(ValueError, match="exactly one contentSchema"):
        stream_chunk({"itemSchema": {"type": "object"}})
