"""What differs between the vendors the mock serves, as data: error bodies and error kinds.

Stream styles are not here: each spec states its own (``x-stream-style``), and codegen puts
it into the endpoint (``Endpoint.stream_style``).

Every vendor-specific choice of the mock lives in the tables below; the rest of the package
looks things up here instead of branching on a vendor's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._generated import evolink_client, minimax_client
from .._generated._protocol import Endpoint


@dataclass(frozen=True)
class Problem:
    """One kind of failed request: its HTTP status, error type and codes."""

    status: int
    type: str
    code: str  # short code, evolink's (OpenAI-style) "code" field
    vendor_code: int  # MiniMax's numeric status code (1004: authentication, 2013: invalid parameters)


PROBLEMS: Mapping[str, Problem] = {
    "unauthorized": Problem(401, "authentication_error", "invalid_api_key", 1004),
    "invalid_request": Problem(400, "invalid_request_error", "invalid_request", 2013),
    "invalid_json": Problem(400, "invalid_request_error", "invalid_json", 2013),
    "unsupported_media_type": Problem(400, "invalid_request_error", "unsupported_media_type", 2013),
    "not_found": Problem(404, "invalid_request_error", "not_found", 2013),
    "method_not_allowed": Problem(405, "invalid_request_error", "method_not_allowed", 2013),
    "length_required": Problem(411, "invalid_request_error", "length_required", 2013),
    "too_large": Problem(413, "invalid_request_error", "request_too_large", 2013),
    "internal": Problem(500, "api_error", "internal_error", 1000),
    # The upstream simulation's refusal (``_upstream``): MiniMax's 1002, "rate limit".
    "rate_limited": Problem(429, "rate_limit_error", "rate_limit_exceeded", 1002),
    # What the HTTP layer refuses before the app sees a request (http.server's send_error).
    "bad_request": Problem(400, "invalid_request_error", "bad_request", 2013),
    "uri_too_long": Problem(414, "invalid_request_error", "uri_too_long", 2013),
    "headers_too_large": Problem(431, "invalid_request_error", "headers_too_large", 2013),
    "not_implemented": Problem(501, "invalid_request_error", "method_not_implemented", 2013),
    "version_not_supported": Problem(505, "invalid_request_error", "http_version_not_supported", 2013),
}

# An HTTP status the HTTP layer answers -> the PROBLEMS key (others: "bad_request").
PROTOCOL_PROBLEMS: Mapping[int, str] = {
    400: "bad_request",
    408: "bad_request",
    414: "uri_too_long",
    431: "headers_too_large",
    501: "not_implemented",
    505: "version_not_supported",
}

# Error bodies: every string leaf is filled in with str.format_map from
# message, type, code, vendor_code and status (the HTTP status as a string).
ERROR_BODIES: Mapping[str, Mapping[str, Any]] = {
    "minimax": {
        "type": "error",
        "error": {"type": "{type}", "message": "{message} ({vendor_code})", "http_code": "{status}"},
    },
    "openai": {"error": {"message": "{message}", "type": "{type}", "code": "{code}"}},
}


@dataclass(frozen=True)
class Api:
    """One API the mock serves under ``/<name>``."""

    name: str
    endpoints: tuple[Endpoint[Any], ...]
    error_body: Mapping[str, Any]
    api_key_env: str
    base_url_env: str


APIS: Mapping[str, Api] = {
    "minimax": Api(
        name="minimax",
        endpoints=minimax_client.ENDPOINTS,
        error_body=ERROR_BODIES["minimax"],
        api_key_env=minimax_client.API_KEY_ENV,
        base_url_env=minimax_client.BASE_URL_ENV,
    ),
    "evolink": Api(
        name="evolink",
        endpoints=evolink_client.ENDPOINTS,
        error_body=ERROR_BODIES["openai"],
        api_key_env=evolink_client.API_KEY_ENV,
        base_url_env=evolink_client.BASE_URL_ENV,
    ),
}

# Errors outside any API (unknown prefix, /health) use the OpenAI-style body.
DEFAULT_ERROR_BODY = ERROR_BODIES["openai"]


def _fill(template: Any, values: Mapping[str, str]) -> Any:
    if isinstance(template, str):
        return template.format_map(values)
    if isinstance(template, Mapping):
        return {key: _fill(value, values) for key, value in template.items()}
    return template


def error_body(template: Mapping[str, Any], problem: Problem, message: str) -> dict[str, Any]:
    """The error body of ``template`` for ``problem`` with ``message``."""
    values = {
        "message": message,
        "type": problem.type,
        "code": problem.code,
        "vendor_code": str(problem.vendor_code),
        "status": str(problem.status),
    }
    body: dict[str, Any] = _fill(template, values)
    return body
