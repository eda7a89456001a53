"""Client settings resolved from arguments and the environment. No I/O."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx

from ._exceptions import (
    REDACTED,
    SECRET_HEADERS,
    InvalidAPIKeyError,
    InvalidArgumentError,
    MissingAPIKeyError,
)
from ._generated._protocol import NOT_GIVEN, Endpoint, NotGiven
from ._security import check_base_url
from ._version import __version__

# Like the openai SDK: a long read timeout for slow generations, a short connect timeout.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)

TimeoutTypes = float | httpx.Timeout | None


def _problem(key: str) -> str | None:
    """What keeps ``key`` from being sent as ``Authorization: Bearer <key>``, in words without it."""
    if not key:
        return "the API key is empty"
    for position, char in enumerate(key):
        if char in "\r\n":
            return f"the API key contains a line break (CR or LF) at position {position}"
        if char.isspace() or not char.isprintable():
            return f"the API key contains whitespace or a control character at position {position}"
        if not char.isascii():
            return f"the API key contains a non-ASCII character at position {position}"
    return None


class Secret:
    """Holds the API key so that no repr, str, log line or traceback local can show it.

    ``Secret.of`` never raises: code that holds the raw key (a frame whose locals a traceback
    may print) wraps it first, and errors about it are raised only where a Secret stands in.
    """

    __slots__ = ("_value", "problem")

    def __init__(self, value: str) -> None:
        self._value = value
        self.problem = _problem(value)

    @classmethod
    def of(cls, value: Any) -> Secret | None:
        if value is None or isinstance(value, Secret):
            return value
        return cls(value if isinstance(value, str) else "")

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise InvalidArgumentError("an API key is not pickled: give each process its own client")


class RedactedHeaders(dict[str, str]):
    """Request headers whose repr shows ``<redacted>`` for the credentials (traceback locals)."""

    __slots__ = ()

    def __repr__(self) -> str:
        shown = {k: REDACTED if k.lower() in SECRET_HEADERS else v for k, v in self.items()}
        return f"RedactedHeaders({shown!r})"


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
        api_key: Secret | None,
        base_url: str | None,
        timeout: TimeoutTypes | NotGiven,
        strict_responses: bool,
        allow_insecure: bool,
    ) -> ClientConfig:
        key = api_key if api_key is not None else Secret.of(os.environ.get(api.api_key_env))
        if key is None or not key.reveal():
            raise MissingAPIKeyError(api.name, api.api_key_env)
        if key.problem is not None:
            where = "api_key" if api_key is not None else api.api_key_env
            raise InvalidAPIKeyError(f"{key.problem} ({where}); a key is sent as is in a bearer header")
        url = base_url or os.environ.get(api.base_url_env) or api.default_base_url
        url = check_base_url(url, allow_insecure=allow_insecure)
        return cls(api, key, url, timeout, strict_responses)

    def headers(self) -> RedactedHeaders:
        return RedactedHeaders(
            {"Authorization": f"Bearer {self.api_key.reveal()}", "User-Agent": f"chatcontract/{__version__}"}
        )

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
    "RedactedHeaders",
    "Secret",
    "TimeoutTypes",
    "per_call_timeout",
]
