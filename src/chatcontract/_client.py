"""The synchronous client: what ``chatcontract.MiniMax`` and ``chatcontract.Evolink`` share."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from ._config import Secret, TimeoutTypes
from ._core import ClientBase
from ._decoding import pieces
from ._exceptions import APIError, APIStatusError
from ._generated._protocol import NOT_GIVEN, Endpoint, NotGiven
from ._limits import DEFAULT_DEADLINE, DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_RESPONSE_BYTES, Limits, keep_body
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
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
        deadline: float | None = DEFAULT_DEADLINE,
        stream_deadline: float | None = None,
        stream_idle_timeout: float | None = None,
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
                response = self._http.send(request, stream=True)
                if core.streams(prepared, response):
                    limits.stream_started(request)
                    return Stream(response, core.chunk_decoder(prepared, response, limits))
                try:
                    limits.check_declared(response)
                    body: list[bytes] = []
                    size = 0
                    for piece in pieces(response):
                        size = limits.add(response, body, size, piece)
                    keep_body(response, body)
                finally:
                    response.close()
            except httpx.TransportError as failure:
                error = core.transport_error(failure, request, limits)
            except httpx.DecodingError as failure:
                raise undecodable(failure, response) from None
            else:
                try:
                    if core.streamed_whole(prepared, response):
                        return Stream(response, core.chunk_decoder(prepared, response, limits))
                    return core.parse(prepared, response)
                except APIStatusError as failure:
                    error = failure
            wait = core.retry_delay(attempt, error, limits)
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
