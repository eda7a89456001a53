"""Every decision recorded as ``x-transcription-note`` in a spec is pinned by a check here.

A new note without a pin fails ``test_every_note_is_pinned``: say what the note decided by
adding a check to PINS.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import pydantic
import pytest
import respx

import chatcontract
from chatcontract._generated._protocol import Endpoint
from chatcontract._request import validate_params
from chatcontract.mock._app import App
from tests import specs

STREAM = "/paths/~1v1~1chat~1completions/post/responses/200/content/text~1event-stream"
REQUEST = "/components/schemas/ChatCompletionRequest"


def _endpoint(api: str) -> Endpoint[Any]:
    return next(e for e in specs.client_class(api)._api.endpoints if e.name == api)


# Each check returns what it checked, so that a pin can run several in one lambda (a tuple).
def _accepts(api: str, **params: Any) -> dict[str, Any]:
    base = specs.rule_cases("accepted")
    request = next(b for a, b, _ in base if a == api)
    return validate_params(_endpoint(api), {**request, **params})


def _rejects(api: str, field: str, **params: Any) -> chatcontract.RequestValidationError:
    with pytest.raises(chatcontract.RequestValidationError) as raised:
        _accepts(api, **params)
    assert raised.value.field == field
    return raised.value


def _response(api: str) -> dict[str, Any]:
    return next(e for e in specs.exchanges() if e.api == api).response


def _strict_ok(api: str, body: dict[str, Any], *, chunk: bool = False) -> pydantic.BaseModel:
    endpoint = _endpoint(api)
    (endpoint.strict_chunk_model if chunk else endpoint.strict_response_model).model_validate(body)
    return (endpoint.chunk_model if chunk else endpoint.response_model).model_validate(body)


def _strict_fails(api: str, body: dict[str, Any]) -> pydantic.ValidationError:
    with pytest.raises(pydantic.ValidationError) as raised:
        _endpoint(api).strict_response_model.model_validate(body)
    return raised.value


def _chunk(**fields: Any) -> dict[str, Any]:
    return {"id": "c1", "created": 1, "model": "m", "object": "chat.completion.chunk", **fields}


def _stream_shapes(api: str) -> None:
    _strict_ok(
        api, _chunk(choices=[{"index": 0, "delta": {"role": "assistant", "content": "Hi"}}]), chunk=True
    )
    _strict_ok(api, _chunk(choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]), chunk=True)
    usage = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    _strict_ok(api, _chunk(choices=[], usage=usage), chunk=True)


def _minimax_stream_shapes(api: str) -> None:
    _stream_shapes(api)
    _strict_ok(api, _chunk(choices=[{"index": 0, "delta": {"role": "", "content": "x"}}]), chunk=True)
    final = {"index": 0, "message": {"role": "assistant", "content": "x"}, "finish_reason": "stop"}
    _strict_ok(
        api, _chunk(choices=[final], object="chat.completion", base_resp={"status_code": 0}), chunk=True
    )


def _read_leniently(api: str, body: dict[str, Any], *, chunk: bool = False) -> Any:
    """``body`` sent whole (or as the one chunk of a stream) to a default, lenient client."""
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        url = next(e for e in specs.exchanges() if e.api == api).url
        request = next(e for e in specs.exchanges() if e.api == api).request
        if chunk:
            frame = b"data: " + json.dumps(body).encode() + b"\n\n"
            router.post(url).respond(200, content=frame, headers={"content-type": "text/event-stream"})
            (only,) = specs.client(api).chat.completions.create(**request, stream=True)
            return only
        router.post(url).respond(200, json=body)
        return specs.client(api).chat.completions.create(**request)


def _required_response_fields(api: str, *, chunk: bool = False) -> None:
    """Required binds strict_responses=True only; the lenient reading requires nothing."""
    body = _chunk(choices=[{"index": 0, "delta": {"content": "x"}}]) if chunk else _response(api)
    for field in ("id", "choices", "created", "model", "object"):
        without = {k: v for k, v in body.items() if k != field}
        if not chunk:
            _strict_fails(api, without)
        read = _read_leniently(api, without, chunk=chunk)
        assert getattr(read, field) == ([] if field == "choices" else None)
        assert read.model_dump(mode="json", exclude_unset=True) == without
    wrong = _read_leniently(api, {**body, "created": "yesterday"}, chunk=chunk)
    assert wrong.created is None and wrong.model_extra["created"] == "yesterday"
    if not chunk:
        _strict_ok(api, {k: v for k, v in body.items() if k != "usage"})
        no_message = {**body, "choices": [{"index": 0, "finish_reason": "stop"}]}
        assert _read_leniently(api, no_message).choices[0].message.content is None


def _required_chunk_fields(api: str) -> None:
    _required_response_fields(api, chunk=True)


def _finish_reasons(values: tuple[str, ...]) -> Callable[[str], None]:
    def check(api: str) -> None:
        body = _response(api)
        for value in values:
            _strict_ok(api, {**body, "choices": [{**body["choices"][0], "finish_reason": value}]})
        _strict_fails(api, {**body, "choices": [{**body["choices"][0], "finish_reason": "sleepy"}]})

    return check


def _content_type_is_json(api: str) -> None:
    """The page's required Content-Type header parameter: the client always sends it."""
    exchange = next(e for e in specs.exchanges() if e.api == api)
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(exchange.url).respond(200, json=exchange.response)
        specs.client(api).chat.completions.create(**exchange.request)
    assert route.calls.last.request.headers["Content-Type"] == "application/json"


def _gemini_usage(api: str) -> None:
    usage = _response(api)["usage"]
    model = _endpoint(api).strict_response_model.model_validate(_response(api))
    assert model.usage.input_tokens_details is None  # type: ignore[attr-defined]
    assert set(usage) <= set(type(model.usage).model_fields)  # type: ignore[attr-defined]


def _error_table_covers_codes(api: str) -> None:
    """x-errors: every mapped vendor code has a case in tests/fixtures/<api>/errors.yaml."""
    kinds = _endpoint(api).errors.kinds  # type: ignore[union-attr]
    tested = {entry["code"] for case_api, entry in specs.error_cases() if case_api == api}
    assert kinds and set(kinds) <= tested


def _minimax_reasoning_tokens(api: str) -> None:
    body = {
        **_response(api),
        "usage": {**_response(api)["usage"], "completion_tokens_details": {"reasoning_tokens": 9}},
    }
    _strict_ok(api, body)
    reply = _endpoint(api).response_model.model_validate(body)
    assert reply.usage.completion_tokens_details.reasoning_tokens == 9


WEATHER_TOOL = {  # the tool of MiniMax's function-call guide
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get weather of a location, the user should supply a location first.",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string", "description": "The city and state"}},
            "required": ["location"],
        },
    },
}


def _tools_checked(api: str) -> None:
    _accepts(api, tools=[WEATHER_TOOL])
    _rejects(api, "tools[0].type", tools=[{**WEATHER_TOOL, "type": "retrieval"}])
    _rejects(api, "tools[0].function.name", tools=[{"type": "function", "function": {}}])


def _tool_choice_documented_values(api: str) -> None:
    for value in ("none", "auto"):
        _accepts(api, tools=[WEATHER_TOOL], tool_choice=value)
    _rejects(api, "tool_choice", tool_choice="required")
    _rejects(api, "tool_choice", tool_choice={"type": "function", "function": {"name": "get_weather"}})


def _parallel_calls_at_one_index(api: str) -> None:
    """Two calls at index 0 with different ids: two calls once accumulated, strict or not."""
    pieces = [
        {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather"}},
        {"index": 0, "function": {"arguments": '{"location": '}},
        {"index": 0, "function": {"arguments": '"Paris"}'}},
        {"index": 0, "id": "call_2", "type": "function", "function": {"name": "get_weather"}},
        {"index": 0, "function": {"arguments": '{"location": "Rome"}'}},
    ]
    bodies = [_chunk(choices=[{"index": 0, "delta": {"tool_calls": [piece]}}]) for piece in pieces]
    for body in bodies:
        _strict_ok(api, body, chunk=True)
    chunks = [_endpoint(api).chunk_model.model_validate(body) for body in bodies]
    calls = chatcontract.accumulate(chunks, _endpoint(api).response_model).choices[0].message.tool_calls
    assert [(c.id, json.loads(c.function.arguments)) for c in calls] == [
        ("call_1", {"location": "Paris"}),
        ("call_2", {"location": "Rome"}),
    ]


def _evolink_tools_undocumented(api: str) -> None:
    _rejects(api, "tools", tools=[WEATHER_TOOL])
    _rejects(api, "tool_choice", tool_choice="auto")
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    _accepts(
        api,
        messages=[
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        ],
    )


def _null_is_not_a_value(api: str) -> None:
    """Optional parameters: null refused by the spec and the mock; None left out by the client."""
    base = next(b for a, b, _ in specs.rule_cases("accepted") if a == api)
    prefix = specs.api_id(api)
    optional = [f for f in _endpoint(api).request_schema["properties"] if f not in ("model", "messages")]
    assert {"stream", "temperature", "top_p"} <= set(optional)
    for field in optional:
        body = {**base, field: None}
        with pytest.raises(jsonschema.ValidationError):
            specs.check_against_spec(api, "request", body)
        content = json.dumps(body).encode()
        headers = {"authorization": "Bearer k", "content-type": "application/json"}
        headers["content-length"] = str(len(content))

        def read(size: int, sent: bytes = content) -> bytes:
            return sent

        answer = App().answer("POST", f"/{prefix}/v1/chat/completions", headers, read)
        assert answer.status == 400 and json.loads(answer.body)["error"]["message"].startswith(
            f"{field}: "
        ), field
        assert field not in validate_params(_endpoint(api), body)


def _evolink_minimax_request(api: str) -> None:
    _null_is_not_a_value(api)
    _rejects(api, "enable_search", search_options={"k": 1})
    _rejects(api, "enable_search", search_options={"k": 1}, enable_search=False)
    _accepts(api, search_options={"k": 1}, enable_search=True)


X_ERRORS = "/paths/~1v1~1chat~1completions/post/x-errors"

PINS: dict[tuple[str, str], Callable[[str], object]] = {
    ("minimax", X_ERRORS): _error_table_covers_codes,
    ("evolink_minimax_m2_5", X_ERRORS): _error_table_covers_codes,
    ("evolink_gemini_3_pro_preview", X_ERRORS): _error_table_covers_codes,
    ("minimax", "/components/schemas/Usage"): _minimax_reasoning_tokens,
    ("minimax", "/paths/~1v1~1chat~1completions/post/parameters/0"): _content_type_is_json,
    ("minimax", STREAM): _minimax_stream_shapes,
    ("minimax", f"{REQUEST}/properties/tools"): _tools_checked,
    ("minimax", f"{REQUEST}/properties/tool_choice"): _tool_choice_documented_values,
    ("minimax", "/components/schemas/ToolCallDelta"): _parallel_calls_at_one_index,
    ("minimax", f"{REQUEST}/properties/messages"): lambda api: _rejects(api, "messages", messages=[]),
    ("minimax", f"{REQUEST}/properties/max_completion_tokens"): lambda api: (
        _accepts(api, max_completion_tokens=4096),
        _accepts(api, max_completion_tokens=100_000),
        _rejects(api, "max_completion_tokens", max_completion_tokens=0),
    ),
    ("minimax", "/components/schemas/ChatMessage/properties/role"): lambda api: (
        _accepts(
            api, messages=[{"role": r, "content": "x"} for r in ("system", "user", "assistant", "tool")]
        ),
        _accepts(  # the chat guide's role settings and example dialogue (MiniMax issue 16)
            api,
            messages=[
                {"role": r, "content": "x"}
                for r in ("user_system", "group", "sample_message_user", "sample_message_ai", "user")
            ],
        ),
        _rejects(api, "messages[0].role", messages=[{"role": "developer", "content": "x"}]),
    ),
    ("minimax", "/components/schemas/ChatMessage/properties/content"): lambda api: _accepts(
        api, messages=[{"role": "system", "name": "MiniMax AI"}, {"role": "user", "content": "你好"}]
    ),
    ("minimax", "/components/schemas/ChatCompletion"): _required_response_fields,
    ("minimax", "/components/schemas/ChatCompletionChunk"): _required_chunk_fields,
    ("minimax", "/components/schemas/ChatCompletion/properties/output_sensitive_int"): lambda api: (
        _strict_ok(api, _response(api)),
        _strict_fails(api, {**_response(api), "output_sensitive_int": "zero"}),
    ),
    ("minimax", "/components/schemas/SensitiveType"): lambda api: (
        _strict_ok(api, {**_response(api), "input_sensitive_type": 0}),
        _strict_ok(api, {**_response(api), "input_sensitive": True, "input_sensitive_type": 7}),
        _strict_fails(api, {**_response(api), "input_sensitive_type": 8}),
    ),
    ("minimax", "/components/schemas/Choice/properties/finish_reason"): _finish_reasons(
        ("stop", "length", "tool_calls")
    ),
    ("evolink_minimax_m2_5", STREAM): _stream_shapes,
    ("evolink_minimax_m2_5", "/components/schemas/ChatMessage"): _evolink_tools_undocumented,
    ("evolink_gemini_3_pro_preview", "/components/schemas/ChatMessage"): _evolink_tools_undocumented,
    ("minimax", REQUEST): _null_is_not_a_value,
    ("evolink_gemini_3_pro_preview", REQUEST): _null_is_not_a_value,
    ("evolink_minimax_m2_5", REQUEST): _evolink_minimax_request,
    ("evolink_minimax_m2_5", f"{REQUEST}/properties/temperature"): lambda api: (
        _rejects(api, "temperature", temperature=0),
        _rejects(api, "temperature", temperature=1.0001),
        _accepts(api, temperature=1),
        _accepts(api, temperature=0.0001),
    ),
    ("evolink_minimax_m2_5", f"{REQUEST}/properties/top_p"): lambda api: (
        _rejects(api, "top_p", top_p=0),
        _accepts(api, top_p=1, temperature=0.5),
    ),
    ("evolink_minimax_m2_5", f"{REQUEST}/properties/enable_search"): lambda api: (
        _accepts(api, enable_search=True),
        _rejects(api, "enable_search", enable_search="true"),
    ),
    ("evolink_minimax_m2_5", f"{REQUEST}/properties/search_options"): lambda api: _accepts(
        api, enable_search=True, search_options={"anything": {"nested": [1]}}
    ),
    ("evolink_minimax_m2_5", "/components/schemas/ChatMessage/properties/content"): lambda api: _accepts(
        api, messages=[{"role": "user", "content": "q"}, {"role": "assistant", "tool_calls": []}]
    ),
    ("evolink_minimax_m2_5", "/components/schemas/ChatCompletion"): _required_response_fields,
    ("evolink_minimax_m2_5", "/components/schemas/ChatCompletionChunk"): _required_chunk_fields,
    ("evolink_minimax_m2_5", "/components/schemas/Choice/properties/finish_reason"): _finish_reasons(
        ("stop", "length", "tool_calls")
    ),
    ("evolink_gemini_3_pro_preview", STREAM): _stream_shapes,
    ("evolink_gemini_3_pro_preview", f"{REQUEST}/properties/max_tokens"): lambda api: (
        _accepts(api, max_tokens=16),  # more than the 15 "images" of the copied description
        _accepts(api, max_tokens=65536),
        _rejects(api, "max_tokens", max_tokens=0),
    ),
    ("evolink_gemini_3_pro_preview", f"{REQUEST}/properties/top_p"): lambda api: _accepts(
        api, top_p=0.5, temperature=1.5
    ),
    ("evolink_gemini_3_pro_preview", "/components/schemas/ChatCompletion"): _required_response_fields,
    ("evolink_gemini_3_pro_preview", "/components/schemas/ChatCompletionChunk"): _required_chunk_fields,
    ("evolink_gemini_3_pro_preview", "/components/schemas/Choice/properties/finish_reason"): _finish_reasons(
        ("stop", "length", "tool_calls", "content_filter")
    ),
    ("evolink_gemini_3_pro_preview", "/components/schemas/Usage"): _gemini_usage,
}


def _notes(node: Any, pointer: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        if "x-transcription-note" in node:
            yield pointer
        for key, value in node.items():
            yield from _notes(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _notes(value, f"{pointer}/{i}")


def test_every_note_is_pinned() -> None:
    notes = {(api, pointer) for api in specs.CONFIG.specs for pointer in _notes(specs.spec(api))}
    assert notes == set(PINS)


@pytest.mark.parametrize(("api", "pointer"), sorted(PINS), ids=lambda v: str(v))
def test_pinned_decision_holds(api: str, pointer: str) -> None:
    PINS[(api, pointer)](api)
