"""Turn ``create()`` arguments into an HTTP request, checking every documented rule first.

No I/O here: the sync and async clients share all of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pydantic

from ._config import RedactedHeaders
from ._exceptions import RequestValidationError
from ._generated._protocol import Endpoint
from ._nulls import forbidden_null

_MAX_REPR = 80


@dataclass(frozen=True)
class PreparedRequest:
    endpoint: Endpoint[Any]
    method: str
    url: str
    headers: dict[str, str]
    content: bytes
    stream: bool


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


# pydantic puts the tried member of a union into an error's location ("str",
# "list[ContentPart]"); JSON fields in these APIs are snake_case, so such parts are dropped.
_UNION_MEMBER = re.compile(r"^(str|int|float|bool|none|[A-Z]\w*|\w+\[.*\])$")


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _UNION_MEMBER.match(part):
            out += f".{part}" if out else part
    return out


def _where(endpoint: Endpoint[Any]) -> str:
    return f"{'/'.join(endpoint.models)} request, documented in {endpoint.spec}"


def _invalid(where: str, field: str, rule: str, got: Any, detail: str = "") -> RequestValidationError:
    requirement = rule if rule[:1].isupper() else f"must be {rule}"
    message = f"{field}: {requirement} ({where}); got {_short(got)}"
    if detail:
        message += f" [{detail}]"
    return RequestValidationError(
        message,
        field=field,
        rule=rule,
        errors=[{"field": field, "rule": rule, "input": got, "detail": detail}],
    )


def select_endpoint(endpoints: Sequence[Endpoint[Any]], model: Any) -> Endpoint[Any]:
    """The endpoint whose documented models include ``model``."""
    for endpoint in endpoints:
        if model in endpoint.models:
            return endpoint
    documented = [m for endpoint in endpoints for m in endpoint.models]
    rule = "one of " + ", ".join(repr(m) for m in documented)
    specs = ", ".join(endpoint.spec for endpoint in endpoints)
    raise _invalid(f"documented in {specs}", "model", rule, model)


def _from_pydantic(endpoint: Endpoint[Any], error: pydantic.ValidationError) -> RequestValidationError:
    details = error.errors(include_url=False)  # pragma: no mutate (no url read)
    # The deepest error is the most specific one (for unions: the member that nearly matched).
    first = max(details, key=lambda d: len(d["loc"]))
    field = _path(first["loc"])
    if first["type"] == "extra_forbidden":
        documented = ", ".join(endpoint.rules)
        rule = f"a documented parameter ({documented}); send others with extra_body"
        result = _invalid(_where(endpoint), field, rule, first.get("input"))
    else:
        # A parameter's own problem is told by its documented rule (a nested path is never a
        # rule's name), pydantic's words following; a problem inside one in pydantic's words.
        nested = len(first["loc"]) > 1
        rule = endpoint.rules.get(field, first["msg"])
        result = _invalid(_where(endpoint), field, rule, first.get("input"), "" if nested else first["msg"])
    result.errors = [
        {"field": _path(d["loc"]), "rule": d["msg"], "input": d.get("input"), "detail": d["type"]}
        for d in details
    ]
    return result


def _as_sent(messages: Any) -> Any:
    """Messages with any reply model (``reply.choices[0].message``) as the JSON it was read from.

    MiniMax's function-call guide has the whole assistant message appended to the history, so
    a message model of the reply goes back as sent; it is then checked as any other message.
    """
    if isinstance(messages, (list, tuple)) and any(isinstance(m, pydantic.BaseModel) for m in messages):
        return [
            m.model_dump(
                mode="json",
                exclude_unset=True,
                by_alias=True,
            )
            if isinstance(m, pydantic.BaseModel)
            else m
            for m in messages
        ]
    return messages


def check_params(endpoint: Endpoint[Any], params: Mapping[str, Any]) -> pydantic.BaseModel:
    """The request model for ``params`` (``None`` means "not sent"), or RequestValidationError."""
    given = {key: value for key, value in params.items() if value is not None}
    if "messages" in given:
        given["messages"] = _as_sent(given["messages"])
    try:
        # strict: a JSON boolean is a bool, not "yes" or 1; a number is not the string "1".
        model = endpoint.request_model.model_validate(given, strict=True)
    except pydantic.ValidationError as error:
        raise _from_pydantic(endpoint, error) from None
    null = forbidden_null(endpoint, model)
    if null:
        raise _invalid(_where(endpoint), null, "absent or a value, not null", None)
    for trigger, needs in endpoint.required_when.items():
        if trigger in given:
            for key, value in needs.items():
                if given.get(key) != value:
                    rule = f"{value!r} when {trigger} is given"
                    raise _invalid(_where(endpoint), key, rule, given.get(key))
    return model


def validate_params(endpoint: Endpoint[Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body for ``params`` as data, or RequestValidationError."""
    body: dict[str, Any] = check_params(endpoint, params).model_dump(
        mode="json", exclude_unset=True, by_alias=True
    )
    return body


def prepare(
    *,
    endpoints: Sequence[Endpoint[Any]],
    params: Mapping[str, Any],
    base_url: str,
    headers: Mapping[str, str],
    stream_headers: Mapping[str, str],
    extra_headers: Mapping[str, str] | None,
    extra_body: Mapping[str, Any] | None,
) -> PreparedRequest:
    """Select the endpoint, check the parameters and encode the request.

    ``headers`` go with a whole reply, ``stream_headers`` with a stream; ``extra_headers``
    and ``extra_body`` are laid over them unchecked.
    """
    endpoint = select_endpoint(endpoints, params.get("model"))
    model = check_params(endpoint, params)
    if extra_body:
        body = model.model_dump(mode="json", exclude_unset=True, by_alias=True)
        body.update(extra_body)
        content = json.dumps(
            body,
            ensure_ascii=False,  # pragma: no mutate (None would be as false)
            separators=(",", ":"),
        ).encode()
        stream = body.get("stream") is True
    else:  # the common case: pydantic writes the JSON bytes in one pass
        content = model.__pydantic_serializer__.to_json(model, exclude_unset=True, by_alias=True)
        stream = getattr(model, "stream", None) is True
    chosen = stream_headers if stream else headers
    return PreparedRequest(
        endpoint=endpoint,
        method=endpoint.method,
        url=base_url + endpoint.path,
        headers=RedactedHeaders({**chosen, **extra_headers} if extra_headers else chosen),
        content=content,
        stream=stream,
    )
