"""The API key in no frame: tracebacks with locals, pickles, request copies and bad keys.

Every public error path is driven once (sync and async), and what a crash reporter would keep
of it is searched for the key: the traceback rendered with every frame's locals
(``capture_locals=True``, as Sentry or rich do), the pickled error, ``dict(e.request.headers)``
and the response's own link to the request.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import socket
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

import chatcontract
from tests import specs

KEY = "sk-live-7Q2f-SECRET-9c41e0"
HERE = __file__
URL = "https://api.minimaxi.com/v1/chat/completions"
ASK: dict[str, Any] = {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": "hi"}]}
REPLY = next(e for e in specs.exchanges() if e.api == "minimax").response


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mocked(route: Callable[[respx.MockRouter], Any], call: Callable[[], Any]) -> None:
    with respx.mock(assert_all_called=False) as router:
        route(router)
        call()


def _sync(**options: Any) -> chatcontract.MiniMax:
    return chatcontract.MiniMax(api_key=KEY, max_retries=0, **options)


def _create(client: chatcontract.MiniMax, **extra: Any) -> Any:
    with client:
        result = client.chat.completions.create(**{**ASK, **extra})
        if extra.get("stream"):
            return list(result)
        return result


def _status(status: int, body: dict[str, Any]) -> Callable[[], None]:
    return lambda: _mocked(lambda r: r.post(URL).respond(status, json=body), lambda: _create(_sync()))


def _stream_error() -> None:
    frames = b'data: {"type":"error","error":{"type":"rate_limit_error","message":"busy (1002)"}}\n\n'
    headers = {"content-type": "text/event-stream"}
    _mocked(
        lambda r: r.post(URL).respond(200, content=frames, headers=headers),
        lambda: _create(_sync(), stream=True),
    )


def _strict_mismatch() -> None:
    body = {**REPLY, "object": "something else"}
    _mocked(lambda r: r.post(URL).respond(200, json=body), lambda: _create(_sync(strict_responses=True)))


def _timeout() -> None:
    _mocked(lambda r: r.post(URL).mock(side_effect=httpx.ReadTimeout("slow")), lambda: _create(_sync()))


def _refused() -> None:
    _create(_sync(base_url=f"http://127.0.0.1:{_unused_port()}"))


def _async_status() -> None:
    async def run() -> None:
        async with chatcontract.AsyncMiniMax(api_key=KEY, max_retries=0) as client:
            await client.chat.completions.create(**ASK)

    _mocked(
        lambda r: r.post(URL).respond(401, json={"error": {"message": "bad key (1004)"}}),
        lambda: asyncio.run(run()),
    )


def _too_large() -> None:
    body = {**REPLY, "padding": "x" * 4096}
    _mocked(lambda r: r.post(URL).respond(200, json=body), lambda: _create(_sync(max_response_bytes=1024)))


FAILURES: dict[str, tuple[Callable[[], Any], type[BaseException]]] = {
    "too large": (_too_large, chatcontract.ResponseTooLargeError),
    "insecure base_url": (lambda: _sync(base_url="http://example.com"), chatcontract.InsecureTransportError),
    "invalid key": (lambda: chatcontract.MiniMax(api_key=KEY + "\n"), chatcontract.InvalidAPIKeyError),
    "request rule": (lambda: _create(_sync(), temperature=5), chatcontract.RequestValidationError),
    "connection refused": (_refused, chatcontract.APIConnectionError),
    "timeout": (_timeout, chatcontract.APITimeoutError),
    "401": (_status(401, {"error": {"message": "bad key (1004)"}}), chatcontract.AuthenticationError),
    "429": (_status(429, {"error": {"message": "busy (1002)"}}), chatcontract.RateLimitError),
    "500": (_status(500, {"error": {"message": "down (1000)"}}), chatcontract.InternalServerError),
    "strict mismatch": (_strict_mismatch, chatcontract.APIResponseValidationError),
    "error in a stream": (_stream_error, chatcontract.RateLimitError),
    "async 401": (_async_status, chatcontract.AuthenticationError),
}


def _raised(name: str) -> BaseException:
    run, kind = FAILURES[name]
    with pytest.raises(kind) as caught:
        run()
    return caught.value


def _rendered(error: BaseException) -> str:
    """The traceback with every frame's locals, but for the frames of this test file (which hold
    the key on purpose), through the chained errors too."""
    out = []
    shown: traceback.TracebackException | None = traceback.TracebackException.from_exception(
        error, capture_locals=True
    )
    while shown is not None:
        stack = traceback.StackSummary.from_list([f for f in shown.stack if not f.filename.startswith(HERE)])
        for frame in stack:
            out.append(f"{frame.filename}:{frame.name} {frame.locals}")
        out.extend(shown.format_exception_only())
        shown = shown.__cause__ or (None if shown.__suppress_context__ else shown.__context__)
    return "\n".join(out)


def _everything_kept(error: BaseException) -> Iterator[str]:
    """What a crash reporter or a log keeps of an error."""
    yield _rendered(error)
    yield repr(error) + str(error)
    yield repr(pickle.dumps(error))
    request = getattr(error, "request", None)
    if request is not None:
        yield json.dumps(dict(request.headers)) + repr(request.content)
    response = getattr(error, "response", None)
    if response is not None:
        yield json.dumps(dict(response.request.headers))


@pytest.mark.parametrize("name", FAILURES)
def test_the_key_is_in_no_frame_pickle_or_request_copy(name: str) -> None:
    error = _raised(name)
    kept = list(_everything_kept(error))
    assert "/src/chatcontract/" in kept[0] and "self" in kept[0]  # library frames, with locals
    for text in kept:
        assert "SECRET" not in text, text[text.find("SECRET") - 200 : text.find("SECRET") + 50]


@pytest.mark.parametrize(
    "name", [n for n, (_, kind) in FAILURES.items() if issubclass(kind, chatcontract.APIError)]
)
def test_errors_pickle_whole(name: str) -> None:
    error = _raised(name)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
    assert copy.request.method == "POST" and copy.request.url == error.request.url  # type: ignore[attr-defined]
    assert copy.request.headers["authorization"] == "Bearer <redacted>"  # type: ignore[attr-defined]
    assert copy.__dict__.keys() == error.__dict__.keys()


def test_the_redacted_request_still_says_what_was_sent() -> None:
    error = _raised("429")
    request = error.request  # type: ignore[attr-defined]
    assert json.loads(request.content) == ASK
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer <redacted>"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("sk-ключ-SECRET", "non-ASCII character at position 3"),
        ("sk-SECRET ", "whitespace or a control character at position 9"),
        (" sk-SECRET", "whitespace or a control character at position 0"),
        ("sk-SECRET\r\nX-Evil: 1", "line break (CR or LF) at position 9"),
        ("sk-\x00SECRET", "whitespace or a control character at position 3"),
        ("sk-SE\tCRET", "whitespace or a control character at position 5"),
    ],
)
def test_a_key_that_cannot_be_sent_is_refused_when_the_client_is_built(key: str, problem: str) -> None:
    for build in (chatcontract.MiniMax, chatcontract.AsyncMiniMax, chatcontract.Evolink):
        with pytest.raises(chatcontract.InvalidAPIKeyError) as caught:
            build(api_key=key)
        assert problem in str(caught.value) and "api_key" in str(caught.value)
        assert "SECRET" not in str(caught.value)
        assert "SECRET" not in _rendered(caught.value)


def test_a_bad_key_from_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_API_KEY", "sk-SECRET\n")  # a copied key with its newline
    with pytest.raises(chatcontract.InvalidAPIKeyError, match="MINIMAX_API_KEY") as caught:
        chatcontract.MiniMax()
    assert "SECRET" not in _rendered(caught.value)


def test_an_empty_key_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MINIMAX_API_KEY", raising=False)
    with pytest.raises(chatcontract.MissingAPIKeyError):
        chatcontract.MiniMax(api_key="")
