"""The synchronous clients: ``chatcontract.MiniMax`` and ``chatcontract.Evolink``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType, TracebackType
from typing import Any, ClassVar

import httpx

from ._config import API, DEFAULT_TIMEOUT, ClientConfig, TimeoutTypes, per_call_timeout
from ._exceptions import APIConnectionError, APITimeoutError
from ._generated import evolink_client, minimax_client
from ._generated._protocol import NOT_GIVEN, Endpoint, NotGiven
from ._request import prepare
from ._response import parse_response


def api_of(name: str, module: ModuleType) -> API:
    return API(
        name=name,
        api_key_env=module.API_KEY_ENV,
        base_url_env=module.BASE_URL_ENV,
        default_base_url=module.DEFAULT_BASE_URL,
        endpoints=module.ENDPOINTS,
    )


class SyncClient:
    """Shared body of the sync clients; it is also the transport their generated code calls."""

    _api: ClassVar[API]

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        http_client: httpx.Client | None = None,
        strict_responses: bool = False,
    ) -> None:
        self._config = ClientConfig.resolve(
            self._api, api_key=api_key, base_url=base_url, timeout=timeout, strict_responses=strict_responses
        )
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.Client(
            timeout=DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else timeout
        )

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def create(
        self,
        endpoints: Sequence[Endpoint[Any]],
        params: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None,
        extra_body: Mapping[str, Any] | None,
        timeout: TimeoutTypes | NotGiven,
    ) -> Any:
        prepared = prepare(
            endpoints=endpoints,
            params=params,
            base_url=self._config.base_url,
            headers=self._config.headers(),
            extra_headers=extra_headers,
            extra_body=extra_body,
        )
        request = self._http.build_request(
            prepared.method,
            prepared.url,
            headers=prepared.headers,
            content=prepared.content,
            timeout=per_call_timeout(self._config, timeout),
        )
        try:
            response = self._http.send(request)
        except httpx.TimeoutException:
            raise APITimeoutError(request=request) from None
        except httpx.TransportError as error:
            raise APIConnectionError(f"Connection error: {type(error).__name__}", request=request) from None
        return parse_response(prepared.endpoint, response, strict=self._config.strict_responses)

    def close(self) -> None:
        """Close the HTTP connection pool (not an ``http_client`` you passed in)."""
        if self._owns_http_client:
            self._http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._config.base_url!r}, api_key=<redacted>)"


class MiniMax(SyncClient):
    """Client of MiniMax's own API (``https://api.minimaxi.com``).

    The key comes from ``api_key`` or ``MINIMAX_API_KEY``; the server from ``base_url``,
    ``MINIMAX_BASE_URL`` or the documented one.

    Example:
        >>> client = chatcontract.MiniMax()
        >>> reply = client.chat.completions.create(
        ...     model="MiniMax-M2.7", messages=[{"role": "user", "content": "你好"}]
        ... )
        >>> reply.choices[0].message.content
    """

    _api = api_of("MiniMax", minimax_client)

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        http_client: httpx.Client | None = None,
        strict_responses: bool = False,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            http_client=http_client,
            strict_responses=strict_responses,
        )
        self.chat = minimax_client.Chat(self)

    def __enter__(self) -> MiniMax:
        return self


class Evolink(SyncClient):
    """Client of evolink.ai (``https://api.evolink.ai``): ``MiniMax-M2.5`` and ``gemini-3-pro-preview``.

    ``model`` picks the documented endpoint, its parameters and its response type. The key
    comes from ``api_key`` or ``EVOLINK_API_KEY``; the server from ``base_url``,
    ``EVOLINK_BASE_URL`` or the documented one.

    Example:
        >>> client = chatcontract.Evolink()
        >>> reply = client.chat.completions.create(
        ...     model="gemini-3-pro-preview", messages=[{"role": "user", "content": "Hi"}], top_k=40
        ... )
    """

    _api = api_of("Evolink", evolink_client)

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,
        http_client: httpx.Client | None = None,
        strict_responses: bool = False,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            http_client=http_client,
            strict_responses=strict_responses,
        )
        self.chat = evolink_client.Chat(self)

    def __enter__(self) -> Evolink:
        return self
