"""What the benchmark sends and what its server answers, rendered once.

The whole reply is MiniMax's documented example response. A streamed reply is ``n`` realistic
``chat.completion.chunk`` events (a first one with the role, content pieces of three characters
taken from the documented reply, a last one with ``finish_reason`` and usage), then
``data: [DONE]`` so that the openai SDK's decoder sees the end it expects.
"""

from __future__ import annotations

import json
from typing import Any, Final

MODEL: Final = "MiniMax-M2.7"
MESSAGES: list[dict[str, str]] = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "你好"},
]
API_KEY = "bench-key"
PIECE_CHARS = 3


def documented_reply() -> dict[str, Any]:
    from chatcontract._generated.minimax_endpoint import ENDPOINT

    # ``response_examples`` in current generated code, ``examples`` before it was split.
    examples = getattr(ENDPOINT, "response_examples", None) or getattr(ENDPOINT, "examples", {})
    reply: dict[str, Any] = examples["documented"]
    return reply


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def completion_body() -> bytes:
    return _dumps(documented_reply())


def chunk_events(count: int) -> list[bytes]:
    """``count`` SSE events (each ``data: {...}\\n\\n``), then the ``[DONE]`` event."""
    reply = documented_reply()
    head = {"id": reply["id"], "created": reply["created"], "model": reply["model"]}
    text = reply["choices"][0]["message"]["content"]
    pieces = [text[i : i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)]

    def chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        return {**head, "object": "chat.completion.chunk", "choices": [choice], **extra}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": pieces[i % len(pieces)]}) for i in range(max(count - 2, 0))]
    tail = {k: reply[k] for k in ("usage", "input_sensitive", "output_sensitive", "base_resp")}
    chunks.append(chunk({}, "stop", **tail))
    events = [b"data: " + _dumps(c) + b"\n\n" for c in chunks[:count]]
    return [*events, b"data: [DONE]\n\n"]
