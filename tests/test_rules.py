"""Each API's documented rules, case by case from tests/fixtures/<api>/rules.yaml."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jsonschema
import pydantic
import pytest
import respx

import chatcontract
from tests import specs


def _ids(cases: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> list[str]:
    """Short ASCII ids (api, position, parameter names): mutmut selects tests by id, and an id
    with the JSON of a case (non-ASCII, backslashes) comes out escaped differently when pytest
    collects again in the same process."""
    return [f"{api}-{n}-{'-'.join(entry['params'])}" for n, (api, _, entry) in enumerate(cases)]


VIOLATIONS = specs.rule_cases("violations")
ACCEPTED = specs.rule_cases("accepted")


@pytest.mark.parametrize("case", VIOLATIONS, ids=_ids(VIOLATIONS))
def test_violation_raises_before_sending(case: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    api, base, entry = case
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        route = router.route().respond(200)
        with pytest.raises(chatcontract.RequestValidationError) as raised:
            specs.client(api).chat.completions.create(**{**base, **entry["params"]})
    assert route.call_count == 0
    error = raised.value
    assert isinstance(error, ValueError)
    assert error.field == entry["field"]
    assert str(error).startswith(f"{entry['field']}: ")
    assert entry["rule"] in str(error)
    assert specs.API_KEY not in str(error)
    if not entry.get("client_only"):
        with pytest.raises(jsonschema.ValidationError):  # the spec, read independently, agrees
            specs.check_against_spec(api, "request", {**base, **entry["params"]})


@pytest.mark.parametrize("case", ACCEPTED, ids=_ids(ACCEPTED))
def test_accepted_request_is_sent(case: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    api, base, entry = case
    url, op = specs.operation(api)
    response = op["responses"]["200"]["content"]["application/json"]["examples"]["documented"]["value"]
    params = {**base, **entry["params"]}
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(url).respond(200, json=response)
        specs.client(api).chat.completions.create(**params)
    sent = json.loads(route.calls.last.request.content)
    assert sent == params
    specs.check_against_spec(api, "request", sent)


# The error itself: message, field, rule and the per-problem list, for each kind of problem.
MINIMAX = specs.client_class("minimax")._api.endpoints[0]
WHERE = f"{'/'.join(MINIMAX.models)} request, documented in {MINIMAX.spec}"


def _refused(**params: Any) -> chatcontract.RequestValidationError:
    base = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hi"}]}
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        route = router.route().respond(200)
        with pytest.raises(chatcontract.RequestValidationError) as raised:
            specs.client("minimax").chat.completions.create(**{**base, **params})
    assert route.call_count == 0
    return raised.value


def test_a_top_level_rule_is_quoted_from_the_spec_with_pydantic_s_reason() -> None:
    error = _refused(temperature=1.5)
    (problem,) = error.errors
    assert (
        problem["field"] == "temperature"
        and problem["input"] == 1.5
        and problem["detail"] == "less_than_equal"
    )
    rule = MINIMAX.rules["temperature"]
    assert (error.field, error.rule) == ("temperature", rule)
    assert str(error) == f"temperature: must be {rule} ({WHERE}); got 1.5 [{problem['rule']}]"


def test_a_nested_problem_names_its_path_and_pydantic_s_rule() -> None:
    error = _refused(messages=[{"role": "user", "content": 5}])
    deepest = max(error.errors, key=lambda p: len(p["field"]))
    assert error.field == deepest["field"] and error.field.startswith("messages[0].content")
    assert error.rule == deepest["rule"]
    assert error.rule[:1].isupper()  # a sentence of pydantic's: quoted as it is, no "must be"
    assert str(error) == f"{error.field}: {error.rule} ({WHERE}); got 5"
    assert all(p["input"] == 5 and p["detail"] for p in error.errors if p["field"] == error.field)


def test_an_undocumented_parameter_is_refused_naming_the_documented_ones() -> None:
    error = _refused(foo="bar")
    documented = ", ".join(MINIMAX.rules)
    rule = f"a documented parameter ({documented}); send others with extra_body"
    assert (error.field, error.rule) == ("foo", rule)
    assert str(error) == f"foo: must be {rule} ({WHERE}); got 'bar'"
    assert error.errors == [
        {"field": "foo", "rule": error.errors[0]["rule"], "input": "bar", "detail": "extra_forbidden"}
    ]


@pytest.mark.parametrize("size", [78, 79, 200])
def test_a_long_value_is_shortened_in_the_message(size: int) -> None:
    value = "x" * size  # repr adds two quotes: 80 characters fit, more are cut to 77 and "..."
    error = _refused(temperature=value)
    shown = repr(value) if size + 2 <= 80 else repr(value)[:77] + "..."
    assert str(error).endswith(f"; got {shown} [{error.errors[0]['rule']}]")
    assert error.errors[0]["input"] == value  # the value itself is kept whole


def test_an_undocumented_model_is_refused_naming_the_documented_ones() -> None:
    error = _refused(model="MiniMax-M1")
    documented = ", ".join(repr(m) for m in MINIMAX.models)
    assert (
        str(error) == f"model: must be one of {documented} (documented in {MINIMAX.spec}); got 'MiniMax-M1'"
    )
    assert error.errors[0]["input"] == "MiniMax-M1"


def test_a_null_the_spec_does_not_allow_is_refused_by_its_path() -> None:
    error = _refused(messages=[{"role": "user", "name": None, "content": "hi"}])
    assert (error.field, error.rule) == ("messages[0].name", "absent or a value, not null")
    assert str(error) == f"messages[0].name: must be absent or a value, not null ({WHERE}); got None"
    assert error.errors == [
        {"field": "messages[0].name", "rule": "absent or a value, not null", "input": None, "detail": ""}
    ]


def test_a_parameter_another_one_needs_is_named_with_the_value_it_needs() -> None:
    endpoint = specs.client_class("evolink_minimax_m2_5")._api.endpoints
    where = next(e for e in endpoint if "MiniMax-M2.5" in e.models)
    base = {"model": "MiniMax-M2.5", "messages": [{"role": "user", "content": "hi"}]}
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        router.route().respond(200)
        with pytest.raises(chatcontract.RequestValidationError) as raised:
            specs.client("evolink_minimax_m2_5").chat.completions.create(
                **base, enable_search=False, search_options={}
            )
    error = raised.value
    assert (error.field, error.rule) == ("enable_search", "True when search_options is given")
    assert str(error) == (
        f"enable_search: True when search_options is given "  # a rule that starts upper-case: as is
        f"(MiniMax-M2.5 request, documented in {where.spec}); got False"
    )
    assert error.errors == [
        {"field": "enable_search", "rule": "True when search_options is given", "input": False, "detail": ""}
    ]


def test_a_reply_message_goes_back_into_the_history_as_it_was_sent() -> None:
    """MiniMax's function-call guide appends the whole assistant message of a reply."""
    from chatcontract._request import validate_params

    reply_message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
    }
    exchange = next(e for e in specs.exchanges() if e.api == "minimax")
    reply = MINIMAX.response_model.model_validate(
        {**exchange.response, "choices": [{"index": 0, "message": reply_message}]}
    )
    message = reply.choices[0].message
    history = [
        {"role": "user", "content": "hi"},
        message,
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
    ]
    body = validate_params(MINIMAX, {"model": "MiniMax-M2.7", "messages": tuple(history)})
    assert body["messages"] == [history[0], reply_message, history[2]]


def test_a_model_no_spec_of_the_api_documents_is_refused_naming_every_spec() -> None:
    endpoints = specs.client_class("evolink_minimax_m2_5")._api.endpoints
    error = _refused_by(endpoints, model="gpt-4o")
    documented = ", ".join(repr(m) for e in endpoints for m in e.models)
    where = ", ".join(e.spec for e in endpoints)
    assert len(endpoints) > 1
    assert str(error) == f"model: must be one of {documented} (documented in {where}); got 'gpt-4o'"
    assert error.errors == [
        {"field": "model", "rule": f"one of {documented}", "input": "gpt-4o", "detail": ""}
    ]


def _refused_by(endpoints: Any, **params: Any) -> chatcontract.RequestValidationError:
    from chatcontract._request import select_endpoint

    with pytest.raises(chatcontract.RequestValidationError) as raised:
        select_endpoint(endpoints, params["model"])
    return raised.value


class _Note(pydantic.BaseModel):
    """A reply model as it comes back in the history: a JSON name no Python name, bytes, unset fields."""

    model_config = pydantic.ConfigDict(extra="allow")
    role: str
    raw: bytes | None = None
    said_by: str | None = pydantic.Field(None, alias="said-by")
    name: str | None = None


class _Aliased(pydantic.BaseModel):
    """A request model as codegen writes one for a parameter whose JSON name is no Python name."""

    model_config = pydantic.ConfigDict(extra="forbid")
    model: str
    messages: list[dict[str, str]]
    tags: list[str] | None = None
    blob: bytes | None = None
    safe_mode: bool | None = pydantic.Field(None, alias="safe-mode")


ALIASED = dataclasses.replace(
    MINIMAX, request_model=_Aliased, rules={"safe-mode": "a boolean"}, required_when={}, not_null={}
)
NOTE = _Note.model_validate({"role": "assistant", "raw": b"hi", "said-by": "\u00e9mile"})
ALIASED_PARAMS = {"model": "MiniMax-M2.7", "messages": (NOTE,), "blob": b"ab", "safe-mode": True}
# What goes out: JSON names, JSON values (bytes as text), nothing that was not set, in model order.
ALIASED_BODY = {
    "model": "MiniMax-M2.7",
    "messages": [{"role": "assistant", "raw": "hi", "said-by": "\u00e9mile"}],
    "blob": "ab",
    "safe-mode": True,
}


def test_a_body_is_data_under_its_json_names() -> None:
    from chatcontract._request import validate_params

    assert validate_params(ALIASED, ALIASED_PARAMS) == ALIASED_BODY


@pytest.mark.parametrize(
    ("extra_body", "stream"),
    [(None, False), ({"x": "\u00fc"}, False), ({"stream": True}, True), ({"stream": "yes"}, False)],
    ids=["plain", "extra", "extra-stream", "extra-not-bool"],
)
def test_a_request_is_written_compactly_under_its_json_names(extra_body: Any, stream: bool) -> None:
    from chatcontract._request import prepare

    prepared = prepare(
        endpoints=[ALIASED],
        params=ALIASED_PARAMS,
        base_url="https://x.test",
        headers={"accept": "application/json"},
        stream_headers={"accept": "text/event-stream"},
        extra_headers=None,
        extra_body=extra_body,
    )
    body = {**ALIASED_BODY, **(extra_body or {})}
    assert prepared.content == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert prepared.stream is stream
    assert dict(prepared.headers) == {"accept": "text/event-stream" if stream else "application/json"}
    assert (prepared.method, prepared.url) == (MINIMAX.method, "https://x.test" + MINIMAX.path)


def test_a_problem_in_a_list_item_of_a_parameter_is_told_in_pydantic_s_words_alone() -> None:
    from chatcontract._request import validate_params

    with pytest.raises(chatcontract.RequestValidationError) as raised:
        validate_params(ALIASED, {"model": "MiniMax-M2.7", "messages": [], "tags": ["a", 5]})
    error = raised.value
    assert (error.field, error.rule) == ("tags[1]", "Input should be a valid string")
    assert str(error) == f"tags[1]: Input should be a valid string ({WHERE}); got 5"


def test_a_parameter_s_own_problem_quotes_its_rule_under_its_json_name() -> None:
    from chatcontract._request import validate_params

    with pytest.raises(chatcontract.RequestValidationError) as raised:
        validate_params(ALIASED, {"model": "MiniMax-M2.7", "messages": [], "safe-mode": "on"})
    error = raised.value
    assert (error.field, error.rule) == ("safe-mode", "a boolean")
    assert str(error).startswith("safe-mode: must be a boolean (") and str(error).endswith(
        "; got 'on' [Input should be a valid boolean]"
    )


@pytest.mark.parametrize(
    ("params", "field", "shown"),
    [({"blob": "text"}, "blob", "'text'"), ({"messages": 5}, "messages", "5")],
    ids=["no-rule", "not-a-list"],
)
def test_a_parameter_without_a_documented_rule_is_told_in_pydantic_s_words(
    params: dict[str, Any], field: str, shown: str
) -> None:
    from chatcontract._request import validate_params

    with pytest.raises(chatcontract.RequestValidationError) as raised:
        validate_params(ALIASED, {"model": "MiniMax-M2.7", "messages": [], **params})
    error = raised.value
    (problem,) = error.errors
    assert (error.field, error.rule) == (field, problem["rule"]) and error.rule.startswith("Input should be")
    assert str(error) == f"{field}: {error.rule} ({WHERE}); got {shown} [{error.rule}]"
