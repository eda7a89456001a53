"""The APIs the mock serves, read from the generated registry, and the problems it answers.

Nothing here names a vendor: each API's route is its id (``_generated.APIS``), its endpoints
and error format come from its spec (``x-errors``, with ``x-errors.template`` for the body
the mock writes), and its stream style from ``x-stream-style``. An API whose spec gives no
template gets the OpenAI-compatible error body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import _registry
from .._generated._protocol import Endpoint


@dataclass(frozen=True)
class Problem:
    """One kind of failed request: its HTTP status, error type, short code and error kind."""

    status: int
    type: str
    code: str  # the OpenAI-style short code ("invalid_api_key")
    kind: str  # the x-errors kind, whose code an API's template may give instead


PROBLEMS: Mapping[str, Problem] = {
    "unauthorized": Problem(401, "authentication_error", "invalid_api_key", "authentication"),
    "invalid_request": Problem(400, "invalid_request_error", "invalid_request", "bad_request"),
    "invalid_json": Problem(400, "invalid_request_error", "invalid_json", "bad_request"),
    "unsupported_media_type": Problem(400, "invalid_request_error", "unsupported_media_type", "bad_request"),
    "not_found": Problem(404, "invalid_request_error", "not_found", "not_found"),
    "method_not_allowed": Problem(405, "invalid_request_error", "method_not_allowed", "bad_request"),
    "length_required": Problem(411, "invalid_request_error", "length_required", "bad_request"),
    "too_large": Problem(413, "invalid_request_error", "request_too_large", "bad_request"),
    "internal": Problem(500, "api_error", "internal_error", "internal_server"),
    # The upstream simulation's refusal (``_upstream``).
    "rate_limited": Problem(429, "rate_limit_error", "rate_limit_exceeded", "rate_limit"),
    # What the HTTP layer refuses before the app sees a request (http.server's send_error).
    "bad_request": Problem(400, "invalid_request_error", "bad_request", "bad_request"),
    "uri_too_long": Problem(414, "invalid_request_error", "uri_too_long", "bad_request"),
    "headers_too_large": Problem(431, "invalid_request_error", "headers_too_large", "bad_request"),
    "not_implemented": Problem(501, "invalid_request_error", "method_not_implemented", "bad_request"),
    "version_not_supported": Problem(
        505, "invalid_request_error", "http_version_not_supported", "bad_request"
    ),
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


@dataclass(frozen=True)
class ErrorTemplate:
    """An API's error body: every string leaf is filled in with ``str.format_map`` from
    message, type, code and status (the HTTP status as a string); a leaf that is just
    ``"{code}"`` becomes the code itself, a number where ``codes`` gives one."""

    body: Mapping[str, Any]
    codes: Mapping[str, int | str] = field(default_factory=dict)  # error kind -> the API's code

    def code(self, problem: Problem) -> int | str:
        """The code of ``problem`` in this API: its template's code for the kind, else the short one."""
        return self.codes.get(problem.kind, problem.code)


# For an API whose spec has no x-errors.template, and errors outside any API (unknown prefix).
OPENAI_TEMPLATE = ErrorTemplate({"error": {"message": "{message}", "type": "{type}", "code": "{code}"}})


@dataclass(frozen=True)
class Api:
    """One API the mock serves under ``/<name>``."""

    name: str
    endpoints: tuple[Endpoint[Any], ...]
    error_template: ErrorTemplate
    api_key_env: str
    base_url_env: str


def _api(api_id: str) -> Api:
    module = _registry.module(api_id)
    template = ErrorTemplate(module.ERROR_BODY, module.ERROR_CODES) if module.ERROR_BODY else OPENAI_TEMPLATE
    return Api(
        name=api_id,
        endpoints=module.ENDPOINTS,
        error_template=template,
        api_key_env=module.API_KEY_ENV,
        base_url_env=module.BASE_URL_ENV,
    )


APIS: Mapping[str, Api] = {api_id: _api(api_id) for api_id in _registry.ids()}


def _fill(template: Any, values: Mapping[str, str], code: int | str) -> Any:
    if template == "{code}":
        return code
    if isinstance(template, str):
        return template.format_map(values)
    if isinstance(template, Mapping):
        return {key: _fill(value, values, code) for key, value in template.items()}
    return template


def error_body(template: ErrorTemplate, problem: Problem, message: str) -> dict[str, Any]:
    """The error body of ``template`` for ``problem`` with ``message``."""
    code = template.code(problem)
    values = {"message": message, "type": problem.type, "code": str(code), "status": str(problem.status)}
    body: dict[str, Any] = _fill(template.body, values, code)
    return body
