"""Turn a whole HTTP response into a model or a typed error. No I/O: shared by sync and async."""

from __future__ import annotations

from typing import Any

import httpx
import pydantic

from ._error_mapping import error_response, json_or_none, signalled_error
from ._exceptions import APIResponseValidationError
from ._generated._protocol import Endpoint
from ._nulls import forbidden_null


def describe(error: pydantic.ValidationError) -> str:
    parts = []
    for detail in error.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in detail["loc"]) or "<body>"
        parts.append(f"{where}: {detail['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def validate_body(
    endpoint: Endpoint[Any],
    models: tuple[type[pydantic.BaseModel], ...],
    response: httpx.Response,
    body: bytes | str,
) -> Any:
    """Validate ``body`` with each model in turn; return the last one's result.

    A strict model (the spec exactly) validates in pydantic's strict mode, so "7" is no
    integer, and refuses a null the spec does not allow.
    """
    parsed: Any = None
    for model in models:
        strict = model in (endpoint.strict_response_model, endpoint.strict_chunk_model)
        problem = ""
        try:
            parsed = model.model_validate_json(body, strict=strict)
        except pydantic.ValidationError as error:
            problem = describe(error)
        else:
            null = forbidden_null(endpoint, parsed) if strict else ""
            problem = f"{null}: null where the spec allows none" if null else ""
        if problem:
            raw = body.encode("utf-8") if isinstance(body, str) else body
            mode = "strictly " if strict else ""
            raise APIResponseValidationError(
                f"response does not {mode}match {endpoint.spec}: {problem}", response=response, body=raw
            )
    return parsed


def parse_response(endpoint: Endpoint[Any], response: httpx.Response, *, strict: bool) -> Any:
    """The lenient response model; with ``strict``, the body must match the spec exactly."""
    if not response.is_success:
        raise error_response(endpoint, response)
    body = response.content
    data = json_or_none(body)
    error = signalled_error(endpoint, response, data, body)
    if error is not None:
        raise error
    models = (
        (endpoint.strict_response_model, endpoint.response_model) if strict else (endpoint.response_model,)
    )
    return validate_body(endpoint, models, response, body)
