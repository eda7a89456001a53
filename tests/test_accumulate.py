"""Stream accumulation: ``get_final_completion()`` returns what a non-streamed call would.

The documented replies of every spec are streamed as their vendor streams them (tests/sse.py),
one byte per network read, and the accumulated reply must equal the whole one in content,
reasoning, finish_reason and usage. Shapes from real servers are in tests/fixtures/real_world/.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import respx

import chatcontract
from chatcontract._accumulate import accumulate
from tests import specs
from tests.sse import event_stream, frames, stream_body

EXCHANGES = specs.exchanges()


def _stream_body(exchange: specs.Exchange) -> bytes:
    return stream_body(exchange.api, exchange.response, 3)


def _final(api: str, request: dict[str, Any], url: str, body: bytes, *, use_async: bool) -> Any:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(url).mock(return_value=event_stream(body, 1))
        if not use_async:
            with specs.client(api).chat.completions.create(**request, stream=True) as stream:
                return stream.get_final_completion()

        async def run() -> Any:
            async with specs.async_client(api) as client:
                stream = await client.chat.completions.create(**request, stream=True)
                async with stream:
                    return await stream.get_final_completion()

        return asyncio.run(run())


def test_text_deltas_skip_empty_and_missing_deltas_sync_and_async() -> None:
    exchange = next(e for e in EXCHANGES if e.api == "minimax")
    head = {"id": "s", "object": "chat.completion.chunk"}
    body = frames(
        [
            {**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
            {**head, "choices": [{"index": 0, "delta": {"content": "Hi"}}, {"index": 1, "delta": None}]},
            {**head, "choices": [{"index": 0, "finish_reason": "stop"}]},
            {**head, "choices": [{"index": 0, "delta": {"content": " there"}}]},
        ],
        done=False,
    )

    async def main() -> list[str]:
        async with specs.async_client("minimax") as client:
            stream = await client.chat.completions.create(**exchange.request, stream=True)
            async with stream:
                return [text async for text in stream.text_deltas()]

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).mock(side_effect=lambda request: event_stream(body, 5))
        assert asyncio.run(main()) == ["Hi", " there"]
        with specs.client("minimax").chat.completions.create(**exchange.request, stream=True) as stream:
            assert list(stream.text_deltas()) == ["Hi", " there"]


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("exchange", EXCHANGES, ids=str)
def test_final_completion_equals_the_whole_reply(exchange: specs.Exchange, use_async: bool) -> None:
    final = _final(exchange.api, exchange.request, exchange.url, _stream_body(exchange), use_async=use_async)
    whole = specs.client_class(exchange.api)  # the type of the non-streamed reply
    endpoint = next(e for e in whole._api.endpoints if exchange.request["model"] in e.models)
    assert isinstance(final, endpoint.response_model)
    expected = exchange.response
    assert final.id == expected["id"] and final.model == expected["model"]
    assert final.object == "chat.completion"
    assert final.choices[0].message.content == expected["choices"][0]["message"]["content"]
    assert final.choices[0].message.role == "assistant"
    assert final.choices[0].finish_reason == expected["choices"][0]["finish_reason"]
    assert final.usage.model_dump(mode="json", exclude_unset=True) == expected["usage"]
    assert chatcontract.split_reasoning(final) == chatcontract.split_reasoning(
        endpoint.response_model.model_validate(expected)
    )


def test_placeholder_usage_never_wins_and_first_ids_stay() -> None:
    model = specs.client_class("minimax")._api.endpoints[0]
    head = {"object": "chat.completion.chunk", "created": 1}
    placeholder = {"total_tokens": 0, "total_characters": 0}
    chunks = [
        {**head, "choices": [{"index": 0, "delta": {"role": "", "content": "Hel"}}], "usage": placeholder},
        {**head, "id": "a", "model": "MiniMax-M2.7", "choices": [{"delta": {"content": "lo"}}]},
        {
            **head,
            "id": "b",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "usage": {"total_tokens": 9, "prompt_tokens": 4, "completion_tokens": 5},
        },
        {**head, "choices": [], "usage": placeholder},
    ]
    parsed = [model.chunk_model.model_validate(chunk) for chunk in chunks]
    final = accumulate(parsed, model.response_model)
    assert final.choices[0].message.content == "Hello"
    assert final.choices[0].message.role == "assistant"  # MiniMax's "" is no role
    assert final.usage.total_tokens == 9 and final.id == "a" and final.model == "MiniMax-M2.7"


def test_tool_calls_are_put_back_together() -> None:
    """Pieces of arguments join by index; MiniMax's two calls at index 0 stay two calls."""
    model = specs.client_class("minimax")._api.endpoints[0]

    def call(**fields: Any) -> Any:
        return {"id": "x", "choices": [{"index": 0, "delta": {"tool_calls": [fields]}}]}

    chunks = [
        call(index=0, id="call_1", type="function", function={"name": "get_weather", "arguments": ""}),
        call(index=0, function={"arguments": '{"city": '}),
        call(index=0, function={"arguments": '"Paris"}'}),
        call(index=0, id="call_2", type="function", function={"name": "get_time", "arguments": '{"tz"'}),
        call(index=0, id="call_2", function={"arguments": ': "CET"}'}),
        {"id": "x", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    final = chatcontract.accumulate([model.chunk_model.model_validate(c) for c in chunks])
    assert isinstance(final, model.response_model)  # the chunks' own API's reply model
    calls = final.choices[0].message.tool_calls  # typed: ToolCall / FunctionCall models
    assert [(c.id, c.type, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("call_1", "function", "get_weather", {"city": "Paris"}),
        ("call_2", "function", "get_time", {"tz": "CET"}),
    ]
    assert final.choices[0].finish_reason == "tool_calls"
    assert final.choices[0].message.content is None


def test_accumulate_needs_a_model_when_there_is_no_chunk() -> None:
    model = specs.client_class("minimax")._api.endpoints[0]
    with pytest.raises(chatcontract.InvalidArgumentError, match="response_model"):
        chatcontract.accumulate([])
    assert chatcontract.accumulate([], model.response_model).choices == []


def test_a_whole_message_in_the_last_frame_is_the_final_word() -> None:
    model = specs.client_class("minimax")._api.endpoints[0]
    chunks = [
        {"id": "x", "choices": [{"index": 0, "delta": {"content": "Hi th"}}]},
        {
            "id": "x",
            "object": "chat.completion",
            "base_resp": {"status_code": 0, "status_msg": ""},
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "Hi there"}, "finish_reason": "stop"}
            ],
        },
    ]
    final = accumulate([model.chunk_model.model_validate(c) for c in chunks], model.response_model)
    assert final.choices[0].message.content == "Hi there"
    assert final.base_resp.status_code == 0


def test_text_deltas_and_final_completion_share_one_read() -> None:
    exchange = next(e for e in EXCHANGES if e.api == "minimax")
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).mock(return_value=event_stream(_stream_body(exchange), 7))
        with specs.client("minimax").chat.completions.create(**exchange.request, stream=True) as stream:
            texts = list(stream.text_deltas())
            final = stream.get_final_completion()
    assert "".join(texts) == exchange.response["choices"][0]["message"]["content"]
    assert final.choices[0].message.content == "".join(texts)


@pytest.mark.parametrize(
    "texts",
    [["Plan ", "the ", "answer"], ["Plan ", "Plan the ", "Plan the answer"]],
    ids=["incremental", "cumulative"],
)
def test_reasoning_details_join_whether_sent_in_pieces_or_repeated(texts: list[str]) -> None:
    """MiniMax's reasoning_split example repeats the text so far; other servers send only the new part."""
    model = specs.client_class("minimax")._api.endpoints[0]
    detail = {"type": "reasoning.text", "id": "reasoning-text-1", "format": "MiniMax-response-v1", "index": 0}
    chunks = [
        {"id": "x", "choices": [{"index": 0, "delta": {"reasoning_details": [{**detail, "text": t}]}}]}
        for t in texts
    ] + [{"id": "x", "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]}]
    final: Any = accumulate([model.chunk_model.model_validate(c) for c in chunks], model.response_model)
    details = final.choices[0].message.model_dump(mode="json")["reasoning_details"]
    assert [d["text"] for d in details] == ["Plan the answer"]
    assert chatcontract.split_reasoning(final) == chatcontract.Reasoning("Plan the answer", "Hi")
    splitter = chatcontract.ThinkSplitter()
    parsed: list[Any] = [model.chunk_model.model_validate(c) for c in chunks]
    streamed = [splitter.feed(chunk.choices[0].delta) for chunk in parsed]
    assert "".join(p.reasoning for p in streamed) == "Plan the answer"
    assert "".join(p.answer for p in streamed) == "Hi"
