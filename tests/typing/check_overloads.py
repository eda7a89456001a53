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
    assert_type(
        stream, chatcontract.ChunkStream[minimax_models.ChatCompletionChunk, minimax_models.ChatCompletion]
    )
    for chunk in stream:
        assert_type(chunk, minimax_models.ChatCompletionChunk)
        assert_type(chunk.id, str | None)
        assert_type(chunk.model, str | None)
        assert_type(chunk.choices, list[minimax_models.ChunkChoice])
    g = evolink.chat.completions.create(model="gemini-3-pro-preview", messages=MESSAGES, stream=True)
    assert_type(g, chatcontract.ChunkStream[gemini.ChatCompletionChunk, gemini.ChatCompletion])
    whole = client.chat.completions.create(model="MiniMax-M2.7", messages=MESSAGES, stream=False)
    assert_type(whole, minimax_models.ChatCompletion)
    final = stream.get_final_completion()
    assert_type(final, minimax_models.ChatCompletion)
    for text in stream.text_deltas():
        assert_type(text, str)


def tool_calls_are_typed(client: chatcontract.MiniMax, evolink: chatcontract.Evolink) -> None:
    """specs/minimax.yaml: tools, tool_choice and tool_calls (MiniMax's function-call guide)."""
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    reply = client.chat.completions.create(
        model="MiniMax-M2.7", messages=MESSAGES, tools=[tool], tool_choice="auto"
    )
    calls = reply.choices[0].message.tool_calls
    assert_type(calls, list[minimax_models.ToolCall])
    assert_type(calls[0].function.arguments, str | None)  # lenient: a real server may omit it
    client.chat.completions.create(model="MiniMax-M2.7", messages=MESSAGES, tool_choice="required")  # type: ignore[call-overload]
    # the guide's next turn: the reply's message goes back into the history as it came
    history: list[minimax_models.AssistantMessage | dict[str, str]] = [*MESSAGES, reply.choices[0].message]
    history.append({"role": "tool", "tool_call_id": "c1", "content": "ok"})
    client.chat.completions.create(model="MiniMax-M2.7", messages=history, tools=[tool])
    stream = client.chat.completions.create(
        model="MiniMax-M2.7", messages=MESSAGES, tools=[tool], stream=True
    )
    for chunk in stream:
        delta = chunk.choices[0].delta
        if delta is not None:
            assert_type(delta.tool_calls, list[minimax_models.ToolCallDelta])
    # the evolink pages document no tools
    evolink.chat.completions.create(model="MiniMax-M2.5", messages=MESSAGES, tools=[tool])  # type: ignore[call-overload]


async def async_clients_are_typed(
    client: chatcontract.AsyncMiniMax, evolink: chatcontract.AsyncEvolink
) -> None:
    reply = await client.chat.completions.create(model="MiniMax-M2.5", messages=MESSAGES)
    assert_type(reply, minimax_models.ChatCompletion)
    stream = await evolink.chat.completions.create(model="MiniMax-M2.5", messages=MESSAGES, stream=True)
    assert_type(
        stream,
        chatcontract.AsyncChunkStream[evolink_minimax.ChatCompletionChunk, evolink_minimax.ChatCompletion],
    )
    async for chunk in stream:
        assert_type(chunk, evolink_minimax.ChatCompletionChunk)
    await evolink.chat.completions.create(model="MiniMax-M2.5", messages=MESSAGES, top_k=1)  # type: ignore[call-overload]
