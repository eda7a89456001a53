"""The asynchronous client: what ``AsyncMiniMax`` and ``AsyncEvolink`` share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from ._config import Secret, TimeoutTypes
from ._core import ClientBase
from ._decoding import apieces
from ._exceptions import APIError, APIStatusError, InvalidArgumentError
from ._generated._protocol import NOT_GIVEN, Endpoint, NotGiven
from ._limits import DEFAULT_DEADLINE, DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_RESPONSE_BYTES, Limits, keep_body
from ._pool import sharded
from ._proxies import environment_proxies
from ._retry import DEFAULT_MAX_RETRIES
from ._streaming import AsyncStream, undecodable

_Self = TypeVar("_Self", bound="AsyncClient")


def _own_http_client(timeout: TimeoutTypes, max_connections: int | None = None) -> httpx.AsyncClient:
    """The pooled client the async clients make for themselves.

    httpx reads the proxy environment only for a transport it builds itself, so the proxies
    are mounted here, each a sharded pool of its own, and ``NO_PROXY`` hosts go direct.
    """
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {
        pattern: None if proxy is None else sharded(max_connections, proxy=proxy)
        for pattern, proxy in environment_proxies().items()
    }
    return httpx.AsyncClient(timeout=timeout, transport=sharded(max_connections), mounts=mounts)


class AsyncClient(ClientBase):
    """Shared body of the async clients; the same options as the sync ones, and ``max_connections``.

    ``max_connections`` (default 128) sizes the client's own pool: one connection per request or
    stream in flight (HTTP/1.1), so 5,000 concurrent streams need ``max_connections=5000``.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        strict_responses: bool = False,
        allow_insecure: bool = False,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
        deadline: float | None = DEFAULT_DEADLINE,
        stream_deadline: float | None = None,
        stream_idle_timeout: float | None = None,
        max_connections: int | None = None,
    ) -> None:
        # The raw key leaves this frame's locals at once (a traceback may print them).
        api_key = Secret.of(api_key)  # type: ignore[assignment]
        own_timeout = self._setup(
            api_key=api_key,  # type: ignore[arg-type]
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            strict_responses=strict_responses,
            allow_insecure=allow_insecure,
            http_client=http_client,
            limits=Limits(
                max_response_bytes, max_event_bytes, deadline, stream_deadline, stream_idle_timeout
            ),
        )
        if max_connections is not None:
            if (
                isinstance(max_connections, bool)
                or not isinstance(max_connections, int)
                or max_connections < 1
            ):
                raise InvalidArgumentError(
                    f"max_connections must be an integer >= 1, got {max_connections!r}"
                )
            if http_client is not None:
                raise InvalidArgumentError(
                    "max_connections sizes the client's own pool: not with http_client"
                )
        self._http = http_client or _own_http_client(own_timeout, max_connections)
        import asyncio  # here, not at the top: a sync-only program need not load asyncio

        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def create(
        self,
        endpoints: Sequence[Endpoint[Any]],
        params: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None,
        extra_body: Mapping[str, Any] | None,
        timeout: TimeoutTypes | NotGiven,
        max_response_bytes: int | NotGiven | None = NOT_GIVEN,
        deadline: float | NotGiven | None = NOT_GIVEN,
    ) -> Any:
        core = self._core
        prepared = core.prepare(endpoints, params, extra_headers, extra_body)
        limits = core.limits.for_call(
            stream=prepared.stream, max_response_bytes=max_response_bytes, deadline=deadline
        )
        attempt = 0
        while True:
            request = self._http.build_request(
                **core.request_args(prepared, timeout, limits, self._http.timeout)
            )
            error: APIError
            try:
                response = await self._http.send(request, stream=True)
                if core.streams(prepared, response):
                    limits.stream_started(request)
                    return AsyncStream(response, core.chunk_decoder(prepared, response, limits))
                try:
                    limits.check_declared(response)
                    body: list[bytes] = []
                    size = 0
                    async for piece in apieces(response):
                        size = limits.add(response, body, size, piece)
                    keep_body(response, body)
                finally:
                    await response.aclose()
            except httpx.TransportError as failure:
                error = core.transport_error(failure, request, limits)
            except httpx.DecodingError as failure:
                raise undecodable(failure, response) from None
            else:
                try:
                    if core.streamed_whole(prepared, response):
                        return AsyncStream(response, core.chunk_decoder(prepared, response, limits))
                    return core.parse(prepared, response)
                except APIStatusError as failure:
                    error = failure
            wait = core.retry_delay(attempt, error, limits)
            if wait is None:
                raise error
            await self._sleep(wait)
            attempt += 1

    async def close(self) -> None:
        """Close the HTTP connection pool (not an ``http_client`` you passed in)."""
        if self._owns_http_client:
            await self._http.aclose()

    async def __aenter__(self: _Self) -> _Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
