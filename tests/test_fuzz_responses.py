"""Hostile responses: whatever a server sends, only chatcontract's documented errors escape.

Every response here is fed to every client of its API: sync and async, whole and ``stream=True``
(four modes), through ``httpx.MockTransport`` and delivered in pieces of a drawn size. The
request itself is always valid, so the only exceptions allowed out are ``chatcontract.APIError``
subclasses: anything else (KeyError, TypeError, RecursionError, UnicodeDecodeError, a json or
pydantic error, an httpx error) propagates and fails the test with its own traceback.

What is checked beyond "no stray exception", per mode:

- an HTTP error status raises ``APIStatusError`` with that status and ``.body`` == the bytes sent;
- a 2xx whole response either returns the response model, or raises ``APIStatusError`` exactly
  when the body signals an error (an error object with a message, or MiniMax's non-zero
  ``base_resp.status_code``), else ``APIResponseValidationError``; both with ``.body`` == the
  bytes sent; asking for a stream and getting a whole 2xx body never returns;
- an event stream yields chunk models, or raises ``APIResponseValidationError`` /
  ``APIStatusError`` with the offending bytes;
- sync and async agree (same outcome, same error class, message and body);
- the response is closed afterwards, whatever happened.

Strategies: the documented responses mutated (keys deleted, values nulled, replaced with random
JSON, wrapped, stringified, error objects planted anywhere; then bytes truncated, injected or
made invalid UTF-8), fully random bytes, pathological bodies (deep nesting, empty, HTML, BOMs,
UTF-16), any status 100-599, odd content types and headers; event streams built from the
documented replies with frames mutated, dropped, split over ``data:`` lines, garbage and
odd field lines between them, non-object JSON frames and error frames. Huge bodies (1-5 MB),
deep nesting and broken gzip have explicit tests, so they run on every run.
"""

from __future__ import annotations

import asyncio
import copy
import gzip
import importlib
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import hypothesis
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import chatcontract
from tests import specs
from tests.sse import Pieces, chunks_of, frames, style_of

EXCHANGES = {e.api: e for e in specs.exchanges()}
APIS = sorted(EXCHANGES)
ENDPOINTS = {api: importlib.import_module(f"chatcontract._generated.{api}_endpoint").ENDPOINT for api in APIS}

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

Headers = tuple[tuple[bytes, bytes], ...]


# ------------------------------------------------------------------------------- running a reply


@dataclass(frozen=True)
class Reply:
    """What the server sends: status, headers, body, delivered ``piece`` bytes at a time."""

    status: int
    body: bytes
    headers: Headers = ((b"content-type", b"application/json"),)
    piece: int = 4096
    decoded: bytes | None = None  # the body after its Content-Encoding, where that differs

    @property
    def content(self) -> bytes:
        """The body as the client sees it (``response.content``): what errors carry."""
        return self.body if self.decoded is None else self.decoded

    @property
    def content_type(self) -> str:
        return str(httpx.Headers(list(self.headers)).get("content-type", ""))

    def __repr__(self) -> str:  # keep hypothesis' reports readable for megabyte bodies
        body = self.body if len(self.body) <= 300 else self.body[:300] + b"...(%d bytes)" % len(self.body)
        return f"Reply({self.status}, {body!r}, headers={self.headers!r}, piece={self.piece})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # what hypothesis prints
        printer.text(repr(self))


@dataclass
class Outcome:
    mode: str
    value: Any = None
    error: chatcontract.APIError | None = None


class Server:
    """A MockTransport handler that answers every request with ``reply`` and remembers the bodies."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.opened: list[Pieces] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        pieces = Pieces(self.reply.body, self.reply.piece)
        self.opened.append(pieces)
        return httpx.Response(self.reply.status, headers=list(self.reply.headers), stream=pieces)

    def check_closed(self, mode: str) -> None:
        assert self.opened, f"{mode}: nothing was sent"
        assert all(p.closed for p in self.opened), f"{mode}: the response was left open"


def run_sync(api: str, reply: Reply, *, stream: bool, strict: bool) -> Outcome:
    mode = f"sync stream={stream}"
    server = Server(reply)
    outcome = Outcome(mode)
    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        client = specs.client(api, http_client=http, strict_responses=strict)
        try:
            if stream:
                with client.chat.completions.create(**EXCHANGES[api].request, stream=True) as chunks:
                    outcome.value = list(chunks)
            else:
                outcome.value = client.chat.completions.create(**EXCHANGES[api].request)
        except chatcontract.APIError as error:
            outcome.error = error
    server.check_closed(mode)
    return outcome


async def _async_call(api: str, reply: Reply, *, stream: bool, strict: bool) -> Outcome:
    mode = f"async stream={stream}"
    server = Server(reply)
    outcome = Outcome(mode)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
        client = specs.async_client(api, http_client=http, strict_responses=strict)
        try:
            if stream:
                chunks = await client.chat.completions.create(**EXCHANGES[api].request, stream=True)
                async with chunks:
                    outcome.value = [chunk async for chunk in chunks]
            else:
                outcome.value = await client.chat.completions.create(**EXCHANGES[api].request)
        except chatcontract.APIError as error:
            outcome.error = error
    server.check_closed(mode)
    return outcome


def run_async(api: str, reply: Reply, *, strict: bool) -> tuple[Outcome, Outcome]:
    async def both() -> tuple[Outcome, Outcome]:
        return (
            await _async_call(api, reply, stream=False, strict=strict),
            await _async_call(api, reply, stream=True, strict=strict),
        )

    return asyncio.run(both())


def run_all(api: str, reply: Reply, *, strict: bool = False) -> dict[tuple[str, bool], Outcome]:
    """``reply`` through all four clients of ``api``, each outcome checked; keyed by mode."""
    whole_async, stream_async = run_async(api, reply, strict=strict)
    outcomes = {
        ("sync", False): run_sync(api, reply, stream=False, strict=strict),
        ("sync", True): run_sync(api, reply, stream=True, strict=strict),
        ("async", False): whole_async,
        ("async", True): stream_async,
    }
    for (_, stream), outcome in outcomes.items():
        check(api, reply, outcome, stream=stream)
        if hypothesis.currently_in_test_context():  # --hypothesis-show-statistics shows the mix of outcomes
            kind = type(outcome.error).__name__ if outcome.error else "reply"
            hypothesis.event(f"stream={stream}: {kind}")
    for stream in (False, True):
        same(outcomes["sync", stream], outcomes["async", stream])
    return outcomes


# ------------------------------------------------------------------------------------- oracles


def signals_error(api: str, body: bytes) -> bool | None:
    """Whether a 2xx body signals an API error (None: too deep to tell from here)."""
    try:
        data = json.loads(body)
    except RecursionError:
        return None
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    error = data.get("error")
    if isinstance(error, dict) and error.get("message") is not None:
        return True
    base = data.get("base_resp") if api == "minimax" else None
    status = base.get("status_code") if isinstance(base, dict) else None
    return status is not None and status != 0 and str(status) != "0"  # "0" is success too


def check(api: str, reply: Reply, outcome: Outcome, *, stream: bool) -> None:
    endpoint = ENDPOINTS[api]
    error, mode = outcome.error, outcome.mode
    if isinstance(error, chatcontract.ResponseTooLargeError):  # only when a limit really passed
        assert (
            len(reply.decoded or reply.body) > error.limit_bytes and len(error.body) <= error.BODY_PREFIX
        ), mode
        return
    if error is not None:
        assert isinstance(error, (chatcontract.APIStatusError, chatcontract.APIResponseValidationError)), mode
        assert error.status_code == reply.status, mode
        assert isinstance(error.body, bytes), mode
        assert specs.API_KEY not in str(error), mode
    if not 200 <= reply.status < 300:
        assert isinstance(error, chatcontract.APIStatusError), f"{mode}: {reply.status} gave {outcome}"
        assert error.body == reply.content, mode
        return
    if stream and reply.content_type.startswith("text/event-stream"):
        if error is None:
            assert isinstance(outcome.value, list), mode
            assert all(isinstance(chunk, endpoint.chunk_model) for chunk in outcome.value), mode
        return
    # A whole 2xx body (asked for or not). Where a stream was asked for, a JSON reply is
    # handed out as a stream of one chunk; any other content type is an error.
    if error is None:
        if stream:
            media_type = reply.content_type.split(";", 1)[0].strip().lower()
            assert media_type == "application/json" or media_type.endswith("+json"), mode
            assert isinstance(outcome.value, list) and len(outcome.value) == 1, mode
            assert isinstance(outcome.value[0], endpoint.chunk_model), mode
        else:
            assert isinstance(outcome.value, endpoint.response_model), mode
        assert signals_error(api, reply.content) is not True, mode
        return
    assert error.body == reply.content, f"{mode}: the error does not carry the body sent"
    signalled = signals_error(api, reply.content)
    if signalled is not None:
        assert isinstance(error, chatcontract.APIStatusError) == signalled, f"{mode}: {error!r}"


def same(sync: Outcome, async_: Outcome) -> None:
    """Sync and async clients agree on a reply."""
    if sync.error is not None or async_.error is not None:
        assert type(sync.error) is type(async_.error), (sync, async_)
        assert sync.error is not None and async_.error is not None
        assert str(sync.error) == str(async_.error)
        assert getattr(sync.error, "body", None) == getattr(async_.error, "body", None)
        return
    if isinstance(sync.value, list):
        assert [c.model_dump() for c in sync.value] == [c.model_dump() for c in async_.value]
    else:
        assert sync.value.model_dump() == async_.value.model_dump()


# ---------------------------------------------------------------------------------- strategies

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["", "0", "1004", "stop", "assistant", "chat.completion", "\u2028", "\x00"])
)
json_values = st.recursive(
    json_scalars,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
    max_leaves=8,
)
plain_json = st.recursive(  # what JSON carries exactly: no NaN or infinity
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
    max_leaves=8,
)

VENDOR_CODES = sorted({code for e in ENDPOINTS.values() if e.errors for code in e.errors.kinds})
codes = st.one_of(
    st.sampled_from(VENDOR_CODES),
    st.sampled_from(VENDOR_CODES).map(lambda c: int(c) if c.isdigit() else c),
    json_values,
)
messages = st.one_of(
    st.text(max_size=30),
    st.builds(lambda text, code: f"{text} ({code})", st.text(max_size=10), st.sampled_from(VENDOR_CODES)),
    st.sampled_from(["", "(1004)", "x (1004) ", "(" + "1" * 100, "(((1)))"]),
    json_values,
)
error_objects = st.fixed_dictionaries({}, optional={"message": messages, "type": json_values, "code": codes})
error_wrappers = st.one_of(
    st.builds(lambda e: {"error": e}, error_objects),
    st.builds(lambda e: {"type": "error", "error": e}, error_objects),
    st.builds(
        lambda code, msg: {"base_resp": {"status_code": code, "status_msg": msg}},
        codes | st.integers(-2, 3000),
        messages,
    ),
    st.builds(lambda e: {"error": e}, json_values),
    error_objects,
)

Path = tuple[Any, ...]


def paths(node: Any, prefix: Path = ()) -> Iterator[Path]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def at(doc: Any, path: Path) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def put(doc: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    at(doc, path[:-1])[path[-1]] = value
    return doc


def delete(doc: Any, path: Path) -> Any:
    if not path:
        return None
    del at(doc, path[:-1])[path[-1]]
    return doc


OPS = ["delete", "null", "replace", "replace", "wrap-list", "wrap-object", "stringify", "extra", "error"]


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """``document`` with 1-3 random edits at random places."""
    doc = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths(doc))))
        value = at(doc, path)
        op = draw(st.sampled_from(OPS))
        if op == "delete":
            doc = delete(doc, path)
        elif op == "null":
            doc = put(doc, path, None)
        elif op == "replace":
            doc = put(doc, path, draw(json_values))
        elif op == "wrap-list":
            doc = put(doc, path, [value])
        elif op == "wrap-object":
            doc = put(doc, path, {"value": value})
        elif op == "stringify":
            doc = put(doc, path, json.dumps(value))
        elif op == "extra" and isinstance(value, dict):
            value[draw(st.text(max_size=10))] = draw(json_values)
        elif op == "error":
            wrapper = draw(error_wrappers)
            if isinstance(value, dict) and isinstance(wrapper, dict):
                wrapper = {**value, **wrapper}  # an error object beside the reply's own fields
            doc = put(doc, path, wrapper)
    return doc


BAD_UTF8 = [b"\xff", b"\x80", b"\xc3", b"\xe4\xbd", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf"]


@st.composite
def damaged(draw: st.DrawFn, raw: bytes) -> bytes:
    """``raw`` as is, truncated, with random bytes injected, or with invalid UTF-8 inside."""
    how = draw(st.sampled_from(["as-is", "as-is", "truncate", "inject", "invalid-utf8"]))
    if how == "as-is" or not raw:
        return raw
    at_ = draw(st.integers(0, len(raw) - 1))
    if how == "truncate":
        return raw[:at_]
    extra = draw(st.binary(min_size=1, max_size=6) if how == "inject" else st.sampled_from(BAD_UTF8))
    return raw[:at_] + extra + raw[at_:]


def encode(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


@st.composite
def mutated_bodies(draw: st.DrawFn, api: str, damage: bool = True) -> bytes:
    raw = encode(draw(mutated(EXCHANGES[api].response)), draw(st.booleans()))
    return draw(damaged(raw)) if damage else raw


def nested(depth: int, open_: str = "[", close: str = "]") -> bytes:
    return (open_ * depth + "1" + close * depth).encode()


DEEP = 10_000
HTML = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)
SPECIAL_BODIES = [
    b"",
    b" ",
    b"\n",
    b"null",
    b"0",
    b"-1e999",
    b"NaN",
    b'"text"',
    b"true",
    b"[]",
    b"{}",
    b"[{}]",
    b'{"error": null}',
    b'{"error": "boom"}',
    b'{"error": {"message": null}}',
    b'{"error": {"message": ""}}',
    b'{"error": {"message": {"nested": true}, "code": [1004]}}',
    b'{"base_resp": {"status_code": "0"}}',
    b'{"base_resp": {"status_code": null}}',
    b'{"base_resp": []}',
    b'{"id": 1}',
    b"1" * 5000,  # past Python's 4300-digit int limit
    b'{"created": ' + b"9" * 5000 + b"}",
    HTML,
    b"Internal Server Error",
    b"\xef\xbb\xbf" + encode(EXCHANGES["minimax"].response, True),  # UTF-8 BOM
    encode(EXCHANGES["minimax"].response, True).decode().encode("utf-16"),
    b'{"error": {"message": "x (1004)"}}'.decode().encode("utf-16-le"),
    b"[" * DEEP,
    b'{"a":' * DEEP,
    nested(DEEP),
    nested(DEEP, '{"a":', "}"),
    b'{"error": {"message": "m", "code": ' + nested(DEEP) + b"}}",
    b'{"error": {"message": ' + nested(DEEP) + b"}}",
    b'{"base_resp": {"status_code": ' + nested(DEEP) + b"}}",
    b'{"choices": ' + nested(DEEP) + b"}",
    b"data: {}\n\n",
]

# 1xx, 204 and 304 have no body in real HTTP; a mock (or a broken proxy) can still send one.
SPECIAL_STATUSES = [100, 101, 103, 201, 202, 204, 206, 299, 301, 302, 304, 307, 400, 401, 402, 403]
SPECIAL_STATUSES += [404, 408, 409, 418, 422, 429, 499, 500, 502, 503, 504, 599]
statuses = st.one_of(  # one_of picks a branch uniformly: 200 half of the time
    st.just(200),
    st.just(200),
    st.sampled_from(SPECIAL_STATUSES),
    st.integers(100, 599),
)
CONTENT_TYPES = [
    b"application/json",
    b"application/json; charset=utf-8",
    b"application/json; charset=utf-16",
    b"text/html; charset=utf-8",
    b"text/plain",
    b"text/event-stream",
    b"text/event-stream; charset=utf-8",
    b"TEXT/EVENT-STREAM",
    b"application/octet-stream",
    b"",
    b"\xff\xfe",
]
ODD_HEADERS = [
    (b"x-request-id", b"req-123"),
    (b"x-request-id", b"\xff\xfe\x00"),
    (b"request-id", b""),
    (b"trace-id", b"t" * 10_000),
    (b"retry-after", b"garbage"),
    (b"retry-after-ms", b"-1"),
    (b"content-encoding", b"identity"),
    (b"content-encoding", b"x-unknown"),
    (b"content-type", b"text/html"),  # a second content-type
]


@st.composite
def header_sets(draw: st.DrawFn, content_types: st.SearchStrategy[bytes | None]) -> Headers:
    content_type = draw(content_types)
    headers = [] if content_type is None else [(b"content-type", content_type)]
    return (*headers, *draw(st.lists(st.sampled_from(ODD_HEADERS), max_size=2)))


pieces = st.sampled_from([1, 2, 3, 7, 64, 1024, 65536])


@st.composite
def whole_replies(draw: st.DrawFn) -> tuple[str, Reply, bool]:
    api = draw(st.sampled_from(APIS))
    body = draw(
        st.one_of(
            mutated_bodies(api),  # thrice: the documented shape, bent, is the likeliest surprise
            mutated_bodies(api),
            mutated_bodies(api, damage=False),
            st.binary(max_size=400),
            st.sampled_from(SPECIAL_BODIES),
            error_wrappers.flatmap(lambda e: damaged(encode(e, True))),
            json_values.map(lambda v: encode(v, False)),
        )
    )
    content_types = st.sampled_from([b"application/json", *CONTENT_TYPES, None])
    reply = Reply(draw(statuses), body, draw(header_sets(content_types)), draw(pieces))
    return api, reply, draw(st.booleans())


JUNK_LINES = [
    ":",
    ": keep-alive",
    "",
    "data",
    "data:",
    "data: ",
    "data:[DONE]",
    "data: [DONE] ",
    "data: [done]",
    "event: error",
    "event:",
    "id: 7",
    "id: \x00",
    "retry: 10",
    "retry: ²",  # str.isdigit() says yes, int() says no
    "retry: ١٢",  # Arabic-Indic digits: the same
    "retry: " + "9" * 5000,  # past Python's 4300-digit int limit
    "retry: -1",
    "data: null",
    "data: 1",
    'data: "x"',
    "data: []",
    "data: [1, 2]",
    "data: true",
    "data: {",
    "data: }",
    "data: {}",
    "data: " + "[" * DEEP,
    "data: " + nested(DEEP).decode(),
    'data: {"error": {"message": "m", "code": ' + nested(DEEP).decode() + "}}",
    "no colon at all",
    "\ufeffdata: {}",
    "data: \u2028\u2029\x85",
    "<html><body>502 Bad Gateway</body></html>",
]
junk_lines = st.one_of(
    st.sampled_from(JUNK_LINES),
    st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=30),
    json_values.map(lambda v: "data: " + json.dumps(v)),
    error_wrappers.map(lambda e: "data: " + json.dumps(e)),
)


@st.composite
def event_stream_bodies(draw: st.DrawFn, api: str) -> bytes:
    """The stream a server would send for the documented reply, frame by frame made worse."""
    content = EXCHANGES[api].response["choices"][0]["message"]["content"]
    size = draw(st.integers(max(1, len(content) // 8), len(content)))  # at most ~8 content chunks
    events = chunks_of(EXCHANGES[api].response, size=size, style=style_of(api))
    lines: list[str] = []
    for event in events:
        lines += draw(st.lists(junk_lines, max_size=2))
        action = draw(st.sampled_from(["keep", "keep", "keep", "mutate", "drop", "split", "non-object"]))
        if action == "drop":
            continue
        if action == "mutate":
            event = draw(mutated(event))
        data = json.dumps(event, ensure_ascii=draw(st.booleans()))
        if action == "split":  # one event over several data: lines (joined with "\n", still JSON)
            cut = draw(st.integers(0, len(data)))
            lines += ["data: " + data[:cut], "data:" + data[cut:], ""]
        elif action == "non-object":
            lines += ["data: " + json.dumps([event]), ""]
        else:
            lines += ["data: " + data, ""]
    if draw(st.booleans()):
        lines += ["data: [DONE]", ""]
    lines += draw(st.lists(junk_lines, max_size=2))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join(lines) + (eol if draw(st.booleans()) else "")
    return draw(damaged(text.encode("utf-8", "surrogatepass")))


@st.composite
def stream_replies(draw: st.DrawFn) -> tuple[str, Reply, bool]:
    api = draw(st.sampled_from(APIS))
    body = draw(
        st.one_of(
            event_stream_bodies(api),
            st.binary(max_size=400),
            st.lists(junk_lines, max_size=6).map(lambda lines: "\n".join(lines).encode()),
            st.sampled_from(SPECIAL_BODIES),
        )
    )
    status = draw(st.one_of(st.just(200), statuses))
    content_types = st.sampled_from(
        [b"text/event-stream", b"text/event-stream; charset=utf-8", *CONTENT_TYPES]
    )
    reply = Reply(status, body, draw(header_sets(content_types)), draw(pieces))
    return api, reply, draw(st.booleans())


def sse(body: bytes, status: int = 200, piece: int = 4096) -> Reply:
    return Reply(status, body, ((b"content-type", b"text/event-stream"),), piece)


# ----------------------------------------------------------------------------------- the fuzz


@FUZZ
@given(whole_replies())
@example(("minimax", Reply(200, b"[" * DEEP), False))
@example(("evolink_minimax_m2_5", Reply(500, nested(DEEP)), False))
@example(("minimax", Reply(200, b'{"error": {"message": "m", "code": ' + nested(DEEP) + b"}}"), True))
def test_whole_responses_raise_only_documented_errors(case: tuple[str, Reply, bool]) -> None:
    api, reply, strict = case
    run_all(api, reply, strict=strict)


@FUZZ
@given(stream_replies())
@example(("minimax", sse(b"data: " + b"[" * DEEP + b"\n\n"), False))
@example(("minimax", sse("retry: ²\n\n".encode()), False))
@example(("minimax", sse(b"retry: " + b"9" * 5000 + b"\n\n"), False))
def test_event_streams_raise_only_documented_errors(case: tuple[str, Reply, bool]) -> None:
    api, reply, strict = case
    run_all(api, reply, strict=strict)


# ------------------------------------------------------------------ every place, every wrong type

WRONG = [None, [], {}, "", "x", 0, -1, 1.5, True, [None], {"": None}]


@pytest.mark.parametrize("api", APIS)
def test_every_field_deleted_nulled_or_of_the_wrong_type(api: str) -> None:
    """Systematically, not by chance: each place of the documented reply, whole and as a chunk."""
    document = EXCHANGES[api].response
    chunk = chunks_of(document, size=1000, style=style_of(api))[-1]
    for original, as_reply in ((document, json_reply), (chunk, sse_reply)):
        for path in paths(original):
            variants = [delete(copy.deepcopy(original), path)]
            variants += [put(copy.deepcopy(original), path, copy.deepcopy(value)) for value in WRONG]
            for variant in variants:
                outcomes = run_all(api, as_reply(variant))
                if path == () and as_reply is json_reply:  # not even an object: never a reply
                    assert outcomes["sync", False].error is not None


def json_reply(document: Any) -> Reply:
    return Reply(200, encode(document, False))


def sse_reply(chunk: Any) -> Reply:
    return sse(frames([chunk]), piece=5)


# ------------------------------------------------------------------------------ lossless extras


@st.composite
def extra_fields(draw: st.DrawFn) -> tuple[str, Any, bool]:
    """A documented reply (or one of its chunks) with an unknown field on one of its objects."""
    api = draw(st.sampled_from(APIS))
    chunked = draw(st.booleans())
    doc = copy.deepcopy(EXCHANGES[api].response)
    if chunked:
        doc = draw(st.sampled_from(chunks_of(doc, size=1000, style=style_of(api))))
    objects = [path for path in paths(doc) if isinstance(at(doc, path), dict)]
    node = at(doc, draw(st.sampled_from(objects)))
    # Not "error": an error object at the top signals an error, by design.
    key = draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in node and k != "error"))
    node[key] = draw(plain_json)
    return api, doc, chunked


@FUZZ
@given(extra_fields())
def test_unknown_fields_parse_losslessly(case: tuple[str, Any, bool]) -> None:
    """Lenient clients keep an unknown field as sent; strict ones reject it with the raw body."""
    api, doc, chunked = case
    reply = sse(frames([doc], done=False), piece=7) if chunked else json_reply(doc)
    outcomes = run_all(api, reply)
    for client in ("sync", "async"):
        if chunked:
            (value,) = outcomes[client, True].value
        else:
            value = outcomes[client, False].value
        assert value.model_dump(mode="json", exclude_unset=True) == doc
    strict = run_all(api, reply, strict=True)
    frame = json.dumps(doc, ensure_ascii=False).encode()
    for (_, stream), outcome in strict.items():
        assert isinstance(outcome.error, chatcontract.APIResponseValidationError)
        assert outcome.error.body == (frame if chunked and stream else reply.body)


# ------------------------------------------------------------------------------- huge and deep

MB = 1 << 20


def _text(size: int) -> str:
    """``size`` characters of mixed ASCII, CJK and emoji (multi-byte, split across pieces)."""
    unit = "answer 答案 🙂\n"
    return (unit * (size // len(unit) + 1))[:size]


@pytest.mark.parametrize("api", APIS)
def test_huge_valid_reply_parses_whole_and_streamed(api: str) -> None:
    document = copy.deepcopy(EXCHANGES[api].response)
    content = _text(2 * MB)
    document["choices"][0]["message"]["content"] = content
    outcomes = run_all(api, Reply(200, encode(document, False), piece=65536))
    assert outcomes["sync", False].value.choices[0].message.content == content
    (whole,) = outcomes["sync", True].value  # a whole reply to stream=True reads as one chunk
    assert whole.model_dump()["choices"][0]["message"]["content"] == content

    chunk = chunks_of(document, size=len(content), style=style_of(api))[1]
    streamed = run_all(api, sse(frames([chunk]), piece=16384))
    assert streamed["async", True].value[0].choices[0].delta.content == content


@pytest.mark.parametrize(
    "reply",
    [
        Reply(500, HTML * (3 * MB // len(HTML)), ((b"content-type", b"text/html"),)),
        Reply(200, json.dumps({"error": {"message": _text(2 * MB) + " (1004)"}}).encode()),
        Reply(400, json.dumps({"error": {"message": "(" + "1" * (2 * MB)}}).encode()),
        Reply(200, json.dumps({"base_resp": {"status_code": 1, "status_msg": "x" * (2 * MB)}}).encode()),
        Reply(200, random.Random(0).randbytes(5 * MB), ((b"content-type", b"application/json"),), 65536),
        Reply(200, b'{"id": "' + b"\xff" * MB + b'"}'),
        Reply(200, b" " * (3 * MB)),
    ],
    ids=["html-500", "error-message", "regex-bait", "status-msg", "random-5mb", "invalid-utf8", "spaces"],
)
def test_huge_bodies(reply: Reply) -> None:
    run_all("minimax", reply)


@pytest.mark.parametrize(
    "body",
    [
        b"data: " + b"x" * (4 * MB),  # one line, never ended
        b": " + b"x" * (4 * MB) + b"\n\ndata: {}\n\n",  # a huge comment
        b"data: " + b"\xe4\xbd\xa0" * (2 * MB) + b"\n\n",
        b"event: " + b"e" * (4 * MB) + b"\n\n",
    ],
    ids=["data", "comment", "utf8", "event-name"],
)
def test_huge_single_sse_line_in_small_pieces(body: bytes) -> None:
    """A long line in 512-byte network pieces costs linear time: 0.1-0.2 s for the four runs, where
    the quadratic decoder this guards against took 9-18 s."""
    started = time.perf_counter()
    outcomes = run_all("minimax", sse(body, piece=512))
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0, f"{elapsed:.1f} s for 4 runs of {len(body) >> 20} MB"
    for stream in ("sync", "async"):
        assert outcomes[stream, True].error is not None or outcomes[stream, True].value == []


DEEP_BODIES = {
    "open-arrays": b"[" * DEEP,
    "open-objects": b'{"a":' * DEEP,
    "arrays": nested(DEEP),
    "objects": nested(DEEP, '{"a":', "}"),
    "100k": nested(100_000),
    "error-code": b'{"error": {"message": "m", "code": ' + nested(DEEP) + b"}}",
    "base-resp": b'{"base_resp": {"status_code": ' + nested(DEEP) + b"}}",
    "choices": b'{"choices": ' + nested(DEEP) + b"}",
}


@pytest.mark.parametrize("status", [200, 429, 500])
@pytest.mark.parametrize("body", list(DEEP_BODIES.values()), ids=list(DEEP_BODIES))
@pytest.mark.parametrize("api", APIS)
def test_deeply_nested_json(api: str, body: bytes, status: int) -> None:
    """``json.loads`` raises RecursionError (not ValueError) on deep nesting."""
    outcomes = run_all(api, Reply(status, body))
    assert all(outcome.error is not None for outcome in outcomes.values())
    streamed = run_all(api, sse(b"data: " + body + b"\n\n", status))
    assert all(outcome.error is not None for outcome in streamed.values())


# ------------------------------------------------------------------------------ content-encoding


def _gzip_reply(body: bytes, content_type: bytes, compress: bool) -> Reply:
    headers = ((b"content-type", content_type), (b"content-encoding", b"gzip"))
    if compress:
        return Reply(200, gzip.compress(body, mtime=0), headers, 64, decoded=body)
    return Reply(200, body, headers, 64)


def test_gzip_encoded_replies_parse() -> None:
    exchange = EXCHANGES["minimax"]
    whole = run_all("minimax", _gzip_reply(encode(exchange.response, False), b"application/json", True))
    assert whole["async", False].value.id == exchange.response["id"]
    stream_body = frames(chunks_of(exchange.response, size=4, style=style_of("minimax")), done=False)
    streamed = run_all("minimax", _gzip_reply(stream_body, b"text/event-stream", True))
    assert len(streamed["sync", True].value) > 3


def _broken_gzip(client: str, content_type: bytes, *, stream: bool) -> None:
    """``Content-Encoding: gzip`` on bytes that are not gzip."""
    reply = _gzip_reply(b"data: not gzip at all\n\n", content_type, False)
    if client == "sync":
        outcome = run_sync("minimax", reply, stream=stream, strict=False)
    else:
        outcome = asyncio.run(_async_call("minimax", reply, stream=stream, strict=False))
    assert isinstance(outcome.error, chatcontract.APIResponseValidationError)
    assert str(outcome.error).startswith("the body does not decode as content-encoding 'gzip': ")
    assert outcome.error.body == b""  # nothing decoded to keep


@pytest.mark.parametrize("client", ["sync", "async"])
def test_broken_gzip_stream_is_a_response_validation_error(client: str) -> None:
    _broken_gzip(client, b"text/event-stream", stream=True)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream-asked-json-sent"])
@pytest.mark.parametrize("client", ["sync", "async"])
def test_broken_gzip_whole_body_is_a_response_validation_error(client: str, stream: bool) -> None:
    _broken_gzip(client, b"application/json", stream=stream)
