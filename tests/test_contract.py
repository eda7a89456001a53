"""Replay every documented exchange of every spec: what is sent and what is parsed.

Cases come from the specs' examples: adding an example adds a case.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx

from tests import specs

EXCHANGES = specs.exchanges()


@pytest.mark.parametrize("exchange", EXCHANGES, ids=str)
def test_documented_request_is_sent_exactly(exchange: specs.Exchange) -> None:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(exchange.url).respond(200, json=exchange.response)
        specs.client(exchange.api).chat.completions.create(**exchange.request)
    assert route.call_count == 1
    sent = route.calls.last.request
    assert str(sent.url) == exchange.url
    assert sent.method == "POST"
    assert sent.headers["Authorization"] == f"Bearer {specs.API_KEY}"
    assert sent.headers["Content-Type"] == "application/json"
    assert json.loads(sent.content) == exchange.request
    specs.check_against_spec(exchange.api, "request", json.loads(sent.content))


@pytest.mark.parametrize("exchange", EXCHANGES, ids=str)
def test_documented_response_round_trips(exchange: specs.Exchange) -> None:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).respond(200, json=exchange.response)
        client = specs.client(exchange.api, strict_responses=True)
        reply = client.chat.completions.create(**exchange.request)
    endpoint = next(e for e in client._api.endpoints if e.name == exchange.api)
    assert type(reply) is endpoint.response_model
    dumped = reply.model_dump(mode="json", exclude_unset=True, by_alias=True)
    assert dumped == exchange.response
    specs.check_against_spec(exchange.api, "response", dumped)


def test_base_url_replaces_the_documented_server() -> None:
    exchange = EXCHANGES[0]
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post("http://127.0.0.1:9/prefix/v1/chat/completions").respond(
            200, json=exchange.response
        )
        specs.client(exchange.api, base_url="http://127.0.0.1:9/prefix/").chat.completions.create(
            **exchange.request
        )
    assert route.call_count == 1


def test_http_client_is_used_as_given() -> None:
    exchange = EXCHANGES[0]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=exchange.response)

    with httpx.Client(transport=httpx.MockTransport(handler), headers={"X-Team": "a"}) as http:
        specs.client(exchange.api, http_client=http).chat.completions.create(**exchange.request)
    assert [str(r.url) for r in seen] == [exchange.url]
    assert seen[0].headers["X-Team"] == "a"


@pytest.mark.parametrize("exchange", EXCHANGES, ids=str)
def test_async_client_replays_the_same_exchange(exchange: specs.Exchange) -> None:
    async def main() -> Any:
        async with specs.async_client(exchange.api, strict_responses=True) as client:
            return await client.chat.completions.create(**exchange.request)

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(exchange.url).respond(200, json=exchange.response)
        reply = asyncio.run(main())
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == f"Bearer {specs.API_KEY}"
    assert json.loads(sent.content) == exchange.request
    assert reply.model_dump(mode="json", exclude_unset=True, by_alias=True) == exchange.response
