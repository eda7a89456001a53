"""``stream=True``: typed chunks, sync and async, over awkward network pieces."""

from __future__ import annotations

import asyncio
import gc
import json
from typing import Any

import httpx
import pytest
import respx

import chatcontract
from tests import specs
from tests.sse import Pieces, event_stream, frames, stream_body

EXCHANGES = {e.api: e for e in specs.exchanges()}


def _stream_body(api: str, size: int) -> bytes:
    return stream_body(api, EXCHANGES[api].response, size)


def _collect(chunks: list[Any]) -> tuple[str, chatcontract.Reasoning, Any]:
    splitter = chatcontract.ThinkSplitter()
    text, reasoning, answer, usage = "", "", "", None
    for chunk in chunks:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            delta = choice.delta.content if choice.delta else None
            text += delta or ""
            part = splitter.feed(delta)
            reasoning, answer = reasoning + part.reasoning, answer + part.answer
    last = splitter.flush()
    return text, chatcontract.Reasoning(reasoning + last.reasoning, answer + last.answer), usage


@pytest.mark.parametrize("piece", [1, 5, 4096])
@pytest.mark.parametrize("api", sorted(EXCHANGES))
def test_stream_equals_whole_reply(api: str, piece: int) -> None:
    """The documented reply, streamed in pieces down to one byte, gives the same text,
    reasoning, answer and usage as the whole reply."""
    exchange = EXCHANGES[api]
    whole = specs.client(api, strict_responses=True)
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(exchange.url)
        route.return_value = httpx.Response(200, json=exchange.response)
        reply = whole.chat.completions.create(**exchange.request)
        route.side_effect = lambda request: event_stream(_stream_body(api, 3), piece)
        with specs.client(api, strict_responses=True).chat.completions.create(
            **exchange.request, stream=True
        ) as stream:
            chunks = list(stream)
    sent = json.loads(route.calls.last.request.content)
    assert sent == {**exchange.request, "stream": True}
    assert route.calls.last.request.headers["Accept"] == "text/event-stream"
    assert {type(c).__name__ for c in chunks} == {"ChatCompletionChunk"}
    for chunk in chunks:
        specs.check_against_spec(api, "chunk", chunk.model_dump(mode="json", exclude_unset=True))
    text, parts, usage = _collect(chunks)
    assert text == reply.choices[0].message.content
    assert parts == chatcontract.split_reasoning(reply)
    assert usage.model_dump(exclude_unset=True) == reply.usage.model_dump(exclude_unset=True)
    if api == "minimax":
        assert parts.reasoning == "用户用中文打招呼,我应该用中文回应。"
        assert parts.answer == "你好!有什么我可以帮助你的吗?"


@pytest.mark.parametrize("api", sorted(EXCHANGES))
def test_async_stream_equals_sync_stream(api: str) -> None:
    exchange = EXCHANGES[api]

    async def main() -> list[Any]:
        async with specs.async_client(api) as client:
            stream = await client.chat.completions.create(**exchange.request, stream=True)
            async with stream:
                return [chunk async for chunk in stream]

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).mock(side_effect=lambda request: event_stream(_stream_body(api, 2), 1))
        chunks = asyncio.run(main())
        with specs.client(api).chat.completions.create(**exchange.request, stream=True) as stream:
            expected = list(stream)
    assert [c.model_dump() for c in chunks] == [c.model_dump() for c in expected]


HEAD = {"id": "s1", "created": 1, "model": "MiniMax-M2.7", "object": "chat.completion.chunk"}


def _minimax_stream(body: bytes, size: int = 1, **kwargs: Any) -> list[Any]:
    exchange = EXCHANGES["minimax"]
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).mock(return_value=event_stream(body, size))
        with specs.client("minimax", **kwargs).chat.completions.create(**exchange.request, stream=True) as s:
            return list(s)


def test_real_minimax_shapes_parse() -> None:
    """No [DONE]; delta.role ""; a usage-only last chunk; a final chat.completion frame."""
    body = frames(
        [
            {**HEAD, "choices": [{"index": 0, "delta": {"role": "", "content": "<thi"}}]},
            {**HEAD, "choices": [{"index": 0, "delta": {"content": "nk>hm</think>\n\nHi"}}]},
            {**HEAD, "choices": [], "usage": {"total_tokens": 5}, "base_resp": {"status_code": 0}},
            {
                **HEAD,
                "object": "chat.completion",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": "<think>hm</think>\n\nHi"}}
                ],
            },
        ],
        done=False,
    )
    chunks = _minimax_stream(body, strict_responses=True)
    assert [len(c.choices) for c in chunks] == [1, 1, 0, 1]
    assert chunks[0].choices[0].delta.role == ""
    assert chunks[2].usage.total_tokens == 5
    assert chunks[3].choices[0].message.content == "<think>hm</think>\n\nHi"
    assert _collect(chunks)[1] == chatcontract.Reasoning("hm", "Hi")


def test_unknown_fields_in_chunks_are_kept() -> None:
    body = frames(
        [{**HEAD, "choices": [{"index": 0, "delta": {"content": "x", "reasoning_details": [1]}}], "n": 1}]
    )
    (chunk,) = _minimax_stream(body)
    assert chunk.model_extra == {"n": 1}
    assert chunk.choices[0].delta.model_extra == {"reasoning_details": [1]}


def test_strict_stream_rejects_unknown_fields() -> None:
    body = frames([{**HEAD, "choices": [], "surprise": True}])
    with pytest.raises(chatcontract.APIResponseValidationError, match="surprise"):
        _minimax_stream(body, strict_responses=True)


@pytest.mark.parametrize(
    ("frame", "error", "code"),
    [
        (
            {**HEAD, "choices": [], "base_resp": {"status_code": 1002, "status_msg": "rate limit"}},
            "RateLimitError",
            "1002",
        ),
        (
            {"type": "error", "error": {"type": "x", "message": "overloaded (1013)"}},
            "InternalServerError",
            "1013",
        ),
        ({"error": {"message": "boom"}}, "APIStatusError", None),
        ({**HEAD, "choices": [], "error": {"message": "boom (1002)"}}, "RateLimitError", "1002"),
    ],
    ids=["base-resp", "error-event", "error-only", "error-beside-choices"],
)
@pytest.mark.parametrize("piece", [3, 0], ids=["3-bytes", "per-event"])
def test_error_mid_stream_raises_typed_error(
    frame: dict[str, Any], error: str, code: str | None, piece: int
) -> None:
    body = frames([{**HEAD, "choices": [{"index": 0, "delta": {"content": "partial"}}]}, frame])
    received = []
    with pytest.raises(chatcontract.APIStatusError) as raised:
        exchange = EXCHANGES["minimax"]
        with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
            router.post(exchange.url).mock(return_value=event_stream(body, piece))
            with specs.client("minimax").chat.completions.create(**exchange.request, stream=True) as s:
                received.extend(s)
    assert type(raised.value) is getattr(chatcontract, error)
    assert raised.value.code == code
    assert len(received) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"data: {not json}\n\n",
        b"data: [1, 2]\n\n",
        b'data: {"id": 1}\n\n',
        b"data: \xff\n\n",
        b"data: \xe4\xbd",
        b"data: {}\n\n",
        b'data: {"detail": "x"}\n\n',
    ],
    ids=["bad-json", "array", "wrong-types", "invalid-utf8", "truncated-utf8", "empty", "no-known-field"],
)
@pytest.mark.parametrize("piece", [1, 0], ids=["1-byte", "per-event"])
def test_broken_streams_raise_response_validation_error(body: bytes, piece: int) -> None:
    with pytest.raises(chatcontract.APIResponseValidationError):
        _minimax_stream(body, piece)


EMPTY_STREAMS = [b"", b"string", b": keep-alive\n\n", b"data: [DONE]\n\n", b"event: ping\n\n", b"\n\n\n"]


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize(
    "body", EMPTY_STREAMS, ids=["nothing", "prism-string", "comment", "done", "no-data", "blank"]
)
@pytest.mark.parametrize("api", sorted(EXCHANGES))
def test_a_stream_without_one_chunk_is_an_error(api: str, body: bytes, strict: bool) -> None:
    """Prism answers a stream with the word ``string``; nothing decoded is no success."""
    exchange = EXCHANGES[api]

    async def read_async() -> list[Any]:
        async with specs.async_client(api, strict_responses=strict) as client:
            stream = await client.chat.completions.create(**exchange.request, stream=True)
            async with stream:
                return [chunk async for chunk in stream]

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).mock(side_effect=lambda request: event_stream(body, 1))
        with (
            pytest.raises(
                chatcontract.APIResponseValidationError, match="the stream ended without one chunk"
            ),
            specs.client(api, strict_responses=strict).chat.completions.create(
                **exchange.request, stream=True
            ) as stream,
        ):
            list(stream)
        with pytest.raises(chatcontract.APIResponseValidationError, match="no data event"):
            asyncio.run(read_async())
        with pytest.raises(chatcontract.APIResponseValidationError):
            specs.client(api, strict_responses=strict).chat.completions.create(
                **exchange.request, stream=True
            ).get_final_completion()


def test_a_stream_cut_inside_a_utf8_character_says_so() -> None:
    with pytest.raises(chatcontract.APIResponseValidationError) as raised:
        _minimax_stream(frames([{**HEAD, "choices": []}], done=False) + "data: 你".encode()[:-1])
    assert str(raised.value).startswith("the stream ends inside a UTF-8 character (")
    assert raised.value.body == b""


def test_garbage_lines_between_events_are_ignored() -> None:
    body = b"retry: 10\n: ping\nnonsense line\n\n" + frames([{**HEAD, "choices": []}], done=False)
    assert len(_minimax_stream(body)) == 1


def test_nothing_after_done_is_read() -> None:
    body = frames([{**HEAD, "choices": []}]) + b"data: {broken\n\n"
    assert len(_minimax_stream(body)) == 1


def test_asking_for_a_stream_and_getting_json_error() -> None:
    exchange = EXCHANGES["minimax"]
    error = {**exchange.response, "base_resp": {"status_code": 1004, "status_msg": "auth"}}
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).respond(200, json=error)
        with pytest.raises(chatcontract.AuthenticationError):
            specs.client("minimax").chat.completions.create(**exchange.request, stream=True)
        router.post(exchange.url).respond(200, text="<html>maintenance</html>", content_type="text/html")
        with pytest.raises(
            chatcontract.APIResponseValidationError, match="asked for a stream, got text/html"
        ):
            specs.client("minimax").chat.completions.create(**exchange.request, stream=True)


def test_asking_for_a_stream_and_getting_a_whole_reply_keeps_it() -> None:
    """A server that ignores stream=true: its reply is a stream of one chunk, nothing lost."""
    exchange = EXCHANGES["minimax"]
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).respond(200, json=exchange.response)
        with specs.client("minimax").chat.completions.create(**exchange.request, stream=True) as stream:
            chunks = list(stream)
            final = stream.get_final_completion()
    assert len(chunks) == 1
    assert final.choices[0].message.content == exchange.response["choices"][0]["message"]["content"]
    assert final.usage.total_tokens == exchange.response["usage"]["total_tokens"]


def test_stream_closes_on_break_exception_and_gc() -> None:
    exchange = EXCHANGES["minimax"]
    body = _stream_body("minimax", 1)
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(exchange.url)
        client = specs.client("minimax")

        pieces = Pieces(body, 7)
        route.return_value = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=pieces)
        with client.chat.completions.create(**exchange.request, stream=True) as stream:
            for _ in stream:
                break
        assert stream.response.is_closed and pieces.closed

        pieces = Pieces(body, 7)
        route.return_value = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=pieces)
        stream = client.chat.completions.create(**exchange.request, stream=True)
        next(stream)
        del stream
        gc.collect()
        assert pieces.closed


def test_connection_drop_mid_stream_is_typed() -> None:
    class Dropping(Pieces):
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield from super().__iter__()
            raise httpx.ReadError("peer reset")

    exchange = EXCHANGES["minimax"]
    body = frames([{**HEAD, "choices": []}], done=False)
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).mock(
            return_value=httpx.Response(
                200, headers={"content-type": "text/event-stream"}, stream=Dropping(body)
            )
        )
        stream = specs.client("minimax").chat.completions.create(**exchange.request, stream=True)
        assert next(stream).id == "s1"
        with pytest.raises(chatcontract.APIConnectionError):
            next(stream)
