"""Reading a batch file: each line checked against the spec before anything is sent. No I/O but the file.

A line is ``{"custom_id", "body"}`` or the OpenAI Batch input format ``{"custom_id", "method",
"url", "body"}``. Its ``body`` is checked by the same rules as ``create()`` (the endpoint its
``model`` selects); a line that breaks one is reported with its number, ``custom_id``, field and
rule, and is never sent. A ``custom_id`` seen before is refused the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._exceptions import RequestValidationError
from .._generated._protocol import Endpoint
from .._request import select_endpoint, validate_params

PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class Line:
    """A valid line: sent as ``body``, reported under ``custom_id``."""

    number: int
    custom_id: str
    body: dict[str, Any]
    tokens: int  # an estimate of the tokens it will cost, for the tokens-per-minute limit


@dataclass(frozen=True)
class Invalid:
    """A line that is not sent, and why."""

    number: int
    custom_id: str | None
    field: str
    rule: str

    def as_json(self) -> dict[str, Any]:
        return {"line": self.number, "custom_id": self.custom_id, "field": self.field, "rule": self.rule}


def estimate_tokens(body: dict[str, Any]) -> int:
    """A rough count for rate limiting: about 4 characters of prompt per token, plus the
    completion budget the request allows (512 when it sets none). Corrected later by usage."""
    prompt = len(json.dumps(body.get("messages", []), ensure_ascii=False)) // 4 + 1
    budget = body.get("max_completion_tokens") or body.get("max_tokens") or 512
    return prompt + (budget if isinstance(budget, int) else 512)


def check(number: int, data: Any, endpoints: Sequence[Endpoint[Any]]) -> Line | Invalid:
    """Line ``number`` (already parsed) as a valid ``Line``, or why it is not sent."""
    if not isinstance(data, dict):
        return Invalid(number, None, "", "a JSON object per line")
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return Invalid(number, None, "custom_id", "a non-empty string")
    if "method" in data and data["method"] != "POST":
        return Invalid(number, custom_id, "method", "POST")
    if "url" in data and data["url"] != PATH:
        return Invalid(number, custom_id, "url", PATH)
    body = data.get("body")
    if not isinstance(body, dict):
        return Invalid(number, custom_id, "body", "a JSON object: the request body")
    if body.get("stream"):
        return Invalid(number, custom_id, "body.stream", "false or absent: a batch reads whole replies")
    try:
        validate_params(select_endpoint(endpoints, body.get("model")), body)
    except RequestValidationError as error:
        return Invalid(number, custom_id, f"body.{error.field}", str(error))
    return Line(number, custom_id, body, estimate_tokens(body))


def read(path: Path, endpoints: Sequence[Endpoint[Any]]) -> Iterator[Line | Invalid]:
    """Every line of ``path`` (blank ones skipped), valid or not, in file order."""
    seen: set[str] = set()
    with path.open(encoding="utf-8") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except ValueError as error:
                yield Invalid(number, None, "", f"valid JSON ({error})")
                continue
            line = check(number, data, endpoints)
            if isinstance(line, Line):
                if line.custom_id in seen:
                    yield Invalid(number, line.custom_id, "custom_id", "unique in the file (seen before)")
                    continue
                seen.add(line.custom_id)
            yield line


def fingerprint(path: Path) -> str:
    """The input's SHA-256: a job resumes only over the same file."""
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
