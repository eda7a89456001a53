"""A local mock of the documented APIs, built from the specs: for demos and client tests.

>>> from chatcontract.mock import MockServer
>>> with MockServer() as server:                       # port=0: a free port
...     client = chatcontract.MiniMax(api_key="any", base_url=server.base_url("minimax"))
...     reply = client.chat.completions.create(model="MiniMax-M2.7", messages=[...])

``POST /minimax/v1/chat/completions`` serves specs/minimax.yaml, ``POST
/evolink/v1/chat/completions`` both evolink specs, ``GET /health`` answers ``{"status": "ok"}``.
Requests are checked against the spec's request schema by the mock's own JSON Schema
validator (any non-empty bearer key is accepted; undocumented fields pass, documented ones
must match their schema) and answered with the spec's documented example response, or as
server-sent events in the spec's ``x-stream-style`` with ``"stream": true``. From a shell:
``python -m chatcontract.mock --port 8765``. ``MockServer(upstream=Upstream(latency_ms=200,
rpm=6000, fail_rate=0.01))`` (``--latency-ms``, ``--rpm``, ``--tpm``, ``--fail-rate``) makes it
behave like a real upstream: slow, rate limited in each vendor's own format, failing now and then;
``ttft_ms`` / ``chunk_interval_ms`` (``--ttft-ms``, ``--chunk-interval-ms``) pace its streams.
"""

from __future__ import annotations

from ._cli import main
from ._server import MockServer
from ._upstream import Upstream

__all__ = ["MockServer", "Upstream", "main"]
