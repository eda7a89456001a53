"""Turn a whole HTTP response into a model or a typed error. No I/O: shared by sync and async."""

from __future__ import annotations

from typing import Any

import httpx
import pydantic

from ._error_mapping import body_error, error_response, may_signal
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


def _invalid(
    endpoint: Endpoint[Any], response: httpx.Response, body: bytes | str, problem: str, *, strict: bool
) -> APIResponseValidationError:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    mode = "strictly " if strict else ""
    return APIResponseValidationError(
        f"response does not {mode}match {endpoint.spec}: {problem}", response=response, body=raw
    )


def parse_body(
    endpoint: Endpoint[Any], response: httpx.Response, body: bytes | str, *, strict: bool, chunk: bool
) -> Any:
    """A whole reply (or one stream chunk) as the lenient model, or a typed error.

    An error the body signals (an error object, a non-zero MiniMax ``base_resp``) wins over a
    mismatch with the spec. The common case costs one pydantic pass over the text; the body
    is decoded a second time only when it may carry an error. With ``strict`` the body must
    also match the spec exactly: pydantic's strict mode ("7" is no integer) and no null the
    spec does not allow.
    """
    model = endpoint.chunk_model if chunk else endpoint.response_model
    try:
        parsed = model.model_validate_json(body)
    except pydantic.ValidationError as error:
        if (signalled := body_error(endpoint, response, body)) is not None:
            raise signalled from None
        raise _invalid(endpoint, response, body, describe(error), strict=False) from None
    if may_signal(endpoint, body, parsed) and (signalled := body_error(endpoint, response, body)) is not None:
        raise signalled
    if strict:
        exact = endpoint.strict_chunk_model if chunk else endpoint.strict_response_model
        try:
            null = forbidden_null(endpoint, exact.model_validate_json(body, strict=True))
        except pydantic.ValidationError as error:
            raise _invalid(endpoint, response, body, describe(error), strict=True) from None
        if null:
            raise _invalid(endpoint, response, body, f"{null}: null where the spec allows none", strict=True)
    return parsed


def parse_response(endpoint: Endpoint[Any], response: httpx.Response, *, strict: bool) -> Any:
    """The reply of a whole (read) response, or its typed error."""
    if not response.is_success:
        raise error_response(endpoint, response)
    return parse_body(endpoint, response, response.content, strict=strict, chunk=False)
