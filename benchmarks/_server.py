"""A minimal HTTP/1.1 loopback server for the benchmark, run in its own process.

    python benchmarks/_server.py --chunks 20000

It binds 127.0.0.1 on a free port, prints the port on one line, then serves until killed:

* ``POST /v1/chat/completions``: MiniMax's documented reply (``Content-Length``, keep-alive), or,
  when the request JSON has ``"stream": true``, an event stream of ``--chunks`` chunks sent with
  chunked transfer encoding, one HTTP chunk per event (as a real streaming server does);
* ``GET /_stats``: ``{"cpu": <this process's CPU seconds>}``, so that the benchmark can show the
  server is not the bottleneck.

Every answer is rendered once at start-up; serving one is a buffer search and a ``write``.
Request bodies must carry ``Content-Length`` (all three clients send it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time

from _payloads import chunk_events, completion_body

_STREAM = re.compile(rb'"stream"\s*:\s*true')
_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)


def _answer(status: str, content_type: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode("ascii") + body


def _event_stream(events: list[bytes]) -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    parts = [head]
    for event in events:
        parts += [b"%x\r\n" % len(event), event, b"\r\n"]
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


class Answers:
    def __init__(self, chunks: int) -> None:
        self.completion = _answer("200 OK", "application/json", completion_body())
        self.stream = _event_stream(chunk_events(chunks))
        self.not_found = _answer("404 Not Found", "application/json", b'{"error":{"message":"not found"}}')

    def respond(self, head: bytes, body: bytes) -> bytes:
        if head.startswith(b"POST /v1/chat/completions "):
            return self.stream if _STREAM.search(body) else self.completion
        if head.startswith(b"GET /_stats "):
            return _answer("200 OK", "application/json", json.dumps({"cpu": time.process_time()}).encode())
        return self.not_found


class Connection(asyncio.Protocol):
    def __init__(self, answers: Answers) -> None:
        self._answers = answers
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while (end := buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(buffer[: end + 2])
            found = _LENGTH.search(head)
            total = end + 4 + (int(found.group(1)) if found else 0)
            if len(buffer) < total:
                return
            body = bytes(buffer[end + 4 : total])
            del buffer[:total]
            assert self._transport is not None
            self._transport.write(self._answers.respond(head, body))


async def serve(chunks: int) -> None:
    answers = Answers(chunks)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(answers), "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=20_000, help="events in a streamed reply")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.chunks))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
