"""``chatcontract conformance``: does the real API still match its spec?

Sends each spec's documented example request (whole and streamed) and checks every response
body and stream chunk against the spec's strict models: each field the spec lacks, gets wrong
or requires but is missing is reported with its JSON path and the spec location to fix. With
a vendor's key in the environment the real API is called; without, the local mock server
stands in, and the report says so.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO, get_args

import httpx
import pydantic

from .._generated._protocol import Endpoint
from .._sse import SSEDecoder
from ..mock import MockServer
from ._chat import CLIENTS

_PROBLEMS = {
    "extra_forbidden": "field the spec lacks",
    "missing": "required by the spec but missing",
    "literal_error": "value outside the spec's enum",
}


@dataclass(frozen=True)
class Finding:
    path: str  # JSON path in the body, e.g. $.choices[0].message.audio_content
    problem: str
    location: str  # where to fix the spec, e.g. specs/minimax.yaml#/components/schemas/Usage
    value: str

    def __str__(self) -> str:
        value = f" ({self.value})" if self.value else ""
        return f"{self.path}: {self.problem}{value} -> {self.location}"


def _nested_model(annotation: Any) -> type[pydantic.BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _locate(endpoint: Endpoint[Any], model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> str:
    """The spec pointer of the schema (and property) an error location lands in."""
    for depth, part in enumerate(loc):
        if not isinstance(part, str) or part not in model.model_fields:
            continue
        nested = _nested_model(model.model_fields[part].annotation)
        if nested is None or depth == len(loc) - 1:
            return f"{endpoint.spec}#/components/schemas/{model.__name__}/properties/{part}"
        model = nested
    return f"{endpoint.spec}#/components/schemas/{model.__name__}"


def findings(
    endpoint: Endpoint[Any], model: type[pydantic.BaseModel], body: Any, prefix: str = "$"
) -> list[Finding]:
    """Every way ``body`` breaks ``model`` (a strict model: exactly the spec)."""
    try:
        model.model_validate(body, strict=True)  # strict: "43" is not an integer
    except pydantic.ValidationError as error:
        out = []
        for detail in error.errors(include_url=False):
            loc = tuple(detail["loc"])
            path = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
            problem = _PROBLEMS.get(detail["type"], f"does not match the spec: {detail['msg']}")
            value = (
                ""
                if detail["type"] == "missing"
                else json.dumps(detail.get("input"), ensure_ascii=False)[:60]
            )
            out.append(Finding(path, problem, _locate(endpoint, model, loc), value))
        return out
    return []


def _frames(response: httpx.Response) -> Iterator[str]:
    decoder = SSEDecoder()
    for piece in response.iter_bytes():
        yield from (event.data for event in decoder.feed(piece))
    yield from (event.data for event in decoder.flush())


def check(endpoint: Endpoint[Any], base_url: str, key: str, *, stream: bool, timeout: float) -> list[Finding]:
    """Send the documented request and check what comes back against the spec."""
    body = {**endpoint.request_examples["documented"], **({"stream": True} if stream else {})}
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    url = base_url.rstrip("/") + endpoint.path
    with (
        httpx.Client(timeout=timeout) as http,
        http.stream("POST", url, json=body, headers=headers) as response,
    ):
        if not response.is_success:
            response.read()
            detail = response.text[:200]
            return [Finding("$", f"HTTP {response.status_code}, not a reply", url, detail)]
        if not stream:
            response.read()
            return findings(endpoint, endpoint.strict_response_model, response.json())
        out = []
        for number, data in enumerate(_frames(response)):
            if data != "[DONE]":
                out += findings(endpoint, endpoint.strict_chunk_model, json.loads(data), f"$chunk[{number}]")
        return out


def conformance_main(argv: list[str], out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="chatcontract conformance", description=__doc__.splitlines()[0])
    parser.add_argument("--api", choices=sorted(CLIENTS), action="append", help="only these APIs")
    parser.add_argument("--mock", action="store_true", help="use the mock server even when keys are set")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per request (default: 120)")
    args = parser.parse_args(argv)
    total = 0
    with MockServer() as server:
        for api in args.api or sorted(CLIENTS):
            settings = CLIENTS[api]._api
            key = os.environ.get(settings.api_key_env)
            if key and not args.mock:
                base_url = os.environ.get(settings.base_url_env) or settings.default_base_url
                print(
                    f"== {api}: {settings.api_key_env} is set: checking the REAL API at {base_url}", file=out
                )
            else:
                key, base_url = "conformance", server.base_url(api)
                print(f"== {api}: no {settings.api_key_env}: checking the local MOCK server", file=out)
            for endpoint in settings.endpoints:
                for stream in (False, True):
                    try:
                        found = check(endpoint, base_url, key, stream=stream, timeout=args.timeout)
                    except (httpx.HTTPError, ValueError) as error:
                        found = [
                            Finding(
                                "$", f"no usable reply: {type(error).__name__}", base_url, str(error)[:60]
                            )
                        ]
                    label = f"{endpoint.name} ({'streamed' if stream else 'whole'})"
                    print(f"{label}: {'conforms' if not found else f'{len(found)} finding(s)'}", file=out)
                    for finding in found:
                        print(f"  {finding}", file=out)
                    total += len(found)
    print(f"conformance: {total} finding(s)", file=out)
    return 1 if total else 0
