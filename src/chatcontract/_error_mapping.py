"""From a response body to the typed error it signals, through the spec's ``x-errors``. No I/O.

An error is signalled by an HTTP error status, by an error object in the body, or by a success
body whose status code is not the success value (where the spec names one: ``success_body``).
The vendor code, where the spec maps it to a kind, decides the class; otherwise the HTTP
status does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
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

# Headers that carry the id a vendor asks for in a support request, first found wins; a spec
# adds its vendor's own (``x-errors.request_id``), and where an error body carries it.
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "trace-id")


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


@dataclass(frozen=True)
class Signals:
    """What ``may_signal`` looks for, worked out once per error format."""

    marker: str  # the error object's key, quoted, as it appears in the JSON text
    marker_bytes: bytes
    success_path: tuple[str, ...]  # attributes leading to the success code in a parsed reply
    success_ok: Any


_SIGNALS: dict[int, Signals] = {}


def signals_of(endpoint: Endpoint[Any]) -> Signals:
    fmt = endpoint.errors or OPENAI_ERRORS
    found = _SIGNALS.get(id(fmt))
    if found is None:
        marker = '"' + fmt.message.split("/")[1] + '"'
        path = tuple(fmt.success_code.split("/")[1:]) if fmt.success_code else ()
        found = _SIGNALS[id(fmt)] = Signals(marker, marker.encode(), path, fmt.success_ok)
    return found


def may_signal(endpoint: Endpoint[Any], body: bytes | str, parsed: Any) -> bool:
    """Cheap test on a body that parsed as a reply: could it signal an error after all?

    True when an error object may be in it (its key appears in the text) or when the
    parsed success code is not the success value; ``signalled_error`` then decides.
    """
    signals = signals_of(endpoint)
    if (signals.marker in body) if isinstance(body, str) else (signals.marker_bytes in body):
        return True
    return success_failed(signals, parsed)


def success_failed(signals: Signals, parsed: Any) -> bool:
    """Whether a parsed reply's success code (MiniMax ``base_resp.status_code``) says failure."""
    if not signals.success_path:
        return False
    value = parsed
    for part in signals.success_path:
        value = getattr(value, part, None)
    return not _is_ok(value, signals.success_ok)


def _is_ok(status: Any, ok: Any) -> bool:
    # "0" counts as 0, as it does once the reply model has read it.
    return status is None or status == ok or str(status) == str(ok)


def json_or_none(body: bytes | str) -> Any:
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
    if isinstance(data, list) and data and isinstance(data[0], dict):
        # Google's APIs answer some errors as a one-item array: ``[{"error": {...}}]``.
        data = data[0]
    message = pointer(data, fmt.message)
    code = pointer(data, fmt.code)
    error_type = pointer(data, fmt.type)
    signalled = not response.is_success or message is not None
    status_code = pointer(data, fmt.success_code)
    if not _is_ok(status_code, fmt.success_ok):
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
    return cls(
        text,
        response=response,
        body=body,
        code=str(code) if isinstance(code, (str, int)) else None,
        type=error_type if isinstance(error_type, str) else None,
        request_id=request_id_of(fmt, response, data),
    )


def request_id_of(fmt: ErrorFormat, response: httpx.Response, data: Any) -> str | None:
    """The id to quote to the vendor: from a response header, else from the error body."""
    for header in (*_REQUEST_ID_HEADERS, *fmt.request_id_headers):
        if header in response.headers:
            return response.headers[header]
    for path in fmt.request_id_pointers:
        found = pointer(data, path)
        if isinstance(found, str) and found:
            return found
    return None


def body_error(endpoint: Endpoint[Any], response: httpx.Response, body: bytes | str) -> APIStatusError | None:
    """The error a whole body (or one stream frame) signals, or None."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return signalled_error(endpoint, response, json_or_none(raw), raw)


def error_response(endpoint: Endpoint[Any], response: httpx.Response) -> APIStatusError:
    """The typed error of an HTTP error response (its body already read)."""
    error = body_error(endpoint, response, response.content)
    assert error is not None  # an error status always signals
    return error
