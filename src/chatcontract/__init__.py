"""chatcontract: typed, contract-tested clients for documented chat-completions APIs.

>>> import chatcontract
>>> client = chatcontract.MiniMax()          # key from MINIMAX_API_KEY
>>> reply = client.chat.completions.create(
...     model="MiniMax-M2.7", messages=[{"role": "user", "content": "你好"}]
... )
"""

from ._async_client import AsyncEvolink, AsyncMiniMax
from ._client import Evolink, MiniMax
from ._config import DEFAULT_TIMEOUT
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
    MissingAPIKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
)
from ._generated._protocol import NOT_GIVEN, AsyncChunkStream, ChunkStream, NotGiven
from ._reasoning import Reasoning, ThinkSplitter, split_reasoning
from ._retry import DEFAULT_MAX_RETRIES
from ._streaming import AsyncStream, Stream
from ._version import __version__

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
    "AsyncEvolink",
    "AsyncMiniMax",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "ChatContractError",
    "ChunkStream",
    "Evolink",
    "InsecureTransportError",
    "InsufficientBalanceError",
    "InternalServerError",
    "MiniMax",
    "MissingAPIKeyError",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "RateLimitError",
    "Reasoning",
    "RequestValidationError",
    "Stream",
    "ThinkSplitter",
    "__version__",
    "split_reasoning",
]
