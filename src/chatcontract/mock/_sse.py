"""Server-sent events built from a whole ``chat.completion``: ``data: <json>\\n\\n`` frames.

The assistant text is cut into small pieces of varying length (on character boundaries, so
multi-byte text stays intact; cuts fall inside ``<think>`` tags too, as with real servers).
Each piece is one ``chat.completion.chunk`` whose ``choices[0].delta`` carries it, the first
one with ``role``; each tool call follows as a piece with its ``id``, ``type`` and function
``name``, then its ``arguments`` in pieces (OpenAI's shape). A chunk with ``finish_reason``
follows, then what the spec's ``x-stream-style`` (``Endpoint.stream_style``) says: a usage-only chunk
and ``data: [DONE]`` (OpenAI style, evolink) or nothing more, the final chunk carrying usage,
``base_resp`` and the sensitivity flags (MiniMax).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from itertools import cycle
from typing import Any

from .._generated._protocol import StreamStyle

# Lengths (in characters) of consecutive pieces, repeated: short and uneven like tokens.
PIECE_LENGTHS: tuple[int, ...] = (3, 5, 2, 7, 4, 6, 1, 8)

DONE = b"data: [DONE]\n\n"


def encode(data: Any) -> bytes:
    """One ``data:`` frame holding ``data`` as compact UTF-8 JSON."""
    return b"data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n\n"


def split_text(text: str, lengths: Sequence[int] = PIECE_LENGTHS) -> list[str]:
    """``text`` cut into consecutive pieces of ``lengths`` characters (repeated); never empty."""
    if not text:
        return [text]
    pieces: list[str] = []
    start = 0
    for length in cycle(lengths):
        if start >= len(text):
            break
        pieces.append(text[start : start + length])
        start += length
    return pieces


def _chunk(response: Mapping[str, Any], choices: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": response["id"],
        "object": "chat.completion.chunk",
        "created": response["created"],
        "model": response["model"],
        "choices": choices,
    }


def _deltas(choice: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    message = choice.get("message") or {}
    content = message.get("content")
    role = message.get("role", "assistant")
    pieces: list[str | None] = [content] if content is None else list(split_text(content))
    index = choice.get("index", 0)
    for number, piece in enumerate(pieces):
        delta: dict[str, Any] = {"role": role} if number == 0 else {}
        if piece is not None:
            delta["content"] = piece
        yield {"index": index, "delta": delta, "finish_reason": None}
    for position, call in enumerate(message.get("tool_calls") or ()):
        function = call.get("function") or {}
        head = {"index": position, "id": call.get("id"), "type": call.get("type", "function")}
        head["function"] = {"name": function.get("name"), "arguments": ""}
        yield {"index": index, "delta": {"tool_calls": [head]}, "finish_reason": None}
        for piece in split_text(function.get("arguments") or ""):
            if piece:
                part = {"index": position, "function": {"arguments": piece}}
                yield {"index": index, "delta": {"tool_calls": [part]}, "finish_reason": None}


def chunks(response: Mapping[str, Any], style: StreamStyle) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects that stream ``response`` in ``style``."""
    out: list[dict[str, Any]] = []
    choices = response.get("choices") or []
    for choice in choices:
        out += [_chunk(response, [delta]) for delta in _deltas(choice)]
    final = _chunk(
        response,
        [
            {"index": choice.get("index", 0), "delta": {}, "finish_reason": choice.get("finish_reason")}
            for choice in choices
        ],
    )
    final.update({key: response[key] for key in style.final_chunk_fields if key in response})
    out.append(final)
    if style.usage_chunk and "usage" in response:
        out.append({**_chunk(response, []), "usage": response["usage"]})
    return out


def frames(response: Mapping[str, Any], style: StreamStyle) -> list[bytes]:
    """The whole event stream for ``response``: one frame per chunk, then ``[DONE]`` if the style has it."""
    out = [encode(chunk) for chunk in chunks(response, style)]
    if style.done:
        out.append(DONE)
    return out
