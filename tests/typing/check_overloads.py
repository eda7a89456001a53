"""Checked by mypy (``make typecheck``), never run: what a type checker sees of the clients.

An ``assert_type`` that stops holding, or a ``type: ignore`` that is no longer needed
(strict mode warns on unused ignores), fails the type check.
"""

from __future__ import annotations

from typing_extensions import assert_type

import chatcontract
from chatcontract._generated import evolink_gemini_3_pro_preview_models as gemini
from chatcontract._generated import evolink_minimax_m2_5_models as evolink_minimax
from chatcontract._generated import minimax_models

MESSAGES = [{"role": "user", "content": "hi"}]


def evolink_model_picks_the_response_type(client: chatcontract.Evolink) -> None:
    g = client.chat.completions.create(model="gemini-3-pro-preview", messages=MESSAGES, top_k=40)
    assert_type(g, gemini.ChatCompletion)
    m = client.chat.completions.create(model="MiniMax-M2.5", messages=MESSAGES, enable_search=True)
    assert_type(m, evolink_minimax.ChatCompletion)


def evolink_parameters_follow_the_model(client: chatcontract.Evolink) -> None:
    client.chat.completions.create(model="MiniMax-M2.5", messages=MESSAGES, top_k=40)  # type: ignore[call-overload]
    client.chat.completions.create(model="gemini-3-pro-preview", messages=MESSAGES, enable_search=True)  # type: ignore[call-overload]
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # type: ignore[call-overload]


def minimax_is_typed(client: chatcontract.MiniMax) -> None:
    reply = client.chat.completions.create(model="MiniMax-M2.7", messages=MESSAGES, temperature=0.5)
    assert_type(reply, minimax_models.ChatCompletion)
    assert_type(reply.choices[0].message.content, str | None)
    # Lenient reading (specs: the ChatCompletion x-transcription-note): scalars may be absent,
    # arrays and a choice's message are always there.
    assert_type(reply.id, str | None)
    assert_type(reply.created, int | None)
    assert_type(reply.choices, list[minimax_models.Choice])
    assert_type(reply.choices[0].message, minimax_models.AssistantMessage)
    assert_type(reply.choices[0].index, int | None)
    client.chat.completions.create(model="MiniMax-M3", messages=MESSAGES)  # type: ignore[call-overload]
    client.chat.completions.create(model="MiniMax-M2.7", messages=MESSAGES, top_k=1)  # type: ignore[call-overload]


def streams_are_typed(client: chatcontract.MiniMax, evolink: chatcontract.Evolink) -> None:
    stream = client.chat.completions.create(model="MiniMax-M2.7", messages=MESSAGES, stream=True)
    assert_type(stream, chatcontract.ChunkStream[minimax_models.ChatCompletionChunk])
    for chunk in stream:
        assert_type(chunk, minimax_models.ChatCompletionChunk)
        assert_type(chunk.id, str | None)
        assert_type(chunk.model, str | None)
        assert_type(chunk.choices, list[minimax_models.ChunkChoice])
    g = evolink.chat.completions.create(model="gemini-3-pro-preview", messages=MESSAGES, stream=True)
    assert_type(g, chatcontract.ChunkStream[gemini.ChatCompletionChunk])
    whole = client.chat.completions.create(model="MiniMax-M2.7", messages=MESSAGES, stream=False)
    assert_type(whole, minimax_models.ChatCompletion)


async def async_clients_are_typed(
    client: chatcontract.AsyncMiniMax, evolink: chatcontract.AsyncEvolink
) -> None:
    reply = await client.chat.completions.create(model="MiniMax-M2.5", messages=MESSAGES)
    assert_type(reply, minimax_models.ChatCompletion)
    stream = await evolink.chat.completions.create(model="MiniMax-M2.5", messages=MESSAGES, stream=True)
    assert_type(stream, chatcontract.AsyncChunkStream[evolink_minimax.ChatCompletionChunk])
    async for chunk in stream:
        assert_type(chunk, evolink_minimax.ChatCompletionChunk)
    await evolink.chat.completions.create(model="MiniMax-M2.5", messages=MESSAGES, top_k=1)  # type: ignore[call-overload]
