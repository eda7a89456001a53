"""From a response body to the typed error it signals, through the spec's ``x-errors``. No I/O.

An error is signalled by an HTTP error status, by an error object in the body, or (MiniMax) by
a success body whose status code is not the success value. The vendor code, where the spec maps
it to a kind, decides the class; otherwise the HTTP status does.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from ._exceptions import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    InsufficientBalanceError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    status_error_class,
)
from ._generated._protocol import Endpoint, ErrorFormat

# Kinds a spec's x-errors.codes may name.
KIND_ERRORS: dict[str, type[APIStatusError]] = {
    "authentication": AuthenticationError,
    "bad_request": BadRequestError,
    "insufficient_balance": InsufficientBalanceError,
    "internal_server": InternalServerError,
    "not_found": NotFoundError,
    "permission_denied": PermissionDeniedError,
    "rate_limit": RateLimitError,
}

# For an API whose spec says nothing: the OpenAI-compatible error body.
OPENAI_ERRORS = ErrorFormat(message="/error/message", type="/error/type", code="/error/code")

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "trace-id", "minimax-request-id")


def pointer(data: Any, path: str | None) -> Any:
    """The value at a JSON pointer, or None where the path does not exist."""
    if path is None:
        return None
    for part in path.split("/")[1:]:
        if isinstance(data, dict):
            data = data.get(part.replace("~1", "/").replace("~0", "~"))
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        # ValueError covers bad JSON, bad UTF-8 and over-long integers; deeply nested input
        # (``[[[[...``) makes json.loads raise RecursionError instead, which must not escape.
        return None


def signalled_error(
    endpoint: Endpoint[Any], response: httpx.Response, data: Any, body: bytes
) -> APIStatusError | None:
    """The error that ``data`` (decoded from ``body``: a response body or a stream frame) signals."""
    fmt = endpoint.errors or OPENAI_ERRORS
    message = pointer(data, fmt.message)
    code = pointer(data, fmt.code)
    error_type = pointer(data, fmt.type)
    signalled = not response.is_success or message is not None
    status_code = pointer(data, fmt.success_code)
    if status_code is not None and status_code != fmt.success_ok:
        signalled = True
        code = status_code
        message = pointer(data, fmt.success_message)
    if not signalled:
        return None
    if not isinstance(message, str) or not message:
        message = response.reason_phrase if not response.is_success else "the API reported an error"
    if code is None and fmt.code_in_message:
        found = re.search(fmt.code_in_message, message)
        code = found.group(1) if found else None
    kind = fmt.kinds.get(str(code)) if code is not None else None
    cls = KIND_ERRORS[kind] if kind else status_error_class(response.status_code)
    text = f"Error code: {response.status_code} - {message}"
    if code is not None and str(code) not in message:
        text += f" (code {code})"
    request_id = next((response.headers[h] for h in _REQUEST_ID_HEADERS if h in response.headers), None)
    return cls(
        text,
        response=response,
        body=body,
        code=str(code) if isinstance(code, (str, int)) else None,
        type=error_type if isinstance(error_type, str) else None,
        request_id=request_id,
    )


def error_response(endpoint: Endpoint[Any], response: httpx.Response) -> APIStatusError:
    """The typed error of an HTTP error response (its body already read)."""
    error = signalled_error(endpoint, response, json_or_none(response.content), response.content)
    assert error is not None  # an error status always signals
    return error
