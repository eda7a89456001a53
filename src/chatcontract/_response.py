"""Turn an HTTP response into a model or a typed error. No I/O: shared by sync and async."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pydantic

from ._exceptions import APIResponseValidationError, APIStatusError, status_error_class
from ._generated._protocol import Endpoint

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "trace-id", "minimax-request-id")


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def status_error(response: httpx.Response) -> APIStatusError:
    """The typed error for an HTTP error response, with the vendor's code and message."""
    body = response.content
    data = _json_or_none(body)
    error = data.get("error") if isinstance(data, dict) else None
    message = code = None
    if isinstance(error, dict):
        message = error.get("message")
        code = error.get("code") or error.get("type")
    elif isinstance(error, str):
        message = error
    if not isinstance(message, str):
        message = body.decode("utf-8", "replace")[:500] or response.reason_phrase
    request_id = next((response.headers[h] for h in _REQUEST_ID_HEADERS if h in response.headers), None)
    cls = status_error_class(response.status_code)
    return cls(
        f"Error code: {response.status_code} - {message}",
        response=response,
        body=body,
        code=code if isinstance(code, (str, int)) else None,
        request_id=request_id,
    )


def _describe(error: pydantic.ValidationError) -> str:
    parts = []
    for detail in error.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in detail["loc"]) or "<body>"
        parts.append(f"{where}: {detail['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def parse_response(endpoint: Endpoint[Any], response: httpx.Response, *, strict: bool) -> Any:
    """The lenient response model; with ``strict``, the body must match the spec exactly."""
    if not response.is_success:
        raise status_error(response)
    body = response.content
    models = (
        (endpoint.strict_response_model, endpoint.response_model) if strict else (endpoint.response_model,)
    )
    parsed: Any = None
    for model in models:
        try:
            parsed = model.model_validate_json(body)
        except pydantic.ValidationError as error:
            mode = "strictly " if model is endpoint.strict_response_model else ""
            raise APIResponseValidationError(
                f"response does not {mode}match {endpoint.spec}: {_describe(error)}",
                response=response,
                body=body,
            ) from None
    return parsed
