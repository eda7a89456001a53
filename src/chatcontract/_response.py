"""Turn a whole HTTP response into a model or a typed error. No I/O: shared by sync and async."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pydantic

from ._error_mapping import body_error, error_response, json_or_none, may_signal
from ._exceptions import APIResponseValidationError
from ._generated._protocol import Endpoint
from ._nulls import forbidden_null


def describe(error: pydantic.ValidationError) -> str:
    parts = []
    for detail in error.errors(include_url=False)[:5]:  # pragma: no mutate (no url read)
        where = ".".join(str(p) for p in detail["loc"]) or "<body>"
        parts.append(f"{where}: {detail['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _invalid(
    endpoint: Endpoint[Any],
    response: httpx.Response,
    body: bytes | str,
    problem: str,
    *,
    strict: bool = False,
) -> APIResponseValidationError:
    raw = body.encode() if isinstance(body, str) else body
    mode = "strictly " if strict else ""
    return APIResponseValidationError(
        f"response does not {mode}match {endpoint.spec}: {problem}", response=response, body=raw
    )


# Enough for any reply: each round sets aside every value pydantic reported in the last one.
_MAX_ROUNDS = 16


_Kept = dict[int, tuple[dict[str, Any], dict[str, Any]]]


def _walk(data: Any, loc: tuple[int | str, ...]) -> tuple[Any, int | str, dict[str, Any], str] | None:
    """Where a pydantic error location points in ``data``: (container, key) of the deepest value
    it reaches, and (object, member) of the object member that holds that value.

    A location may go on past the value (into the branches of a union, say ``literal['stop']``);
    the walk stops where the data does. None when it reaches nothing inside the body.
    """
    found: tuple[Any, int | str, dict[str, Any], str] | None = None
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            found = (node, part, node, part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node) and found:
            found = (node, part, found[2], found[3])
        else:
            break
        node = node[part]
    return found


def _last_first(removal: tuple[Any, int | str]) -> tuple[bool, int | str]:
    return isinstance(removal[1], int), removal[1]


def _set_aside(data: Any, errors: list[Any], kept: _Kept) -> bool:
    """Take out of ``data`` each value that ``errors`` report; keep the originals in ``kept``.

    ``kept`` maps an object (by identity) to its members as the server sent them; a bad list
    item goes, and its list is kept whole under the member that holds it.
    """
    removals: dict[tuple[int, int | str], tuple[Any, int | str]] = {}
    for detail in errors:
        where = _walk(data, tuple(detail["loc"]))
        if where is None:
            return False  # an error of the body as a whole: nothing to set aside
        container, key, obj, member = where
        kept.setdefault(id(obj), (obj, {}))[1].setdefault(member, copy.deepcopy(obj[member]))
        removals[id(container), key] = (container, key)
    # Last index first, so that removing a list item does not move the next one. (A container's
    # keys are all int or all str, so only one kind is ever compared with another of its kind.)
    for container, key in sorted(removals.values(), key=_last_first, reverse=True):
        del container[key]
    return True


def _restore(model: Any, data: Any, kept: _Kept) -> None:
    """Put each set-aside value into ``model_extra`` of the model that ``data`` became."""
    if isinstance(data, list):  # then the model's value is the list validated from it
        for item, raw in zip(model, data, strict=True):  # pragma: no mutate (same length)
            _restore(item, raw, kept)
        return
    if not isinstance(model, pydantic.BaseModel) or not isinstance(data, dict):
        return
    if id(data) in kept and model.__pydantic_extra__ is not None:
        model.__pydantic_extra__.update(kept[id(data)][1])
    for name, info in type(model).model_fields.items():
        key = info.alias or name
        if key in data:
            _restore(getattr(model, name), data[key], kept)


def _lenient(model: type[pydantic.BaseModel], body: bytes | str) -> Any:
    """The reply read leniently when its exact types do not parse, or None.

    Each value of the wrong type reads as the field's default (``None``, ``[]``) and the value
    as sent is kept in the ``model_extra`` of the object that holds it, under its own name, so
    ``model_dump(mode="json", exclude_unset=True)`` still gives back everything that was sent.
    """
    data = json_or_none(body)
    if not isinstance(data, dict):
        return None
    kept: _Kept = {}
    for _ in range(_MAX_ROUNDS):
        try:
            parsed = model.model_validate(data)
        except pydantic.ValidationError as error:
            errors = error.errors(include_url=False)  # pragma: no mutate (no url read)
            if not _set_aside(data, errors, kept):
                return None
            continue
        _restore(parsed, data, kept)
        return parsed
    return None


def readable(parsed: pydantic.BaseModel) -> bool:
    """Whether a parsed reply or chunk read at least one documented field.

    Lenient reading takes a reply with any field missing, but an object with none of them
    (``{}``, ``{"detail": ...}``) is no reply at all.
    """
    return not parsed.model_fields_set.isdisjoint(type(parsed).model_fields)


def read_lenient(model: type[pydantic.BaseModel], body: bytes | str) -> Any:
    """``body`` as ``model`` the way ``strict_responses=False`` reads it, or None if unreadable."""
    try:
        parsed: Any = model.model_validate_json(body)  # pragma: no mutate (a shortcut of _lenient)
    except pydantic.ValidationError:
        parsed = _lenient(model, body)
    return parsed if parsed is not None and readable(parsed) else None


def parse_body(
    endpoint: Endpoint[Any], response: httpx.Response, body: bytes | str, *, strict: bool, chunk: bool = False
) -> Any:
    """A whole reply (or one stream chunk) as the lenient model, or a typed error.

    An error the body signals (an error object, a non-zero MiniMax ``base_resp``) wins over a
    mismatch with the spec. The common case costs one pydantic pass over the text; the body
    is decoded a second time only when it may carry an error or does not parse. Without
    ``strict`` a value of the wrong type does not make the reply unreadable (``_lenient``);
    only a body that is no JSON object is. With ``strict`` the body must also match the spec
    exactly: pydantic's strict mode ("7" is no integer) and no null the spec does not allow.
    """
    model = endpoint.chunk_model if chunk else endpoint.response_model
    try:
        parsed = model.model_validate_json(body)
    except pydantic.ValidationError as error:
        if (signalled := body_error(endpoint, response, body)) is not None:
            raise signalled from None
        parsed = None if strict else _lenient(model, body)
        if parsed is None:
            raise _invalid(endpoint, response, body, describe(error)) from None
    if may_signal(endpoint, body, parsed) and (signalled := body_error(endpoint, response, body)) is not None:
        raise signalled
    if not readable(parsed):
        problem = f"it carries none of the fields of a {model.__name__}"
        raise _invalid(endpoint, response, body, problem)
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
    return parse_body(endpoint, response, response.content, strict=strict)
