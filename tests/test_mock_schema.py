"""The mock's request validator (chatcontract.mock._schema) against jsonschema and the specs.

The mock checks requests with its own JSON Schema validator over the spec's request schema,
bundled by codegen (``Endpoint.request_schema``). Its verdicts must equal jsonschema's over
the spec itself (with int32/int64 formats asserted, as the spec types them) on every
documented example, every rule case and a grid of odd values for every documented field.
"""

from __future__ import annotations

import ast
import functools
from typing import Any

import jsonschema
import pytest

from chatcontract.mock._apis import APIS
from chatcontract.mock._schema import INTEGER_FORMATS, Validator, json_equal
from tests import specs

ENDPOINTS = {endpoint.name: endpoint for api in APIS.values() for endpoint in api.endpoints}
# Values of every JSON kind, the integers JSON Schema counts (1.0) and those int64 cannot hold.
ODD_VALUES: list[Any] = [None, True, False, 0, 1, 1.0, 1.5, -1, 2**63, 1e20, "", "x", [], [1], {}, {"a": 1}]

FORMATS = jsonschema.FormatChecker()
for _name, (_low, _high) in INTEGER_FORMATS.items():
    FORMATS.checks(_name)(
        lambda value, low=_low, high=_high: not isinstance(value, (int, float)) or low <= value <= high
    )


@functools.cache
def reference(api: str) -> jsonschema.Draft202012Validator:
    """jsonschema over the request schema as the spec's YAML has it (nothing codegen made)."""
    document = specs.spec(api)
    _, op = specs.operation(api)
    schema = {
        **op["requestBody"]["content"]["application/json"]["schema"],
        "components": document["components"],
    }
    return jsonschema.Draft202012Validator(schema, format_checker=FORMATS)


@functools.cache
def mock_validator(api: str) -> Validator:
    return Validator(ENDPOINTS[api].request_schema)


def _agree(api: str, body: Any) -> bool:
    expected = reference(api).is_valid(body)
    violation = mock_validator(api).first_violation(body)
    assert (violation is None) is expected, (api, body, violation)
    return expected


def _bodies() -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = [(e.api, e.request) for e in specs.exchanges()]
    for kind in ("violations", "accepted"):
        out += [(api, {**base, **case["params"]}) for api, base, case in specs.rule_cases(kind)]
    for api in sorted(specs.CONFIG.specs):
        base = next(e.request for e in specs.exchanges() if e.api == api)
        for field in ENDPOINTS[api].request_schema["properties"]:
            out += [(api, {**base, field: value}) for value in ODD_VALUES]
        out += [(api, {**base, "messages": [{"role": "user", "content": value}]}) for value in ODD_VALUES]
    return out


BODIES = _bodies()


@pytest.mark.parametrize(("api", "body"), BODIES, ids=[f"{a}-{n}" for n, (a, _) in enumerate(BODIES)])
def test_the_mock_validator_agrees_with_jsonschema(api: str, body: Any) -> None:
    _agree(api, body)


def test_the_grid_has_both_verdicts_for_every_api() -> None:
    for api in specs.CONFIG.specs:
        verdicts = {reference(api).is_valid(body) for name, body in BODIES if name == api}
        assert verdicts == {True, False}, api


@pytest.mark.parametrize(
    ("value", "valid"),
    [(1, True), (1.0, True), (4096.0, True), (1.5, False), (1e20, False), (2**63, False), (True, False)],
)
def test_integers_follow_the_spec_type_and_int64_format(value: Any, valid: bool) -> None:
    body = {
        "model": "MiniMax-M2.7",
        "messages": [{"role": "user", "content": "hi"}],
        "max_completion_tokens": value,
    }
    assert _agree("minimax", body) is valid


def test_json_equality_is_json_schema_s() -> None:
    assert json_equal(1, 1.0) and json_equal([1, {"a": 2}], [1.0, {"a": 2.0}])
    assert not json_equal(True, 1) and not json_equal(0, False) and not json_equal("1", 1)


def test_a_keyword_the_validator_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="patternProperties"):
        Validator({"type": "object", "patternProperties": {"^x": {"type": "string"}}})


def test_violations_name_the_deepest_field() -> None:
    violation = mock_validator("minimax").first_violation(
        {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}
    )
    assert violation is not None and violation.path == "messages[0].content[0].text"
    assert violation.rule == "must be a string, not an integer"


def test_the_mock_shares_no_rule_code_with_the_client() -> None:
    """An independent witness: no mock module imports the client's request checks."""
    client_rules = {"_request", "_nulls", "_response"}
    for path in sorted((specs.ROOT / "src/chatcontract/mock").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                parts = set((node.module or "").split(".")) | {alias.name for alias in node.names}
                assert not parts & client_rules, f"{path.name} imports {sorted(parts & client_rules)}"
