"""Everything a client does that is not I/O, shared by the sync and async clients."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx

from ._config import (
    API,
    DEFAULT_TIMEOUT,
    ClientConfig,
    RedactedHeaders,
    Secret,
    TimeoutTypes,
    per_call_timeout,
)
from ._error_mapping import body_error
from ._exceptions import APIError, APIResponseValidationError, InvalidArgumentError, from_transport_error
from ._generated._protocol import Endpoint, NotGiven
from ._limits import NO_LIMITS, CallLimits, Limits
from ._request import PreparedRequest, prepare
from ._response import parse_response
from ._retry import next_delay
from ._security import check_http_client
from ._streaming import ChunkDecoder

log = logging.getLogger("chatcontract")


class ClientCore:
    def __init__(
        self,
        config: ClientConfig,
        *,
        max_retries: int,
        rng: random.Random | None = None,
        limits: Limits | None = None,
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidArgumentError(f"max_retries must be an integer >= 0, got {max_retries!r}")
        self.config = config
        self.limits = limits or Limits()
        self.max_retries = max_retries
        self.rng = rng
        # Built once: the same for every call of this client.
        self._headers = RedactedHeaders(
            {**config.headers(), "Content-Type": "application/json", "Accept": "application/json"}
        )
        self._stream_headers = RedactedHeaders({**self._headers, "Accept": "text/event-stream"})
        self._urls: dict[str, httpx.URL] = {}

    def prepare(
        self,
        endpoints: Sequence[Endpoint[Any]],
        params: Mapping[str, Any],
        extra_headers: Mapping[str, str] | None,
        extra_body: Mapping[str, Any] | None,
    ) -> PreparedRequest:
        return prepare(
            endpoints=endpoints,
            params=params,
            base_url=self.config.base_url,
            headers=self._headers,
            stream_headers=self._stream_headers,
            extra_headers=extra_headers,
            extra_body=extra_body,
        )

    def request_args(
        self,
        prepared: PreparedRequest,
        timeout: TimeoutTypes | NotGiven,
        limits: CallLimits = NO_LIMITS,
        client_timeout: httpx.Timeout | None = None,
    ) -> dict[str, Any]:
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s (%s, stream=%s)",
                prepared.method,
                prepared.url,
                prepared.endpoint.name,
                prepared.stream,
            )
        url = self._urls.get(prepared.url)
        if url is None:  # parsing a URL costs more than the rest of building the request
            url = self._urls[prepared.url] = httpx.URL(prepared.url)
        return {
            "method": prepared.method,
            "url": url,
            "headers": prepared.headers,
            "content": prepared.content,
            "timeout": limits.capped(
                per_call_timeout(self.config, timeout), client_timeout or DEFAULT_TIMEOUT
            ),
        }

    @staticmethod
    def transport_error(error: httpx.TransportError, request: httpx.Request, limits: CallLimits) -> APIError:
        """The error for a failed send or read: a timeout the deadline cut short says so."""
        left = limits.left()
        if left is not None and left <= 0.01 and isinstance(error, httpx.TimeoutException):
            return limits.passed(request)
        return from_transport_error(error, request)

    def streams(self, prepared: PreparedRequest, response: httpx.Response) -> bool:
        """Whether ``response`` is an event stream to hand to the caller as it comes."""
        content_type = response.headers.get("content-type", "")
        return prepared.stream and response.is_success and content_type.startswith("text/event-stream")

    def chunk_decoder(
        self, prepared: PreparedRequest, response: httpx.Response, limits: CallLimits = NO_LIMITS
    ) -> ChunkDecoder:
        whole = not response.headers.get("content-type", "").startswith("text/event-stream")
        return ChunkDecoder(
            prepared.endpoint, response, strict=self.config.strict_responses, whole=whole, limits=limits
        )

    def streamed_whole(self, prepared: PreparedRequest, response: httpx.Response) -> bool:
        """Whether a stream was asked for and a whole (read) JSON reply came instead: it is
        handed out as a stream of one chunk, not thrown away. An error it signals is raised."""
        if not (prepared.stream and response.is_success):
            return False
        error = body_error(prepared.endpoint, response, response.content)
        if error is not None:
            raise error
        media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return bool(media_type == "application/json" or media_type.endswith("+json"))

    def parse(self, prepared: PreparedRequest, response: httpx.Response) -> Any:
        """The reply of a whole (read) response, or its typed error."""
        if prepared.stream and response.is_success:  # and not JSON (``streamed_whole``)
            kind = response.headers.get("content-type", "nothing")
            raise APIResponseValidationError(
                f"asked for a stream, got {kind}", response=response, body=response.content
            )
        return parse_response(prepared.endpoint, response, strict=self.config.strict_responses)

    def retry_delay(self, attempt: int, error: APIError, limits: CallLimits = NO_LIMITS) -> float | None:
        wait = next_delay(attempt, self.max_retries, error, self.rng)
        left = limits.left()
        if wait is not None and left is not None and wait >= left:
            log.debug("not retrying after %s: the deadline passes before the retry", type(error).__name__)
            return None
        if wait is not None:
            log.debug(
                "retrying in %.2fs after %s (retry %d of %d)",
                wait,
                type(error).__name__,
                attempt + 1,
                self.max_retries,
            )
        return wait


class ClientBase:
    """What the sync and async clients share: settings, checks, ``chat`` and the repr."""

    _api: ClassVar[API]
    _chat: ClassVar[type[Any]]
    _core: ClientCore

    def _setup(
        self,
        *,
        api_key: Secret | None,
        base_url: str | None,
        timeout: TimeoutTypes | NotGiven,
        max_retries: int,
        strict_responses: bool,
        allow_insecure: bool,
        http_client: Any,
        limits: Limits | None = None,
    ) -> TimeoutTypes:
        """Resolve and check the settings; the timeout for an HTTP client of the client's own."""
        config = ClientConfig.resolve(
            self._api,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            strict_responses=strict_responses,
            allow_insecure=allow_insecure,
        )
        if http_client is not None:
            check_http_client(http_client, allow_insecure=allow_insecure)
        self._core = ClientCore(config, max_retries=max_retries, limits=limits)
        self._owns_http_client = http_client is None
        self.chat = type(self)._chat(self)
        return DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else timeout

    @property
    def base_url(self) -> str:
        return self._core.config.base_url

    def __repr__(self) -> str:
        core = getattr(self, "_core", None)  # absent while the client is still being built
        if core is None:
            return f"{type(self).__name__}(<not built>)"
        return f"{type(self).__name__}(base_url={core.config.base_url!r}, api_key=<redacted>)"
