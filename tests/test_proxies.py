"""The proxy environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY), honoured as httpx does.

The async client brings its own transport, which httpx does not give the environment's proxies
to; these tests go through a small proxy on 127.0.0.1 that records every request it is asked
to carry: an HTTP forward proxy for http:// (to the mock server), and a CONNECT that it refuses
for https:// (the CONNECT line is the proof; no TLS is needed for it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import chatcontract
from chatcontract._proxies import environment_proxies
from chatcontract.mock import MockServer
from tests import specs

EXCHANGE = next(e for e in specs.exchanges() if e.api == "minimax")
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "REQUEST_METHOD")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(port=0) as running:
        yield running


class RecordingProxy:
    """An HTTP/1.1 proxy on 127.0.0.1: forwards absolute-form requests, refuses CONNECT."""

    def __init__(self) -> None:
        self.seen: list[str] = []  # each request line it was sent
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> RecordingProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            line, *header_lines = head.split("\r\n")[:-2]
            self.seen.append(line)
            method, target, _ = line.split(" ")
            if method == "CONNECT":
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            headers = [h for h in header_lines if not h.lower().startswith(("connection:", "proxy-"))]
            length = next(
                (int(h.split(":")[1]) for h in headers if h.lower().startswith("content-length:")), 0
            )
            body = await reader.readexactly(length)
            url = httpx.URL(target)
            upstream_reader, upstream = await asyncio.open_connection(url.host, url.port)
            request = f"{method} {url.raw_path.decode()} HTTP/1.1\r\n" + "\r\n".join(headers)
            upstream.write(request.encode("latin-1") + b"\r\nConnection: close\r\n\r\n" + body)
            writer.write(await upstream_reader.read())  # until the server closes: the whole reply
            upstream.close()
        finally:
            writer.close()


def test_http_proxy_carries_the_async_clients_requests(
    server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> tuple[list[str], Any]:
        async with RecordingProxy() as proxy:
            monkeypatch.setenv("HTTP_PROXY", proxy.url)
            async with chatcontract.AsyncMiniMax(api_key="k", base_url=server.base_url("minimax")) as client:
                reply = await client.chat.completions.create(**EXCHANGE.request)
            return proxy.seen, reply

    seen, reply = asyncio.run(main())
    assert reply.choices[0].message.content
    assert seen == [f"POST {server.base_url('minimax')}/v1/chat/completions HTTP/1.1"]


def test_https_proxy_is_asked_to_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> list[str]:
        async with RecordingProxy() as proxy:
            monkeypatch.setenv("HTTPS_PROXY", proxy.url)
            async with chatcontract.AsyncMiniMax(
                api_key="k", base_url="https://api.example.test", max_retries=0
            ) as client:
                with pytest.raises(chatcontract.APIConnectionError):
                    await client.chat.completions.create(**EXCHANGE.request)
            return proxy.seen

    assert asyncio.run(main()) == ["CONNECT api.example.test:443 HTTP/1.1"]


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "*", "localhost,127.0.0.1", "http://127.0.0.1"])
def test_no_proxy_hosts_go_direct(server: MockServer, monkeypatch: pytest.MonkeyPatch, no_proxy: str) -> None:
    async def main() -> list[str]:
        async with RecordingProxy() as proxy:
            monkeypatch.setenv("ALL_PROXY", proxy.url)
            monkeypatch.setenv("NO_PROXY", no_proxy)
            async with chatcontract.AsyncMiniMax(api_key="k", base_url=server.base_url("minimax")) as client:
                assert (await client.chat.completions.create(**EXCHANGE.request)).choices
            return proxy.seen

    assert asyncio.run(main()) == []


ENVIRONMENTS = [
    ({}, {}),
    ({"HTTP_PROXY": "proxy:3128"}, {"http://": "http://proxy:3128"}),
    (
        {"HTTPS_PROXY": "https://p:1", "ALL_PROXY": "socks5://s:2"},
        {"https://": "https://p:1", "all://": "socks5://s:2"},
    ),
    (
        {
            "HTTP_PROXY": "http://p:1",
            "NO_PROXY": "localhost, .internal,example.com,10.0.0.0/8,::1,https://x.y",
        },
        {
            "http://": "http://p:1",
            "all://localhost": None,
            "all://*.internal": None,
            "all://*example.com": None,
            "all://10.0.0.0/8": None,
            "all://[::1]": None,
            "https://x.y": None,
        },
    ),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "a.b,*"}, {}),
]


@pytest.mark.parametrize(("environment", "expected"), ENVIRONMENTS)
def test_environment_proxies_match_httpx(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: dict[str, str | None]
) -> None:
    from httpx._utils import get_environment_proxies  # httpx's own reading, as the reference

    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert environment_proxies() == expected == get_environment_proxies()


def test_an_injected_http_client_keeps_its_own_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    http = httpx.AsyncClient(trust_env=False)
    client = chatcontract.AsyncMiniMax(api_key="k", http_client=http)
    assert client._http is http and not http._mounts
    asyncio.run(http.aclose())
