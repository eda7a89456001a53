"""The mock as a real upstream (``Upstream``): latency, rate limits in each vendor's format, failures."""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import time
from typing import Any

import httpx
import pytest

import chatcontract
from chatcontract.mock import MockServer, Upstream
from chatcontract.mock._apis import APIS
from chatcontract.mock._app import App
from tests import specs

AUTH = {"Authorization": "Bearer k"}


def _request(api: str) -> dict[str, Any]:
    return next(e for e in specs.exchanges() if e.api == api).request


def test_latency_delays_every_answer() -> None:
    with MockServer(upstream=Upstream(latency_ms=150)) as server, httpx.Client(base_url=server.url) as web:
        started = time.monotonic()
        answer = web.post("/minimax/v1/chat/completions", json=_request("minimax"), headers=AUTH)
        elapsed = time.monotonic() - started
    assert answer.status_code == 200 and elapsed >= 0.15


def test_a_stream_is_paced_like_a_model_writing_it() -> None:
    """Headers at once, the first event after ``ttft_ms``, then one every ``chunk_interval_ms``."""
    request = {**_request("minimax"), "stream": True}
    upstream = Upstream(ttft_ms=300, chunk_interval_ms=25)
    with MockServer(upstream=upstream) as server, httpx.Client(base_url=server.url) as web:
        started = time.monotonic()
        with web.stream("POST", "/minimax/v1/chat/completions", json=request, headers=AUTH) as answer:
            headers_at = time.monotonic() - started
            arrivals = [
                time.monotonic() - started for line in answer.iter_lines() if line.startswith("data:")
            ]
    assert answer.status_code == 200 and len(arrivals) > 3
    assert headers_at < 0.3 <= arrivals[0]
    assert all(later - earlier >= 0.02 for earlier, later in itertools.pairwise(arrivals))


def test_minimax_is_rate_limited_its_own_way_with_http_200() -> None:
    upstream = Upstream(rpm=2)
    with MockServer(upstream=upstream) as server, httpx.Client(base_url=server.url) as web:
        codes = [
            web.post("/minimax/v1/chat/completions", json=_request("minimax"), headers=AUTH).json()
            for _ in range(3)
        ]
        client = chatcontract.MiniMax(api_key="k", base_url=server.base_url("minimax"), max_retries=0)
        with client, pytest.raises(chatcontract.RateLimitError) as caught:
            client.chat.completions.create(**_request("minimax"))
    assert [c["base_resp"]["status_code"] for c in codes] == [0, 0, 1002]
    assert codes[2]["choices"] is None and caught.value.code == "1002"
    assert upstream.limited == 2  # refusals do not count against the window


def test_minimax_can_answer_a_rate_limit_with_429() -> None:
    with (
        MockServer(upstream=Upstream(rpm=1, rate_limit_http=429)) as server,
        httpx.Client(base_url=server.url) as web,
    ):
        web.post("/minimax/v1/chat/completions", json=_request("minimax"), headers=AUTH)
        refused = web.post("/minimax/v1/chat/completions", json=_request("minimax"), headers=AUTH)
    assert refused.status_code == 429 and refused.json()["error"]["message"].endswith("(1002)")
    assert 1 <= int(refused.headers["Retry-After"]) <= 61


def test_evolink_is_rate_limited_openai_style() -> None:
    request = _request("evolink_minimax_m2_5")
    with (
        MockServer(upstream=Upstream(rpm=1)) as server,
        chatcontract.Evolink(api_key="k", base_url=server.base_url("evolink"), max_retries=0) as client,
    ):
        client.chat.completions.create(**request)
        with pytest.raises(chatcontract.RateLimitError) as caught:
            client.chat.completions.create(**request)
    assert caught.value.status_code == 429 and caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["Retry-After"]


def test_tokens_per_minute_count_the_usage_answered() -> None:
    usage = next(e for e in specs.exchanges() if e.api == "minimax").response["usage"]["total_tokens"]
    with MockServer(upstream=Upstream(tpm=usage * 2)) as server, httpx.Client(base_url=server.url) as web:
        answers = [
            web.post("/minimax/v1/chat/completions", json=_request("minimax"), headers=AUTH).json()
            for _ in range(3)
        ]
    assert [a["base_resp"]["status_code"] for a in answers] == [0, 0, 1002]


def test_failures_are_500s_in_the_vendor_format() -> None:
    upstream = Upstream(fail_rate=1.0)
    with (
        MockServer(upstream=upstream) as server,
        chatcontract.MiniMax(api_key="k", base_url=server.base_url("minimax"), max_retries=0) as client,
        pytest.raises(chatcontract.InternalServerError, match="simulated"),
    ):
        client.chat.completions.create(**_request("minimax"))
    assert upstream.failed == 1


def test_off_by_default_and_nonsense_refused() -> None:
    assert not Upstream().active
    with pytest.raises(ValueError, match="fail_rate"):
        Upstream(fail_rate=2)
    with pytest.raises(ValueError, match="rate_limit_http"):
        Upstream(rate_limit_http=503)
    with pytest.raises(ValueError, match="must not be negative"):
        Upstream(ttft_ms=-1)
    with pytest.raises(ValueError, match="must not be negative"):
        Upstream(chunk_interval_ms=-1)
    assert Upstream().pacing() == (0.0, 0.0) and Upstream(ttft_ms=250, chunk_interval_ms=10).pacing() == (
        0.25,
        0.01,
    )


def test_without_a_rate_limit_code_in_the_template_the_refusal_is_a_429() -> None:
    """A success code the client could not classify would be no rate limit to it: HTTP 429 then."""
    minimax = APIS["minimax"]
    template = dataclasses.replace(minimax.error_template, codes={"authentication": 1004})
    app = App({"minimax": dataclasses.replace(minimax, error_template=template)}, Upstream(rpm=1))
    body = json.dumps(_request("minimax")).encode()
    headers = {
        "authorization": "Bearer k",
        "content-type": "application/json",
        "content-length": str(len(body)),
    }
    answers = [
        app.answer("POST", "/minimax/v1/chat/completions", headers, io.BytesIO(body).read) for _ in range(2)
    ]
    assert [a.status for a in answers] == [200, 429]
    assert "Retry-After" in answers[1].headers
