"""The synchronous clients: ``chatcontract.MiniMax`` and ``chatcontract.Evolink``."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from ._config import TimeoutTypes
from ._core import ClientBase, api_of, transport_error
from ._exceptions import APIError, APIStatusError
from ._generated import evolink_client, minimax_client
from ._generated._protocol import NOT_GIVEN, Endpoint, NotGiven
from ._retry import DEFAULT_MAX_RETRIES
from ._streaming import Stream, undecodable

_Self = TypeVar("_Self", bound="SyncClient")


class SyncClient(ClientBase):
    """Shared body of the sync clients; it is also the transport their generated code calls."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        strict_responses: bool = False,
        allow_insecure: bool = False,
    ) -> None:
        own_timeout = self._setup(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            strict_responses=strict_responses,
            allow_insecure=allow_insecure,
            http_client=http_client,
        )
        self._http = http_client or httpx.Client(timeout=own_timeout)
        self._sleep: Callable[[float], None] = time.sleep

    def create(
        self,
        endpoints: Sequence[Endpoint[Any]],
        params: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None,
        extra_body: Mapping[str, Any] | None,
        timeout: TimeoutTypes | NotGiven,
    ) -> Any:
        core = self._core
        prepared = core.prepare(endpoints, params, extra_headers, extra_body)
        attempt = 0
        while True:
            request = self._http.build_request(**core.request_args(prepared, timeout))
            error: APIError
            try:
                response = self._http.send(request, stream=True)
                if core.streams(prepared, response):
                    return Stream(response, core.chunk_decoder(prepared, response))
                try:
                    response.read()
                finally:
                    response.close()
            except httpx.TransportError as failure:
                error = transport_error(failure, request)
            except httpx.DecodingError as failure:
                raise undecodable(failure, response) from None
            else:
                try:
                    return core.parse(prepared, response)
                except APIStatusError as failure:
                    error = failure
            wait = core.retry_delay(attempt, error)
            if wait is None:
                raise error
            self._sleep(wait)
            attempt += 1

    def close(self) -> None:
        """Close the HTTP connection pool (not an ``http_client`` you passed in)."""
        if self._owns_http_client:
            self._http.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class MiniMax(SyncClient):
    """Client of MiniMax's own API (``https://api.minimaxi.com``).

    The key comes from ``api_key`` or ``MINIMAX_API_KEY``; the server from ``base_url``,
    ``MINIMAX_BASE_URL`` or the documented one. Options: ``timeout`` (600 s read, 5 s
    connect by default), ``max_retries`` (2), ``http_client``, ``strict_responses``.

    Example:
        >>> client = chatcontract.MiniMax()
        >>> reply = client.chat.completions.create(
        ...     model="MiniMax-M2.7", messages=[{"role": "user", "content": "你好"}]
        ... )
        >>> reply.choices[0].message.content
    """

    _api = api_of("MiniMax", minimax_client)
    _chat = minimax_client.Chat
    chat: minimax_client.Chat


class Evolink(SyncClient):
    """Client of evolink.ai (``https://api.evolink.ai``): ``MiniMax-M2.5`` and ``gemini-3-pro-preview``.

    ``model`` picks the documented endpoint, its parameters and its response type. The key
    comes from ``api_key`` or ``EVOLINK_API_KEY``; the server from ``base_url``,
    ``EVOLINK_BASE_URL`` or the documented one. Options as for ``MiniMax``.

    Example:
        >>> client = chatcontract.Evolink()
        >>> reply = client.chat.completions.create(
        ...     model="gemini-3-pro-preview", messages=[{"role": "user", "content": "Hi"}], top_k=40
        ... )
    """

    _api = api_of("Evolink", evolink_client)
    _chat = evolink_client.Chat
    chat: evolink_client.Chat
