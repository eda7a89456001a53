"""Schemathesis (pinned) against the mock: the bounded run of ``make schemathesis``, in the suite.

Every spec passes every Schemathesis check except the deliberate ones that
tools/schemathesis/run.py documents; and the run is shown to catch a stream that breaks its
spec's ``itemSchema``, so a green run means the streams were checked.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

from chatcontract.mock import MockServer
from tests import specs

# The pinned Schemathesis needs Python 3.11, so pyproject.toml installs it there only: make test
# (3.11) runs this module; make test-py310 skips it, saying so.
pytest.importorskip("schemathesis", reason="Schemathesis 4.32 needs Python 3.11 (see pyproject.toml)")


def _load_runner() -> ModuleType:
    path = specs.ROOT / "tools" / "schemathesis" / "run.py"
    spec = importlib.util.spec_from_file_location("schemathesis_run", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


RUNNER = _load_runner()


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    return {result.spec: result for result in RUNNER.run(max_examples=5)}


@pytest.mark.parametrize("api", sorted(specs.CONFIG.specs))
def test_schemathesis_passes_against_the_mock(results: dict[str, object], api: str) -> None:
    result = results[api]
    assert result.failures == [] and result.exit_code == 0, result.failures  # type: ignore[attr-defined]
    assert result.generated >= 50, result  # type: ignore[attr-defined]


def test_a_stream_that_breaks_its_item_schema_is_caught() -> None:
    spec = specs.spec("evolink_minimax_m2_5")
    chunk = spec["components"]["schemas"]["ChatCompletionChunk"]
    chunk["required"] = [*chunk["required"], "system_fingerprint"]  # a field the mock never sends
    with MockServer() as server, tempfile.TemporaryDirectory() as scratch:
        result = RUNNER.run_spec(spec, "broken", server.base_url("evolink"), 5, Path(scratch))
    assert result.exit_code != 0
    assert any("SSE" in failure for failure in result.failures), result.failures


def test_only_the_headers_openapi_ignores_are_dropped() -> None:
    spec = specs.spec("minimax")
    ((_, item),) = spec["paths"].items()
    item["post"]["parameters"].append({"name": "X-Trace", "in": "header", "schema": {"type": "string"}})
    ((_, kept),) = RUNNER.without_ignored_headers(spec)["paths"].items()
    assert [p["name"] for p in kept["post"]["parameters"]] == ["X-Trace"]
