"""Test helpers: build event streams and deliver them in awkward network pieces."""

from __future__ import annotations

import importlib
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx

from chatcontract._generated._protocol import StreamStyle


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


def style_of(api: str) -> StreamStyle:
    """The stream style the spec of ``api`` states (``x-stream-style``, generated into its endpoint)."""
    style: StreamStyle = importlib.import_module(
        f"chatcontract._generated.{api}_endpoint"
    ).ENDPOINT.stream_style
    return style


def chunks_of(response: dict[str, Any], *, size: int, style: StreamStyle) -> list[dict[str, Any]]:
    """The stream a server would send for a documented whole response, in ``style``: role
    first, content pieces, the chunk with finish_reason (carrying the response's
    ``final_chunk_fields``), then, with ``usage_chunk``, a usage-only chunk."""
    head = {k: response[k] for k in ("id", "created", "model")}
    head["object"] = "chat.completion.chunk"
    content = response["choices"][0]["message"]["content"]
    pieces = [content[i : i + size] for i in range(0, len(content), size)]
    out = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
    out += [{**head, "choices": [{"index": 0, "delta": {"content": piece}}]} for piece in pieces]
    last: dict[str, Any] = {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    out.append({**last, **{k: response[k] for k in style.final_chunk_fields if k in response}})
    if style.usage_chunk and "usage" in response:
        out.append({**head, "choices": [], "usage": response["usage"]})
    return out


def stream_body(api: str, response: dict[str, Any], size: int) -> bytes:
    """``chunks_of`` in the style of ``api``, framed, with ``[DONE]`` where that style ends so."""
    style = style_of(api)
    return frames(chunks_of(response, size=size, style=style), done=style.done)
