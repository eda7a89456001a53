"""The ``chatcontract`` command: ``chat`` with an API, run the ``mock`` server, or the ``demo``.

chatcontract chat --api minimax --model MiniMax-M2.7 "你好"
chatcontract batch requests.jsonl results.jsonl --api minimax --rpm 500
chatcontract mock --port 0
chatcontract demo
"""

from __future__ import annotations

import sys

from ._chat import chat_main
from ._demo import demo_main

USAGE = """usage: chatcontract {chat,batch,mock,demo,conformance} ...

  chat   send one prompt to a documented API and print the answer, reasoning and usage
  batch  run a JSONL of requests at the vendor's rate limit, checked first, resumable
  mock   serve the documented APIs locally (127.0.0.1) for demos and tests
  demo   run chat against each documented API, on the mock server unless keys are set
  conformance  check the real APIs (or the mock) against the specs, field by field

Run `chatcontract COMMAND --help` for a command's options."""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command, rest = (args[0], args[1:]) if args else ("", [])
    if command == "chat":
        return chat_main(rest)
    if command == "mock":
        from ..mock import main as mock_main

        return mock_main(rest)
    if command == "demo":
        return demo_main(rest)
    if command == "batch":
        from ._batch import batch_main

        return batch_main(rest)
    if command == "conformance":
        from ._conformance import conformance_main

        return conformance_main(rest)
    print(USAGE, file=sys.stdout if command in {"-h", "--help"} else sys.stderr)
    return 0 if command in {"-h", "--help"} else 2


__all__ = ["main"]
