"""The mock's app without sockets: replayed corpus cases, upstream refusals, logs and echoes."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from typing import Any

import pytest

from chatcontract.mock import Upstream, _corpus
from chatcontract.mock._apis import APIS
from chatcontract.mock._app import Answer, App, Reject, _put

MINIMAX = "/minimax/v1/chat/completions"
EVOLINK = "/evolink/v1/chat/completions"
MODELS = {MINIMAX: "MiniMax-M2.5", EVOLINK: "MiniMax-M2.5"}


def _post(app: App, path: str, extra: dict[str, Any] | None = None, case: str | None = None) -> Answer:
    body = {"model": MODELS[path], "messages": [{"role": "user", "content": "hi"}], **(extra or {})}
    return _send(app, path, body, case)


def _send(app: App, path: str, body: dict[str, Any], case: str | None = None) -> Answer:
    raw = json.dumps(body).encode()
    sent = {"authorization": "Bearer k", "content-type": "application/json", "content-length": str(len(raw))}
    if case is not None:
        sent["x-mock-case"] = case
    return app.answer("POST", path, sent, lambda n: raw)


def _error(answer: Answer) -> dict[str, Any]:
    error: dict[str, Any] = json.loads(answer.body)["error"]
    return error


@pytest.mark.parametrize(
    "name",
    [
        "evolink-429-gateway-request-id-header",
        "minimax-http400-2013-invalid-role",
        "minimax-stream-final-delta-null",
    ],
    ids=["json-headers", "json", "events"],
)
def test_a_corpus_case_is_replayed_as_the_server_sent_it(name: str) -> None:
    case = _corpus.cases()[name]
    path = MINIMAX if case.api == "minimax" else EVOLINK
    _assert_replayed(_post(App(), path, case=f" {name} "), case)


def _assert_replayed(answer: Answer, case: _corpus.Case) -> None:
    streamed = "events" in case.response
    assert (answer.status, answer.content_type, answer.headers, answer.replay) == (
        case.status,
        case.content_type,
        case.headers,
        True,
    )
    assert answer.frames == (case.frames() if streamed else None)
    assert answer.body == (b"" if streamed else case.body())


def test_a_corpus_case_of_another_api_is_refused() -> None:
    answer = _post(App(), EVOLINK, case="minimax-http400-2013-invalid-role")
    assert answer.status == 400 and _error(answer)["code"] == "invalid_request"
    assert _error(answer)["message"] == (
        "X-Mock-Case minimax-http400-2013-invalid-role is a case of minimax, "
        "but this request is for evolink_minimax_m2_5"
    )


def test_minimax_rate_limit_body() -> None:
    app = App(upstream=Upstream(rpm=1))
    assert _post(app, MINIMAX).status == 200
    refused = _post(app, MINIMAX)
    body = json.loads(refused.body)
    assert refused.status == 200 and re.fullmatch("[0-9a-f]{32}", body.pop("id"))
    assert isinstance(body.pop("created"), int)
    assert body == {
        "choices": None,
        "object": "chat.completion",
        "base_resp": {"status_code": 1002, "status_msg": "rate limit"},
    }


def test_evolink_rate_limit_and_failure_messages() -> None:
    app = App(upstream=Upstream(rpm=1))
    _post(app, EVOLINK)
    refused = _post(app, EVOLINK)
    assert (
        refused.status == 429 and _error(refused)["message"] == "Rate limit reached (simulated: --rpm/--tpm)"
    )
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert _post(App(upstream=Upstream(rpm=1)), MINIMAX).status == 200  # the window is per API
    failed = _post(App(upstream=Upstream(fail_rate=1.0)), EVOLINK)
    assert failed.status == 500
    assert _error(failed)["message"] == "The upstream failed (simulated: --fail-rate)"


def test_retry_after_counts_from_the_api_s_own_window() -> None:
    upstream = Upstream(rpm=1)
    app = App(upstream=upstream)
    _post(app, EVOLINK)
    assert _post(app, EVOLINK).headers == {"Retry-After": str(upstream.retry_after("evolink"))}


def test_a_stream_answer_is_not_cached() -> None:
    answer = _post(App(), EVOLINK, {"stream": True})
    assert (answer.status, answer.headers) == (200, {"Cache-Control": "no-cache"})


def test_the_answer_id_keeps_the_documented_prefix() -> None:
    app = App()
    documented = app.routes[MINIMAX].endpoints[0].response_examples["documented"]["id"]
    prefix = documented.rpartition("-")[0]
    answer = json.loads(_post(app, MINIMAX).body)
    if prefix:
        assert re.fullmatch(re.escape(prefix) + "-[0-9a-f]{32}", answer["id"])
    else:
        assert re.fullmatch("[0-9a-f]{32}", answer["id"])
    assert answer["id"] != documented


def test_a_tool_call_id_has_24_hex_digits() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    answer = json.loads(_post(App(), MINIMAX, {"tools": tools}).body)
    call = answer["choices"][0]["message"]["tool_calls"][0]
    assert re.fullmatch("call_[0-9a-f]{24}", call["id"])


def test_an_internal_error_is_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    def broken(n: int) -> bytes:
        raise RuntimeError("disk on fire")

    headers = {"authorization": "Bearer k", "content-type": "application/json", "content-length": "2"}
    with caplog.at_level(logging.DEBUG, logger="chatcontract.mock"):
        App().answer("POST", EVOLINK, headers, broken)
    (record,) = [r for r in caplog.records if r.name == "chatcontract.mock"]
    assert record.getMessage() == f"mock: internal error answering POST '{EVOLINK}'"
    assert record.exc_info is not None and str(record.exc_info[1]) == "disk on fire"


def test_undocumented_fields_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="chatcontract.mock"):
        _post(App(), EVOLINK, {"zz": 1, "aa": 2})
    messages = [r.getMessage() for r in caplog.records if r.name == "chatcontract.mock"]
    assert messages == ["mock: undocumented field(s) accepted: 'aa', 'zz'"]


@pytest.mark.parametrize(
    ("status", "target", "message"),
    [
        (400, MINIMAX, "m (2013)"),
        (418, None, "m"),
        (414, "/minimax/x?y=1", "m (2013)"),
        (400, "/Xminimax/v1", "m"),
        (400, "", "m"),
    ],
    ids=["minimax", "unknown-status", "minimax-prefix", "x-prefix", "empty"],
)
def test_protocol_errors(status: int, target: str | None, message: str) -> None:
    answer = App().protocol_error(status, "m", target)
    assert json.loads(answer.body)["error"]["message"] == message
    assert answer.status == (414 if status == 414 else 400)


@pytest.mark.parametrize(
    ("path", "echoed"),
    [
        ("/" + "a" * 77, "'/" + "a" * 77 + "'"),
        ("/" + "a" * 78, "'/" + "a" * 75 + "..."),
        ("/城", "'/城'"),
    ],
    ids=["80", "81", "utf8"],
)
def test_an_unknown_path_is_echoed_short(path: str, echoed: str) -> None:
    answer = App().answer("POST", path, {}, lambda n: b"")
    assert _error(answer)["message"].startswith(f"Unknown path {echoed}; the mock serves POST ")
    assert echoed.encode("utf-8") in answer.body


@pytest.mark.parametrize(
    ("model", "got"),
    [("m" * 78, '"' + "m" * 78 + '"'), ("m" * 79, '"' + "m" * 76 + "..."), ("城", '"城"')],
    ids=["80", "81", "utf8"],
)
def test_an_unknown_model_is_echoed_short(model: str, got: str) -> None:
    raw = json.dumps({"model": model}).encode()
    headers = {
        "authorization": "Bearer k",
        "content-type": "application/json",
        "content-length": str(len(raw)),
    }
    message = _error(App().answer("POST", EVOLINK, headers, lambda n: raw))["message"]
    assert message.endswith(f"; got {got}")


def test_health_body_is_compact() -> None:
    assert App().answer("GET", "/health", {}, lambda n: b"").body == b'{"status":"ok"}'


def test_reject_carries_its_message() -> None:
    assert str(Reject("internal", "m", Allow="GET")) == "m"


def _minimax_app(upstream: Upstream | None = None, **changes: Any) -> App:
    """An App serving MiniMax alone, its endpoint with ``changes`` (``dataclasses.replace``)."""
    api = APIS["minimax"]
    endpoint = dataclasses.replace(api.endpoints[0], **changes)
    return App({"minimax": dataclasses.replace(api, endpoints=(endpoint,))}, upstream=upstream)


def _app_answering(reply: dict[str, Any]) -> App:
    """An App whose MiniMax endpoint documents ``reply`` as its example response."""
    return _minimax_app(response_examples={"documented": reply})


@pytest.mark.parametrize(
    ("documented", "pattern"),
    [("chatcmpl-2024-abc", "chatcmpl-2024-[0-9a-f]{32}"), ("abc", "[0-9a-f]{32}"), ("-x", "[0-9a-f]{32}")],
    ids=["prefix", "none", "empty-prefix"],
)
def test_a_fresh_id_keeps_what_comes_before_the_last_dash(documented: str, pattern: str) -> None:
    answer = json.loads(_post(_app_answering({"id": documented, "choices": []}), MINIMAX).body)
    assert re.fullmatch(pattern, answer["id"]), answer["id"]


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 99}, 7),
        ({"prompt_tokens": 3, "total_tokens": 99}, 99),  # no sum without both parts
        ({"completion_tokens": 4, "total_tokens": 99}, 99),
        ({"prompt_tokens": 3, "completion_tokens": 4}, 7),  # the parts alone: a total is added
    ],
    ids=["sum", "no-completion", "no-prompt", "parts-only"],
)
def test_total_tokens_is_the_sum_of_the_parts(usage: dict[str, int], expected: int) -> None:
    answer = json.loads(_post(_app_answering({"id": "x", "choices": [], "usage": usage}), MINIMAX).body)
    assert answer["usage"] == {**usage, "total_tokens": expected}


def test_a_missing_required_field_is_named_without_a_value() -> None:
    answer = _send(App(), MINIMAX, {"model": "MiniMax-M2.5"})
    message = _error(answer)["message"]
    assert answer.status == 400
    assert message == "messages: is required (request schema of specs/minimax.yaml) (2013)"  # no "; got"


@pytest.mark.parametrize(
    "response",
    [
        {"status": 200, "headers": {"X-Request-Id": "r1"}, "events": [{"id": "1", "choices": []}, "[DONE]"]},
        {"status": 502, "headers": {"Server": "gateway"}, "text": "<html>Bad Gateway</html>"},
    ],
    ids=["events-headers", "text"],
)
def test_a_case_keeps_its_headers_and_content_type(monkeypatch: pytest.MonkeyPatch, response: Any) -> None:
    """Beyond the shipped corpus: a stream with headers of its own, a body that is not JSON."""
    case = _corpus.Case("made", "minimax", "-", "-", request={}, response=response, expect={})
    monkeypatch.setattr(_corpus, "cases", lambda: {case.name: case})
    _assert_replayed(_post(App(), MINIMAX, case=case.name), case)


def test_without_an_error_format_a_rate_limit_is_an_http_429() -> None:
    """An endpoint whose spec has no ``x-errors`` has no HTTP 200 body to report a refusal in."""
    app = _minimax_app(Upstream(rpm=1), errors=None)
    assert _post(app, MINIMAX).status == 200
    refused = _post(app, MINIMAX)
    assert (refused.status, list(refused.headers)) == (429, ["Retry-After"])


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [("/base_resp/status_code", {"base_resp": {"status_code": 1}}), ("/Xa/Xb", {"Xa": {"Xb": 1}})],
    ids=["nested", "x-names"],
)
def test_put_makes_the_parents_a_pointer_names(pointer: str, expected: dict[str, Any]) -> None:
    document: dict[str, Any] = {}
    _put(document, pointer, 1)
    assert document == expected
