"""chatcontract: typed, contract-tested clients for documented chat-completions APIs.

>>> import chatcontract
>>> client = chatcontract.MiniMax()          # key from MINIMAX_API_KEY
>>> reply = client.chat.completions.create(
...     model="MiniMax-M2.7", messages=[{"role": "user", "content": "你好"}]
... )

Importing the package loads only httpx, the error classes and the list of generated clients
(``_generated.APIS``); each client loads its own API's generated models the first time it is
named (measured in benchmarks/README.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ChatContractError,
    InsecureTransportError,
    InsufficientBalanceError,
    InternalServerError,
    InvalidAPIKeyError,
    InvalidArgumentError,
    MissingAPIKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
    ResponseTooLargeError,
)
from ._generated import APIS as _APIS
from ._version import __version__

if TYPE_CHECKING:
    from ._accumulate import aaccumulate, accumulate
    from ._config import DEFAULT_TIMEOUT
    from ._generated._exports import *  # noqa: F403  (every generated client class, e.g. MiniMax)
    from ._generated._protocol import NOT_GIVEN, AsyncChunkStream, ChunkStream, NotGiven
    from ._reasoning import Reasoning, ThinkSplitter, split_reasoning
    from ._retry import DEFAULT_MAX_RETRIES
    from ._streaming import AsyncStream, Stream

# Each generated client, sync and async -> its module (``_generated.APIS``).
_CLIENTS = {
    cls: f"._generated.{api.module}" for api in _APIS.values() for cls in (api.name, "Async" + api.name)
}

# Public name -> the private module that defines it, imported on first use.
_LAZY = {
    "AsyncChunkStream": "._generated._protocol",
    "AsyncStream": "._streaming",
    "ChunkStream": "._generated._protocol",
    "DEFAULT_MAX_RETRIES": "._retry",
    "DEFAULT_TIMEOUT": "._config",
    "NOT_GIVEN": "._generated._protocol",
    "NotGiven": "._generated._protocol",
    "Reasoning": "._reasoning",
    "Stream": "._streaming",
    "ThinkSplitter": "._reasoning",
    "aaccumulate": "._accumulate",
    "accumulate": "._accumulate",
    "split_reasoning": "._reasoning",
    # Each generated client, sync and async, from its own module (``_generated.APIS``).
    **{cls: f"._generated.{api.module}" for api in _APIS.values() for cls in (api.name, "Async" + api.name)},
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chatcontract' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # next time, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncChunkStream",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "ChatContractError",
    "ChunkStream",
    "InsecureTransportError",
    "InsufficientBalanceError",
    "InternalServerError",
    "InvalidAPIKeyError",
    "InvalidArgumentError",
    "MissingAPIKeyError",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "RateLimitError",
    "Reasoning",
    "RequestValidationError",
    "ResponseTooLargeError",
    "Stream",
    "ThinkSplitter",
    "__version__",
    "aaccumulate",
    "accumulate",
    "split_reasoning",
    *_CLIENTS,
]
