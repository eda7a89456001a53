"""Retries: what is retried, the backoff schedule (fake clock, no real sleeps), Retry-After."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import pytest
import respx

import chatcontract
from chatcontract import _retry
from tests import specs
from tests.sse import event_stream, frames

EXCHANGE = next(e for e in specs.exchanges() if e.api == "evolink_gemini_3_pro_preview")
CASES = specs.error_cases()


class FakeClock:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def _client(clock: FakeClock, max_retries: int = 2, api: str = EXCHANGE.api) -> Any:
    client = specs.client(api, max_retries=max_retries)
    client._sleep = clock.sleep
    client._core.rng = random.Random(7)
    return client


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}:{c[1]['status']}:{c[1].get('code')}")
def test_error_table_says_what_is_retried(case: tuple[str, dict[str, Any]]) -> None:
    api, entry = case
    exchange = next(e for e in specs.exchanges() if e.api == api)
    clock = FakeClock()
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(exchange.url).respond(**specs.respond_with(entry))
        with pytest.raises(chatcontract.APIStatusError):
            _client(clock, api=api).chat.completions.create(**exchange.request)
    assert route.call_count == (3 if entry["retried"] else 1)
    assert len(clock.sleeps) == (2 if entry["retried"] else 0)


def test_backoff_is_exponential_with_jitter() -> None:
    clock = FakeClock()
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(EXCHANGE.url).respond(503)
        with pytest.raises(chatcontract.InternalServerError):
            _client(clock, max_retries=6).chat.completions.create(**EXCHANGE.request)
    assert len(clock.sleeps) == 6
    for attempt, slept in enumerate(clock.sleeps):
        base = min(0.5 * 2**attempt, 8.0)
        assert 0.75 * base <= slept <= base
    assert clock.sleeps[-1] <= 8.0


def test_success_after_failures() -> None:
    clock = FakeClock()
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(EXCHANGE.url)
        route.side_effect = [
            httpx.ConnectError("refused"),
            httpx.Response(429),
            httpx.Response(200, json=EXCHANGE.response),
        ]
        reply = _client(clock).chat.completions.create(**EXCHANGE.request)
    assert reply.id == EXCHANGE.response["id"]
    assert route.call_count == 3 and len(clock.sleeps) == 2


def test_timeouts_are_retried_then_raised() -> None:
    clock = FakeClock()
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(EXCHANGE.url)
        route.side_effect = httpx.ReadTimeout("slow")
        with pytest.raises(chatcontract.APITimeoutError):
            _client(clock).chat.completions.create(**EXCHANGE.request)
    assert route.call_count == 3


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0"}, 0.0),  # "now": no backoff at all
        ({"retry-after-ms": "0"}, 0.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "200", "retry-after": "9"}, 0.2),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),  # in the past: ignored
        ({"retry-after": "soon"}, None),
    ],
)
def test_retry_after_is_honoured(headers: dict[str, str], expected: float | None) -> None:
    clock = FakeClock()
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(EXCHANGE.url).respond(429, headers=headers)
        with pytest.raises(chatcontract.RateLimitError):
            _client(clock, max_retries=1).chat.completions.create(**EXCHANGE.request)
    if expected is None:
        assert 0.375 <= clock.sleeps[0] <= 0.5
    else:
        assert clock.sleeps == [expected]


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "3600"}, 3600.0),
        ({"retry-after": "60.5"}, 60.5),
        ({"retry-after-ms": "90000"}, 90.0),
        ({"retry-after": "1e400"}, float("inf")),
    ],
)
def test_a_wait_over_a_minute_is_not_retried_and_is_in_the_error(
    headers: dict[str, str], seconds: float
) -> None:
    """As the openai SDK does: a server asking for more than a minute is not retried after a
    short backoff; the caller gets the error at once, with the wait it asked for."""
    clock = FakeClock()
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(EXCHANGE.url).respond(429, headers=headers)
        with pytest.raises(chatcontract.RateLimitError) as raised:
            _client(clock, max_retries=2).chat.completions.create(**EXCHANGE.request)
    assert route.call_count == 1 and clock.sleeps == []
    assert raised.value.retry_after == seconds
    assert (
        str(raised.value)
        == raised.value.message
        == (
            f"Error code: 429 - Too Many Requests (the server asks to retry after {seconds:g} s, "
            "more than the 60 s chatcontract waits: not retried)"
        )
    )


def test_a_wait_of_exactly_a_minute_is_waited() -> None:
    clock = FakeClock()
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(EXCHANGE.url).respond(429, headers={"retry-after": "60"})
        with pytest.raises(chatcontract.RateLimitError) as raised:
            _client(clock, max_retries=1).chat.completions.create(**EXCHANGE.request)
    assert clock.sleeps == [60.0]
    assert raised.value.retry_after == 60.0 and "asks to retry" not in str(raised.value)


def test_retry_after_is_kept_on_errors_that_are_never_retried() -> None:
    clock = FakeClock()
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(EXCHANGE.url).respond(401, headers={"retry-after": "5"})
        with pytest.raises(chatcontract.AuthenticationError) as raised:
            _client(clock).chat.completions.create(**EXCHANGE.request)
    assert raised.value.retry_after == 5.0 and clock.sleeps == []


def test_retry_after_http_date_in_the_future() -> None:
    request = httpx.Request("POST", EXCHANGE.url)
    response = httpx.Response(429, headers={"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"}, request=request)
    error = chatcontract.RateLimitError("x", response=response, body=b"")
    now = 1445412480.0  # 2015-10-21 07:28:00 GMT
    assert _retry.retry_after(error, now=now) == 30.0


def test_max_retries_zero_never_retries() -> None:
    clock = FakeClock()
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(EXCHANGE.url).respond(500)
        with pytest.raises(chatcontract.InternalServerError):
            _client(clock, max_retries=0).chat.completions.create(**EXCHANGE.request)
    assert route.call_count == 1 and clock.sleeps == []


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True])
def test_max_retries_that_is_no_count_is_refused(bad: Any) -> None:
    with pytest.raises(chatcontract.InvalidArgumentError, match="max_retries"):
        specs.client(EXCHANGE.api, max_retries=bad)


def test_default_is_two_retries() -> None:
    assert chatcontract.DEFAULT_MAX_RETRIES == 2
    assert chatcontract.MiniMax(api_key="k")._core.max_retries == 2


def test_stream_is_retried_before_it_starts_never_after() -> None:
    clock = FakeClock()
    head = {"id": "s", "created": 1, "model": "gemini-3-pro-preview", "object": "chat.completion.chunk"}
    body = frames([{**head, "choices": [{"index": 0, "delta": {"content": "a"}}]}], done=False)

    class DropsAfterFirst(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield body
            raise httpx.ReadError("reset")

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(EXCHANGE.url)
        route.side_effect = [
            httpx.Response(503),
            httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=DropsAfterFirst()),
            event_stream(body),
        ]
        stream = _client(clock).chat.completions.create(**EXCHANGE.request, stream=True)
        assert next(stream).choices[0].delta.content == "a"
        with pytest.raises(chatcontract.APIConnectionError):
            next(stream)
    assert route.call_count == 2 and len(clock.sleeps) == 1


def test_async_retries_use_the_async_sleep() -> None:
    clock = FakeClock()

    async def main() -> Any:
        client = specs.async_client(EXCHANGE.api, max_retries=2)
        client._sleep = clock.asleep
        async with client:
            return await client.chat.completions.create(**EXCHANGE.request)

    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        router.post(EXCHANGE.url).mock(
            side_effect=[httpx.Response(502), httpx.Response(200, json=EXCHANGE.response)]
        )
        reply = asyncio.run(main())
    assert reply.id == EXCHANGE.response["id"] and len(clock.sleeps) == 1


def _status_error(status: int, headers: dict[str, str] | None = None) -> chatcontract.APIStatusError:
    """The base class with any status: what ``is_retryable`` decides on when no subclass does."""
    response = httpx.Response(status, headers=headers, request=httpx.Request("POST", "https://x"))
    return chatcontract.APIStatusError("x", response=response, body=b"")


@pytest.mark.parametrize(
    ("status", "retried"),
    [(400, False), (408, True), (409, True), (429, True), (499, False), (500, True), (599, True)],
)
def test_is_retryable_by_status_alone(status: int, retried: bool) -> None:
    assert _retry.is_retryable(_status_error(status)) is retried


def test_an_error_without_a_response_asks_for_no_wait() -> None:
    error = chatcontract.APIConnectionError("down", request=httpx.Request("POST", "https://x"))
    assert _retry.retry_after(error) is None


def test_an_http_date_is_measured_from_now_by_default() -> None:
    import email.utils
    import time

    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    seconds = _retry.retry_after(_status_error(429, {"retry-after": when}))
    assert seconds is not None and 27 <= seconds <= 30


@pytest.mark.parametrize("attempt", [0, 1, 3])
def test_the_backoff_draws_its_jitter_from_the_given_generator(attempt: int) -> None:
    expected = _retry.backoff(attempt, random.Random(7))
    assert _retry.next_delay(attempt, 5, _status_error(503), random.Random(7)) == expected
