"""Hostile servers on 127.0.0.1: compression bombs, huge bodies, drips and silence.

Each call runs in a fresh subprocess against ``tests/hostile.py``'s server, so that its peak
memory (``VmHWM``) is its own; the subprocess reports the error it got, how long the call took
and its peak RSS. Sync and async alike.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
from typing import Any

import httpx
import pytest
import respx

import chatcontract
from tests import specs
from tests.hostile import MIB, HostileServer, chunked, drip, head, send_bomb

CALL = textwrap.dedent(
    """
    import asyncio, json, sys, time
    import chatcontract

    url, mode, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    stream = "stream" in mode
    ask = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hi"}]}
    outcome = {"error": None, "body": 0}

    def caught(error):
        outcome["error"] = type(error).__name__
        outcome["body"] = len(getattr(error, "body", b"") or b"")
        outcome["message"] = str(error)

    def sync_call():
        with chatcontract.MiniMax(api_key="k", base_url=url, max_retries=0, **options) as client:
            result = client.chat.completions.create(**ask, stream=stream)
            if stream:
                for _ in result:
                    pass

    async def async_call():
        async with chatcontract.AsyncMiniMax(api_key="k", base_url=url, max_retries=0, **options) as client:
            result = await client.chat.completions.create(**ask, stream=stream)
            if stream:
                async for _ in result:
                    pass

    started = time.perf_counter()
    try:
        asyncio.run(async_call()) if mode.startswith("async") else sync_call()
    except chatcontract.ChatContractError as error:
        caught(error)
    outcome["seconds"] = time.perf_counter() - started
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM"))
    outcome["peak_mib"] = int(peak.split()[1]) / 1024
    print(json.dumps(outcome))
    """
)

MODES = ["sync", "async"]


def call(server: HostileServer, mode: str, **options: Any) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CALL, server.url, mode, json.dumps(options)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome: dict[str, Any] = json.loads(done.stdout)
    return outcome


@pytest.mark.parametrize("mode", MODES)
def test_a_1_gib_gzip_bomb_stops_at_the_limit(mode: str) -> None:
    with HostileServer(send_bomb("application/json", 1024 * MIB)) as server:
        outcome = call(server, mode)
    assert outcome["error"] == "ResponseTooLargeError", outcome
    assert "max_response_bytes=33554432" in outcome["message"]
    # the bound is 200 MB; inflated in 256 KiB pieces it is the interpreter (~40 MB) + the limit
    assert outcome["seconds"] < 1.0 and outcome["peak_mib"] < 120, outcome
    assert outcome["body"] <= chatcontract.ResponseTooLargeError.BODY_PREFIX


@pytest.mark.parametrize("mode", ["sync stream", "async stream"])
def test_a_1_gib_gzip_bomb_as_a_stream_stops_at_the_event_limit(mode: str) -> None:
    with HostileServer(send_bomb("text/event-stream", 1024 * MIB, fill=b"x")) as server:
        outcome = call(server, mode)
    assert outcome["error"] == "ResponseTooLargeError", outcome
    assert "max_event_bytes=4194304" in outcome["message"]
    assert outcome["seconds"] < 1.0 and outcome["peak_mib"] < 90, outcome


def _plain(size: int) -> Any:
    def answer(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(head("application/json", Transfer_Encoding="chunked"))
        piece = chunked(b"7" * MIB)
        for _ in range(size // MIB):
            if stop.is_set():
                return
            sock.sendall(piece)
        sock.sendall(b"0\r\n\r\n")

    return answer


@pytest.mark.parametrize("mode", MODES)
def test_a_200_mb_body_without_a_length_stops_at_the_limit(mode: str) -> None:
    with HostileServer(_plain(200 * MIB)) as server:
        outcome = call(server, mode, max_response_bytes=8 * MIB)
    assert outcome["error"] == "ResponseTooLargeError", outcome
    assert outcome["peak_mib"] < 80, outcome


def _declared(length: int) -> Any:
    def answer(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(head("application/json", Content_Length=str(length)) + b"{")
        stop.wait(5)  # the rest never comes: the client must not wait for it

    return answer


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    with HostileServer(_declared(1 << 40)) as server:
        outcome = call(server, "sync")
    assert outcome["error"] == "ResponseTooLargeError" and outcome["seconds"] < 1.0, outcome


REPLY = json.dumps(next(e for e in specs.exchanges() if e.api == "minimax").response).encode()


@pytest.mark.parametrize("mode", MODES)
def test_a_one_byte_per_second_drip_ends_at_the_deadline(mode: str) -> None:
    with HostileServer(drip("application/json", REPLY, every=0.25)) as server:
        outcome = call(server, mode, deadline=1.5)
    assert outcome["error"] == "APITimeoutError" and "deadline of 1.5 s" in outcome["message"], outcome
    assert 1.4 < outcome["seconds"] < 2.5, outcome


@pytest.mark.parametrize("mode", ["sync stream", "async stream"])
def test_a_dripping_stream_ends_at_the_stream_deadline(mode: str) -> None:
    event = b'data: {"choices": [{"index": 0, "delta": {"content": "x"}}]}\n\n'
    with HostileServer(drip("text/event-stream", event * 50, every=0.05)) as server:
        outcome = call(server, mode, stream_deadline=1.0)
    assert outcome["error"] == "APITimeoutError" and "deadline of 1 s" in outcome["message"], outcome
    assert 0.9 < outcome["seconds"] < 2.0, outcome


def _one_event_then_silence(sock: socket.socket, stop: threading.Event) -> None:
    event = b'data: {"choices": [{"index": 0, "delta": {"content": "x"}}]}\n\n'
    sock.sendall(head("text/event-stream", Transfer_Encoding="chunked") + chunked(event))
    stop.wait(10)


@pytest.mark.parametrize("mode", ["sync stream", "async stream"])
def test_a_stream_gone_silent_ends_at_the_idle_timeout(mode: str) -> None:
    with HostileServer(_one_event_then_silence) as server:
        outcome = call(server, mode, stream_idle_timeout=0.5)
    assert outcome["error"] == "APITimeoutError", outcome
    assert 0.4 < outcome["seconds"] < 1.5, outcome


def test_limits_can_be_raised_or_lifted_per_call() -> None:
    exchange = next(e for e in specs.exchanges() if e.api == "minimax")
    body = {**exchange.response, "padding": "x" * (2 * MIB)}
    with respx.mock(assert_all_called=True) as router:
        router.post(exchange.url).respond(200, json=body)
        with specs.client("minimax", max_response_bytes=MIB) as client:
            with pytest.raises(chatcontract.ResponseTooLargeError):
                client.chat.completions.create(**exchange.request)
            reply = client.chat.completions.create(**exchange.request, max_response_bytes=None)
            assert reply.model_extra["padding"] == body["padding"]
            reply = client.chat.completions.create(**exchange.request, max_response_bytes=4 * MIB)
            assert reply.id == exchange.response["id"]


@pytest.mark.parametrize(
    "options",
    [{"max_response_bytes": 0}, {"max_event_bytes": -1}, {"deadline": 0}, {"stream_idle_timeout": "1"}],
)
def test_nonsense_limits_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        chatcontract.MiniMax(api_key="k", **options)


def test_no_retry_starts_past_the_deadline() -> None:
    exchange = next(e for e in specs.exchanges() if e.api == "minimax")
    with respx.mock(assert_all_called=True) as router:
        route = router.post(exchange.url).mock(
            return_value=httpx.Response(
                429, headers={"Retry-After": "2"}, json={"error": {"message": "busy"}}
            )
        )
        with specs.client("minimax", max_retries=3) as client, pytest.raises(chatcontract.RateLimitError):
            client.chat.completions.create(**exchange.request, deadline=1.0)
    assert route.call_count == 1  # a 2 s wait would pass the 1 s deadline: raised at once
