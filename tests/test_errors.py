"""Each API's error table (tests/fixtures/<api>/errors.yaml), sync and async, whole and streamed."""

from __future__ import annotations

import asyncio
import importlib
import json
from typing import Any

import httpx
import pytest
import respx

import chatcontract
from chatcontract._error_mapping import pointer
from tests import specs

CASES = specs.error_cases()


def _ids(case: tuple[str, dict[str, Any]]) -> str:
    api, entry = case
    return f"{api}:{entry['status']}:{entry['error']}:{entry.get('code')}"


def _check(error: chatcontract.APIStatusError, entry: dict[str, Any]) -> None:
    assert type(error) is getattr(chatcontract, entry["error"])
    assert error.status_code == entry["status"]
    assert error.code == entry["code"]
    assert specs.API_KEY not in str(error)
    if "body" in entry:
        assert json.loads(error.body) == entry["body"]
    else:
        assert error.body == entry["text"].encode()


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_sync(case: tuple[str, dict[str, Any]]) -> None:
    api, entry = case
    exchange = next(e for e in specs.exchanges() if e.api == api)
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).respond(**specs.respond_with(entry, **{"x-request-id": "r-9"}))
        with pytest.raises(chatcontract.APIStatusError) as raised:
            specs.client(api).chat.completions.create(**exchange.request)
    _check(raised.value, entry)
    assert raised.value.request_id == "r-9"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_async_and_streamed(case: tuple[str, dict[str, Any]]) -> None:
    """A stream request that gets an error response raises the same error."""
    api, entry = case
    exchange = next(e for e in specs.exchanges() if e.api == api)

    async def main() -> None:
        async with specs.async_client(api) as client:
            for stream in (False, True):
                with pytest.raises(chatcontract.APIStatusError) as raised:
                    await client.chat.completions.create(**exchange.request, stream=stream)
                _check(raised.value, entry)

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).respond(**specs.respond_with(entry))
        asyncio.run(main())


# A documented (valid) reply that also carries the vendor's error signal: the error wins.
ERRORS_IN_VALID_REPLIES = [
    ("minimax", {"base_resp": {"status_code": 1008, "status_msg": "insufficient balance"}}, "1008"),
    ("minimax", {"type": "error", "error": {"type": "rate_limit", "message": "busy (1002)"}}, "1002"),
    (
        "evolink_minimax_m2_5",
        {"error": {"message": "no credit", "code": "insufficient_quota"}},
        "insufficient_quota",
    ),
    (
        "evolink_gemini_3_pro_preview",
        {"error": {"message": "bad key", "code": "invalid_api_key"}},
        "invalid_api_key",
    ),
]
_CLASS_OF_CODE = {
    "1008": "InsufficientBalanceError",
    "1002": "RateLimitError",
    "insufficient_quota": "InsufficientBalanceError",
    "invalid_api_key": "AuthenticationError",
}


@pytest.mark.parametrize(("api", "signal", "code"), ERRORS_IN_VALID_REPLIES, ids=lambda v: str(v)[:20])
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_an_error_inside_an_otherwise_valid_2xx_reply_is_raised(
    api: str, signal: dict[str, Any], code: str, strict: bool
) -> None:
    exchange = next(e for e in specs.exchanges() if e.api == api)
    body = {**exchange.response, **signal}
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).respond(200, json=body)
        with pytest.raises(chatcontract.APIStatusError) as raised:
            specs.client(api, max_retries=0, strict_responses=strict).chat.completions.create(
                **exchange.request
            )
    assert type(raised.value).__name__ == _CLASS_OF_CODE[code]
    assert (raised.value.status_code, raised.value.code) == (200, code)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/0/b", 1),
        ("/a/1/b", 2),
        ("/a/2/b", None),  # past the end
        ("/a/-1/b", None),  # no negative indexes in JSON pointers
        ("/a/x", None),
        ("/k~1v/m~0n", 3),  # escaped "/" and "~"
        ("/missing/0", None),
    ],
)
def test_json_pointer_reads_list_items_by_their_index(path: str, expected: Any) -> None:
    data = {"a": [{"b": 1}, {"b": 2}], "k/v": {"m~n": 3}}
    assert pointer(data, path) == expected


def test_every_vendor_code_of_the_specs_is_in_a_table() -> None:
    """The code -> class tables of the specs are all exercised by the error tables."""
    tested = {(api, entry["code"]) for api, entry in CASES}
    for api in specs.CONFIG.specs:
        _, op = specs.operation(api)
        for code in op["x-errors"].get("codes", {}):
            assert (api, str(code)) in tested, f"{api}: vendor code {code} has no case"


def _raised_classes() -> list[tuple[str, str, Any]]:
    """(module, name, object) for each ``raise Name(...)`` in the library (not the mock server,
    whose errors are its own command's) where ``Name`` is a class."""
    import ast
    import builtins
    import importlib

    root = specs.ROOT / "src"
    found = []
    for path in sorted((root / "chatcontract").rglob("*.py")):
        module_name = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        if ".mock" in module_name or module_name.endswith("__main__"):
            continue
        module = importlib.import_module(module_name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                if isinstance(func, ast.Name):
                    target = getattr(module, func.id, None) or getattr(builtins, func.id, None)
                    if isinstance(target, type):
                        found.append((module_name, func.id, target))
    return found


def test_the_library_raises_only_errors_of_its_tree() -> None:
    raised = _raised_classes()
    assert raised, "no raise statements found: the scan is broken"
    # A module's __getattr__ must raise AttributeError: that is Python's protocol, not an error of ours.
    allowed = {("chatcontract", "AttributeError"), ("chatcontract.testing", "AttributeError")}
    strays = [
        (module, name)
        for module, name, cls in raised
        if not issubclass(cls, chatcontract.ChatContractError) and (module, name) not in allowed
    ]
    assert not strays, f"errors outside ChatContractError: {strays}"


# body_error on its own: (api, status, headers, body, expected error or None). The expected
# error is (class, code, type, str(error), request_id).
E = chatcontract
SIGNALS: list[tuple[str, int, dict[str, str], Any, tuple[Any, ...] | None]] = [
    ("evolink_minimax_m2_5", 200, {}, {"id": "x", "choices": []}, None),
    (
        "evolink_minimax_m2_5",
        400,
        {"x-request-id": "r-1"},
        {"error": {"message": "bad", "type": "invalid_request_error", "code": "invalid_parameter"}},
        (
            E.BadRequestError,
            "invalid_parameter",
            "invalid_request_error",
            "Error code: 400 - bad (code invalid_parameter)",
            "r-1",
        ),
    ),
    (
        "evolink_minimax_m2_5",
        200,
        {},
        {
            "error": {"message": "no credit", "code": "insufficient_quota", "request_id": "g-1"},
            "request_id": "",
        },
        (
            E.InsufficientBalanceError,
            "insufficient_quota",
            None,
            "Error code: 200 - no credit (code insufficient_quota)",
            "g-1",
        ),
    ),
    (
        "evolink_minimax_m2_5",
        502,
        {},
        b"<html>",
        (E.InternalServerError, None, None, "Error code: 502 - Bad Gateway", None),
    ),
    (
        "evolink_minimax_m2_5",
        200,
        {},
        {"error": {"message": "", "type": 7}},
        (E.APIStatusError, None, None, "Error code: 200 - the API reported an error", None),
    ),
    (
        "evolink_minimax_m2_5",
        200,
        {},
        {"error": {"message": 5, "code": 17}},
        (E.APIStatusError, "17", None, "Error code: 200 - the API reported an error (code 17)", None),
    ),
    (
        "evolink_gemini_3_pro_preview",
        400,
        {"request-id": "q-2"},
        [{"error": {"message": "bad", "code": 400, "status": "INVALID_ARGUMENT"}}],
        (E.BadRequestError, "400", None, "Error code: 400 - bad (code 400)", "q-2"),
    ),
    ("minimax", 200, {}, {"choices": [], "base_resp": {"status_code": "0", "status_msg": ""}}, None),
    (
        "minimax",
        200,
        {"minimax-request-id": "m-3"},
        {"choices": None, "base_resp": {"status_code": 1002, "status_msg": "rate limit"}},
        (E.RateLimitError, "1002", None, "Error code: 200 - rate limit (code 1002)", "m-3"),
    ),
    (
        "minimax",
        200,
        {},
        {
            "type": "error",
            "error": {"type": "overloaded_error", "message": "busy (1013)"},
            "request_id": "t-4",
        },
        (E.InternalServerError, "1013", "overloaded_error", "Error code: 200 - busy (1013)", "t-4"),
    ),
    (
        "minimax",
        500,
        {},
        {"error": {"message": "no code here"}},
        (E.InternalServerError, None, None, "Error code: 500 - no code here", None),
    ),
]


@pytest.mark.parametrize(
    ("api", "status", "headers", "body", "expected"),
    SIGNALS,
    ids=[f"signal-{n}" for n in range(len(SIGNALS))],
)
@pytest.mark.parametrize("as_text", [False, True], ids=["bytes", "text"])
def test_body_error_reads_the_signal_of_each_error_format(
    api: str, status: int, headers: dict[str, str], body: Any, expected: tuple[Any, ...] | None, as_text: bool
) -> None:
    from chatcontract._error_mapping import body_error

    endpoint = importlib.import_module(f"chatcontract._generated.{api}_endpoint").ENDPOINT
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = httpx.Response(
        status, headers=headers, content=raw, request=httpx.Request("POST", "https://x")
    )
    error = body_error(endpoint, response, raw.decode() if as_text else raw)
    if expected is None:
        assert error is None
        return
    cls, code, error_type, text, request_id = expected
    assert error is not None and type(error) is cls
    assert (error.code, error.type, str(error), error.request_id) == (code, error_type, text, request_id)
    assert error.body == raw and error.response is response and error.status_code == status


def _endpoint(api: str) -> Any:
    return importlib.import_module(f"chatcontract._generated.{api}_endpoint").ENDPOINT


@pytest.mark.parametrize(
    ("api", "path", "ok"),
    [("minimax", ("base_resp", "status_code"), 0), ("evolink_minimax_m2_5", (), None)],
)
def test_signals_are_worked_out_once_per_error_format(api: str, path: tuple[str, ...], ok: Any) -> None:
    from chatcontract._error_mapping import signals_of

    signals = signals_of(_endpoint(api))
    assert (signals.marker, signals.marker_bytes) == ('"error"', b'"error"')
    assert (signals.success_path, signals.success_ok) == (path, ok)
    assert signals_of(_endpoint(api)) is signals


# may_signal: (api, body, reply fields, whether the body may signal an error).
MAY_SIGNAL = [
    ("evolink_minimax_m2_5", '{"id": "x", "error": {"message": "m"}}', {"id": "x"}, True),
    ("evolink_minimax_m2_5", '{"id": "x"}', {"id": "x"}, False),
    ("minimax", '{"id": "x", "base_resp": {"status_code": 0}}', {"base_resp": {"status_code": 0}}, False),
    ("minimax", '{"id": "x", "base_resp": {"status_code": "0"}}', {"base_resp": {"status_code": "0"}}, False),
    (
        "minimax",
        '{"id": "x", "base_resp": {"status_code": 1002}}',
        {"base_resp": {"status_code": 1002}},
        True,
    ),
    ("minimax", '{"id": "x"}', {"id": "x"}, False),  # no base_resp: nothing says failure
    ("minimax", '{"id": "x", "base_resp": {}}', {"base_resp": {}}, False),
]


@pytest.mark.parametrize(
    ("api", "body", "fields", "signals"), MAY_SIGNAL, ids=[f"may-{n}" for n in range(len(MAY_SIGNAL))]
)
@pytest.mark.parametrize("as_text", [False, True], ids=["bytes", "text"])
def test_may_signal(api: str, body: str, fields: dict[str, Any], signals: bool, as_text: bool) -> None:
    from chatcontract._error_mapping import may_signal

    endpoint = _endpoint(api)
    parsed = endpoint.response_model.model_validate(fields)
    assert may_signal(endpoint, body if as_text else body.encode(), parsed) is signals
