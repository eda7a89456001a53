"""Load: the async client under 1,000 concurrent requests, and the mock server under a bounded stress loop.

Both run the real mock server (``MockServer(port=0)``) in this process, so the numbers include
its threads. Bounds are generous "must not hang" limits for a loaded two-core CI machine, never
speed requirements; the memory bounds are explained where they are defined.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import re
import resource
import socket
import struct
import sys
import threading
import time
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import httpx
import pytest

import chatcontract
from chatcontract.mock import MockServer, Upstream

T = TypeVar("T")

MODEL: Final = "MiniMax-M2.7"
MESSAGES = [{"role": "user", "content": "hi"}]
HANG = 60.0  # seconds: "must not hang", far above the few seconds a round takes

REQUESTS = 1000
STREAM_EVERY = 5  # every fifth request is streamed: 800 whole, 200 streamed
CONNECTIONS = 100

MIB = 1024 * 1024
# The first round may grow the process by what 1,000 requests legitimately hold at once: 1,000
# tasks, 800 parsed replies and 200 streams of ~30 chunks (a few MiB), buffers for 100
# connections, up to 100 mock threads, and pymalloc arenas that Python keeps once touched. About
# 20 MiB was measured; 100 MiB leaves room for allocator noise and still fails on a leak of
# 100 KiB per request.
FIRST_ROUND_GROWTH = 100 * MIB
# A second identical round reuses all of that, so it should need almost nothing more (under
# 1 MiB was measured). 25 MiB still fails on a leak of 25 KiB per request (a kept response, a
# socket and its buffers), which the first bound alone could hide.
SECOND_ROUND_GROWTH = 25 * MIB


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(port=0) as running:
        yield running


def run(main: Awaitable[T]) -> T:
    return asyncio.run(asyncio.wait_for(main, timeout=HANG))


def rss() -> int:
    """Resident set size of this process, in bytes (Linux /proc; else the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def _pool_connections(http: httpx.AsyncClient) -> list[Any] | None:
    """httpcore's pooled connections behind ``http`` (an implementation detail: None if it moved)."""
    pool = getattr(getattr(http, "_transport", None), "_pool", None)
    connections = getattr(pool, "connections", None)
    return None if connections is None else list(connections)


# ---------------------------------------------------------------- 1,000 concurrent requests, one client


@dataclass
class Round:
    replies: list[Any]
    errors: list[BaseException]
    seconds: float
    in_flight: int  # most calls started and not yet finished at once
    connections: int  # most pooled connections seen at once (0 if the pool cannot be inspected)
    growth: int  # peak RSS during the round minus RSS before it
    idle: list[bool] | None  # afterwards: whether each pooled connection is idle (None: no pool to see)


async def _round(server: MockServer) -> Round:
    """1,000 calls at once on one new client whose pool allows 100 connections.

    One call goes first, so the burst finds a warm connection. That is also what keeps the round
    to seconds: httpcore's pool scans every connection for every queued request each time it
    assigns one (O(queued x connections), encode/httpcore#1035), and its pass hands a warm idle
    connection to every queued request, so it opens further connections only as requests bounce
    back. From a cold pool it opens all 100 at once and the same round took 18-27 s here, with
    the time spent in ``_assign_requests_to_connections``, with or without chatcontract, and with
    the mock in another process: the pool's cost, not the mock's (which answers 1,000
    simultaneous raw connections in about a second).
    """
    limits = httpx.Limits(max_connections=CONNECTIONS)
    # The pool timeout (how long a request may queue for a connection) must cover the whole
    # round: 1,000 requests share the connections. No retries, so no failure is hidden.
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(HANG)) as http:
        client = chatcontract.AsyncMiniMax(
            api_key="k", base_url=server.base_url("minimax"), http_client=http, max_retries=0
        )
        assert (await client.chat.completions.create(model=MODEL, messages=MESSAGES)).choices
        gc.collect()
        before = rss()
        peak = before
        in_flight = most_in_flight = most_connections = 0

        async def sample() -> None:
            nonlocal peak, most_connections
            while True:
                peak = max(peak, rss())
                most_connections = max(most_connections, len(_pool_connections(http) or ()))
                await asyncio.sleep(0.02)

        async def call(number: int) -> Any:
            nonlocal in_flight, most_in_flight
            in_flight += 1
            most_in_flight = max(most_in_flight, in_flight)
            try:
                if number % STREAM_EVERY:
                    return await client.chat.completions.create(model=MODEL, messages=MESSAGES)
                stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
                async with stream:
                    return [chunk async for chunk in stream]
            finally:
                in_flight -= 1

        sampler = asyncio.create_task(sample())
        started = time.monotonic()
        results = await asyncio.gather(*(call(n) for n in range(REQUESTS)), return_exceptions=True)
        seconds = time.monotonic() - started
        peak = max(peak, rss())
        sampler.cancel()
        connections = _pool_connections(http)
        idle = None if connections is None else [connection.is_idle() for connection in connections]
    errors = [result for result in results if isinstance(result, BaseException)]
    return Round(results, errors, seconds, most_in_flight, most_connections, peak - before, idle)


def _check_replies(replies: list[Any], content: str) -> None:
    """Every whole reply parsed with the documented content; every stream adds up to it."""
    whole = [reply for n, reply in enumerate(replies) if n % STREAM_EVERY]
    streams = [chunks for n, chunks in enumerate(replies) if not n % STREAM_EVERY]
    assert (len(whole), len(streams)) == (REQUESTS - REQUESTS // STREAM_EVERY, REQUESTS // STREAM_EVERY)
    for reply in whole:
        assert reply.model == MODEL
        assert reply.choices[0].message.content == content
        assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    for chunks in streams:
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == content
        assert chunks[-1].usage.total_tokens > 0
        assert len({chunk.id for chunk in chunks}) == 1
    ids = {reply.id for reply in whole} | {chunks[0].id for chunks in streams}
    assert len(ids) == REQUESTS  # each request was answered on its own


def _summary(round_: Round) -> str:
    kinds = sorted({type(error).__name__ for error in round_.errors})
    first = round_.errors[0] if round_.errors else None
    return f"{len(round_.errors)} of {REQUESTS} failed ({', '.join(kinds)}); first: {first!r}"


def test_async_client_holds_1000_concurrent_requests(server: MockServer) -> None:
    async def main() -> tuple[Round, Round]:
        # Warm up (imports, models, the mock's first answers) and learn the documented content.
        async with chatcontract.AsyncMiniMax(
            api_key="k", base_url=server.base_url("minimax"), max_retries=0
        ) as client:
            warm = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
            stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
            async with stream:
                assert [chunk async for chunk in stream]
        content = warm.choices[0].message.content
        assert content
        rounds = []
        for _ in range(2):
            round_ = await _round(server)
            assert not round_.errors, _summary(round_)
            _check_replies(round_.replies, content)
            round_.replies.clear()
            rounds.append(round_)
        return rounds[0], rounds[1]

    first, second = run(main())
    for name, round_ in (("first", first), ("second", second)):
        print(  # shown by pytest when the test fails, or with -s
            f"{name} round: {REQUESTS} requests in {round_.seconds:.2f} s, {round_.in_flight} in flight, "
            f"{round_.connections} pooled connections at most, RSS +{round_.growth / MIB:.1f} MiB"
        )
    for round_ in (first, second):
        assert round_.in_flight == REQUESTS  # all 1,000 were in flight together
        assert round_.connections <= CONNECTIONS
        if round_.idle is not None:
            assert len(round_.idle) <= CONNECTIONS
            assert all(round_.idle), f"{round_.idle.count(False)} connections still checked out"
    assert first.growth < FIRST_ROUND_GROWTH, f"RSS grew by {first.growth / MIB:.1f} MiB"
    assert second.growth < SECOND_ROUND_GROWTH, f"RSS grew by {second.growth / MIB:.1f} MiB"


# ---------------------------------------------------------------- the mock server under a stress loop

CHAT = b"/minimax/v1/chat/completions"
VALID = json.dumps({"model": MODEL, "messages": MESSAGES}).encode()
STREAMED = json.dumps({"model": MODEL, "messages": MESSAGES, "stream": True}).encode()
HEAD = b"POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\n" % CHAT


def _post(body: bytes, extra: bytes = b"") -> bytes:
    return HEAD + extra + b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


# Requests a server must refuse (an error status, or closing without an answer), never hang on.
MALFORMED = [
    b"\x16\x03\x01\x02\x00garbage\r\n\r\n",  # a TLS hello
    b"GARBAGE\r\n\r\n",
    b"\x00" * 100 + b"\r\n\r\n",
    b"\r\n\r\n\r\n",
    b"GET /health HTTP/9.9\r\n\r\n",
    b"FOO\x01 /health HTTP/1.1\r\n\r\n",
    b"GET /health HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n",  # a header line too long
    b"GET /health HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % n for n in range(150)) + b"\r\n",
    HEAD + b"Content-Length: abc\r\n\r\n{}",
    HEAD + b"Content-Length: -5\r\n\r\n{}",
    HEAD + b"Content-Length: 99999999999999999999\r\n\r\n{}",
    HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n",
    _post(b"{nope", b"Connection: close\r\n"),
    _post(b"[1, 2]", b"Connection: close\r\n"),
    _post(b'{"model": "MiniMax-M2.7"}', b"Connection: close\r\n"),
]
_STATUS = re.compile(rb"HTTP/1\.[01] (\d{3}) |Error code: (\d{3})")


def _status(reply: bytes) -> int:
    """The status of a raw reply (also of http.server's HTTP/0.9-style error page); 0 for none."""
    match = _STATUS.search(reply[:4096])
    return int(match.group(1) or match.group(2)) if match else 0


@dataclass
class Stress:
    """What the stress loop saw; every socket it opened is in ``writers`` until the end."""

    port: int
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    refusals: list[int] = field(default_factory=list)
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(default_factory=list)

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writers.append(writer)
        return reader, writer


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    return _status(head), await reader.readexactly(length)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Drop the connection with a TCP reset (RST) instead of an orderly FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _idle_keep_alive(stress: Stress) -> None:
    reader, writer = await stress.connect()
    writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert await _read_response(reader) == (200, b'{"status":"ok"}')
    stress.idle.append((reader, writer))  # left open and idle


async def _slow_body(stress: Stress) -> None:
    """Headers, then the body a byte every 30 ms, then nothing (the connection stays open)."""
    _, writer = await stress.connect()
    writer.write(HEAD + b"Content-Length: %d\r\n\r\n" % len(VALID))
    for byte in VALID[:30]:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.03)


async def _slow_head(stress: Stress) -> None:
    """The request line and headers a byte every 30 ms, then nothing."""
    _, writer = await stress.connect()
    for byte in HEAD[:30]:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.03)


async def _malformed(stress: Stress, request: bytes) -> None:
    reader, writer = await stress.connect()
    writer.write(request)
    with_eof = await asyncio.wait_for(reader.read(), timeout=HANG / 4)  # the server closes it
    stress.refusals.append(_status(with_eof))
    writer.close()


async def _gone_mid_request(stress: Stress, number: int) -> None:
    _, writer = await stress.connect()
    if number % 2:
        writer.write(HEAD[:37])  # inside the headers, then FIN
        await writer.drain()
        writer.close()
    else:
        writer.write(HEAD + b"Content-Length: %d\r\n\r\n" % len(VALID) + VALID[:10])
        await writer.drain()
        _reset(writer)  # inside the body, then RST


async def _gone_mid_stream(stress: Stress, number: int) -> None:
    reader, writer = await stress.connect()
    writer.write(_post(STREAMED))
    await writer.drain()
    if number % 2:
        await reader.readexactly(300)  # the headers and part of the first event
        _reset(writer)
    else:
        writer.close()  # before reading anything


async def _served(server: MockServer) -> float:
    """A whole and a streamed chat request and /health answered; returns the seconds it took."""
    started = time.monotonic()
    async with chatcontract.AsyncMiniMax(
        api_key="k", base_url=server.base_url("minimax"), max_retries=0, timeout=HANG / 4
    ) as client:
        reply = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
        assert reply.choices[0].message.content
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        async with stream:
            assert [chunk async for chunk in stream]
    async with httpx.AsyncClient(timeout=HANG / 4) as http:
        assert (await http.get(server.url + "/health")).json() == {"status": "ok"}
    return time.monotonic() - started


async def _stress(server: MockServer) -> tuple[Stress, float, float]:
    stress = Stress(int(server.url.rsplit(":", 1)[1]))
    idle = [_idle_keep_alive(stress) for _ in range(100)]
    slow = [_slow_body(stress) for _ in range(20)] + [_slow_head(stress) for _ in range(20)]
    malformed = [_malformed(stress, request) for request in MALFORMED * 4]
    gone = [_gone_mid_request(stress, n) for n in range(40)]
    gone += [_gone_mid_stream(stress, n) for n in range(40)]
    try:
        await asyncio.gather(*idle, *slow, *malformed, *gone)
        assert len(stress.writers) <= 300
        # The slow clients now hold their connections half-sent; the server still answers at once.
        during = await _served(server)
        for _, writer in stress.idle:  # and the idle keep-alive connections still work
            writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        for reader, _ in stress.idle:
            assert await _read_response(reader) == (200, b'{"status":"ok"}')
    finally:
        for writer in stress.writers:
            writer.close()
        await asyncio.gather(*(_closed(writer) for writer in stress.writers))
    after = await _served(server)
    return stress, during, after


async def _closed(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):  # reset by us or by the server
        await writer.wait_closed()


def test_mock_server_survives_a_stress_loop() -> None:
    with MockServer(port=0) as server:
        threads = threading.active_count()
        started = time.monotonic()
        stress, during, after = run(_stress(server))
        elapsed = time.monotonic() - started
        print(  # shown by pytest when the test fails, or with -s
            f"stress: {len(stress.writers)} sockets in {elapsed:.2f} s; served in {during:.2f} s while "
            f"slow clients stalled, {after:.2f} s after; refusals {sorted(set(stress.refusals))}"
        )
        assert len(stress.refusals) == len(MALFORMED) * 4
        assert all(status == 0 or 400 <= status < 600 for status in stress.refusals), stress.refusals
        assert during < HANG / 4 and after < HANG / 4 and elapsed < HANG
        # Every connection is gone, so every handler thread ends (lingering ones within 2 s).
        deadline = time.monotonic() + HANG / 4
        while threading.active_count() > threads and time.monotonic() < deadline:
            time.sleep(0.05)
        assert threading.active_count() <= threads


# ----------------------------------------------------------------------------- max_connections


async def _hold_streams(client: chatcontract.AsyncMiniMax, count: int) -> list[Any]:
    """``count`` streams opened at once and held (the mock sends no event for seconds)."""
    create = client.chat.completions.create
    opening = (create(model=MODEL, messages=MESSAGES, stream=True) for _ in range(count))
    return list(await asyncio.gather(*opening))


@pytest.mark.parametrize(("max_connections", "allowed"), [(None, 128), (4, 4), (100, 104)])
def test_max_connections_is_how_many_streams_can_be_open_at_once(
    max_connections: int | None, allowed: int
) -> None:
    """The own pool holds ``max_connections`` streams (128 by default), in pools of at most 8
    that share them evenly (100: 13 pools of 8); one more waits for a connection, and times out."""
    options: dict[str, Any] = {} if max_connections is None else {"max_connections": max_connections}

    async def main(base_url: str) -> None:
        async with chatcontract.AsyncMiniMax(
            api_key="k", base_url=base_url, max_retries=0, timeout=httpx.Timeout(30.0, pool=0.5), **options
        ) as client:
            held = await _hold_streams(client, allowed)
            with pytest.raises(chatcontract.APITimeoutError):
                await _hold_streams(client, 1)
            for stream in held:
                await stream.aclose()

    with MockServer(upstream=Upstream(ttft_ms=20_000)) as paced:
        run(main(paced.base_url("minimax")))


def test_max_connections_is_checked() -> None:
    for wrong in (0, -1, 2.5, True, "8"):
        with pytest.raises(chatcontract.InvalidArgumentError, match="max_connections must be an integer"):
            chatcontract.AsyncMiniMax(api_key="k", max_connections=wrong)  # type: ignore[arg-type]
    http = httpx.AsyncClient()
    with pytest.raises(chatcontract.InvalidArgumentError, match="not with http_client"):
        chatcontract.AsyncMiniMax(api_key="k", http_client=http, max_connections=8)
    run(http.aclose())
