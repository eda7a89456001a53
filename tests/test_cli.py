"""``chatcontract chat`` and ``chatcontract demo``: output, exit codes, and no key ever printed."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import httpx
import pytest
import respx

from chatcontract.cli import main
from chatcontract.cli._demo import runs
from chatcontract.cli._exit_codes import EXIT_CODES
from chatcontract.mock import MockServer
from tests import specs

KEY = specs.API_KEY
BASE = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def server() -> Any:
    with MockServer() as running:
        yield running


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_API_KEY", KEY)
    monkeypatch.setenv("EVOLINK_API_KEY", KEY)


@pytest.mark.usefixtures("keys")
@pytest.mark.parametrize("stream", [[], ["--stream"]], ids=["whole", "streamed"])
def test_chat_prints_reasoning_answer_and_usage(server: MockServer, stream: list[str], capsys: Any) -> None:
    code = main(
        [
            "chat",
            "--api",
            "minimax",
            "--model",
            "MiniMax-M2.7",
            "你好",
            "--base-url",
            server.base_url("minimax"),
            *stream,
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == (
        "[reasoning]\n用户用中文打招呼,我应该用中文回应。\n[answer]\n你好!有什么我可以帮助你的吗?\n"
        "[usage] tokens: prompt 22, completion 21, total 43\n"
    )


@pytest.mark.usefixtures("keys")
def test_documented_parameters_become_options(server: MockServer, capsys: Any) -> None:
    base = ["chat", "--api", "evolink", "--base-url", server.base_url("evolink"), "hi"]
    assert main([*base, "--model", "gemini-3-pro-preview", "--temperature", "1.5", "--top-k", "40"]) == 0
    assert main([*base, "--model", "MiniMax-M2.5", "--enable-search", "--search-options", '{"a": 1}']) == 0
    assert main([*base, "--model", "MiniMax-M2.5", "--temperature", "1.5"]) == 4
    assert "temperature: must be a number with 0 < x <= 1" in capsys.readouterr().err
    assert main([*base, "--model", "MiniMax-M2.5", "--top-k", "4"]) == 4


def _run(route_effect: Any, capsys: Any, *extra: str) -> tuple[int, str]:
    with respx.mock(assert_all_mocked=True) as router:
        route = router.post(f"{BASE}/v1/chat/completions")
        route.side_effect = route_effect
        code = main(
            [
                "chat",
                "--api",
                "minimax",
                "--model",
                "MiniMax-M2.7",
                "hi",
                "--base-url",
                BASE,
                "--max-retries",
                "0",
                *extra,
            ]
        )
    out, err = capsys.readouterr()
    assert KEY not in out + err
    return code, err


CASES = [
    (httpx.Response(400, json={"type": "error", "error": {"message": "bad (2013)"}}), "BadRequestError"),
    (httpx.Response(401, json={"error": {"message": "login fail (1004)"}}), "AuthenticationError"),
    (httpx.Response(402), "InsufficientBalanceError"),
    (httpx.Response(403), "PermissionDeniedError"),
    (httpx.Response(404), "NotFoundError"),
    (httpx.Response(429), "RateLimitError"),
    (httpx.Response(500), "InternalServerError"),
    (httpx.Response(418), "APIStatusError"),
    (httpx.ReadTimeout("slow"), "APITimeoutError"),
    (httpx.ConnectError("refused"), "APIConnectionError"),
    (httpx.Response(200, text="<html>"), "APIResponseValidationError"),
]


@pytest.mark.usefixtures("keys")
@pytest.mark.parametrize(("effect", "name"), CASES, ids=[c[1] for c in CASES])
def test_each_error_class_has_its_exit_code(effect: Any, name: str, capsys: Any) -> None:
    code, err = _run(effect, capsys)
    expected = next(c for cls, c, _ in EXIT_CODES if cls.__name__ == name)
    assert code == expected
    assert f"error: {name}:" in err


@pytest.mark.usefixtures("keys")
@pytest.mark.parametrize(
    ("options", "name", "says"),
    [
        (
            ["--base-url", "api.minimaxi.com"],
            "InvalidArgumentError",
            "base_url must be an http:// or https://",
        ),
        (["--base-url", "https://user:pw@host"], "InvalidArgumentError", "must not carry credentials"),
        (["--max-retries", "-1"], "InvalidArgumentError", "max_retries must be an integer >= 0"),
        (["--base-url", "http://evil.example"], "InsecureTransportError", "clear text"),
    ],
    ids=["no-scheme", "credentials", "negative-retries", "http-elsewhere"],
)
def test_bad_settings_exit_with_their_code_and_one_line(
    options: list[str], name: str, says: str, capsys: Any
) -> None:
    code = main(["chat", "--api", "minimax", "--model", "MiniMax-M2.7", "hi", *options])
    out, err = capsys.readouterr()
    assert code == next(c for cls, c, _ in EXIT_CODES if cls.__name__ == name)
    error_lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(error_lines) == 1 and error_lines[0].startswith(f"error: {name}: ") and says in error_lines[0]
    assert "Traceback" not in err and KEY not in out + err


def test_exit_codes_are_distinct() -> None:
    codes = [code for _, code, _ in EXIT_CODES]
    assert len(codes) == len(set(codes)) and 0 not in codes and 1 not in codes and 2 not in codes


@pytest.mark.usefixtures("keys")
def test_401_says_which_variable(capsys: Any) -> None:
    code, err = _run(httpx.Response(401), capsys)
    assert code == 5 and "check MINIMAX_API_KEY" in err


def test_missing_key_names_the_variable(capsys: Any) -> None:
    assert main(["chat", "--api", "evolink", "--model", "MiniMax-M2.5", "hi"]) == 3
    assert "EVOLINK_API_KEY" in capsys.readouterr().err


def test_usage_errors() -> None:
    assert main([]) == 2
    assert main(["nope"]) == 2
    assert main(["--help"]) == 0


def test_demo_runs_every_documented_api_on_the_mock() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINIMAX_", "EVOLINK_"))}
    done = subprocess.run(
        [sys.executable, "-m", "chatcontract", "demo"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "using the local mock server" in done.stdout
    assert done.stdout.count("$ chatcontract chat") == 2 * len(runs()) == 2 * len(specs.CONFIG.specs)
    total = 2 * len(runs()) + 1  # each documented example whole and streamed, then the batch
    assert f"demo: {total} of {total} runs succeeded" in done.stdout
    assert "你好!有什么我可以帮助你的吗?" in done.stdout
    # then a small throttled batch on the mock, its refused line shown
    assert "$ chatcontract batch" in done.stdout and "36 succeeded, 0 failed, 1 invalid" in done.stdout
    assert '"custom_id": "no-messages", "field": "body.messages"' in done.stdout


def test_plugin_fixtures(minimax_client: Any, chatcontract_clients: Any) -> None:
    """The pytest plugin shipped for users' own tests."""
    reply = minimax_client.chat.completions.create(
        model="MiniMax-M2.1", messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.model == "MiniMax-M2.1"
    with chatcontract_clients.evolink(strict_responses=True) as evolink:
        gemini = evolink.chat.completions.create(
            model="gemini-3-pro-preview", messages=[{"role": "user", "content": "hi"}]
        )
    assert gemini.usage.completion_tokens_details.reasoning_tokens == 1480


def test_async_and_streaming_clients_against_the_mock(chatcontract_clients: Any) -> None:
    """The real async clients, whole and streamed, against the running mock server."""
    import asyncio

    import chatcontract

    async def main() -> tuple[str, str, str]:
        async with chatcontract_clients.async_minimax(strict_responses=True) as minimax:
            whole = await minimax.chat.completions.create(
                model="MiniMax-M2.7", messages=[{"role": "user", "content": "你好"}]
            )
            stream = await minimax.chat.completions.create(
                model="MiniMax-M2.7", messages=[{"role": "user", "content": "你好"}], stream=True
            )
            async with stream:
                text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        async with chatcontract_clients.async_evolink(strict_responses=True) as evolink:
            gemini = await evolink.chat.completions.create(
                model="gemini-3-pro-preview", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            async with gemini:
                g = "".join([c.choices[0].delta.content or "" async for c in gemini if c.choices])
        return whole.choices[0].message.content or "", text, g

    whole, streamed, gemini = asyncio.run(main())
    assert streamed == whole
    assert chatcontract.split_reasoning(streamed).answer == "你好!有什么我可以帮助你的吗?"
    assert gemini.startswith("Hello! I'm pleased to introduce myself.")
