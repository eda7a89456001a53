"""Resources: every stream gives its connection back, and a stalled or broken server ends in a typed error.

The stream tests run against the real mock server (``MockServer(port=0)``) through a real httpx
pool of two connections and no retries. A stream that kept its connection would drain that pool,
and the next request would wait for a free connection and fail with a pool timeout
(``APITimeoutError``). So "50 streams, then a normal request" succeeding is the proof. When
httpcore's pool can be inspected, the tests also check that no connection is still checked out.

The mock never stalls or cuts a stream, so ``RawServer`` below (a few lines of sockets on
127.0.0.1) does: it answers any POST and then stalls, closes or resets the connection. What the
client raises is the documented class: ``APITimeoutError`` when the server goes quiet for the
read timeout, ``APIConnectionError`` when the connection is cut (closed or reset) before the
message is complete, ``APIResponseValidationError`` when a complete message (a close-delimited
body) ends inside an event. In each case the connection is released.

Two bugs these tests found are fixed (a stream dropped before its first chunk, or left by a
bare ``break``, kept its connection): the tests below now pin the fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import struct
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

import httpx
import pytest

import chatcontract
from chatcontract._pool import ShardedAsyncTransport
from chatcontract.mock import MockServer
from tests.hostile import chunked, read_request

MODEL: Final = "MiniMax-M2.7"
MESSAGES = [{"role": "user", "content": "hi"}]
LIMIT = 2  # connections in the pool under test
ROUNDS = 50  # streams per test: 25 times the pool
GC_ROUNDS = 10  # with a full gc.collect() each (slow in a big test session): still 5 times the pool
POOL_WAIT = 3.0  # how long a request waits for a free connection before the pool times out
HANG = 10.0  # "must not hang": generous, never a speed requirement


class CallerError(Exception):
    """Raised by the test's own code inside a ``for chunk in stream`` loop."""


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(port=0) as running:
        yield running


def _limits(connections: int = LIMIT) -> httpx.Limits:
    return httpx.Limits(max_connections=connections, max_keepalive_connections=connections)


def _timeout(pool: float = POOL_WAIT) -> httpx.Timeout:
    return httpx.Timeout(5.0, pool=pool)


def _create(client: Any, **options: Any) -> Any:
    return client.chat.completions.create(model=MODEL, messages=MESSAGES, **options)


def _pool(http: httpx.Client | httpx.AsyncClient) -> Any:
    """httpcore's connection pool behind ``http`` (an implementation detail: None if it moved)."""
    return getattr(getattr(http, "_transport", None), "_pool", None)


def assert_pool_released(http: httpx.Client | httpx.AsyncClient, limit: int = LIMIT) -> None:
    """No more connections than the limit, and none checked out (all idle, nothing queued)."""
    pool = _pool(http)
    connections = getattr(pool, "connections", None)
    if connections is None:  # httpx/httpcore internals changed: the pool-timeout proof stands alone
        return
    assert len(connections) <= limit, connections
    busy = [connection for connection in connections if not connection.is_idle()]
    assert not busy, f"connections still checked out: {busy}"
    assert not getattr(pool, "_requests", []), "requests still queued or holding a connection"


def assert_pool_serves(client: chatcontract.MiniMax, http: httpx.Client) -> None:
    """A whole and a streamed request still get a connection; afterwards nothing is checked out."""
    assert _create(client).choices[0].message.content
    with _create(client, stream=True) as stream:
        assert list(stream)
    assert_pool_released(http)


async def assert_pool_serves_async(client: chatcontract.AsyncMiniMax, http: httpx.AsyncClient) -> None:
    assert (await _create(client)).choices[0].message.content
    stream = await _create(client, stream=True)
    async with stream:
        assert [chunk async for chunk in stream]
    assert_pool_released(http)


@contextlib.contextmanager
def sync_client(
    server: MockServer, pool: float = POOL_WAIT
) -> Iterator[tuple[chatcontract.MiniMax, httpx.Client]]:
    with httpx.Client(limits=_limits(), timeout=_timeout(pool)) as http:
        yield (
            chatcontract.MiniMax(
                api_key="k", base_url=server.base_url("minimax"), http_client=http, max_retries=0
            ),
            http,
        )


@contextlib.asynccontextmanager
async def async_client(
    server: MockServer, pool: float = POOL_WAIT
) -> AsyncIterator[tuple[chatcontract.AsyncMiniMax, httpx.AsyncClient]]:
    async with httpx.AsyncClient(limits=_limits(), timeout=_timeout(pool)) as http:
        yield (
            chatcontract.AsyncMiniMax(
                api_key="k", base_url=server.base_url("minimax"), http_client=http, max_retries=0
            ),
            http,
        )


def run(main: Awaitable[None]) -> None:
    asyncio.run(asyncio.wait_for(main, timeout=60))


# ---------------------------------------------------------------- sync streams give their connection back


def _break_in_with(client: chatcontract.MiniMax) -> None:
    with _create(client, stream=True) as stream:
        for _ in stream:
            break


def _caller_error_in_with(client: chatcontract.MiniMax) -> None:
    with pytest.raises(CallerError), _create(client, stream=True) as stream:
        for _ in stream:
            raise CallerError


def _close_after_first_chunk(client: chatcontract.MiniMax) -> None:
    stream = _create(client, stream=True)
    next(stream)
    stream.close()


def _close_unread(client: chatcontract.MiniMax) -> None:
    _create(client, stream=True).close()


def _with_unread(client: chatcontract.MiniMax) -> None:
    with _create(client, stream=True):
        pass


def _read_to_the_end(client: chatcontract.MiniMax) -> None:
    assert list(_create(client, stream=True))


def _collected_after_break(client: chatcontract.MiniMax) -> None:
    stream = _create(client, stream=True)
    for _ in stream:
        break
    del stream
    gc.collect()


def _collected_after_caller_error(client: chatcontract.MiniMax) -> None:
    with contextlib.suppress(CallerError):
        for _ in _create(client, stream=True):
            raise CallerError
    gc.collect()


def _iterator_dropped_before_its_first_chunk(client: chatcontract.MiniMax) -> None:
    """``iter(stream)`` hands out the generator itself; dropped unstarted, it still closes."""
    chunks = iter(_create(client, stream=True))
    del chunks


def _temporary_stream_read_by_next(client: chatcontract.MiniMax) -> None:
    """The stream a temporary, its generator kept: reading goes on after the stream is gone."""
    chunks = iter(_create(client, stream=True))
    gc.collect()
    assert next(chunks) is not None and list(chunks)


SYNC_ENDINGS: list[tuple[Callable[[chatcontract.MiniMax], None], int]] = [
    (_iterator_dropped_before_its_first_chunk, ROUNDS),
    (_temporary_stream_read_by_next, ROUNDS),
    (_break_in_with, ROUNDS),
    (_caller_error_in_with, ROUNDS),
    (_close_after_first_chunk, ROUNDS),
    (_close_unread, ROUNDS),
    (_with_unread, ROUNDS),
    (_read_to_the_end, ROUNDS),
    (_collected_after_break, GC_ROUNDS),
    (_collected_after_caller_error, GC_ROUNDS),
]


@pytest.mark.parametrize(("ending", "rounds"), SYNC_ENDINGS, ids=[e.__name__[1:] for e, _ in SYNC_ENDINGS])
def test_sync_streams_release_their_connection(
    server: MockServer, ending: Callable[[chatcontract.MiniMax], None], rounds: int
) -> None:
    with sync_client(server) as (client, http):
        for _ in range(rounds):
            ending(client)
            assert_pool_released(http)
        assert_pool_serves(client, http)


def test_sync_stream_is_closed_and_stops_reading(server: MockServer) -> None:
    with sync_client(server) as (client, http):
        stream = _create(client, stream=True)
        first = next(stream)
        stream.close()
        assert first.choices[0].delta.role == "assistant"
        assert stream.response.is_closed
        with pytest.raises(StopIteration):
            next(stream)
        stream.close()  # idempotent
        assert_pool_serves(client, http)


def test_sync_stream_closed_unread_while_still_held_gives_its_connection_back(server: MockServer) -> None:
    """``close()`` itself releases the connection: the stream is still referenced, so no
    finalizer can be what closes it."""
    with sync_client(server, pool=1.0) as (client, http):
        held = [_create(client, stream=True) for _ in range(LIMIT)]
        for stream in held:
            stream.close()
            assert stream.response.is_closed
        assert_pool_released(http)
        assert_pool_serves(client, http)  # the pool has no free connection unless close() freed them
        del held


def test_closing_the_client_closes_its_own_pool(server: MockServer) -> None:
    """Leaving the client's ``with`` closes the pool it made, an open stream's connection too."""
    with chatcontract.MiniMax(api_key="k", base_url=server.base_url("minimax"), max_retries=0) as client:
        stream = _create(client, stream=True)
        next(stream)
    assert client._http.is_closed
    assert not getattr(_pool(client._http), "connections", [])
    stream.close()
    assert stream.response.is_closed


# ---------------------------------------------------------------- async streams give their connection back


async def _abreak_in_with(client: chatcontract.AsyncMiniMax) -> None:
    stream = await _create(client, stream=True)
    async with stream:
        async for _ in stream:
            break


async def _acaller_error_in_with(client: chatcontract.AsyncMiniMax) -> None:
    stream = await _create(client, stream=True)
    with pytest.raises(CallerError):
        async with stream:
            async for _ in stream:
                raise CallerError


async def _aclose_after_first_chunk(client: chatcontract.AsyncMiniMax) -> None:
    stream = await _create(client, stream=True)
    await stream.__anext__()
    await stream.aclose()


async def _aclose_unread(client: chatcontract.AsyncMiniMax) -> None:
    await (await _create(client, stream=True)).aclose()


async def _awith_unread(client: chatcontract.AsyncMiniMax) -> None:
    async with await _create(client, stream=True):
        pass


async def _aread_to_the_end(client: chatcontract.AsyncMiniMax) -> None:
    assert [chunk async for chunk in await _create(client, stream=True)]


async def _acollected_after_break(client: chatcontract.AsyncMiniMax) -> None:
    stream = await _create(client, stream=True)
    async for _ in stream:
        break
    del stream
    gc.collect()  # the event loop then closes the generator (asyncgen finalizer hook)
    await asyncio.sleep(0)


async def _acollected_after_caller_error(client: chatcontract.AsyncMiniMax) -> None:
    with contextlib.suppress(CallerError):
        async for _ in await _create(client, stream=True):
            raise CallerError
    gc.collect()
    await asyncio.sleep(0)


async def _aiterator_dropped_before_its_first_chunk(client: chatcontract.AsyncMiniMax) -> None:
    chunks = aiter(await _create(client, stream=True))
    del chunks
    await asyncio.sleep(0)


async def _atemporary_stream_read_by_anext(client: chatcontract.AsyncMiniMax) -> None:
    chunks = aiter(await _create(client, stream=True))
    gc.collect()
    assert await anext(chunks) is not None
    assert [chunk async for chunk in chunks]


ASYNC_ENDINGS: list[tuple[Callable[[chatcontract.AsyncMiniMax], Awaitable[None]], int]] = [
    (_aiterator_dropped_before_its_first_chunk, ROUNDS),
    (_atemporary_stream_read_by_anext, ROUNDS),
    (_abreak_in_with, ROUNDS),
    (_acaller_error_in_with, ROUNDS),
    (_aclose_after_first_chunk, ROUNDS),
    (_aclose_unread, ROUNDS),
    (_awith_unread, ROUNDS),
    (_aread_to_the_end, ROUNDS),
    (_acollected_after_break, GC_ROUNDS),
    (_acollected_after_caller_error, GC_ROUNDS),
]


@pytest.mark.parametrize(("ending", "rounds"), ASYNC_ENDINGS, ids=[e.__name__[2:] for e, _ in ASYNC_ENDINGS])
def test_async_streams_release_their_connection(
    server: MockServer, ending: Callable[[chatcontract.AsyncMiniMax], Awaitable[None]], rounds: int
) -> None:
    async def main() -> None:
        async with async_client(server) as (client, http):
            for _ in range(rounds):
                await ending(client)
            await assert_pool_serves_async(client, http)

    run(main())


def test_async_stream_is_closed_and_stops_reading(server: MockServer) -> None:
    async def main() -> None:
        async with async_client(server) as (client, http):
            stream = await _create(client, stream=True)
            first = await stream.__anext__()
            await stream.aclose()
            assert first.choices[0].delta.role == "assistant"
            assert stream.response.is_closed
            with pytest.raises(StopAsyncIteration):
                await stream.__anext__()
            await stream.aclose()  # idempotent
            await assert_pool_serves_async(client, http)

    run(main())


def test_async_stream_closed_unread_while_still_held_gives_its_connection_back(server: MockServer) -> None:
    async def main() -> None:
        async with async_client(server, pool=1.0) as (client, http):
            held = [await _create(client, stream=True) for _ in range(LIMIT)]
            for stream in held:
                await stream.aclose()
                assert stream.response.is_closed
            assert_pool_released(http)
            await assert_pool_serves_async(client, http)
            del held

    run(main())


def test_closing_the_async_client_closes_its_own_pool(server: MockServer) -> None:
    async def main() -> None:
        async with chatcontract.AsyncMiniMax(
            api_key="k", base_url=server.base_url("minimax"), max_retries=0
        ) as client:
            stream = await _create(client, stream=True)
            await stream.__anext__()
        assert client._http.is_closed
        assert not getattr(_pool(client._http), "connections", [])
        await stream.aclose()
        assert stream.response.is_closed

    run(main())


@pytest.mark.parametrize(
    ("max_connections", "pools", "each"), [(None, 16, 8), (1, 1, 1), (4, 1, 4), (100, 13, 8), (5000, 625, 8)]
)
def test_max_connections_makes_more_pools_of_at_most_eight(
    max_connections: int | None, pools: int, each: int
) -> None:
    """More connections, more pools: each pool's walk over its connections stays short
    (tests/test_load.py opens that many streams at once)."""
    options: dict[str, Any] = {} if max_connections is None else {"max_connections": max_connections}
    client = chatcontract.AsyncMiniMax(api_key="k", **options)
    transport = client._http._transport
    assert isinstance(transport, ShardedAsyncTransport)
    assert len(transport._pools) == pools and len(transport._busy) == pools
    limits = transport._options["limits"]
    assert limits.max_connections == each and limits.max_keepalive_connections == each
    run(client.close())


# ---------------------------------------------------------------- streams dropped without close()
# Once bugs: a stream dropped before its first chunk was never closed (only its generator's
# finally closed the response), and one left by a bare break waited for the cycle collector
# (the generator held the stream). Both now close as soon as the last reference goes.


def test_sync_stream_dropped_before_reading_is_released(server: MockServer) -> None:
    with sync_client(server, pool=1.0) as (client, http):
        for _ in range(LIMIT + 1):
            stream = _create(client, stream=True)
            del stream
            gc.collect()
        assert_pool_serves(client, http)


def test_async_stream_dropped_before_reading_is_released(server: MockServer) -> None:
    async def main() -> None:
        async with async_client(server, pool=1.0) as (client, http):
            for _ in range(LIMIT + 1):
                stream = await _create(client, stream=True)
                del stream
                gc.collect()
                await asyncio.sleep(0)
            await assert_pool_serves_async(client, http)

    run(main())


@contextlib.contextmanager
def _no_cycle_collector() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect()  # closes what the test left behind


def test_sync_stream_left_by_a_bare_break_is_released_by_reference_counting(server: MockServer) -> None:
    with sync_client(server, pool=1.0) as (client, http), _no_cycle_collector():
        for _ in range(LIMIT + 1):
            stream = _create(client, stream=True)  # drops the previous stream's last reference
            for _ in stream:
                break
        del stream
        assert_pool_serves(client, http)


def test_async_stream_left_by_a_bare_break_is_released_by_reference_counting(server: MockServer) -> None:
    async def main() -> None:
        async with async_client(server, pool=1.0) as (client, http):
            with _no_cycle_collector():
                for _ in range(LIMIT + 1):
                    stream = await _create(client, stream=True)
                    async for _ in stream:
                        break
                    await asyncio.sleep(0)
                del stream
                await assert_pool_serves_async(client, http)

    run(main())


# ---------------------------------------------------------------- a server that stalls or cuts the connection

CHUNK = (
    b'data: {"id":"s1","object":"chat.completion.chunk","created":1,"model":"MiniMax-M2.7",'
    b'"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n'
)
SSE_CHUNKED = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
SSE_UNTIL_CLOSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
JSON_1000 = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"


@dataclass
class RawServer:
    """Answers every connection on 127.0.0.1 with ``act(connection, server)``, in a thread each.

    ``proceed`` is set by the test once it has the first chunk (acts that cut the connection
    wait for it, so that the cut comes after the chunk); ``stop`` ends every stall.
    """

    act: Callable[[socket.socket, RawServer], None]
    proceed: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    _sockets: list[socket.socket] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._accepter = threading.Thread(target=self._accept, name="raw-server", daemon=True)
        self._accepter.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/minimax"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._sockets.append(connection)
            thread = threading.Thread(target=self._handle, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _handle(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError), connection:
            connection.settimeout(HANG)
            read_request(connection)
            self.act(connection, self)

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.proceed.set()
        self._accepter.join(HANG)
        self._listener.close()
        for thread in self._threads:
            thread.join(HANG)
        for connection in self._sockets:
            connection.close()


def _stall(connection: socket.socket, raw: RawServer) -> None:
    raw.stop.wait(HANG)


def _reset(connection: socket.socket) -> None:
    """Close with a TCP reset (RST) instead of an orderly FIN."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def stall_before_headers(connection: socket.socket, raw: RawServer) -> None:
    _stall(connection, raw)


def stall_inside_the_body(connection: socket.socket, raw: RawServer) -> None:
    connection.sendall(JSON_1000 + b'{"id": "')
    _stall(connection, raw)


def close_before_headers(connection: socket.socket, raw: RawServer) -> None:
    connection.close()


def reset_before_headers(connection: socket.socket, raw: RawServer) -> None:
    _reset(connection)


def stream_then_stall(connection: socket.socket, raw: RawServer) -> None:
    connection.sendall(SSE_CHUNKED + chunked(CHUNK))
    _stall(connection, raw)


def stream_then_close(connection: socket.socket, raw: RawServer) -> None:
    connection.sendall(SSE_CHUNKED + chunked(CHUNK))
    raw.proceed.wait(HANG)
    connection.close()


def stream_then_close_inside_an_event(connection: socket.socket, raw: RawServer) -> None:
    connection.sendall(SSE_CHUNKED + chunked(CHUNK))
    raw.proceed.wait(HANG)
    connection.sendall(chunked(CHUNK[:40]))
    connection.close()


def stream_then_reset(connection: socket.socket, raw: RawServer) -> None:
    connection.sendall(SSE_CHUNKED + chunked(CHUNK))
    raw.proceed.wait(HANG)
    _reset(connection)


def close_delimited_stream_ends_inside_an_event(connection: socket.socket, raw: RawServer) -> None:
    connection.sendall(SSE_UNTIL_CLOSE + CHUNK)
    raw.proceed.wait(HANG)
    connection.sendall(CHUNK[:40])
    connection.close()


@dataclass
class Outcome:
    contents: list[str | None]  # delta contents of the chunks received
    error: chatcontract.APIError | None
    waited: float  # seconds from the call (or the last chunk) to the error
    released: bool  # the one pooled connection served the mock server afterwards


def _pool_of_one() -> dict[str, Any]:
    return {"limits": _limits(1), "timeout": httpx.Timeout(HANG, pool=POOL_WAIT)}


def sync_outcome(raw: RawServer, server: MockServer, *, stream: bool, timeout: Any) -> Outcome:
    contents: list[str | None] = []
    error = None
    with httpx.Client(**_pool_of_one()) as http:
        client = chatcontract.MiniMax(
            api_key="k", base_url=raw.base_url, http_client=http, max_retries=0, timeout=timeout
        )
        mark = time.monotonic()
        try:
            reply = _create(client, stream=stream)
            if stream:
                with reply:
                    for chunk in reply:
                        contents.append(chunk.choices[0].delta.content)
                        raw.proceed.set()
                        mark = time.monotonic()
        except chatcontract.APIError as caught:
            error = caught
        waited = time.monotonic() - mark
        mock = chatcontract.MiniMax(
            api_key="k", base_url=server.base_url("minimax"), http_client=http, max_retries=0
        )
        released = bool(_create(mock).choices)
    return Outcome(contents, error, waited, released)


def async_outcome(raw: RawServer, server: MockServer, *, stream: bool, timeout: Any) -> Outcome:
    async def main() -> Outcome:
        contents: list[str | None] = []
        error = None
        async with httpx.AsyncClient(**_pool_of_one()) as http:
            client = chatcontract.AsyncMiniMax(
                api_key="k", base_url=raw.base_url, http_client=http, max_retries=0, timeout=timeout
            )
            mark = time.monotonic()
            try:
                reply = await _create(client, stream=stream)
                if stream:
                    async with reply:
                        async for chunk in reply:
                            contents.append(chunk.choices[0].delta.content)
                            raw.proceed.set()
                            mark = time.monotonic()
            except chatcontract.APIError as caught:
                error = caught
            waited = time.monotonic() - mark
            mock = chatcontract.AsyncMiniMax(
                api_key="k", base_url=server.base_url("minimax"), http_client=http, max_retries=0
            )
            released = bool((await _create(mock)).choices)
        return Outcome(contents, error, waited, released)

    return asyncio.run(asyncio.wait_for(main(), timeout=60))


OUTCOMES = {"sync": sync_outcome, "async": async_outcome}
TIMEOUTS = {"timeout=0.5": 0.5, "timeout=httpx.Timeout(0.5)": httpx.Timeout(0.5)}


@pytest.mark.parametrize("timeout", TIMEOUTS.values(), ids=TIMEOUTS.keys())
@pytest.mark.parametrize(
    ("act", "stream", "contents"),
    [
        (stall_before_headers, False, []),
        (stall_inside_the_body, False, []),
        (stall_before_headers, True, []),
        (stream_then_stall, True, ["Hi"]),
    ],
    ids=["whole-before-headers", "whole-inside-body", "stream-before-headers", "stream-after-a-chunk"],
)
@pytest.mark.parametrize("flavour", OUTCOMES)
def test_a_stalled_server_raises_a_timeout(
    server: MockServer,
    flavour: str,
    act: Callable[[socket.socket, RawServer], None],
    stream: bool,
    contents: list[str],
    timeout: Any,
) -> None:
    with RawServer(act) as raw:
        outcome = OUTCOMES[flavour](raw, server, stream=stream, timeout=timeout)
    assert type(outcome.error) is chatcontract.APITimeoutError, outcome
    assert outcome.contents == contents
    assert 0.4 <= outcome.waited < HANG  # it waited for the read timeout, and not for ever
    assert outcome.released


@pytest.mark.parametrize(
    ("act", "stream", "contents", "error"),
    [
        (close_before_headers, False, [], chatcontract.APIConnectionError),
        (reset_before_headers, False, [], chatcontract.APIConnectionError),
        (close_before_headers, True, [], chatcontract.APIConnectionError),
        (stream_then_close, True, ["Hi"], chatcontract.APIConnectionError),
        (stream_then_close_inside_an_event, True, ["Hi"], chatcontract.APIConnectionError),
        (stream_then_reset, True, ["Hi"], chatcontract.APIConnectionError),
        (close_delimited_stream_ends_inside_an_event, True, ["Hi"], chatcontract.APIResponseValidationError),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
@pytest.mark.parametrize("flavour", OUTCOMES)
def test_a_cut_connection_raises_the_documented_error(
    server: MockServer,
    flavour: str,
    act: Callable[[socket.socket, RawServer], None],
    stream: bool,
    contents: list[str],
    error: type[chatcontract.APIError],
) -> None:
    """A cut chunked stream, however it is cut, is incomplete: APIConnectionError (not a timeout).
    A close-delimited body is complete when the connection closes, so a cut inside an event is a
    malformed response: APIResponseValidationError."""
    with RawServer(act) as raw:
        outcome = OUTCOMES[flavour](raw, server, stream=stream, timeout=HANG)
    assert type(outcome.error) is error, outcome
    assert outcome.contents == contents
    assert outcome.waited < HANG / 2  # promptly, not after a read timeout
    assert outcome.released


def test_async_stream_cancelled_by_the_caller_releases_its_connection(server: MockServer) -> None:
    """``asyncio.wait_for`` around a stalled stream: the cancellation closes the response."""

    async def main(raw: RawServer) -> None:
        async with httpx.AsyncClient(**_pool_of_one()) as http:
            client = chatcontract.AsyncMiniMax(
                api_key="k", base_url=raw.base_url, http_client=http, max_retries=0
            )
            stream = await _create(client, stream=True)
            assert (await stream.__anext__()).choices[0].delta.content == "Hi"
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(stream.__anext__(), timeout=0.3)
            assert stream.response.is_closed
            mock = chatcontract.AsyncMiniMax(
                api_key="k", base_url=server.base_url("minimax"), http_client=http, max_retries=0
            )
            assert (await _create(mock)).choices
            assert_pool_released(http, limit=1)

    with RawServer(stream_then_stall) as raw:
        asyncio.run(asyncio.wait_for(main(raw), timeout=60))


# The async clients' sharded transport on its own, over stand-in pools (no sockets).
class _Body(httpx.AsyncByteStream):
    def __init__(self, parts: list[bytes], fail_close: bool = False) -> None:
        self.parts, self.fail_close, self.closed = parts, fail_close, False

    async def __aiter__(self) -> Any:
        for part in self.parts:
            yield part

    async def aclose(self) -> None:
        self.closed = True
        if self.fail_close:
            raise httpx.ReadError("close failed")


class _FakePool:
    made: ClassVar[list[_FakePool]] = []

    def __init__(self, **options: Any) -> None:
        self.options, self.requests, self.closed, self.bodies = options, [], False, []  # type: ignore[var-annotated]
        _FakePool.made.append(self)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/fail":
            raise httpx.ConnectError("refused")
        body = _Body([b"a", b"b"], fail_close=request.url.path == "/bad-close")
        self.bodies.append(body)
        return httpx.Response(
            201, headers={"x-a": "1"}, stream=body, extensions={"http_version": b"HTTP/1.1"}
        )

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture
def fake_pools(monkeypatch: pytest.MonkeyPatch) -> list[_FakePool]:
    _FakePool.made = []
    monkeypatch.setattr(httpx, "AsyncHTTPTransport", _FakePool)  # what chatcontract._pool makes its pools of
    return _FakePool.made


def test_sharded_transport_sends_each_request_to_the_least_busy_pool(fake_pools: list[_FakePool]) -> None:
    from chatcontract._pool import ShardedAsyncTransport
    from chatcontract._security import tls_context

    async def main() -> None:
        transport = ShardedAsyncTransport(shards=2, per_shard=3, trust_env=False)
        request = httpx.Request("POST", "https://x/a")
        first = await transport.handle_async_request(request)
        second = await transport.handle_async_request(request)
        assert transport._busy == [1, 1] and len(fake_pools) == 2  # one pool per shard, made on first use
        third = await transport.handle_async_request(request)
        assert transport._busy == [2, 1] and len(fake_pools) == 2
        assert (first.status_code, first.headers["x-a"], first.extensions["http_version"]) == (
            201,
            "1",
            b"HTTP/1.1",
        )
        assert b"".join([part async for part in first.stream]) == b"ab"  # type: ignore[union-attr]
        await first.aclose()
        await first.aclose()  # released once
        assert transport._busy == [1, 1] and fake_pools[0].bodies[0].closed
        await second.aclose()
        assert transport._busy == [1, 0]
        await transport.handle_async_request(request)
        assert transport._busy == [1, 1] and len(fake_pools[1].requests) == 2
        await third.aclose()
        await transport.aclose()
        assert all(pool.closed for pool in fake_pools)

    asyncio.run(main())
    for pool in fake_pools:
        limits = pool.options["limits"]
        assert (limits.max_connections, limits.max_keepalive_connections) == (3, 3)
        assert pool.options["verify"] is tls_context() and pool.options["trust_env"] is False


def test_sharded_transport_releases_its_shard_when_a_request_or_a_close_fails(
    fake_pools: list[_FakePool],
) -> None:
    from chatcontract._pool import ShardedAsyncTransport

    async def main() -> None:
        transport = ShardedAsyncTransport(shards=2, verify=False)
        with pytest.raises(httpx.ConnectError):
            await transport.handle_async_request(httpx.Request("POST", "https://x/fail"))
        assert transport._busy == [0, 0]
        response = await transport.handle_async_request(httpx.Request("POST", "https://x/bad-close"))
        assert transport._busy == [1, 0]
        with pytest.raises(httpx.ReadError):
            await response.aclose()
        assert transport._busy == [0, 0]
        await transport.aclose()  # the shard never used has no pool to close

    asyncio.run(main())
    assert len(fake_pools) == 1 and fake_pools[0].options["verify"] is False
