"""Property tests: the generated models and the runtime's request check agree with each spec.

Bodies are generated from the spec's own JSON Schemas (tests/strategies.py: hypothesis-jsonschema
draws the scalars, hypothesis composes the objects and arrays), and each one is checked against
the spec with jsonschema first, so a disagreement is always between the spec and the code, never
with the generator:

* every valid request comes back unchanged from ``validate_params``; every valid response and
  stream chunk is accepted by the lenient and by the strict model and dumps back unchanged;
* every near miss (an otherwise valid body with exactly one rule of the spec broken: a bound, an
  enum, a required field, a JSON type, minItems, a dependentSchemas rule, an unknown field) is
  rejected: by ``validate_params`` naming the field, by the strict response models at that field;
  the lenient reading of a response (``strict_responses=False``) keeps every near miss as sent:
  a value outside an enum or an unknown field as a typed value, a missing required field as
  unset, a value of the wrong type in ``model_extra`` of its object.

Numbers are compared by value (``strategies.json_equal``): pydantic dumps the integer 1 given for a
``number`` field as 1.0, which JSON does not tell apart from 1 (a boolean never equals a number).

Two kinds of near miss once got through the strict response models: lax type conversions
("7" for an integer) and a null for an optional property the spec gives no null. Both are
now refused (pydantic's strict mode, ``chatcontract._nulls``), and each kind has its own test
here, which fails with the full list of the near misses accepted.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chatcontract
from chatcontract._generated._protocol import Endpoint
from chatcontract._nulls import forbidden_null
from chatcontract._request import validate_params
from chatcontract._response import read_lenient
from tests import specs
from tests import strategies as bodies
from tests.strategies import Mutation, json_equal, render

APIS = sorted(specs.CONFIG.specs)
RESPONSE_KINDS = ("response", "chunk")

_COMMON = settings(
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is deterministic
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
VALID = settings(_COMMON, max_examples=100)
NEAR_MISS = settings(_COMMON, max_examples=10)


def endpoint(api: str) -> Endpoint[Any]:
    module = importlib.import_module(f"chatcontract._generated.{api}_endpoint")
    found: Endpoint[Any] = module.ENDPOINT
    return found


def models(api: str, kind: str) -> tuple[type[pydantic.BaseModel], type[pydantic.BaseModel]]:
    """(lenient, strict) model of a response or chunk."""
    ep = endpoint(api)
    if kind == "response":
        return ep.response_model, ep.strict_response_model
    return ep.chunk_model, ep.strict_chunk_model


def dump(model: type[pydantic.BaseModel], body: Any) -> Any:
    return model.model_validate(body).model_dump(mode="json", exclude_unset=True, by_alias=True)


def assert_allowed_by_spec(api: str, kind: str, body: Any) -> None:
    errors = [
        f"{render(tuple(e.absolute_path))}: {e.message}" for e in bodies.oracle(api, kind).iter_errors(body)
    ]
    assert not errors, f"the generator made a body the spec rejects (a bug in tests/strategies.py): {errors}"


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def error_paths(error: pydantic.ValidationError, body: Any) -> set[str]:
    """Where in ``body`` each error is, as ``render`` spells it; pydantic's names of union
    members ("str", "list[ContentPart]") in a location are not places in the body and are skipped."""
    found = set()
    for detail in error.errors(include_url=False):
        node, path = body, []
        loc = detail["loc"]
        for i, part in enumerate(loc):
            if _has(node, part):
                node = node[part]
                path.append(part)
            elif detail["type"] == "missing" and i == len(loc) - 1:
                path.append(part)
        found.add(render(tuple(path)))
    return found


def _within(paths: Iterable[str], field: str) -> bool:
    return all(p == field or p.startswith((f"{field}.", f"{field}[")) for p in paths)


# --- the specs as data -----------------------------------------------------------------------


def test_every_spec_is_covered() -> None:
    assert {endpoint(api).name for api in APIS} == set(specs.CONFIG.specs)
    for api in APIS:
        for kind in bodies.KINDS:
            assert bodies.mutations(api, kind), (api, kind)


@pytest.mark.parametrize(
    "schema",
    [{"type": "string", "pattern": "^a"}, {"oneOf": [{"type": "string"}]}, {"$ref": "#/$defs/X"}],
    ids=["pattern", "oneOf", "foreign-ref"],
)
def test_a_schema_keyword_not_generated_nor_mutated_fails_loudly(schema: dict[str, Any]) -> None:
    # A keyword added to a spec is either covered here or fails the suite: never ignored.
    with pytest.raises(bodies.UnsupportedSchema):
        bodies.normalise(schema, {})


# --- valid bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
@VALID
@given(data=st.data())
def test_valid_request_passes_unchanged(api: str, data: st.DataObject) -> None:
    body = data.draw(bodies.valid_bodies(api, "request"), label="request")
    assert_allowed_by_spec(api, "request", body)
    sent = validate_params(endpoint(api), body)
    assert json_equal(sent, body), sent


@pytest.mark.parametrize("kind", RESPONSE_KINDS)
@pytest.mark.parametrize("api", APIS)
@VALID
@given(data=st.data())
def test_valid_response_parses_losslessly(api: str, kind: str, data: st.DataObject) -> None:
    body = data.draw(bodies.valid_bodies(api, kind), label=kind)
    assert_allowed_by_spec(api, kind, body)
    raw = json.dumps(body, ensure_ascii=False)
    for model in models(api, kind):
        dumped = dump(model, body)
        assert json_equal(dumped, body), f"{model.__module__}.{model.__name__}: {dumped}"
        # What the runtime does with a response's bytes (chatcontract._response.parse_body).
        parsed = model.model_validate_json(raw).model_dump(mode="json", exclude_unset=True, by_alias=True)
        assert json_equal(parsed, body), f"{model.__module__}.{model.__name__} from JSON: {parsed}"


# --- near misses ----------------------------------------------------------------------------

Check = Callable[[Mutation, Any], Iterator[str]]


def near_misses(api: str, kind: str, expect: set[str], check: Check) -> dict[str, str]:
    """Run ``check`` on every near miss of ``kind`` bodies whose expectation is in ``expect``,
    starting from generated valid bodies; the problems found, by near miss (empty: all fine)."""
    chosen = [(m, profile) for m, profile in bodies.mutations(api, kind) if m.expect in expect]
    assert chosen, f"{api} {kind}: no near miss of kind {sorted(expect)}"
    count = len(bodies.profiles(api, kind))
    problems: dict[str, str] = {}
    checked: set[str] = set()  # near misses the spec was seen to reject

    # The problems are collected rather than asserted at once, so that one run reports every
    # disagreement (and no time goes on shrinking the base bodies of the expected failures).
    @NEAR_MISS
    @given(st.tuples(*(bodies.full_bodies(api, kind, i) for i in range(count))))
    def probe(bases: tuple[Any, ...]) -> None:
        for base in bases:
            assert_allowed_by_spec(api, kind, base)
        for mutation, profile in chosen:
            body = mutation.apply(bases[profile])
            if str(mutation) not in checked:  # once per near miss: keeps the run fast
                if bodies.oracle(api, kind).is_valid(body):
                    problems.setdefault(str(mutation), "the spec accepts it (a bug in tests/strategies.py)")
                    continue
                checked.add(str(mutation))
            for problem in check(mutation, body):
                problems.setdefault(str(mutation), f"{problem}; body {json.dumps(body, ensure_ascii=False)}")

    probe()
    return problems


def _report(problems: dict[str, str]) -> str:
    return f"{len(problems)} near misses:\n" + "\n".join(f"  {k} -> {v}" for k, v in sorted(problems.items()))


def check_request(api: str) -> Check:
    def check(mutation: Mutation, body: Any) -> Iterator[str]:
        if mutation.expect == "null" and mutation.top_level:
            return  # validate_params reads a top-level None as "not sent": nothing to reject
        try:
            sent = validate_params(endpoint(api), body)
        except chatcontract.RequestValidationError as error:
            if error.field != mutation.field:
                yield f"rejected, but naming {error.field!r}"
        else:
            yield f"accepted, sent as {json.dumps(sent, ensure_ascii=False)}"

    return check


def check_strict(api: str, kind: str) -> Check:
    """The runtime's strict check (``strict_responses=True``): pydantic strict mode, then the
    spec's never-null properties."""
    _, strict = models(api, kind)

    def check(mutation: Mutation, body: Any) -> Iterator[str]:
        try:
            parsed = strict.model_validate_json(json.dumps(body), strict=True)
        except pydantic.ValidationError as error:
            paths = error_paths(error, body)
            if not _within(paths, mutation.field):
                yield f"strict model rejected it at {sorted(paths)}"
            return
        null = forbidden_null(endpoint(api), parsed)
        if not null:
            dumped = parsed.model_dump(mode="json", exclude_unset=True, by_alias=True)
            yield f"strict model accepted it as {json.dumps(dumped, ensure_ascii=False)}"
        elif not _within([null], mutation.field):
            yield f"strict check refused a null at {null}"

    return check


def check_response(api: str, kind: str) -> Check:
    lenient, _ = models(api, kind)
    strict_check = check_strict(api, kind)

    def check(mutation: Mutation, body: Any) -> Iterator[str]:
        yield from strict_check(mutation, body)
        parsed = read_lenient(lenient, json.dumps(body))
        if parsed is None:
            yield "the lenient reading refused it"
            return
        dumped = parsed.model_dump(mode="json", exclude_unset=True, by_alias=True)
        if not json_equal(dumped, body):
            yield f"the lenient reading changed it to {json.dumps(dumped, ensure_ascii=False)}"

    return check


@pytest.mark.parametrize("api", APIS)
def test_request_near_miss_is_rejected_naming_the_field(api: str) -> None:
    # "lax" near misses (a numeric string for a number, 1 for a boolean, ...) are rejected too:
    # validate_params checks in pydantic's strict mode; so is a nested null the spec does not allow.
    problems = near_misses(api, "request", {"reject", "enum", "extra", "lax", "null"}, check_request(api))
    assert not problems, _report(problems)


@pytest.mark.parametrize("kind", RESPONSE_KINDS)
@pytest.mark.parametrize("api", APIS)
def test_response_near_miss_is_rejected_strictly_and_kept_leniently(api: str, kind: str) -> None:
    problems = near_misses(api, kind, {"reject", "enum", "extra"}, check_response(api, kind))
    assert not problems, _report(problems)


@pytest.mark.parametrize("kind", RESPONSE_KINDS)
@pytest.mark.parametrize("api", APIS)
def test_response_lax_type_is_rejected_strictly(api: str, kind: str) -> None:
    problems = near_misses(api, kind, {"lax"}, check_strict(api, kind))
    assert not problems, _report(problems)


@pytest.mark.parametrize("kind", RESPONSE_KINDS)
@pytest.mark.parametrize("api", APIS)
def test_response_null_for_optional_field_is_rejected_strictly(api: str, kind: str) -> None:
    problems = near_misses(api, kind, {"null"}, check_strict(api, kind))
    assert not problems, _report(problems)
