"""``stream=True``: typed chunks, sync and async, over awkward network pieces."""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
from typing import Any

import httpx
import pytest
import respx

import chatcontract
from chatcontract._limits import CallLimits
from chatcontract._streaming import ChunkDecoder
from tests import specs
from tests.sse import Pieces, chunks_of, event_stream, frames, stream_body, style_of

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


@pytest.mark.parametrize("piece", [1, 5, 4096, 0])  # 0: one piece per event (the fast path)
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
            final = stream.get_final_completion()
    assert final.choices[0].message.content == reply.choices[0].message.content
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
                chunks = [chunk async for chunk in stream]
                final.append(await stream.get_final_completion())
                return chunks

    final: list[Any] = []
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).mock(side_effect=lambda request: event_stream(_stream_body(api, 2), 1))
        chunks = asyncio.run(main())
        with specs.client(api).chat.completions.create(**exchange.request, stream=True) as stream:
            expected = list(stream)
            expected_final = stream.get_final_completion()
    assert [c.model_dump() for c in chunks] == [c.model_dump() for c in expected]
    assert final[0].model_dump() == expected_final.model_dump()
    assert final[0].choices[0].message.content == exchange.response["choices"][0]["message"]["content"]


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


def test_asking_an_async_client_for_a_stream_and_getting_a_whole_reply_keeps_it() -> None:
    exchange = EXCHANGES["minimax"]

    async def main() -> tuple[list[Any], Any]:
        async with specs.async_client("minimax") as client:
            stream = await client.chat.completions.create(**exchange.request, stream=True)
            async with stream:
                return [chunk async for chunk in stream], await stream.get_final_completion()

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).respond(200, json=exchange.response)
        chunks, final = asyncio.run(main())
    assert len(chunks) == 1
    assert final.choices[0].message.content == exchange.response["choices"][0]["message"]["content"]


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


class Dropping(Pieces):
    def __iter__(self):  # type: ignore[no-untyped-def]
        yield from super().__iter__()
        raise httpx.ReadError("peer reset")

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for piece in Pieces.__iter__(self):
            yield piece
        raise httpx.ReadError("peer reset")


def test_connection_drop_mid_async_stream_is_typed() -> None:
    exchange = EXCHANGES["minimax"]
    body = frames([{**HEAD, "choices": []}], done=False)
    received: list[Any] = []

    async def main() -> None:
        async with specs.async_client("minimax") as client:
            stream = await client.chat.completions.create(**exchange.request, stream=True)
            async with stream:
                async for chunk in stream:
                    received.append(chunk)

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).mock(
            return_value=httpx.Response(
                200, headers={"content-type": "text/event-stream"}, stream=Dropping(body)
            )
        )
        with pytest.raises(chatcontract.APIConnectionError) as raised:
            asyncio.run(main())
    assert [c.id for c in received] == ["s1"]
    assert str(raised.value) == "Connection error while streaming: ReadError"
    assert raised.value.request.url == exchange.url


def test_connection_drop_mid_stream_is_typed() -> None:
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
        with pytest.raises(chatcontract.APIConnectionError) as raised:
            next(stream)
    assert str(raised.value) == "Connection error while streaming: ReadError"


# ChunkDecoder on its own (no I/O): the bytes of one stream in, chunks out, limits kept.
ENDPOINTS = {
    api: importlib.import_module(f"chatcontract._generated.{api}_endpoint").ENDPOINT for api in EXCHANGES
}
SMALL = frames([{**HEAD, "choices": []}], done=False)  # one plain chunk event, strictly valid


def _decoder(
    api: str = "minimax", *, strict: bool = False, max_event_bytes: int | None = None, **options: Any
) -> ChunkDecoder:
    request = httpx.Request("POST", EXCHANGES[api].url)
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, request=request)
    limits = CallLimits(None, max_event_bytes, None, None, None)
    return ChunkDecoder(ENDPOINTS[api], response, strict=strict, limits=limits, **options)


def test_a_decoder_reads_an_event_stream_unless_told_the_reply_is_whole() -> None:
    decoder = _decoder()
    assert decoder.response_model is ENDPOINTS["minimax"].response_model
    (chunk,) = decoder.feed(SMALL)
    assert (chunk.id, decoder.decoded, decoder.done) == ("s1", 1, False)
    assert decoder.feed(b"data: [DONE]\n\n") == [] and decoder.done is True
    whole = _decoder(whole=True)
    assert whole.feed(b'{"id": "w", ') == [] and whole.feed(b'"choices": []}') == []  # kept to the end
    (chunk,) = whole.finish()
    assert type(chunk) is ENDPOINTS["minimax"].chunk_model
    assert (chunk.id, whole.decoded) == ("w", 1)
    whole.ended()


@pytest.mark.parametrize(
    ("body", "strict", "error"),
    [
        (
            b'{"id": "w", "choices": [], "base_resp": {"status_code": 1002}}',
            False,
            chatcontract.RateLimitError,
        ),
        (b'{"id": "w", "choices": [], "surprise": 1}', True, chatcontract.APIResponseValidationError),
        (b"<html>", False, chatcontract.APIResponseValidationError),
    ],
    ids=["signalled", "strict", "no-json"],
)
def test_a_whole_reply_that_is_an_error_is_raised_at_the_end(
    body: bytes, strict: bool, error: type[Exception]
) -> None:
    decoder = _decoder(strict=strict, whole=True)
    decoder.feed(body)
    assert decoder.finish() == [] and decoder.decoded == 0
    with pytest.raises(error) as raised:
        decoder.ended()
    assert raised.value.response is decoder._response  # type: ignore[attr-defined]
    assert raised.value.body == body  # type: ignore[attr-defined]


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("api", sorted(EXCHANGES))
def test_quick_takes_a_piece_that_is_one_plain_chunk_event(api: str, strict: bool) -> None:
    """The fast path: lenient only, once nothing is carried over, and only for a plain chunk."""
    decoder = _decoder(api, strict=strict, max_event_bytes=len(SMALL))
    assert decoder.quick(SMALL) is None  # nothing decoded yet: the general path starts the stream
    assert [c.id for c in decoder.feed(SMALL)] == ["s1"]
    chunk = decoder.quick(SMALL)
    if strict:  # every chunk gets the strict checks of the general path
        assert chunk is None
        assert [c.id for c in decoder.feed(SMALL)] == ["s1"]
    else:
        assert chunk is not None and chunk.id == "s1"
    assert decoder.decoded == 2
    for piece in [
        b'data: {"error": {"message": "boom"}, "choices": []}\n\n',  # an error frame
        b'data: {"a": 1}\n\n',  # unknown fields only
        b'data: {"a": 1, "b": 2}\n\n',
        b"data: {}\n\n",  # no field at all
        b'data: {"id": 1}\n\n',  # wrong type
        b'data: {"id": "s1", "choices": [], "x": "' + b"y" * len(SMALL) + b'"}\n\n',  # over the limit
        b"data: [DONE]\n\n",
    ]:
        assert decoder.quick(piece) is None
    assert decoder.decoded == 2


def test_quick_leaves_a_success_code_that_says_failure_to_the_general_path() -> None:
    decoder = _decoder()
    decoder.feed(SMALL)
    ok = b'data: {"id": "s1", "choices": [], "base_resp": {"status_code": 0}}\n\n'
    assert decoder.quick(ok) is not None
    failed = b'data: {"id": "s1", "choices": [], "base_resp": {"status_code": 1002}}\n\n'
    assert decoder.quick(failed) is None
    assert decoder.feed(failed) == [] and decoder.done
    assert isinstance(decoder.error, chatcontract.RateLimitError)
    with pytest.raises(chatcontract.RateLimitError):
        decoder.ended()


def test_an_event_may_be_as_long_as_max_event_bytes_and_no_longer() -> None:
    limit = 64
    decoder = _decoder(max_event_bytes=limit)
    assert decoder.feed(b"x" * limit) == []  # exactly the limit: no event end yet, still fine
    with pytest.raises(chatcontract.ResponseTooLargeError) as raised:
        decoder.feed(b"x")
    error = raised.value
    assert (error.limit, error.limit_bytes, error.body) == ("max_event_bytes", limit, b"x")
    assert error.response is decoder._response and error.status_code == 200
    assert str(error).startswith(f"one event of the stream passed max_event_bytes={limit} bytes")
    decoder = _decoder(max_event_bytes=limit)
    decoder.feed(b"x" * 40)
    with pytest.raises(chatcontract.ResponseTooLargeError):
        decoder.feed(b"x" * 30)  # counted over both pieces


def test_the_event_count_starts_again_after_each_event() -> None:
    limit = len(SMALL) + 8
    decoder = _decoder(max_event_bytes=limit)
    for _ in range(3):
        assert len(decoder.feed(SMALL)) == 1
        assert decoder.feed(b":" + b"k" * (limit - 2)) == []  # a comment line not yet ended
        assert decoder.feed(b"\n") == []
    assert decoder.decoded == 3


@pytest.mark.parametrize("extra", [0, 1, 20], ids=["exactly-the-limit", "one-more", "many-more"])
def test_a_piece_longer_than_max_event_bytes_is_decoded_in_slices(extra: int) -> None:
    limit = len(SMALL) * 2
    body = SMALL * 2 + SMALL[:extra]
    decoder = _decoder(max_event_bytes=limit)
    chunks = decoder.feed(body)
    assert len(chunks) == 2 and decoder.decoded == 2
    assert len(decoder.feed(SMALL[extra:])) == 1


def test_invalid_utf8_names_the_reason_and_keeps_the_piece() -> None:
    piece = b"data: \xff\n\n"
    with pytest.raises(chatcontract.APIResponseValidationError) as raised:
        _decoder().feed(piece)
    assert str(raised.value) == "the stream is not valid UTF-8 (invalid start byte)"
    assert raised.value.body == piece


def test_a_whole_reply_to_a_stream_request_is_held_to_max_response_bytes() -> None:
    request = httpx.Request("POST", EXCHANGES["minimax"].url)
    response = httpx.Response(200, headers={"content-type": "application/json"}, request=request)
    body = b'{"id": "w", "choices": []}'
    exact = ChunkDecoder(
        ENDPOINTS["minimax"],
        response,
        strict=False,
        whole=True,
        limits=CallLimits(len(body), None, None, None, None),
    )
    exact.feed(body[:5])
    exact.feed(body[5:])
    assert [c.id for c in exact.finish()] == ["w"]  # exactly the limit
    limits = CallLimits(10, None, None, None, None)
    decoder = ChunkDecoder(ENDPOINTS["minimax"], response, strict=False, whole=True, limits=limits)
    decoder.feed(b'{"id": ')
    with pytest.raises(chatcontract.ResponseTooLargeError) as raised:
        decoder.feed(b'"longer"}')
    assert raised.value.response is response and raised.value.limit == "max_response_bytes"


def test_a_stream_without_a_chunk_says_what_came() -> None:
    decoder = _decoder()
    decoder.feed(b": keep-alive\n\n")
    assert decoder.finish() == []
    with pytest.raises(chatcontract.APIResponseValidationError) as raised:
        decoder.ended()
    assert str(raised.value) == (
        "the stream ended without one chunk: HTTP 200 event stream with no data event to read "
        "(an empty body, comments or [DONE] only)"
    )
    assert raised.value.body == b"" and raised.value.response is decoder._response


def _encoded_stream(body: bytes, encoding: str) -> httpx.Response:
    headers = {"content-type": "text/event-stream", "content-encoding": encoding}
    return httpx.Response(200, headers=headers, stream=Pieces(body, 7))


def _read_both(response: Any) -> tuple[list[Any], list[Any]]:
    """The chunks of one stream read sync and async (``response`` makes the response)."""
    exchange = EXCHANGES["minimax"]

    async def read_async() -> list[Any]:
        async with specs.async_client("minimax") as client:
            stream = await client.chat.completions.create(**exchange.request, stream=True)
            async with stream:
                return [chunk async for chunk in stream]

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).mock(side_effect=lambda request: response())
        with specs.client("minimax").chat.completions.create(**exchange.request, stream=True) as stream:
            chunks = list(stream)
        return chunks, asyncio.run(read_async())


def test_a_gzip_encoded_stream_is_decoded() -> None:
    import gzip

    body = frames([{**HEAD, "choices": []}, {**HEAD, "id": "s2", "choices": []}], done=False)
    chunks, async_chunks = _read_both(lambda: _encoded_stream(gzip.compress(body), "gzip"))
    assert [c.id for c in chunks] == [c.id for c in async_chunks] == ["s1", "s2"]


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_a_stream_its_content_encoding_does_not_decode_is_a_typed_error(use_async: bool) -> None:
    body = frames([{**HEAD, "choices": []}], done=False)  # plain bytes, declared gzip
    with pytest.raises(chatcontract.APIResponseValidationError) as raised:
        exchange = EXCHANGES["minimax"]
        with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
            router.post(exchange.url).mock(side_effect=lambda request: _encoded_stream(body, "gzip"))
            if use_async:

                async def main() -> None:
                    async with specs.async_client("minimax") as client:
                        stream = await client.chat.completions.create(**exchange.request, stream=True)
                        async with stream:
                            [chunk async for chunk in stream]

                asyncio.run(main())
            else:
                with specs.client("minimax").chat.completions.create(**exchange.request, stream=True) as s:
                    list(s)
    error = raised.value
    prefix = "the body does not decode as content-encoding 'gzip': "
    assert str(error).startswith(prefix) and len(str(error)) > len(prefix) and "None" not in str(error)
    assert error.body == b"" and error.response.headers["content-encoding"] == "gzip"


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_a_stream_past_its_deadline_stops_with_a_timeout(use_async: bool) -> None:
    import time

    from chatcontract._streaming import AsyncStream, Stream

    request = httpx.Request("POST", EXCHANGES["minimax"].url)
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=Pieces(SMALL * 3, 0), request=request
    )
    limits = CallLimits(None, None, 1.0, time.monotonic() - 0.001, None)
    decoder = ChunkDecoder(ENDPOINTS["minimax"], response, strict=False, limits=limits)
    received: list[Any] = []
    with pytest.raises(chatcontract.APITimeoutError) as raised:
        if use_async:

            async def main() -> None:
                async for chunk in AsyncStream[Any](response, decoder):
                    received.append(chunk)

            asyncio.run(main())
        else:
            received.extend(Stream[Any](response, decoder))
    assert received == [] and response.is_closed
    assert "the call's deadline of 1 s passed" in str(raised.value)
    assert raised.value.request.url == request.url


@pytest.mark.parametrize("api", sorted(EXCHANGES))
def test_a_lenient_stream_of_one_piece_per_event_gives_every_chunk_and_the_whole_reply(api: str) -> None:
    """Lenient reading takes the fast path for such pieces: nothing may be lost on it."""
    exchange = EXCHANGES[api]
    body = _stream_body(api, 3)
    expected = len(chunks_of(exchange.response, size=3, style=style_of(api)))
    content = exchange.response["choices"][0]["message"]["content"]

    async def main() -> tuple[int, Any]:
        async with specs.async_client(api) as client:
            stream = await client.chat.completions.create(**exchange.request, stream=True)
            async with stream:
                count = len([chunk async for chunk in stream])
                return count, await stream.get_final_completion()

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).mock(side_effect=lambda request: event_stream(body, 0))
        with specs.client(api).chat.completions.create(**exchange.request, stream=True) as stream:
            chunks = list(stream)
            final = stream.get_final_completion()
        count, async_final = asyncio.run(main())
    assert len(chunks) == count == expected
    assert final.choices[0].message.content == async_final.choices[0].message.content == content
