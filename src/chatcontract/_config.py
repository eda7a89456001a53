"""Client settings resolved from arguments and the environment. No I/O."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx

from ._exceptions import MissingAPIKeyError
from ._generated._protocol import NOT_GIVEN, Endpoint, NotGiven
from ._security import check_base_url
from ._version import __version__

# Like the openai SDK: a long read timeout for slow generations, a short connect timeout.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)

TimeoutTypes = float | httpx.Timeout | None


class Secret:
    """Holds the API key so that no repr, str or log line can show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


@dataclass(frozen=True)
class API:
    """What a generated ``<vendor>_client`` module tells the runtime about its vendor."""

    name: str
    api_key_env: str
    base_url_env: str
    default_base_url: str
    endpoints: tuple[Endpoint[Any], ...]


@dataclass(frozen=True, repr=False)
class ClientConfig:
    api: API
    api_key: Secret
    base_url: str
    timeout: TimeoutTypes | NotGiven
    strict_responses: bool

    @classmethod
    def resolve(
        cls,
        api: API,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: TimeoutTypes | NotGiven,
        strict_responses: bool,
        allow_insecure: bool,
    ) -> ClientConfig:
        key = api_key if api_key is not None else os.environ.get(api.api_key_env)
        if not key:
            raise MissingAPIKeyError(api.name, api.api_key_env)
        url = base_url or os.environ.get(api.base_url_env) or api.default_base_url
        url = check_base_url(url, allow_insecure=allow_insecure)
        return cls(api, Secret(key), url, timeout, strict_responses)

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.api_key.reveal()}",
            "User-Agent": f"chatcontract/{__version__}",
        }

    def __repr__(self) -> str:
        return f"ClientConfig(api={self.api.name!r}, base_url={self.base_url!r}, api_key=<redacted>)"


def per_call_timeout(config: ClientConfig, timeout: TimeoutTypes | NotGiven) -> Any:
    """The timeout for one call: the call's, else the client's, else the HTTP client's own."""
    if not isinstance(timeout, NotGiven):
        return timeout
    if not isinstance(config.timeout, NotGiven):
        return config.timeout
    return httpx.USE_CLIENT_DEFAULT


__all__ = [
    "API",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "ClientConfig",
    "Secret",
    "TimeoutTypes",
    "per_call_timeout",
]
