"""The one error tree of chatcontract; names follow the openai SDK where it has one.

    ChatContractError
     ├── MissingAPIKeyError             no key given and none in the environment
     ├── InvalidArgumentError           (also a ValueError) an unusable client setting or argument
     │    └── InvalidAPIKeyError        the API key cannot be sent as given
     ├── InsecureTransportError         (also a ValueError) the key would travel unprotected
     ├── RequestValidationError         (also a ValueError) a parameter breaks a documented rule;
     │                                  raised before anything is sent
     └── APIError                       something went wrong talking to the API
          ├── APIConnectionError        the request did not get a response
          │    └── APITimeoutError
          ├── APIResponseValidationError  the response does not match the spec
          ├── ResponseTooLargeError     the response passed max_response_bytes or max_event_bytes
          └── APIStatusError            the API answered with an error
               ├── BadRequestError            400
               ├── AuthenticationError        401
               ├── InsufficientBalanceError   402
               ├── PermissionDeniedError      403
               ├── NotFoundError              404
               ├── RateLimitError             429
               └── InternalServerError        >= 500

Messages and attributes never contain the API key.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChatContractError",
    "InsecureTransportError",
    "InsufficientBalanceError",
    "InternalServerError",
    "InvalidAPIKeyError",
    "InvalidArgumentError",
    "MissingAPIKeyError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestValidationError",
    "ResponseTooLargeError",
]


REDACTED = "<redacted>"
SECRET_HEADERS = ("authorization", "proxy-authorization")  # their values never shown


def redacted_request(request: httpx.Request) -> httpx.Request:
    """A copy of ``request`` with its credentials replaced by ``<redacted>``: what an error keeps.

    Method, URL, the other headers, the body and the timeout settings are those sent, so the
    copy serves to debug; only the key is gone (from reprs, ``dict(request.headers)``, logs and
    pickles alike).
    """
    if not any(name in request.headers for name in SECRET_HEADERS):
        return request
    headers = [
        (name, f"{value.split(' ', 1)[0]} {REDACTED}" if name.lower() in SECRET_HEADERS else value)
        for name, value in request.headers.multi_items()
    ]
    content = request.content if isinstance(request.stream, httpx.ByteStream) else b""
    copy = httpx.Request(request.method, request.url, headers=headers, content=content)
    copy.extensions = {k: v for k, v in request.extensions.items() if k == "timeout"}
    return copy


def _restore(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    error = cls.__new__(cls)
    BaseException.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ChatContractError(Exception):
    """Base of every error chatcontract raises. Every one pickles (to cross processes) as it is."""

    def __reduce__(self) -> tuple[Any, ...]:
        # The constructors take keyword-only arguments, which the default reduction cannot pass.
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class InvalidArgumentError(ChatContractError, ValueError):
    """A client setting or argument chatcontract cannot use, whether passed in or read from
    the environment: a malformed ``base_url``, a negative ``max_retries``, ``accumulate()``
    with no way to know the reply model. Nothing was sent."""


class InvalidAPIKeyError(InvalidArgumentError):
    """The API key cannot be sent as a bearer token (empty, whitespace, CR/LF, non-ASCII).

    Raised when the client is built; the message names the problem, never the key.
    """


class MissingAPIKeyError(ChatContractError):
    """No ``api_key`` argument and no key in the client's environment variable."""

    def __init__(self, client: str, env_var: str) -> None:
        super().__init__(
            f"{client} needs an API key: pass api_key=... or set the {env_var} environment variable"
        )
        self.env_var = env_var


class InsecureTransportError(ChatContractError, ValueError):
    """The settings would send the API key in clear text or over unverified TLS."""


class RequestValidationError(ChatContractError, ValueError):
    """A request parameter breaks a rule its API documents; nothing was sent.

    ``field`` is the offending parameter (a dotted path for nested ones), ``rule`` the
    documented rule in words, ``errors`` every violation found.
    """

    def __init__(self, message: str, *, field: str, rule: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.errors = errors


class APIError(ChatContractError):
    """The API call failed; ``request`` is what was sent (its headers are redacted in reprs)."""

    def __init__(self, message: str, *, request: httpx.Request) -> None:
        super().__init__(message)
        self.message = message
        self.request = redacted_request(request)


class APIConnectionError(APIError):
    """The request did not get a response (DNS, refused connection, broken TLS, ...)."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request) -> None:
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """The request timed out."""

    def __init__(self, message: str = "Request timed out.", *, request: httpx.Request) -> None:
        super().__init__(message, request=request)


class APIResponseValidationError(APIError):
    """A successful response whose body does not match the spec; ``body`` keeps it raw."""

    def __init__(self, message: str, *, response: httpx.Response, body: bytes) -> None:
        super().__init__(message, request=response.request)
        response.request = self.request  # the response's own link to the request, redacted too
        self.response = response
        self.status_code = response.status_code
        self.body = body


class ResponseTooLargeError(APIError):
    """The response passed a size limit (``max_response_bytes`` for a whole reply, counted on
    decoded bytes; ``max_event_bytes`` for one event of a stream); reading stopped there.

    ``limit`` names the setting, ``limit_bytes`` its value; ``body`` holds at most the first
    ``BODY_PREFIX`` bytes read.
    """

    BODY_PREFIX = 64 * 1024

    def __init__(self, *, response: httpx.Response, limit: str, limit_bytes: int, body: bytes) -> None:
        what = "one event of the stream" if limit == "max_event_bytes" else "the response body"
        super().__init__(
            f"{what} passed {limit}={limit_bytes} bytes (decoded); reading stopped. Pass a larger "
            f"{limit}= to the client (or to create()) if replies this large are expected",
            request=response.request,
        )
        response.request = self.request
        self.response = response
        self.status_code = response.status_code
        self.limit = limit
        self.limit_bytes = limit_bytes
        self.body = body[: self.BODY_PREFIX]


class APIStatusError(APIError):
    """The API answered with an error.

    ``status_code`` is the HTTP status, ``code`` the vendor's error code as a string and
    ``type`` its error type (if any), ``body`` the raw response body (or stream frame),
    ``request_id`` the server's request id (if sent) and ``retry_after`` the seconds the
    server asked to wait before trying again (``retry-after-ms`` / ``Retry-After``, if sent;
    over a minute, the client raises at once instead of retrying).
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: bytes,
        code: str | None = None,
        type: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request=response.request)
        response.request = self.request  # the response's own link to the request, redacted too
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.code = code
        self.type = type
        self.request_id = request_id
        self.retry_after: float | None = None  # set by the client's retry decision


class BadRequestError(APIStatusError):
    """400: the API rejected the request's parameters."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked."""


class InsufficientBalanceError(APIStatusError):
    """402: the account's balance or quota is used up."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not use this resource."""


class NotFoundError(APIStatusError):
    """404: no such endpoint or model."""


class RateLimitError(APIStatusError):
    """429: too many requests."""


class InternalServerError(APIStatusError):
    """>= 500: the server failed."""


def from_transport_error(
    error: httpx.TransportError, request: httpx.Request, *, during: str = ""
) -> APIConnectionError:
    """The chatcontract error for an httpx transport failure (``during``: e.g. " while streaming")."""
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(request=request)
    return APIConnectionError(f"Connection error{during}: {type(error).__name__}", request=request)


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientBalanceError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The error class for an HTTP status, through the one table above."""
    if status >= 500:
        return InternalServerError
    return STATUS_ERRORS.get(status, APIStatusError)
