"""The synchronous client: what ``chatcontract.MiniMax`` and ``chatcontract.Evolink`` share."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from ._config import Secret, TimeoutTypes
from ._core import ClientBase
from ._exceptions import APIError, APIStatusError, from_transport_error
from ._generated._protocol import NOT_GIVEN, Endpoint, NotGiven
from ._retry import DEFAULT_MAX_RETRIES
from ._security import tls_context
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
        )
        self._http = http_client or httpx.Client(timeout=own_timeout, verify=tls_context())
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
                error = from_transport_error(failure, request)
            except httpx.DecodingError as failure:
                raise undecodable(failure, response) from None
            else:
                try:
                    if core.streamed_whole(prepared, response):
                        return Stream(response, core.chunk_decoder(prepared, response))
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
