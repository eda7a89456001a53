"""Test helpers: build event streams and deliver them in awkward network pieces."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx


def frames(events: Sequence[Any], *, done: bool = True, eol: str = "\n") -> bytes:
    """``data:`` frames for each event (a dict is JSON-encoded, a str sent as is)."""
    out = []
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event, ensure_ascii=False)
        out.append(f"data: {data}{eol}{eol}")
    if done:
        out.append(f"data: [DONE]{eol}{eol}")
    return "".join(out).encode("utf-8")


class Pieces(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered ``size`` bytes at a time (1 splits every UTF-8 character);
    ``size=0``: one piece per event, as real servers send them (the decoder's fast path)."""

    def __init__(self, data: bytes, size: int = 1) -> None:
        self.data = data
        self.size = size
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        if not self.size:
            yield from (event + b"\n\n" for event in self.data.split(b"\n\n") if event)
            return
        for start in range(0, len(self.data), self.size):
            yield self.data[start : start + self.size]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self:
            yield piece

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def event_stream(data: bytes, size: int = 1) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Pieces(data, size))


def chunks_of(response: dict[str, Any], *, size: int, style: str) -> list[dict[str, Any]]:
    """The stream a server would send for a documented whole response.

    ``style`` "openai": role first, content pieces, finish_reason, a usage-only chunk.
    ``style`` "minimax": the same, but the last chunk also carries usage, base_resp and the
    sensitivity flags (MiniMax sends no [DONE]).
    """
    head = {k: response[k] for k in ("id", "created", "model")}
    head["object"] = "chat.completion.chunk"
    content = response["choices"][0]["message"]["content"]
    pieces = [content[i : i + size] for i in range(0, len(content), size)]
    out = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
    out += [{**head, "choices": [{"index": 0, "delta": {"content": piece}}]} for piece in pieces]
    last: dict[str, Any] = {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    if style == "minimax":
        extra = {
            k: v for k, v in response.items() if k not in {"id", "created", "model", "object", "choices"}
        }
        out.append({**last, **extra})
    else:
        out += [last, {**head, "choices": [], "usage": response["usage"]}]
    return out
