"""Each API's error table (tests/fixtures/<api>/errors.yaml), sync and async, whole and streamed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import respx

import chatcontract
from tests import specs

CASES = specs.error_cases()


def _ids(case: tuple[str, dict[str, Any]]) -> str:
    api, entry = case
    return f"{api}:{entry['status']}:{entry['error']}:{entry.get('code')}"


def _check(error: chatcontract.APIStatusError, entry: dict[str, Any]) -> None:
    assert type(error) is getattr(chatcontract, entry["error"])
    assert error.status_code == entry["status"]
    assert error.code == entry["code"]
    assert specs.API_KEY not in str(error)
    if "body" in entry:
        assert json.loads(error.body) == entry["body"]
    else:
        assert error.body == entry["text"].encode()


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_sync(case: tuple[str, dict[str, Any]]) -> None:
    api, entry = case
    exchange = next(e for e in specs.exchanges() if e.api == api)
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).respond(**specs.respond_with(entry, **{"x-request-id": "r-9"}))
        with pytest.raises(chatcontract.APIStatusError) as raised:
            specs.client(api).chat.completions.create(**exchange.request)
    _check(raised.value, entry)
    assert raised.value.request_id == "r-9"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_async_and_streamed(case: tuple[str, dict[str, Any]]) -> None:
    """A stream request that gets an error response raises the same error."""
    api, entry = case
    exchange = next(e for e in specs.exchanges() if e.api == api)

    async def main() -> None:
        async with specs.async_client(api) as client:
            for stream in (False, True):
                with pytest.raises(chatcontract.APIStatusError) as raised:
                    await client.chat.completions.create(**exchange.request, stream=stream)
                _check(raised.value, entry)

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(exchange.url).respond(**specs.respond_with(entry))
        asyncio.run(main())


def test_every_vendor_code_of_the_specs_is_in_a_table() -> None:
    """The code -> class tables of the specs are all exercised by the error tables."""
    tested = {(api, entry["code"]) for api, entry in CASES}
    for api in specs.CONFIG.specs:
        _, op = specs.operation(api)
        for code in op["x-errors"].get("codes", {}):
            assert (api, str(code)) in tested, f"{api}: vendor code {code} has no case"
