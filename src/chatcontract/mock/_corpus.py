"""The real-world corpus: what the real APIs were seen to send, each case naming its source.

One JSON file per case in ``real_world/`` (tests/fixtures/real_world is the same directory):

* ``api``: the spec the case belongs to (``minimax``, ``evolink_minimax_m2_5``, ...);
* ``what`` and ``source``: what the server did and where that was seen (an issue thread, an
  SDK's regression test, the vendor's own document);
* ``request``: fields merged over the spec's documented request (``{"stream": true}``);
* ``response``: ``status``, optional ``headers``, and one body: ``json`` (any JSON value),
  ``events`` (a stream: objects, or the string ``"[DONE]"``) or ``text``;
* ``expect``: what the client must make of it (see tests/test_real_world.py).

The mock server replays a case for a request that carries ``X-Mock-Case: <name>``, so the
tests of a user's own code can meet these shapes too. Adding a file adds a case.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS_DIR = Path(__file__).resolve().parent / "real_world"
JSON_TYPE = "application/json"
EVENT_STREAM_TYPE = "text/event-stream; charset=utf-8"


@dataclass(frozen=True)
class Case:
    name: str
    api: str
    what: str
    source: str
    request: Mapping[str, Any]
    response: Mapping[str, Any]
    expect: Mapping[str, Any]

    @property
    def status(self) -> int:
        status: int = self.response["status"]
        return status

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.response.get("headers", {}))

    @property
    def content_type(self) -> str:
        if "events" in self.response:
            return EVENT_STREAM_TYPE
        return JSON_TYPE if "json" in self.response else "text/plain; charset=utf-8"

    def frames(self) -> list[bytes]:
        """The body as the server sent it, one piece per event (one piece when not a stream)."""
        if "events" not in self.response:
            if "json" in self.response:
                return [json.dumps(self.response["json"], ensure_ascii=False).encode("utf-8")]
            return [str(self.response["text"]).encode("utf-8")]
        return [
            b"data: %s\n\n"
            % (event if isinstance(event, str) else json.dumps(event, ensure_ascii=False)).encode("utf-8")
            for event in self.response["events"]
        ]

    def body(self) -> bytes:
        return b"".join(self.frames())


def _load(path: Path) -> Case:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Case(
        name=path.stem,
        api=data["api"],
        what=data["what"],
        source=data["source"],
        request=data.get("request", {}),
        response=data["response"],
        expect=data["expect"],
    )


@functools.cache
def cases() -> dict[str, Case]:
    """Every case of the corpus by name, in name order."""
    return {path.stem: _load(path) for path in sorted(CORPUS_DIR.glob("*.json"))}
