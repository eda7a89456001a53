"""Client construction, per-call options and response handling (lenient vs strict)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

import httpx
import pydantic
import pytest
import respx

import chatcontract
from tests import specs

MINIMAX = next(e for e in specs.exchanges() if e.api == "minimax")
GEMINI = next(e for e in specs.exchanges() if e.api == "evolink_gemini_3_pro_preview")


@pytest.mark.parametrize(
    ("cls", "env_var"), [(chatcontract.MiniMax, "MINIMAX_API_KEY"), (chatcontract.Evolink, "EVOLINK_API_KEY")]
)
def test_missing_key_names_the_variable(cls: type[chatcontract.MiniMax], env_var: str) -> None:
    with pytest.raises(chatcontract.MissingAPIKeyError, match=env_var):
        cls()


def test_key_and_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_API_KEY", "sk-from-env")
    monkeypatch.setenv("MINIMAX_BASE_URL", "http://127.0.0.1:8/mm")
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post("http://127.0.0.1:8/mm/v1/chat/completions").respond(200, json=MINIMAX.response)
        chatcontract.MiniMax().chat.completions.create(**MINIMAX.request)
    assert route.calls.last.request.headers["Authorization"] == "Bearer sk-from-env"


def test_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVOLINK_API_KEY", "sk-env")
    monkeypatch.setenv("EVOLINK_BASE_URL", "http://127.0.0.1:8")
    client = chatcontract.Evolink(api_key="sk-arg", base_url="http://127.0.0.1:9")
    assert client.base_url == "http://127.0.0.1:9"
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post("http://127.0.0.1:9/v1/chat/completions").respond(200, json=GEMINI.response)
        client.chat.completions.create(**GEMINI.request)
    assert route.calls.last.request.headers["Authorization"] == "Bearer sk-arg"


def test_documented_server_is_the_default() -> None:
    assert chatcontract.MiniMax(api_key="k").base_url == "https://api.minimaxi.com"
    assert chatcontract.Evolink(api_key="k").base_url == "https://api.evolink.ai"


def test_key_never_in_repr_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = specs.client("minimax")
    assert specs.API_KEY not in repr(client)
    assert specs.API_KEY not in repr(client._core.config)
    with respx.mock(assert_all_mocked=True) as router:
        router.post(MINIMAX.url).respond(401, json={"error": {"message": "bad key", "type": "auth"}})
        with pytest.raises(chatcontract.AuthenticationError) as raised:
            client.chat.completions.create(**MINIMAX.request)
    error = raised.value
    texts = [str(error), repr(error), repr(error.request), repr(error.request.headers), caplog.text]
    assert all(specs.API_KEY not in text for text in texts)


@pytest.mark.parametrize("exchange", specs.exchanges(), ids=str)
def test_arguments_given_as_none_are_not_sent(exchange: specs.Exchange) -> None:
    """The generated docstrings promise it: every documented parameter passed as ``None``
    leaves the body exactly as without it (no ``"temperature": null`` on the wire)."""
    _, op = specs.operation(exchange.api)
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = specs.spec(exchange.api)["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    documented = schema["properties"]
    nones = {name: None for name in documented if name not in exchange.request}
    assert nones, "every documented parameter is in the example: nothing to pass as None"
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(exchange.url).respond(200, json=exchange.response)
        specs.client(exchange.api).chat.completions.create(**exchange.request, **nones)
    assert json.loads(route.calls.last.request.content) == exchange.request


def test_extra_body_and_extra_headers_are_sent_unchecked() -> None:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(MINIMAX.url).respond(200, json=MINIMAX.response)
        specs.client("minimax").chat.completions.create(
            **MINIMAX.request,
            extra_body={"tools": [{"type": "function"}], "reasoning_split": True},
            extra_headers={"X-Trace": "t1"},
        )
    sent = route.calls.last.request
    assert json.loads(sent.content) == {
        **MINIMAX.request,
        "tools": [{"type": "function"}],
        "reasoning_split": True,
    }
    assert sent.headers["X-Trace"] == "t1"


@pytest.mark.parametrize(
    ("client_timeout", "call_timeout", "expected_read"),
    [
        (chatcontract.NOT_GIVEN, chatcontract.NOT_GIVEN, 600.0),
        (12.0, chatcontract.NOT_GIVEN, 12.0),
        (12.0, 3.0, 3.0),
        (chatcontract.NOT_GIVEN, httpx.Timeout(7.0), 7.0),
    ],
)
def test_timeouts(client_timeout: Any, call_timeout: Any, expected_read: float) -> None:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(MINIMAX.url).respond(200, json=MINIMAX.response)
        client = specs.client("minimax", timeout=client_timeout)
        client.chat.completions.create(**MINIMAX.request, timeout=call_timeout)
    assert route.calls.last.request.extensions["timeout"]["read"] == expected_read


def test_default_connect_timeout_is_short() -> None:
    assert chatcontract.DEFAULT_TIMEOUT.connect == 5.0
    assert chatcontract.DEFAULT_TIMEOUT.read == 600.0


def _reply(api: str, body: Any, *, strict: bool) -> Any:
    url, _ = specs.operation(api)
    base = next(e for e in specs.exchanges() if e.api == api).request
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(url).respond(200, json=body)
        return specs.client(api, strict_responses=strict).chat.completions.create(**base)


def test_lenient_keeps_unknown_fields_and_values() -> None:
    body = json.loads(json.dumps(MINIMAX.response))
    body["choices"][0]["finish_reason"] = "content_filter"
    body["choices"][0]["message"]["reasoning_details"] = [{"text": "..."}]
    body["model"] = "MiniMax-M3"
    body["object"] = "chat.completion.v2"
    reply = _reply("minimax", body, strict=False)
    assert reply.choices[0].finish_reason == "content_filter"
    assert reply.choices[0].message.model_extra == {"reasoning_details": [{"text": "..."}]}
    assert reply.model_dump(mode="json", exclude_unset=True) == body


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda b: b["choices"][0].update(finish_reason="content_filter"), "finish_reason"),
        (lambda b: b.update(object="chat.completion.v2"), "object"),
        (lambda b: b["choices"][0]["message"].update(reasoning_details=[]), "reasoning_details"),
        (lambda b: b.update(input_sensitive_type=9), "input_sensitive_type"),
        # Types match (optional fields are ``T | None``): only the spec's "no null here" refuses these.
        (lambda b: b.update(usage=None), ": usage: null where the spec allows none$"),
        (
            lambda b: b["base_resp"].update(status_msg=None),
            "base_resp.status_msg: null where the spec allows none$",
        ),
    ],
)
def test_strict_rejects_what_the_spec_does_not_allow(mutate: Any, where: str) -> None:
    body = json.loads(json.dumps(MINIMAX.response))
    mutate(body)
    with pytest.raises(chatcontract.APIResponseValidationError, match=where) as raised:
        _reply("minimax", body, strict=True)
    assert json.loads(raised.value.body) == body


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[]", b'{"id": 1}', b"<html>502 Bad Gateway</html>"], ids=repr
)
def test_unparseable_success_is_a_typed_error(body: bytes, strict: bool) -> None:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(MINIMAX.url).respond(200, content=body)
        with pytest.raises(chatcontract.APIResponseValidationError) as raised:
            specs.client("minimax", strict_responses=strict).chat.completions.create(**MINIMAX.request)
    assert raised.value.body == body


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, chatcontract.BadRequestError),
        (401, chatcontract.AuthenticationError),
        (402, chatcontract.InsufficientBalanceError),
        (403, chatcontract.PermissionDeniedError),
        (404, chatcontract.NotFoundError),
        (429, chatcontract.RateLimitError),
        (500, chatcontract.InternalServerError),
        (503, chatcontract.InternalServerError),
        (418, chatcontract.APIStatusError),
    ],
)
def test_error_status_maps_to_class(status: int, cls: type[chatcontract.APIStatusError]) -> None:
    body = {"error": {"message": "nope", "type": "invalid_request_error", "code": "E1"}}
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(GEMINI.url).respond(status, json=body, headers={"x-request-id": "req-1"})
        with pytest.raises(chatcontract.APIStatusError) as raised:
            specs.client("evolink_gemini_3_pro_preview").chat.completions.create(**GEMINI.request)
    error = raised.value
    assert type(error) is cls
    assert (error.status_code, error.code, error.request_id) == (status, "E1", "req-1")
    assert "nope" in str(error)
    assert json.loads(error.body) == body


def test_connection_errors_are_typed() -> None:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(MINIMAX.url)
        route.side_effect = httpx.ConnectError("refused")
        with pytest.raises(chatcontract.APIConnectionError):
            specs.client("minimax").chat.completions.create(**MINIMAX.request)
        route.side_effect = httpx.ReadTimeout("slow")
        with pytest.raises(chatcontract.APITimeoutError):
            specs.client("minimax").chat.completions.create(**MINIMAX.request)


def test_client_closes_only_its_own_http_client() -> None:
    own = specs.client("minimax")
    with own:
        pass
    assert own._http.is_closed
    given = httpx.Client()
    specs.client("minimax", http_client=given).close()
    assert not given.is_closed
    given.close()


LAZY_PROBE = """
import sys
import chatcontract
loaded = lambda: sorted(m for m in sys.modules if m.startswith("chatcontract._generated."))
print(loaded(), "pydantic" in sys.modules)
chatcontract.MiniMax
print([m for m in loaded() if "evolink" in m])
"""


def test_clients_load_on_first_use_with_only_their_own_generated_modules() -> None:
    done = subprocess.run([sys.executable, "-c", LAZY_PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[] False", "[]"]


class _Many(pydantic.BaseModel):
    a: int = 0
    b: int = 0
    c: int = 0
    d: int = 0
    e: int = 0
    f: int = 0
    g: int = 0
    items: list[int] = []


@pytest.mark.parametrize("bad", [1, 5, 6, 7])
def test_describe_names_at_most_five_problems_and_counts_the_rest(bad: int) -> None:
    from chatcontract._response import describe

    fields = "abcdefg"[:bad]
    with pytest.raises(pydantic.ValidationError) as raised:
        _Many.model_validate(dict.fromkeys(fields, "x"))
    msg = raised.value.errors()[0]["msg"]
    expected = "; ".join(f"{name}: {msg}" for name in fields[:5])
    assert describe(raised.value) == expected + (f"; and {bad - 5} more" if bad > 5 else "")


def test_describe_gives_the_path_of_a_nested_problem_and_names_the_body_itself() -> None:
    from chatcontract._response import describe

    with pytest.raises(pydantic.ValidationError) as nested:
        _Many.model_validate({"items": [1, "x"]})
    assert describe(nested.value) == f"items.1: {nested.value.errors()[0]['msg']}"
    with pytest.raises(pydantic.ValidationError) as whole:
        _Many.model_validate([1])
    assert describe(whole.value) == f"<body>: {whole.value.errors()[0]['msg']}"


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_a_mismatch_names_the_spec_the_mode_and_keeps_the_body_as_bytes(strict: bool) -> None:
    from chatcontract._generated.minimax_endpoint import ENDPOINT
    from chatcontract._response import parse_body

    reply = next(e for e in specs.exchanges() if e.api == "minimax").response
    body = json.dumps({**reply, "created": str(reply["created"])}) if strict else "[]"  # lax: strict only
    response = httpx.Response(200, request=httpx.Request("POST", "https://x"))
    with pytest.raises(chatcontract.APIResponseValidationError) as raised:
        parse_body(ENDPOINT, response, body, strict=strict, chunk=False)
    mode = "strictly " if strict else ""
    assert str(raised.value).startswith(f"response does not {mode}match specs/minimax.yaml: ")
    assert not strict or str(raised.value).endswith("created: Input should be a valid integer")
    assert raised.value.body == body.encode() and raised.value.response is response


def test_a_wrong_value_in_the_first_list_item_is_set_aside_in_that_item() -> None:
    from chatcontract._generated.minimax_endpoint import ENDPOINT
    from chatcontract._response import read_lenient

    body = {"id": "x", "choices": [{"index": "zero", "message": {"role": "assistant", "content": "hi"}}]}
    reply = read_lenient(ENDPOINT.response_model, json.dumps(body))
    (choice,) = reply.choices
    assert choice.index is None and choice.model_extra == {"index": "zero"}
    assert choice.message.content == "hi"
    assert reply.model_dump(mode="json", exclude_unset=True) == body


def _parse(body: str, *, strict: bool = False, chunk: bool = False) -> Any:
    from chatcontract._generated.minimax_endpoint import ENDPOINT
    from chatcontract._response import parse_body

    response = httpx.Response(200, request=httpx.Request("POST", "https://x"))
    return parse_body(ENDPOINT, response, body, strict=strict, chunk=chunk)


MINIMAX_REPLY = next(e for e in specs.exchanges() if e.api == "minimax").response
HEAD_CHUNK = {
    "id": "c",
    "created": 1,
    "model": "MiniMax-M2.7",
    "object": "chat.completion.chunk",
    "choices": [],
}


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_parse_body_reads_a_chunk_as_a_chunk_and_a_reply_as_a_reply(strict: bool) -> None:
    from chatcontract._generated.minimax_endpoint import ENDPOINT

    assert type(_parse(json.dumps(HEAD_CHUNK), strict=strict, chunk=True)) is ENDPOINT.chunk_model
    delta = {**HEAD_CHUNK, "choices": [{"index": 0, "delta": {"content": "x"}}]}  # a chunk's own shape
    assert _parse(json.dumps(delta), strict=strict, chunk=True).choices[0].delta.content == "x"
    reply = {**HEAD_CHUNK, "object": "chat.completion"}
    assert type(_parse(json.dumps(reply), strict=strict)) is ENDPOINT.response_model


def test_parse_body_keeps_a_wrong_type_leniently_and_refuses_it_strictly() -> None:
    body = '{"id": 1, "choices": []}'
    reply = _parse(body)
    assert reply.id is None and reply.model_extra == {"id": 1}
    with pytest.raises(
        chatcontract.APIResponseValidationError, match=r"^response does not match specs/minimax"
    ):
        _parse(body, strict=True)


@pytest.mark.parametrize(
    ("body", "strict", "problem"),
    [
        ('{"detail": "x"}', False, "it carries none of the fields of a ChatCompletion"),
        ('{"detail": "x"}', True, "it carries none of the fields of a ChatCompletion"),
        (json.dumps({**MINIMAX_REPLY, "usage": None}), True, "usage: null where the spec allows none"),
    ],
    ids=["no-field", "no-field-strict", "null"],
)
def test_parse_body_says_what_is_wrong(body: str, strict: bool, problem: str) -> None:
    with pytest.raises(chatcontract.APIResponseValidationError) as raised:
        _parse(body, strict=strict)
    mode = "strictly " if problem.endswith("allows none") else ""
    assert str(raised.value) == f"response does not {mode}match specs/minimax.yaml: {problem}"


@pytest.mark.parametrize("body", ["[]", "x", ""])
def test_a_body_that_is_no_object_is_described_as_pydantic_saw_it(body: str) -> None:
    from chatcontract._generated.minimax_endpoint import ENDPOINT
    from chatcontract._response import describe

    with pytest.raises(pydantic.ValidationError) as seen:
        ENDPOINT.response_model.model_validate_json(body)
    with pytest.raises(chatcontract.APIResponseValidationError) as raised:
        _parse(body)
    assert str(raised.value) == f"response does not match specs/minimax.yaml: {describe(seen.value)}"


def test_an_error_in_a_valid_reply_is_raised_with_its_response_and_body() -> None:
    body = '{"id": "x", "choices": [], "base_resp": {"status_code": 1002, "status_msg": "busy"}}'
    with pytest.raises(chatcontract.RateLimitError) as raised:
        _parse(body)
    assert raised.value.body == body.encode() and raised.value.code == "1002"
    assert raised.value.response.status_code == 200


def test_bad_list_items_are_set_aside_last_first_and_kept_as_sent() -> None:
    from chatcontract._generated.minimax_endpoint import ENDPOINT
    from chatcontract._response import read_lenient

    choices = ["bad", {"index": "a", "message": {"content": "hi"}}, "worse", {"index": 1}]
    reply = read_lenient(ENDPOINT.response_model, json.dumps({"id": "x", "choices": choices}))
    assert [c.index for c in reply.choices] == [None, 1]
    assert reply.choices[0].model_extra == {"index": "a"} and reply.choices[0].message.content == "hi"
    assert reply.model_extra == {"choices": choices}  # the list as sent, untouched by what was set aside


# Where a pydantic error location points: (data, location) -> (container, key, object, member).
_DOC: dict[str, Any] = {"a": [{"b": 1}, 2], "s": "xyz", "n": 5}
WALKS = [
    ((), None),  # the body as a whole
    (("gone",), None),  # a member that is not there
    (("a",), (_DOC, "a", _DOC, "a")),
    (("a", 0, "b"), (_DOC["a"][0], "b", _DOC["a"][0], "b")),
    (("a", 1), (_DOC["a"], 1, _DOC, "a")),  # a list item: held by the member of its list
    (("a", 2), (_DOC, "a", _DOC, "a")),  # past the end: the list itself
    (("a", -1), (_DOC, "a", _DOC, "a")),
    (("a", "str"), (_DOC, "a", _DOC, "a")),  # a union member's name after a list
    (("s", "x"), (_DOC, "s", _DOC, "s")),  # ... after a string that holds that text
    (("n", "int", 0), (_DOC, "n", _DOC, "n")),  # ... after a number
    ((0,), None),  # an index into an object
]


@pytest.mark.parametrize(("loc", "expected"), WALKS, ids=[str(i) for i in range(len(WALKS))])
def test_an_error_location_is_followed_as_far_as_the_data_goes(loc: tuple[Any, ...], expected: Any) -> None:
    from chatcontract._response import _walk

    found = _walk(_DOC, loc)
    assert found == expected
    assert found is None or all(a is b for a, b in zip(found, expected, strict=True))


def test_a_list_at_the_top_is_no_member_to_set_aside() -> None:
    from chatcontract._response import _walk

    assert _walk([1, 2], (0,)) is None


def test_list_items_are_set_aside_last_first_whatever_order_the_errors_come_in() -> None:
    from chatcontract._response import _set_aside

    data: dict[str, Any] = {"a": ["x", "y", "z", "w"], "b": 1, "c": 2}
    kept: dict[int, Any] = {}
    errors = [{"loc": ("c",)}, {"loc": ("a", 0)}, {"loc": ("a", 2)}, {"loc": ("b",)}, {"loc": ("a", 1)}]
    assert _set_aside(data, errors, kept) is True
    assert data == {"a": ["w"]}
    assert kept == {id(data): (data, {"a": ["x", "y", "z", "w"], "b": 1, "c": 2})}


def test_an_error_of_the_body_as_a_whole_sets_nothing_aside() -> None:
    from chatcontract._response import _set_aside

    data: dict[str, Any] = {"a": 1}
    kept: dict[int, Any] = {}
    assert _set_aside(data, [{"loc": ("a",)}, {"loc": ()}], kept) is False


def test_one_bad_member_in_each_of_many_objects_is_set_aside_in_one_round() -> None:
    from chatcontract._generated.minimax_endpoint import ENDPOINT
    from chatcontract._response import _MAX_ROUNDS, read_lenient

    choices = [{"index": "x", "message": {"content": str(n)}} for n in range(_MAX_ROUNDS + 4)]
    reply = read_lenient(ENDPOINT.response_model, json.dumps({"id": "r", "choices": choices}))
    assert [c.message.content for c in reply.choices] == [str(n) for n in range(len(choices))]
    assert all(c.index is None and c.model_extra == {"index": "x"} for c in reply.choices)


@pytest.mark.parametrize(
    "body", ["[]", "{}", '{"detail": "x"}', "nope"], ids=["list", "empty", "other", "text"]
)
def test_read_lenient_gives_none_for_what_is_no_reply(body: str) -> None:
    from chatcontract._generated.minimax_endpoint import ENDPOINT
    from chatcontract._response import read_lenient

    assert read_lenient(ENDPOINT.response_model, body) is None
    assert read_lenient(ENDPOINT.response_model, body.encode()) is None


def test_a_free_form_object_of_the_reply_is_read_as_it_is_beside_a_value_set_aside() -> None:
    from chatcontract._generated.evolink_gemini_3_pro_preview_endpoint import ENDPOINT
    from chatcontract._response import read_lenient

    details = {"cached_tokens": 3, "audio": {"seconds": 1}}
    body = {"id": "g", "created": "soon", "usage": {"prompt_tokens": 5, "input_tokens_details": details}}
    reply = read_lenient(ENDPOINT.response_model, json.dumps(body).encode())
    assert reply.created is None and reply.model_extra == {"created": "soon"}
    assert reply.usage.input_tokens_details == details
    assert reply.model_dump(mode="json", exclude_unset=True) == body
