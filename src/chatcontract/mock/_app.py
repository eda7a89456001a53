"""Routing, request checks and answers of the mock server; no sockets here.

Routes: ``POST /<id><path>`` for each API of the generated registry, serving its specs (the
request's ``model`` selects one, as in the client; ``/minimax/v1/chat/completions`` for
specs/minimax.yaml), ``GET /health`` answers ``{"status": "ok"}``.

A chat request is checked in this order, and the first failure is answered in the API's
error format (see ``_apis.PROBLEMS`` and each spec's ``x-errors.template``):

1. ``Authorization: Bearer <key>`` with any non-empty key, else 401;
2. ``Content-Type: application/json`` (parameters such as charset allowed), else 400;
3. a ``Content-Length`` (411 without one), at most 1 MiB (413, decided before reading the body);
4. the body is a JSON object (no NaN or Infinity), else 400;
5. the body against the request schema of the spec its ``model`` selects
   (``Endpoint.request_schema``, checked by the independent validator in ``_schema``, not
   the client's rule code), else 400 naming the field, the rule and the spec.

Documented fields are checked exactly as their schema says (type and format: ``1.0`` is an
integer, ``1e20`` is no int64; ``null`` only where the schema allows it). Undocumented fields
pass, as the specs do not forbid them and clients send them with ``extra_body``; they are
logged at DEBUG.

A valid request is answered with the spec's documented example response (``Endpoint.response_examples``,
generated from the spec) with a fresh ``id`` and ``created``, the request's ``model`` and a
``usage`` whose ``total_tokens`` is ``prompt_tokens + completion_tokens``; with
``"stream": true`` the same response as server-sent events (``_sse``).

A request with ``tools`` (and ``tool_choice`` not ``none``) to an endpoint whose spec documents
``tools`` is answered with a call of its
first tool instead of the text: ``finish_reason: tool_calls`` and one ``tool_calls`` entry
whose arguments give each required parameter a placeholder of its JSON Schema type ("mock",
0, false, [], {}); streamed, the call comes in pieces as OpenAI-compatible servers send it.

A valid request with ``X-Mock-Case: <name>`` is answered instead with that case of the
real-world corpus (``_corpus``: status, headers and body as the real server sent them), so a
user's tests can meet the shapes the pages do not show. The case must belong to the API the
request is for.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .._generated._protocol import Endpoint
from . import _corpus, _sse
from ._apis import APIS, OPENAI_TEMPLATE, PROBLEMS, PROTOCOL_PROBLEMS, Api, ErrorTemplate, error_body
from ._schema import Validator
from ._upstream import Upstream

logger = logging.getLogger("chatcontract.mock")

MAX_BODY = 1024 * 1024
JSON_TYPE = "application/json"
EVENT_STREAM_TYPE = "text/event-stream; charset=utf-8"
HEALTH_PATH = "/health"
_BEARER = re.compile(r"bearer[ \t]+(\S.*)", re.IGNORECASE)
_MAX_ECHO = 80
_JSON_KINDS: dict[type, str] = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


class ClientGone(Exception):
    """The client closed the connection (or stalled) before sending the whole body."""


@dataclass
class Answer:
    """What to send back: a JSON body, or (``frames``) an event stream."""

    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    frames: list[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    replay: bool = False  # a corpus case: its own headers only (no request id of the mock's)
    pacing: tuple[float, float] = (0.0, 0.0)  # frames: seconds before the first, between the others


class Reject(Exception):
    """A failed check: the ``PROBLEMS`` key and a message for the client."""

    def __init__(self, problem: str, message: str, **headers: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message
        self.headers = headers


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _echo(value: str) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_ECHO else text[: _MAX_ECHO - 3] + "..."


def _echo_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _MAX_ECHO else text[: _MAX_ECHO - 3] + "..."


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# A placeholder argument for each JSON Schema type of a tool's required parameters.
_PLACEHOLDERS: dict[str, Any] = {
    "string": "mock",
    "number": 0,
    "integer": 0,
    "boolean": False,
    "array": [],
    "object": {},
}


def _arguments(function: Mapping[str, Any]) -> str:
    """JSON arguments for ``function``: each required parameter with a placeholder of its type."""
    schema = function.get("parameters") or {}
    properties = schema.get("properties") or {}
    arguments = {}
    for name in schema.get("required") or ():
        kind = (properties.get(name) or {}).get("type")
        arguments[name] = _PLACEHOLDERS.get(kind) if isinstance(kind, str) else None
    return json.dumps(arguments, ensure_ascii=False)


def _call_first_tool(response: dict[str, Any], function: Mapping[str, Any]) -> None:
    """``response`` turned into a call of ``function``, in the shape of MiniMax's function-call guide."""
    for choice in response.get("choices") or ():
        call = {"name": function["name"], "arguments": _arguments(function)}
        choice["message"] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": f"call_{uuid.uuid4().hex[:24]}", "type": "function", "function": call}],
        }
        choice["finish_reason"] = "tool_calls"


def _put(document: dict[str, Any], pointer: str, value: Any) -> None:
    """Set the member a JSON pointer of objects names (``/base_resp/status_code``), making its parents."""
    *parents, last = pointer.lstrip("/").split("/")
    for name in parents:
        document = document.setdefault(name, {})
    document[last] = value


def declared_length(headers: Mapping[str, str]) -> int | None:
    """The body length the headers announce: 0 without one, ``None`` if unusable (chunked, invalid)."""
    if "transfer-encoding" in headers:
        return None
    raw = headers.get("content-length")
    if raw is None:
        return 0
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


class App:
    """Answers one request at a time; thread-safe (it keeps no per-request state)."""

    def __init__(self, apis: Mapping[str, Api] = APIS, upstream: Upstream | None = None) -> None:
        self.apis = apis
        self.upstream = upstream or Upstream()
        self.routes = {
            f"/{api.name}{endpoint.path}": api for api in apis.values() for endpoint in api.endpoints
        }
        self.validators = {
            endpoint.name: Validator(endpoint.request_schema)
            for api in apis.values()
            for endpoint in api.endpoints
        }

    def answer(
        self, method: str, target: str, headers: Mapping[str, str], read: Callable[[int], bytes]
    ) -> Answer:
        """The answer to one request; ``headers`` have lower-case names; ``read(n)`` reads the body."""
        path = urlsplit(target).path
        template = self._error_template(path)
        try:
            return self._answer(method, path, headers, read)
        except Reject as rejected:
            return self.error(template, rejected.problem, rejected.message, rejected.headers)
        except ClientGone:
            raise
        except Exception:
            logger.debug("mock: internal error answering %s %s", method, _echo(path), exc_info=True)
            return self.error(template, "internal", "The mock server failed to answer this request")

    def _error_template(self, path: str) -> ErrorTemplate:
        api = self.routes.get(path) or self.apis.get(path.lstrip("/").split("/", 1)[0])
        return api.error_template if api else OPENAI_TEMPLATE

    def protocol_error(self, status: int, message: str, target: str | None) -> Answer:
        """The JSON answer to a request the HTTP layer refused (bad request line, unknown
        method, headers too large...), in the format of the API ``target`` names if any."""
        path = urlsplit(target).path if target else ""
        problem = PROTOCOL_PROBLEMS.get(status, "bad_request")
        return self.error(self._error_template(path), problem, message)

    def error(
        self,
        template: ErrorTemplate,
        problem: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        kind = PROBLEMS[problem]
        return Answer(
            kind.status,
            _json(error_body(template, kind, message)),
            headers=dict(headers or {}),
        )

    def _answer(
        self, method: str, path: str, headers: Mapping[str, str], read: Callable[[int], bytes]
    ) -> Answer:
        if path == HEALTH_PATH:
            if method not in ("GET", "HEAD"):
                raise Reject(
                    "method_not_allowed",
                    f"{method} is not allowed on {HEALTH_PATH}; use GET",
                    Allow="GET, HEAD",
                )
            return Answer(200, _json({"status": "ok"}))
        api = self.routes.get(path)
        if api is None:
            served = ", ".join(f"POST {route}" for route in self.routes)
            raise Reject(
                "not_found", f"Unknown path {_echo(path)}; the mock serves {served} and GET {HEALTH_PATH}"
            )
        if method != "POST":
            raise Reject("method_not_allowed", f"{method} is not allowed on {path}; use POST", Allow="POST")
        self._check_headers(headers)
        body = self._read_json(headers, read)
        endpoint = self._check_body(api, body)
        replay = headers.get("x-mock-case")
        if replay is not None:
            return self._replay(endpoint, replay.strip())
        if self.upstream.active:
            refused = self._as_upstream(api, endpoint)
            if refused is not None:
                return refused
        response = self._response(endpoint, body["model"])
        usage = response.get("usage")
        if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
            self.upstream.used(api.name, usage["total_tokens"])
        documents_tools = "tools" in endpoint.request_schema.get("properties", {})
        if documents_tools and body.get("tools") and body.get("tool_choice") != "none":
            _call_first_tool(response, body["tools"][0]["function"])
        if body.get("stream") is True:
            return Answer(
                200,
                content_type=EVENT_STREAM_TYPE,
                frames=_sse.frames(response, endpoint.stream_style),
                headers={"Cache-Control": "no-cache"},
                pacing=self.upstream.pacing(),
            )
        return Answer(200, _json(response))

    def _as_upstream(self, api: Api, endpoint: Endpoint[Any]) -> Answer | None:
        """Latency, then a rate limit or a failure in the API's own format (``_upstream``).

        An API whose spec has it report failures in an HTTP 200 body (``x-errors`` success
        code and message) is refused that way unless
        ``rate_limit_http=429``; any other with an HTTP 429 and ``Retry-After``.
        """
        upstream = self.upstream
        upstream.wait()
        why = upstream.admit(api.name)
        if why is None:
            return None
        if why == "internal":
            raise Reject("internal", "The upstream failed (simulated: --fail-rate)")
        errors = endpoint.errors
        # In an HTTP 200 body only where the spec gives both the success code's place and the
        # vendor code of a rate limit (x-errors.template.codes.rate_limit): a code the client
        # could not classify would be no rate limit to it.
        code = api.error_template.codes.get("rate_limit")
        success_code = errors.success_code if errors is not None else None
        if success_code and code is not None and upstream.rate_limit_http == 200:
            body: dict[str, Any] = {
                "id": uuid.uuid4().hex,
                "choices": None,
                "created": int(time.time()),
                "object": "chat.completion",
            }
            _put(body, success_code, code)
            if errors is not None and errors.success_message:
                _put(body, errors.success_message, "rate limit")
            return Answer(200, _json(body))
        wait = str(upstream.retry_after(api.name))
        raise Reject("rate_limited", "Rate limit reached (simulated: --rpm/--tpm)", **{"Retry-After": wait})

    def _check_body(self, api: Api, body: dict[str, Any]) -> Endpoint[Any]:
        """The endpoint the body's ``model`` selects, once the body passes its request schema."""
        model = body.get("model")
        endpoint = next((e for e in api.endpoints if model in e.models), None)
        if endpoint is None:
            documented = ", ".join(repr(m) for e in api.endpoints for m in e.models)
            specs = ", ".join(e.spec for e in api.endpoints)
            got = "missing" if "model" not in body else f"got {_echo_json(model)}"
            raise Reject(
                "invalid_request", f"model: must be one of {documented} (request schema of {specs}); {got}"
            )
        violation = self.validators[endpoint.name].first_violation(body)
        if violation is not None:
            got = "" if violation.rule == "is required" else f"; got {_echo_json(violation.value)}"
            raise Reject("invalid_request", f"{violation} (request schema of {endpoint.spec}){got}")
        undocumented = sorted(body.keys() - endpoint.request_schema.get("properties", {}).keys())
        if undocumented:
            logger.debug("mock: undocumented field(s) accepted: %s", ", ".join(map(_echo, undocumented)))
        return endpoint

    @staticmethod
    def _replay(endpoint: Endpoint[Any], name: str) -> Answer:
        """The answer of a real-world corpus case (``X-Mock-Case: <name>``), byte for byte."""
        case = _corpus.cases().get(name)
        if case is None:
            raise Reject(
                "invalid_request",
                f"X-Mock-Case names no corpus case: {_echo(name)}; the cases are the file names "
                f"(without .json) in {_corpus.CORPUS_DIR}",
            )
        if case.api != endpoint.name:
            raise Reject(
                "invalid_request",
                f"X-Mock-Case {name} is a case of {case.api}, but this request is for {endpoint.name}",
            )
        if "events" in case.response:
            return Answer(
                case.status,
                content_type=case.content_type,
                frames=case.frames(),
                headers=case.headers,
                replay=True,
            )
        return Answer(case.status, case.body(), case.content_type, headers=case.headers, replay=True)

    @staticmethod
    def _check_headers(headers: Mapping[str, str]) -> None:
        match = _BEARER.fullmatch(headers.get("authorization", "").strip())
        if not match or not match.group(1).strip():
            raise Reject(
                "unauthorized",
                "Missing or malformed Authorization header: send 'Authorization: Bearer <API key>' "
                "(the mock server accepts any non-empty key)",
            )
        content_type = headers.get("content-type", "")
        if content_type.split(";", 1)[0].strip().lower() != JSON_TYPE:
            raise Reject(
                "unsupported_media_type",
                f"Content-Type must be {JSON_TYPE} (answered with 400); got {_echo(content_type)}",
            )

    @staticmethod
    def _read_json(headers: Mapping[str, str], read: Callable[[int], bytes]) -> dict[str, Any]:
        length = declared_length(headers)
        if length is None:
            raise Reject(
                "length_required", "The request body needs a valid Content-Length (no chunked bodies)"
            )
        if length > MAX_BODY:
            raise Reject(
                "too_large", f"The request body is {length} bytes; the limit is {MAX_BODY} bytes (1 MiB)"
            )
        raw = read(length)
        try:
            body = json.loads(raw, parse_constant=_no_constants)
        except (ValueError, RecursionError) as error:
            detail = str(error) if isinstance(error, ValueError) else "nested too deeply"
            raise Reject("invalid_json", f"The request body is not valid JSON: {detail}") from None
        if not isinstance(body, dict):
            kind = _JSON_KINDS.get(type(body), "a JSON value")
            raise Reject("invalid_json", f"The request body must be a JSON object, not {kind}")
        return body

    @staticmethod
    def _response(endpoint: Endpoint[Any], model: str) -> dict[str, Any]:
        response: dict[str, Any] = copy.deepcopy(endpoint.response_examples["documented"])
        prefix = response["id"].rpartition("-")[0]
        response["id"] = f"{prefix}-{uuid.uuid4().hex}" if prefix else uuid.uuid4().hex
        response["created"] = int(time.time())
        response["model"] = model
        usage = response.get("usage")
        if isinstance(usage, dict) and {"prompt_tokens", "completion_tokens"} <= usage.keys():
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return response
