"""``chatcontract conformance`` against deliberately drifted servers, and against the mock."""

from __future__ import annotations

import copy
import io
from typing import Any

import httpx
import pytest
import respx

from chatcontract._generated import APIS
from chatcontract.cli._conformance import conformance_main
from tests import specs
from tests.sse import frames

BASE = "http://127.0.0.1:9"
DOCUMENTED = next(e for e in specs.exchanges() if e.api == "minimax").response


def _drifted() -> dict[str, Any]:
    body = copy.deepcopy(DOCUMENTED)
    body["choices"][0]["message"]["audio_content"] = ""  # a field the spec lacks
    body["choices"][0]["finish_reason"] = "content_filter"  # outside the enum
    body["usage"]["total_tokens"] = "43"  # wrong type
    del body["created"]  # required by the spec
    return body


def _run(monkeypatch: pytest.MonkeyPatch, whole: Any, stream: bytes) -> tuple[int, str]:
    monkeypatch.setenv("MINIMAX_API_KEY", specs.API_KEY)
    monkeypatch.setenv("MINIMAX_BASE_URL", BASE)

    def answer(request: httpx.Request) -> httpx.Response:
        if b'"stream":true' in request.content.replace(b" ", b""):
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=stream)
        return httpx.Response(200, json=whole)

    out = io.StringIO()
    with respx.mock(assert_all_mocked=True) as router:
        route = router.post(f"{BASE}/v1/chat/completions").mock(side_effect=answer)
        code = conformance_main(["--api", "minimax"], out=out)
    assert route.call_count == 2
    return code, out.getvalue()


def test_drift_is_reported_with_path_and_spec_location(monkeypatch: pytest.MonkeyPatch) -> None:
    head = {"id": "x", "created": 1, "model": "MiniMax-M2.7", "object": "chat.completion.chunk"}
    stream = frames(
        [{**head, "choices": [{"index": 0, "delta": {"content": "hi", "reasoning_details": []}}]}]
    )
    code, report = _run(monkeypatch, _drifted(), stream)
    assert code == 1
    assert "checking the REAL API at http://127.0.0.1:9" in report
    spec = "specs/minimax.yaml#/components/schemas"
    expected = [
        ("$.choices[0].message.audio_content", 'field the spec lacks ("")', "AssistantMessage"),
        ("$.choices[0].finish_reason", "value outside the spec's enum", "Choice/properties/finish_reason"),
        ("$.usage.total_tokens", "Input should be a valid integer", "Usage/properties/total_tokens"),
        ("$.created", "required by the spec but missing", "ChatCompletion/properties/created"),
        ("$chunk[0].choices[0].delta.reasoning_details", "field the spec lacks", "ChoiceDelta"),
    ]
    lines = report.splitlines()
    for path, problem, where in expected:
        assert any(
            line.strip().startswith(f"{path}: ") and problem in line and line.endswith(f"-> {spec}/{where}")
            for line in lines
        ), (path, report)
    assert "conformance: 5 finding(s)" in report


def test_conforming_server_reports_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    head = {"id": "x", "created": 1, "model": "MiniMax-M2.7", "object": "chat.completion.chunk"}
    stream = frames([{**head, "choices": [{"index": 0, "delta": {"content": "hi"}}]}], done=False)
    code, report = _run(monkeypatch, DOCUMENTED, stream)
    assert code == 0, report
    assert "minimax (whole): conforms" in report and "minimax (streamed): conforms" in report


def test_error_status_is_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_API_KEY", specs.API_KEY)
    monkeypatch.setenv("MINIMAX_BASE_URL", BASE)
    out = io.StringIO()
    with respx.mock(assert_all_mocked=True) as router:
        router.route(host="127.0.0.1", port=9).respond(401, json={"error": {"message": "bad key"}})
        assert conformance_main(["--api", "minimax"], out=out) == 1
    assert "HTTP 401, not a reply" in out.getvalue()
    assert specs.API_KEY not in out.getvalue()


def test_without_keys_the_mock_is_checked_and_conforms() -> None:
    out = io.StringIO()
    assert conformance_main([], out=out) == 0, out.getvalue()
    report = out.getvalue()
    assert report.count("checking the local MOCK server") == len(APIS)
    assert report.count("conforms") == 2 * len(specs.CONFIG.specs)
