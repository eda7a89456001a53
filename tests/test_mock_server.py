"""The local mock server (chatcontract.mock): documented answers, vendor errors, streams, robustness."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import os
import re
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import chatcontract
from chatcontract.mock import MockServer, main
from chatcontract.mock._apis import APIS
from chatcontract.mock._app import MAX_BODY
from tests import specs

EXCHANGES = specs.exchanges()
AUTH = {"Authorization": "Bearer k"}
AUTH_MESSAGE = (
    "Missing or malformed Authorization header: send 'Authorization: Bearer <API key>' "
    "(the mock server accepts any non-empty key)"
)
ENDPOINTS = {endpoint.name: endpoint for api in APIS.values() for endpoint in api.endpoints}


def prefix(api: str) -> str:
    """The mock's path prefix for a spec of tests/specs.py ("minimax" or "evolink")."""
    return specs.api_id(api)


# A documented exchange of each of the two real vendors whose error bodies these tests read.
EVOLINK_EXCHANGE = next(e for e in EXCHANGES if prefix(e.api) == "evolink")
MINIMAX_EXCHANGE = next(e for e in EXCHANGES if prefix(e.api) == "minimax")


def documented_content(exchange: specs.Exchange) -> str:
    content: str = exchange.response["choices"][0]["message"]["content"]
    return content


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(port=0) as running:
        yield running


@pytest.fixture(scope="module")
def web(server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def chat(api: str) -> str:
    return f"/{api}/v1/chat/completions"


# ---------------------------------------------------------------- documented answers


def test_generated_examples_equal_the_specs() -> None:
    for exchange in EXCHANGES:
        assert ENDPOINTS[exchange.api].response_examples[exchange.name] == exchange.response, exchange
        assert ENDPOINTS[exchange.api].request_examples[exchange.name] == exchange.request, exchange


@pytest.mark.parametrize("exchange", EXCHANGES, ids=str)
def test_documented_exchange_with_the_real_client(server: MockServer, exchange: specs.Exchange) -> None:
    cls = specs.client_class(exchange.api)
    with cls(api_key="k", base_url=server.base_url(prefix(exchange.api)), strict_responses=True) as client:
        reply = client.chat.completions.create(**exchange.request)
    assert type(reply) is ENDPOINTS[exchange.api].response_model
    assert reply.choices[0].message.content == documented_content(exchange)
    assert reply.model == exchange.request["model"]
    assert reply.id != exchange.response["id"]
    assert reply.usage is not None
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_model_is_echoed(server: MockServer) -> None:
    with chatcontract.MiniMax(
        api_key="k", base_url=server.base_url("minimax"), strict_responses=True
    ) as client:
        reply = client.chat.completions.create(
            model="MiniMax-M2.1", messages=[{"role": "user", "content": "hi"}]
        )
    assert reply.model == "MiniMax-M2.1"


def test_undocumented_field_passes_the_mock(server: MockServer) -> None:
    # The real APIs take fields their pages do not list (extra_body sends them); so does the mock.
    client = chatcontract.Evolink(api_key="k", base_url=server.base_url("evolink"))
    with client:
        reply = client.chat.completions.create(
            model="gemini-3-pro-preview", messages=[{"role": "user", "content": "hi"}], extra_body={"seed": 1}
        )
    assert reply.model == "gemini-3-pro-preview"


@pytest.mark.parametrize(
    ("api", "extra"),
    [
        ("minimax", {"seed": 1, "stream_options": {"include_usage": True}, "top_k": 5}),
        ("evolink", {"seed": 1, "presence_penalty": None}),
    ],
)
def test_undocumented_fields_pass_and_documented_ones_are_still_checked(
    web: httpx.Client, api: str, extra: dict[str, Any]
) -> None:
    model = "MiniMax-M2.7" if api == "minimax" else "MiniMax-M2.5"
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra}
    assert web.post(chat(api), json=body, headers=AUTH).status_code == 200
    refused = web.post(chat(api), json={**body, "temperature": 2}, headers=AUTH)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"].startswith("temperature: must be <= 1")


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("1.0", 200),
        ("4096", 200),
        ("1e20", 400),
        ("100000000000000000000", 400),
        ("9223372036854775808", 400),
    ],
)
def test_integers_follow_the_spec_type_and_format(web: httpx.Client, value: str, status: int) -> None:
    # max_completion_tokens is "type: integer, format: int64": 1.0 is an integer in JSON Schema,
    # 1e20 and 2**63 are beyond int64. The body is written by hand to keep the JSON number as is.
    body = '{"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hi"}], '
    body += '"max_completion_tokens": %s}'
    response = web.post(
        chat("minimax"), content=body % value, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["error"]["message"].startswith("max_completion_tokens: must be an int64")


@pytest.mark.parametrize(
    ("api", "field"),
    [("minimax", "temperature"), ("minimax", "top_p"), ("minimax", "stream"), ("evolink", "search_options")],
)
def test_null_is_refused_where_the_spec_allows_none(web: httpx.Client, api: str, field: str) -> None:
    model = "MiniMax-M2.7" if api == "minimax" else "MiniMax-M2.5"
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], field: None}
    response = web.post(chat(api), json=body, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(f"{field}: must be ")


def test_null_top_k_is_refused_by_the_gemini_spec(web: httpx.Client) -> None:
    body = {"model": "gemini-3-pro-preview", "messages": [{"role": "user", "content": "hi"}], "top_k": None}
    response = web.post(chat("evolink"), json=body, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("top_k: must be an integer, not null")


def test_undocumented_fields_are_logged_at_debug(web: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    body = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hi"}], "seed": 7, "n": 1}
    with caplog.at_level(logging.DEBUG, logger="chatcontract.mock"):
        assert web.post(chat("minimax"), json=body, headers=AUTH).status_code == 200
    assert "undocumented field(s) accepted: 'n', 'seed'" in caplog.text


def test_health(web: httpx.Client) -> None:
    response = web.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# ---------------------------------------------------------------- errors in the vendor's format


def _post_with_headers(server: MockServer, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
    """POST with http.client, which (unlike httpx) sends header values with trailing spaces as given."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request(
            "POST", path, body=json.dumps(body), headers={"Content-Type": "application/json", **headers}
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer ", "Bearer   ", "Basic azp4", "k"])
def test_401_minimax(server: MockServer, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    status, body = _post_with_headers(server, chat("minimax"), headers, MINIMAX_EXCHANGE.request)
    assert status == 401
    assert body == {
        "type": "error",
        "error": {"type": "authentication_error", "message": f"{AUTH_MESSAGE} (1004)", "http_code": "401"},
    }


@pytest.mark.parametrize("authorization", [None, "Bearer ", "Token k"])
def test_401_evolink(server: MockServer, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    status, body = _post_with_headers(server, chat("evolink"), headers, EVOLINK_EXCHANGE.request)
    assert status == 401
    assert body == {
        "error": {"message": AUTH_MESSAGE, "type": "authentication_error", "code": "invalid_api_key"}
    }


def test_any_bearer_scheme_case_and_key(web: httpx.Client) -> None:
    response = web.post(chat("evolink"), json=EVOLINK_EXCHANGE.request, headers={"Authorization": "bearer x"})
    assert response.status_code == 200


def _minimax_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status
    body = response.json()
    assert body["type"] == "error"
    assert set(body["error"]) == {"type", "message", "http_code"}
    assert body["error"]["http_code"] == str(status)
    message: str = body["error"]["message"]
    return message


def _evolink_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "code"}
    assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    return message


def test_400_names_the_field_minimax(web: httpx.Client) -> None:
    body = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "你好"}], "temperature": 0}
    message = _minimax_error(web.post(chat("minimax"), json=body, headers=AUTH), 400)
    assert message.startswith("temperature: must be > 0 (request schema of specs/minimax.yaml); got 0")
    assert message.endswith(" (2013)")
    assert (
        web.post(chat("minimax"), json=body, headers=AUTH).json()["error"]["type"] == "invalid_request_error"
    )


def test_400_names_the_field_evolink(web: httpx.Client) -> None:
    body = {"model": "MiniMax-M2.5", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4096}
    message = _evolink_error(web.post(chat("evolink"), json=body, headers=AUTH), 400, "invalid_request")
    assert message.startswith(
        "max_tokens: must be <= 2048 (request schema of specs/evolink-minimax-m2.5.yaml)"
    )


@pytest.mark.parametrize("case", specs.rule_cases("violations"), ids=lambda c: f"{c[0]}:{c[2]['field']}")
def test_rule_violations_are_refused(
    web: httpx.Client, case: tuple[str, dict[str, Any], dict[str, Any]]
) -> None:
    api, base, entry = case
    response = web.post(chat(prefix(api)), json={**base, **entry["params"]}, headers=AUTH)
    if entry.get("client_only"):  # a client policy (documented parameters only), not a spec rule
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert message.startswith(f"{entry['field']}: "), message
    assert "(request schema of " in message and specs.CONFIG.specs[api].spec.as_posix() in message


@pytest.mark.parametrize(
    "case", specs.rule_cases("accepted"), ids=lambda c: f"{c[0]}:{sorted(c[2]['params'])}"
)
def test_rule_accepted_requests_are_answered(
    web: httpx.Client, case: tuple[str, dict[str, Any], dict[str, Any]]
) -> None:
    api, base, entry = case
    response = web.post(chat(prefix(api)), json={**base, **entry["params"]}, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["model"] == {**base, **entry["params"]}["model"]


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b'{"model": "MiniMax-M2.7", ', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"model": "MiniMax-M2.7", "messages": [{"role": "user"}], "temperature": NaN}', "NaN"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b'["model"]', "must be a JSON object, not an array"),
        (b"null", "must be a JSON object, not null"),
    ],
)
def test_400_for_malformed_json(web: httpx.Client, content: bytes, detail: str) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    message = _evolink_error(web.post(chat("evolink"), content=content, headers=headers), 400, "invalid_json")
    assert detail in message
    message = _minimax_error(web.post(chat("minimax"), content=content, headers=headers), 400)
    assert detail in message


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "json"])
def test_400_for_wrong_content_type(web: httpx.Client, content_type: str | None) -> None:
    headers = dict(AUTH) if content_type is None else {**AUTH, "Content-Type": content_type}
    content = json.dumps(EVOLINK_EXCHANGE.request).encode()
    response = web.post(chat("evolink"), content=content, headers=headers)
    message = _evolink_error(response, 400, "unsupported_media_type")
    assert "Content-Type must be application/json (answered with 400)" in message


def test_content_type_parameters_are_fine(web: httpx.Client) -> None:
    headers = {**AUTH, "Content-Type": "Application/JSON; charset=utf-8"}
    response = web.post(
        chat("evolink"), content=json.dumps(EVOLINK_EXCHANGE.request).encode(), headers=headers
    )
    assert response.status_code == 200


def test_413_for_a_2_mib_body(web: httpx.Client) -> None:
    content = b'{"model": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    headers = {**AUTH, "Content-Type": "application/json"}
    response = web.post(chat("minimax"), content=content, headers=headers)
    assert "1 MiB" in _minimax_error(response, 413)
    assert response.headers["connection"] == "close"
    assert web.get("/health").status_code == 200


@pytest.mark.parametrize(
    ("extra", "status"), [(0, 200), (1, 413)], ids=["exactly-the-limit", "one-byte-over"]
)
def test_the_body_limit_is_inclusive(web: httpx.Client, extra: int, status: int) -> None:
    """A valid request padded with JSON whitespace to exactly MAX_BODY bytes is served."""
    exchange = next(e for e in EXCHANGES if e.api == "minimax")
    request = json.dumps(exchange.request).encode()
    content = request[:-1] + b" " * (MAX_BODY + extra - len(request)) + b"}"
    assert len(content) == MAX_BODY + extra
    headers = {**AUTH, "Content-Type": "application/json"}
    response = web.post(chat("minimax"), content=content, headers=headers)
    assert response.status_code == status, response.text[:200]


def _raw_exchange(server: MockServer, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it."""
    host, port = server.url.removeprefix("http://").split(":")
    received = b""
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return received


def test_413_is_answered_before_the_body_is_sent(server: MockServer) -> None:
    request = (
        b"POST /evolink/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
        b"Content-Type: application/json\r\nContent-Length: 2097152\r\n\r\n{"
    )
    reply = _raw_exchange(server, request)
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b'"code":"request_too_large"' in reply


def test_411_for_a_chunked_body(web: httpx.Client) -> None:
    content = iter([json.dumps(EVOLINK_EXCHANGE.request).encode()])
    headers = {**AUTH, "Content-Type": "application/json"}
    response = web.post(chat("evolink"), content=content, headers=headers)
    _evolink_error(response, 411, "length_required")


def test_404_unknown_path(web: httpx.Client) -> None:
    message = _evolink_error(web.get("/v1/chat/completions"), 404, "not_found")
    assert "POST /minimax/v1/chat/completions" in message
    _minimax_error(web.post("/minimax/v1/completions", json={}, headers=AUTH), 404)
    _evolink_error(web.post("/evolink/v1/chat/completions/", json={}, headers=AUTH), 404, "not_found")


def test_405_wrong_method(web: httpx.Client) -> None:
    response = web.get(chat("minimax"))
    _minimax_error(response, 405)
    assert response.headers["allow"] == "POST"
    response = web.put(chat("evolink"), json={})
    _evolink_error(response, 405, "method_not_allowed")
    response = web.post("/health")
    _evolink_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, HEAD"


def _unparsed_exchange(server: MockServer, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as is and read until the server closes: status, headers, body."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(data)
        connection.shutdown(socket.SHUT_WR)
        received = b""
        while piece := connection.recv(65536):
            received += piece
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


PROTOCOL_CASES = [
    (b"TRACE /minimax/v1/chat/completions HTTP/1.1\r\nHost: m\r\n\r\n", 405, "minimax"),
    (b"CONNECT example.com:443 HTTP/1.1\r\nHost: m\r\n\r\n", 404, "evolink"),
    (b"BREW /evolink/v1/chat/completions HTTP/1.1\r\nHost: m\r\n\r\n", 405, "evolink"),
    (b"QUERY /minimax/v1/chat/completions HTTP/1.1\r\nHost: m\r\n\r\n", 405, "minimax"),
    (b"GARBAGE\r\n\r\n", 400, "evolink"),
    (b"GET /health HTTP/1.0 extra\r\n\r\n", 400, "evolink"),
    (b"GET /health HTTP/9.9\r\n\r\n", 505, "evolink"),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414, "evolink"),
    (b"GET /health HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n", 431, "evolink"),
    (b"GET /health HTTP/1.1\r\n" + b"X: a\r\n" * 200 + b"\r\n", 431, "evolink"),
]


@pytest.mark.parametrize(
    ("data", "status", "style"),
    PROTOCOL_CASES,
    ids=[f"{s}-{d.splitlines()[0][:9].decode()}" for d, s, _ in PROTOCOL_CASES],
)
def test_protocol_errors_are_json_in_the_vendor_format(
    server: MockServer, data: bytes, status: int, style: str
) -> None:
    answered, headers, body = _unparsed_exchange(server, data)
    assert answered == status
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    error = json.loads(body)
    if style == "minimax":
        assert error["type"] == "error" and error["error"]["http_code"] == str(status)
    else:
        assert set(error) == {"error"} and set(error["error"]) == {"message", "type", "code"}
    assert error["error"]["message"]


def test_keep_alive_survives_errors(server: MockServer) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        body = json.dumps(EVOLINK_EXCHANGE.request)
        connection.request("POST", chat("evolink"), body=body, headers={"Content-Type": "application/json"})
        first = connection.getresponse()
        assert (first.status, first.getheader("connection")) == (401, None)
        first.read()
        sock = connection.sock
        connection.request(
            "POST", chat("evolink"), body=body, headers={**AUTH, "Content-Type": "application/json"}
        )
        second = connection.getresponse()
        assert second.status == 200
        assert json.loads(second.read())["model"] == EVOLINK_EXCHANGE.request["model"]
        assert connection.sock is sock
    finally:
        connection.close()


def test_idle_connections_are_closed() -> None:
    with MockServer(port=0, idle_timeout=0.2) as quick:
        started = time.monotonic()
        assert _raw_exchange(quick, b"", timeout=5) == b""
        assert time.monotonic() - started < 3


def test_api_key_is_never_logged(web: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="chatcontract.mock")
    secret = "sk-very-secret-0123"
    for headers in ({"Authorization": f"Bearer {secret}"}, {"Authorization": f"Basic {secret}"}):
        web.post(chat("minimax"), json=MINIMAX_EXCHANGE.request, headers=headers)
        web.post(chat("minimax"), content=b"{", headers={**headers, "Content-Type": "application/json"})
    assert caplog.records
    assert secret not in caplog.text


# ---------------------------------------------------------------- streams


def _events(response: httpx.Response) -> list[str]:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    text = response.read().decode("utf-8")
    assert text.endswith("\n\n")
    frames = text.split("\n\n")[:-1]
    assert all(frame.startswith("data: ") for frame in frames)
    return [frame.removeprefix("data: ") for frame in frames]


@pytest.mark.parametrize("exchange", EXCHANGES, ids=str)
def test_stream(web: httpx.Client, exchange: specs.Exchange) -> None:
    api = APIS[prefix(exchange.api)]
    endpoint = ENDPOINTS[exchange.api]
    # The style as the spec states it, read from the YAML (not from the mock or generated code).
    _, operation = specs.operation(exchange.api)
    style = operation["responses"]["200"]["content"]["text/event-stream"]["x-stream-style"]
    response = web.post(chat(api.name), json={**exchange.request, "stream": True}, headers=AUTH)
    events = _events(response)
    done = events[-1] == "[DONE]"
    assert done is style["done"]
    chunks = [json.loads(event) for event in (events[:-1] if done else events)]
    for chunk in chunks:
        endpoint.strict_chunk_model.model_validate(chunk)
        assert chunk["object"] == "chat.completion.chunk"
        assert chunk["model"] == exchange.request["model"]
    assert len({chunk["id"] for chunk in chunks}) == 1
    deltas = [choice["delta"] for chunk in chunks for choice in chunk["choices"]]
    assert deltas[0]["role"] == "assistant"
    pieces = [delta["content"] for delta in deltas if delta.get("content")]
    assert len(pieces) > 3
    assert "".join(pieces) == documented_content(exchange)
    usage = exchange.response["usage"]
    if style["usage_chunk"]:  # OpenAI style (evolink): finish_reason, a usage-only chunk, [DONE]
        assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
        assert chunks[-1]["choices"] == []
        assert chunks[-1]["usage"] == usage
    else:  # MiniMax: no [DONE]; the last chunk has finish_reason, usage, base_resp and the flags
        last = chunks[-1]
        assert last["choices"][0]["finish_reason"] == "stop"
        assert last["usage"] == usage
        assert last["base_resp"] == {"status_code": 0, "status_msg": "success"}
        assert set(style["final_chunk_fields"]) <= last.keys()
        assert last["input_sensitive"] is False
        assert last["output_sensitive"] is False


def test_minimax_stream_cuts_inside_think_tags(web: httpx.Client) -> None:
    exchange = next(e for e in EXCHANGES if e.api == "minimax")
    response = web.post(chat("minimax"), json={**exchange.request, "stream": True}, headers=AUTH)
    chunks = [json.loads(event) for event in _events(response)]
    pieces = [c["choices"][0]["delta"]["content"] for c in chunks if c["choices"][0]["delta"].get("content")]
    content = documented_content(exchange)
    cuts = {sum(map(len, pieces[:n])) for n in range(1, len(pieces))}
    tags = [(m.start(), m.end()) for m in re.finditer(r"</?think>", content)]
    assert any(start < cut < end for start, end in tags for cut in cuts)


# ---------------------------------------------------------------- tool calls

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get weather of a location, the user should supply a location first.",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["location", "days"],
        },
    },
}
ASK: dict[str, Any] = {
    "model": "MiniMax-M2.7",
    "messages": [{"role": "user", "content": "Weather in Paris?"}],
}


def _called(message: Any) -> tuple[str | None, str | None, dict[str, Any]]:
    (call,) = message.tool_calls
    return call.type, call.function.name, json.loads(call.function.arguments)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_a_request_with_tools_is_answered_with_a_tool_call(server: MockServer, stream: bool) -> None:
    expected = ("function", "get_weather", {"location": "mock", "days": 0})
    with chatcontract.MiniMax(api_key="k", base_url=server.base_url("minimax"), strict_responses=True) as c:
        if stream:
            with c.chat.completions.create(**ASK, tools=[WEATHER], stream=True) as chunks:
                pieces = [chunk for chunk in chunks if chunk.choices and chunk.choices[0].delta]
                reply = chunks.get_final_completion()
            with_calls = [p for p in pieces if (delta := p.choices[0].delta) is not None and delta.tool_calls]
            assert len(with_calls) > 2  # the arguments came in pieces
        else:
            reply = c.chat.completions.create(**ASK, tools=[WEATHER], tool_choice="auto")
        assert reply.choices[0].finish_reason == "tool_calls"
        assert _called(reply.choices[0].message) == expected
        call = reply.choices[0].message.tool_calls[0]
        # the guide's next turn: the whole assistant message, then the tool's answer
        history = [*ASK["messages"], reply.choices[0].message]
        history.append({"role": "tool", "tool_call_id": call.id, "content": '{"sky": "clear"}'})
        after = c.chat.completions.create(**{**ASK, "messages": history}, tools=[WEATHER], tool_choice="none")
    assert after.choices[0].finish_reason == "stop" and after.choices[0].message.content


def test_a_tool_call_streams_to_the_async_client(server: MockServer) -> None:
    async def run() -> Any:
        async with chatcontract.AsyncMiniMax(api_key="k", base_url=server.base_url("minimax")) as client:
            stream = await client.chat.completions.create(**ASK, tools=[WEATHER], stream=True)
            async with stream:
                return await stream.get_final_completion()

    assert _called(asyncio.run(run()).choices[0].message) == (
        "function",
        "get_weather",
        {"location": "mock", "days": 0},
    )


def test_tools_pass_but_get_text_where_the_pages_do_not_document_them(web: httpx.Client) -> None:
    # evolink documents no tools: the mock takes the field as any undocumented one and answers text.
    request = {**next(e for e in EXCHANGES if e.api == "evolink_minimax_m2_5").request, "tools": [WEATHER]}
    response = web.post(chat("evolink"), json=request, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["finish_reason"] == "stop"
    assert "tool_calls" not in response.json()["choices"][0]["message"]


# ---------------------------------------------------------------- robustness


async def _raw(url: str, data: bytes, read: int = 0) -> None:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(data)
        await writer.drain()
        if read:
            await reader.read(read)
    finally:
        writer.close()
        await writer.wait_closed()


async def _storm(server: MockServer) -> list[int]:
    valid_minimax = {**next(e for e in EXCHANGES if e.api == "minimax").request}
    valid_gemini = {**next(e for e in EXCHANGES if e.api == "evolink_gemini_3_pro_preview").request}
    json_headers = {**AUTH, "Content-Type": "application/json"}
    half = (
        b"POST /minimax/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
        b'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"model": "Mini'
    )
    stream = json.dumps({**valid_gemini, "stream": True}).encode()
    stream_request = (
        b"POST /evolink/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(stream), stream)
    )
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=server.url, timeout=20, limits=limits) as client:

        async def call(n: int) -> int:
            kind = n % 10
            if kind == 0:
                return (await client.post(chat("minimax"), json=valid_minimax, headers=AUTH)).status_code
            if kind == 1:
                body = {**valid_gemini, "stream": True}
                return (await client.post(chat("evolink"), json=body, headers=AUTH)).status_code
            if kind == 2:
                return (
                    await client.post(chat("evolink"), content=b"{nope", headers=json_headers)
                ).status_code
            if kind == 3:
                return (await client.post(chat("minimax"), content=b"{}", headers=AUTH)).status_code
            if kind == 4:
                return (await client.post(chat("minimax"), json=valid_minimax)).status_code
            if kind == 5:
                await _raw(server.url, half)
            elif kind == 6:
                await _raw(server.url, b"POST /evolink/v1/chat/compl")
            elif kind == 7:
                await _raw(server.url, stream_request, read=300)
            elif kind == 8:
                await _raw(server.url, b"\x16\x03\x01\x02\x00garbage\r\n\r\n", read=100)
            else:
                return (await client.get("/health")).status_code
            return 0

        return await asyncio.gather(*(call(n) for n in range(200)))


def test_stress_200_concurrent_with_garbage_and_disconnects(server: MockServer, web: httpx.Client) -> None:
    started = time.monotonic()
    statuses = asyncio.run(asyncio.wait_for(_storm(server), timeout=30))
    elapsed = time.monotonic() - started
    expected = {0: 200, 1: 200, 2: 400, 3: 400, 4: 401, 9: 200}
    assert [status for n, status in enumerate(statuses) if n % 10 in expected] == [
        expected[n % 10] for n in range(200) if n % 10 in expected
    ]
    assert elapsed < 20
    assert web.get("/health").json() == {"status": "ok"}
    reply = web.post(chat("minimax"), json=MINIMAX_EXCHANGE.request, headers=AUTH)
    assert reply.status_code == 200


# ---------------------------------------------------------------- MockServer API and command line


def test_mock_server_api() -> None:
    server = MockServer(port=0)
    with pytest.raises(RuntimeError, match="not running"):
        server.url  # noqa: B018
    with server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert server.base_url("evolink") == server.url + "/evolink"
        with pytest.raises(ValueError, match="unknown api"):
            server.base_url("openai")
    server.stop()  # idempotent
    for host in ("0.0.0.0", "192.168.1.10", "example.com", "::"):
        with pytest.raises(ValueError, match="loopback"):
            MockServer(host=host)


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.1", "example.com"])
def test_cli_refuses_non_loopback_hosts(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", host, "--port", "0"]) == 2
    assert "refusing to listen" in capsys.readouterr().err


def _read_until(process: subprocess.Popen[bytes], marker: bytes, timeout: float) -> bytes:
    """What ``process`` printed, read unbuffered until ``marker`` appears (or it exits, or time is up)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    out = b""
    deadline = time.monotonic() + timeout
    while marker not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 65536) if ready else b""
        if ready and not chunk:
            break
        out += chunk
    return out


def test_cli_serves_until_terminated() -> None:
    command = [sys.executable, "-m", "chatcontract.mock", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0) as process:
        try:
            banner = _read_until(process, b"Press Ctrl-C", timeout=15).decode()
            match = re.search(r"http://127\.0\.0\.1:\d+", banner.splitlines()[0] if banner else "")
            assert match, f"no URL on the first line of {banner!r}"
            url = match.group(0)
            assert httpx.get(url + "/health", timeout=5).json() == {"status": "ok"}
        finally:
            process.terminate()
            out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert f"export MINIMAX_BASE_URL={url}/minimax" in banner
    assert f"export EVOLINK_BASE_URL={url}/evolink" in banner
    assert "Any non-empty API key is accepted" in banner
    assert b"stopped" in out


# The app itself, no sockets: (method, target, headers over the good ones, body) -> status,
# code (evolink's error "code") and message (exact, or a prefix ending in "...").
EVOLINK = "/evolink/v1/chat/completions"
GOOD_BODY = json.dumps({"model": "MiniMax-M2.5", "messages": [{"role": "user", "content": "hi"}]}).encode()
EVOLINK_SPECS = "specs/evolink-gemini-3-pro-preview.yaml, specs/evolink-minimax-m2.5.yaml"
EVOLINK_MODELS = "'gemini-3-pro-preview', 'MiniMax-M2.5'"
APP_CASES: list[tuple[str, str, dict[str, str | None], bytes, int, str | None, str]] = [
    ("GET", "/health", {}, b"", 200, None, ""),
    ("HEAD", "/health?x=1", {}, b"", 200, None, ""),
    ("POST", "/health", {}, b"", 405, "method_not_allowed", "POST is not allowed on /health; use GET"),
    ("GET", EVOLINK, {}, b"", 405, "method_not_allowed", f"GET is not allowed on {EVOLINK}; use POST"),
    ("POST", "/nope", {}, b"", 404, "not_found", "Unknown path '/nope'; the mock serves POST ..."),
    ("POST", EVOLINK, {"authorization": None}, GOOD_BODY, 401, "invalid_api_key", "Missing or malformed ..."),
    (
        "POST",
        EVOLINK,
        {"authorization": "Bearer  "},
        GOOD_BODY,
        401,
        "invalid_api_key",
        "Missing or malformed ...",
    ),
    (
        "POST",
        EVOLINK,
        {"authorization": "Basic k"},
        GOOD_BODY,
        401,
        "invalid_api_key",
        "Missing or malformed ...",
    ),
    ("POST", EVOLINK, {"authorization": " bearer\tk "}, GOOD_BODY, 200, None, ""),
    (
        "POST",
        EVOLINK,
        {"content-type": "text/plain"},
        GOOD_BODY,
        400,
        "unsupported_media_type",
        "Content-Type must be application/json (answered with 400); got 'text/plain'",
    ),
    ("POST", EVOLINK, {"content-type": "Application/JSON ; charset=utf-8"}, GOOD_BODY, 200, None, ""),
    (
        "POST",
        EVOLINK,
        {"transfer-encoding": "chunked"},
        GOOD_BODY,
        411,
        "length_required",
        "The request body needs a valid Content-Length (no chunked bodies)",
    ),
    (
        "POST",
        EVOLINK,
        {"content-length": "1e3"},
        GOOD_BODY,
        411,
        "length_required",
        "The request body needs ...",
    ),
    (
        "POST",
        EVOLINK,
        {"content-length": " 12 "},
        b"[1]",
        400,
        "invalid_json",
        "The request body must be a JSON object, not an array",
    ),
    (
        "POST",
        EVOLINK,
        {"content-length": str(MAX_BODY + 1)},
        GOOD_BODY,
        413,
        "request_too_large",
        f"The request body is {MAX_BODY + 1} bytes; the limit is {MAX_BODY} bytes (1 MiB)",
    ),
    (
        "POST",
        EVOLINK,
        {"content-length": str(MAX_BODY)},
        b"[1]",
        400,
        "invalid_json",
        "The request body must be ...",
    ),
    (
        "POST",
        EVOLINK,
        {"content-length": None},
        b"",
        400,
        "invalid_json",
        "The request body is not valid JSON: ...",
    ),
    (
        "POST",
        EVOLINK,
        {},
        b'{"a": NaN}',
        400,
        "invalid_json",
        "The request body is not valid JSON: NaN is not valid JSON",
    ),
    (
        "POST",
        EVOLINK,
        {},
        b"[" * 100_000,
        400,
        "invalid_json",
        "The request body is not valid JSON: nested too deeply",
    ),
    ("POST", EVOLINK, {}, b"5", 400, "invalid_json", "The request body must be a JSON object, not a number"),
    (
        "POST",
        EVOLINK,
        {},
        b"1.5",
        400,
        "invalid_json",
        "The request body must be a JSON object, not a number",
    ),
    (
        "POST",
        EVOLINK,
        {},
        b"true",
        400,
        "invalid_json",
        "The request body must be a JSON object, not a boolean",
    ),
    ("POST", EVOLINK, {}, b"null", 400, "invalid_json", "The request body must be a JSON object, not null"),
    (
        "POST",
        EVOLINK,
        {},
        b'"s"',
        400,
        "invalid_json",
        "The request body must be a JSON object, not a string",
    ),
    (
        "POST",
        EVOLINK,
        {},
        b"{}",
        400,
        "invalid_request",
        f"model: must be one of {EVOLINK_MODELS} (request schema of {EVOLINK_SPECS}); missing",
    ),
    (
        "POST",
        EVOLINK,
        {},
        b'{"model": "gpt"}',
        400,
        "invalid_request",
        f'model: must be one of {EVOLINK_MODELS} (request schema of {EVOLINK_SPECS}); got "gpt"',
    ),
    (
        "POST",
        EVOLINK,
        {"x-mock-case": " nope "},
        GOOD_BODY,
        400,
        "invalid_request",
        "X-Mock-Case names no corpus case: 'nope'; ...",
    ),
]


@pytest.mark.parametrize(
    ("method", "target", "headers", "body", "status", "code", "message"),
    APP_CASES,
    ids=[f"app-{n}" for n in range(len(APP_CASES))],
)
def test_the_app_checks_each_request_in_order(
    method: str,
    target: str,
    headers: dict[str, str | None],
    body: bytes,
    status: int,
    code: str | None,
    message: str,
) -> None:
    from chatcontract.mock._app import App

    sent = {"authorization": "Bearer k", "content-type": "application/json", "content-length": str(len(body))}
    sent.update(headers)  # type: ignore[arg-type]
    answer = App().answer(method, target, {k: v for k, v in sent.items() if v is not None}, lambda n: body)
    assert answer.status == status
    data = json.loads(answer.body)
    if code is None:
        assert "error" not in data
        return
    assert data["error"]["code"] == code
    if message.endswith("..."):
        assert data["error"]["message"].startswith(message[:-3])
    else:
        assert data["error"]["message"] == message


def test_the_app_names_every_route_it_serves_and_what_to_use_instead() -> None:
    from chatcontract.mock._app import App

    app = App()
    answer = app.answer("POST", "/nope", {}, lambda n: b"")
    served = ", ".join(f"POST {route}" for route in app.routes)
    assert (
        json.loads(answer.body)["error"]["message"]
        == f"Unknown path '/nope'; the mock serves {served} and GET /health"
    )
    assert app.answer("POST", "/health", {}, lambda n: b"").headers == {"Allow": "GET, HEAD"}
    assert app.answer("GET", EVOLINK, {}, lambda n: b"").headers == {"Allow": "POST"}
    assert json.loads(app.answer("GET", "/health", {}, lambda n: b"").body) == {"status": "ok"}


def test_a_failure_inside_the_app_is_a_500_in_the_api_s_format() -> None:
    from chatcontract.mock._app import App, ClientGone

    headers = {"authorization": "Bearer k", "content-type": "application/json", "content-length": "2"}

    def broken(n: int) -> bytes:
        raise RuntimeError("disk on fire")

    answer = App().answer("POST", EVOLINK, headers, broken)
    error = json.loads(answer.body)["error"]
    assert (answer.status, error["code"]) == (500, "internal_error")
    assert error["message"] == "The mock server failed to answer this request"

    def gone(n: int) -> bytes:
        raise ClientGone

    with pytest.raises(ClientGone):
        App().answer("POST", EVOLINK, headers, gone)


def test_the_app_answers_with_the_documented_reply_made_fresh() -> None:
    from chatcontract.mock._app import App

    headers = {
        "authorization": "Bearer k",
        "content-type": "application/json",
        "content-length": str(len(GOOD_BODY)),
    }
    before = int(time.time())
    first, second = (
        json.loads(App().answer("POST", EVOLINK, headers, lambda n: GOOD_BODY).body) for _ in range(2)
    )
    assert first["id"] != second["id"] and first["model"] == "MiniMax-M2.5"
    assert before <= first["created"] <= int(time.time())
    usage = first["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_tool_call_arguments_give_each_required_parameter_a_placeholder_of_its_type() -> None:
    from chatcontract.mock._app import _arguments

    properties = {
        "s": {"type": "string"},
        "n": {"type": "number"},
        "i": {"type": "integer"},
        "b": {"type": "boolean"},
        "a": {"type": "array"},
        "o": {"type": "object"},
        "u": {"type": ["string", "null"]},  # no single type: null
        "x": {},
        "城市": {"type": "string"},
        "optional": {"type": "string"},
    }
    required = ["s", "n", "i", "b", "a", "o", "u", "x", "城市", "missing"]
    arguments = _arguments({"name": "f", "parameters": {"properties": properties, "required": required}})
    assert json.loads(arguments) == {
        "s": "mock",
        "n": 0,
        "i": 0,
        "b": False,
        "a": [],
        "o": {},
        "u": None,
        "x": None,
        "城市": "mock",
        "missing": None,
    }
    assert '"城市": "mock"' in arguments  # sent as UTF-8, not \\u escapes
    assert _arguments({"name": "f"}) == "{}" == _arguments({"name": "f", "parameters": {"properties": {}}})


@pytest.mark.parametrize(
    ("headers", "length"),
    [
        ({}, 0),
        ({"content-length": " 12 "}, 12),
        ({"content-length": "0"}, 0),
        ({"content-length": "1e3"}, None),
        ({"content-length": "١٢"}, None),  # digits, but not ASCII ones
        ({"content-length": "-1"}, None),
        ({"transfer-encoding": "chunked", "content-length": "5"}, None),
    ],
)
def test_declared_length(headers: dict[str, str], length: int | None) -> None:
    from chatcontract.mock._app import declared_length

    assert declared_length(headers) == length


@pytest.mark.parametrize(
    ("document", "pointer", "after"),
    [
        ({}, "/base_resp/status_code", {"base_resp": {"status_code": 7}}),
        ({"a": {"b": 1}}, "/a/c", {"a": {"b": 1, "c": 7}}),
        ({"x": 1}, "/x", {"x": 7}),
    ],
)
def test_put_sets_a_member_making_its_parents(
    document: dict[str, Any], pointer: str, after: dict[str, Any]
) -> None:
    from chatcontract.mock._app import _put

    _put(document, pointer, 7)
    assert document == after
