"""Everything a client does that is not I/O, shared by the sync and async clients."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

import httpx

from ._config import API, ClientConfig, TimeoutTypes, per_call_timeout
from ._error_mapping import json_or_none, signalled_error
from ._exceptions import APIConnectionError, APIError, APIResponseValidationError, APITimeoutError
from ._generated._protocol import Endpoint, NotGiven
from ._request import PreparedRequest, prepare
from ._response import parse_response
from ._retry import next_delay
from ._streaming import ChunkDecoder


def api_of(name: str, module: ModuleType) -> API:
    """The runtime's view of a generated ``<vendor>_client`` module."""
    return API(
        name=name,
        api_key_env=module.API_KEY_ENV,
        base_url_env=module.BASE_URL_ENV,
        default_base_url=module.DEFAULT_BASE_URL,
        endpoints=module.ENDPOINTS,
    )


def transport_error(error: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(request=request)
    return APIConnectionError(f"Connection error: {type(error).__name__}", request=request)


class ClientCore:
    def __init__(self, config: ClientConfig, *, max_retries: int, rng: random.Random | None = None) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self.config = config
        self.max_retries = max_retries
        self.rng = rng

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
            headers=self.config.headers(),
            extra_headers=extra_headers,
            extra_body=extra_body,
        )

    def request_args(self, prepared: PreparedRequest, timeout: TimeoutTypes | NotGiven) -> dict[str, Any]:
        return {
            "method": prepared.method,
            "url": prepared.url,
            "headers": prepared.headers,
            "content": prepared.content,
            "timeout": per_call_timeout(self.config, timeout),
        }

    def streams(self, prepared: PreparedRequest, response: httpx.Response) -> bool:
        """Whether ``response`` is an event stream to hand to the caller as it comes."""
        content_type = response.headers.get("content-type", "")
        return prepared.stream and response.is_success and content_type.startswith("text/event-stream")

    def chunk_decoder(self, prepared: PreparedRequest, response: httpx.Response) -> ChunkDecoder:
        return ChunkDecoder(prepared.endpoint, response, strict=self.config.strict_responses)

    def parse(self, prepared: PreparedRequest, response: httpx.Response) -> Any:
        """The reply of a whole (read) response, or its typed error."""
        if prepared.stream and response.is_success:
            body = response.content
            error = signalled_error(prepared.endpoint, response, json_or_none(body), body)
            if error is not None:
                raise error
            kind = response.headers.get("content-type", "nothing")
            raise APIResponseValidationError(
                f"asked for a stream, got {kind}", response=response, body=response.content
            )
        return parse_response(prepared.endpoint, response, strict=self.config.strict_responses)

    def retry_delay(self, attempt: int, error: APIError) -> float | None:
        return next_delay(attempt, self.max_retries, error, self.rng)
