"""Secrets: the key never shows; it never travels in clear text or over unverified TLS."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import respx

import chatcontract
from chatcontract.cli import main
from tests import specs

KEY = specs.API_KEY
EXCHANGE = next(e for e in specs.exchanges() if e.api == "minimax")


@pytest.mark.parametrize(
    "url",
    [
        "http://api.minimaxi.com",
        "http://10.0.0.5:8080",
        "http://example.com/v1",
        "http://[2001:db8::1]",
        "http://evillocalhost",  # ends in "localhost" but is not a subdomain of it
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
    ],
)
def test_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(chatcontract.InsecureTransportError, match="clear text"):
        chatcontract.MiniMax(api_key=KEY, base_url=url)
    assert chatcontract.MiniMax(api_key=KEY, base_url=url, allow_insecure=True).base_url == url


def test_http_from_the_environment_is_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVOLINK_BASE_URL", "http://evolink.example")
    with pytest.raises(chatcontract.InsecureTransportError):
        chatcontract.AsyncEvolink(api_key=KEY)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765/minimax",
        "http://localhost:1",
        "http://[::1]:2",
        "http://127.8.9.10",
        "http://api.localhost:8765",  # *.localhost is loopback (RFC 6761)
        "http://LOCALHOST",
        "https://x.y",
    ],
)
def test_https_and_loopback_are_fine(url: str) -> None:
    assert chatcontract.MiniMax(api_key=KEY, base_url=url).base_url == url


@pytest.mark.parametrize("url", ["ftp://host", "api.minimaxi.com", "https://", "https://user:pw@host"])
def test_malformed_base_urls_are_refused(url: str) -> None:
    with pytest.raises(chatcontract.InvalidArgumentError, match="base_url"):
        chatcontract.MiniMax(api_key=KEY, base_url=url)


def test_unverified_tls_client_is_refused() -> None:
    with httpx.Client(verify=False) as unverified, pytest.raises(chatcontract.InsecureTransportError):
        chatcontract.MiniMax(api_key=KEY, http_client=unverified)
    with httpx.Client(verify=False) as unverified:
        chatcontract.MiniMax(api_key=KEY, http_client=unverified, allow_insecure=True)
    with httpx.Client() as verified:
        chatcontract.MiniMax(api_key=KEY, http_client=verified)


def test_own_http_client_verifies_tls() -> None:
    import ssl

    client = chatcontract.MiniMax(api_key=KEY)
    assert client._http._transport._pool._ssl_context.verify_mode == ssl.CERT_REQUIRED  # type: ignore[attr-defined]


def test_own_async_transport_verifies_tls() -> None:
    """The async client's sharded transport makes its pools itself, on first use: each verifies."""
    import ssl

    from chatcontract.mock import MockServer

    async def main(base_url: str) -> list[Any]:
        async with chatcontract.AsyncMiniMax(api_key=KEY, base_url=base_url) as client:
            await client.chat.completions.create(**EXCHANGE.request)  # makes the first pool
            pools = [pool for pool in client._http._transport._pools if pool is not None]  # type: ignore[attr-defined]
            return [pool._pool._ssl_context for pool in pools]

    with MockServer(port=0) as server:
        contexts = asyncio.run(main(server.base_url("minimax")))
    assert contexts
    assert all(c.verify_mode == ssl.CERT_REQUIRED and c.check_hostname for c in contexts)


def test_key_never_in_reprs_errors_or_debug_logs(caplog: pytest.LogCaptureFixture, capsys: Any) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: chatcontract, httpx, httpcore
    seen: list[str] = []
    client = specs.client("minimax", max_retries=1)
    client._sleep = lambda seconds: None
    seen += [repr(client), str(client), repr(client._core.config), repr(client._core.config.api_key)]
    with respx.mock(assert_all_mocked=True) as router:
        route = router.post(EXCHANGE.url)
        route.side_effect = [httpx.Response(503), httpx.Response(200, json=EXCHANGE.response)]
        reply = client.chat.completions.create(**EXCHANGE.request)
        sent = route.calls.last.request
        seen += [repr(reply), str(reply), repr(sent), repr(sent.headers), str(sent.headers)]
        route.side_effect = [httpx.Response(401, json={"error": {"message": "nope"}})]
        with pytest.raises(chatcontract.AuthenticationError) as raised:
            client.chat.completions.create(**EXCHANGE.request)
        error = raised.value
        seen += [str(error), repr(error), repr(error.request), repr(error.response), repr(vars(error))]
        route.side_effect = [httpx.Response(200, json=EXCHANGE.response)]
        with pytest.raises(chatcontract.RequestValidationError) as invalid:
            client.chat.completions.create(model="MiniMax-M2.7", messages=[], temperature=0)
        seen += [str(invalid.value), repr(invalid.value.errors)]
    assert "retrying" in caplog.text and "POST https://api.minimaxi.com/v1/chat/completions" in caplog.text
    seen += [caplog.text, *capsys.readouterr()]
    assert all(KEY not in text for text in seen)
    assert sent.headers["Authorization"] == f"Bearer {KEY}"  # it was sent, just never shown


def test_async_reprs_hide_the_key() -> None:
    async def main() -> str:
        async with specs.async_client("evolink_minimax_m2_5") as client:
            return repr(client)

    assert KEY not in asyncio.run(main())


def test_cli_never_prints_the_key(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("MINIMAX_API_KEY", KEY)
    with respx.mock(assert_all_mocked=True) as router:
        router.post("http://127.0.0.1:9/v1/chat/completions").respond(
            401, json={"error": {"message": KEY[:4]}}
        )
        code = main(
            ["chat", "--api", "minimax", "--model", "MiniMax-M2.7", "hi", "--base-url", "http://127.0.0.1:9"]
        )
    out, err = capsys.readouterr()
    assert code == 5 and KEY not in out + err
    assert (
        main(
            ["chat", "--api", "minimax", "--model", "MiniMax-M2.7", "hi", "--base-url", "http://evil.example"]
        )
        == 16
    )
    assert "clear text" in capsys.readouterr().err


def test_the_unverified_tls_refusal_says_how_to_go_on() -> None:
    with (
        httpx.Client(verify=False) as unverified,
        pytest.raises(chatcontract.InsecureTransportError) as raised,
    ):
        chatcontract.MiniMax(api_key=KEY, http_client=unverified)
    assert str(raised.value) == (
        "the http_client does not verify TLS certificates (verify=False); "
        "pass allow_insecure=True to use it anyway"
    )


@pytest.mark.parametrize(
    "client",
    [
        object(),  # no transport at all
        SimpleNamespace(_transport=SimpleNamespace(_pool=None)),
        SimpleNamespace(_transport=SimpleNamespace(_pool=SimpleNamespace(_ssl_context="not a context"))),
    ],
    ids=["no-transport", "no-pool", "no-ssl-context"],
)
def test_a_client_whose_tls_settings_cannot_be_read_is_taken_as_it_is(client: Any) -> None:
    """The check reads httpx's internals as best it can: what it cannot read it lets pass."""
    from chatcontract._security import _ssl_context, check_http_client

    assert _ssl_context(client) is None
    check_http_client(client, allow_insecure=False)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("[::1]", True),
        ("::1", True),
        ("127.0.0.1", True),
        ("Localhost", True),
        ("Xlocalhost", False),
        ("[x]", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    from chatcontract._security import is_loopback

    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://x.y/", "https://x.y"),
        ("https://x.y/v1//", "https://x.y/v1"),
        ("https://x.y/X/", "https://x.y/X"),
        ("https://x.y/X", "https://x.y/X"),
    ],
)
def test_the_base_url_is_kept_without_trailing_slashes(url: str, kept: str) -> None:
    from chatcontract._security import check_base_url

    assert check_base_url(url, allow_insecure=False) == kept


@pytest.mark.parametrize("url", ["https://user@host", "https://:pw@host", "https://user:pw@host"])
def test_credentials_in_the_base_url_are_refused_saying_why(url: str) -> None:
    with pytest.raises(chatcontract.InvalidArgumentError) as raised:
        chatcontract.MiniMax(api_key=KEY, base_url=url)
    assert str(raised.value) == "base_url must not carry credentials; the API key is sent as a bearer token"


def test_the_clear_text_refusal_says_how_to_go_on() -> None:
    with pytest.raises(chatcontract.InsecureTransportError) as raised:
        chatcontract.MiniMax(api_key=KEY, base_url="http://example.com")
    assert str(raised.value) == (
        "refusing to send the API key in clear text to 'example.com' over http://; "
        "use https://, or pass allow_insecure=True if this network is trusted"
    )
