"""chatcontract: typed, contract-tested clients for documented chat-completions APIs.

>>> import chatcontract
>>> client = chatcontract.MiniMax()          # key from MINIMAX_API_KEY
>>> reply = client.chat.completions.create(
...     model="MiniMax-M2.7", messages=[{"role": "user", "content": "你好"}]
... )
"""

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
    InsufficientBalanceError,
    InternalServerError,
    MissingAPIKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
)
from ._generated._protocol import NOT_GIVEN, NotGiven
from ._version import __version__

__all__ = [
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChatContractError",
    "Evolink",
    "InsufficientBalanceError",
    "InternalServerError",
    "MiniMax",
    "MissingAPIKeyError",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestValidationError",
    "__version__",
]
