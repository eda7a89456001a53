"""Adding an API is adding a spec: a fourth vendor, from a spec in tests/ and nothing else.

tests/fourth_api/lumen.yaml is a made-up vendor (a flat error body whose code decides the
kind, a stream ending in a usage-only chunk without ``[DONE]``). The session fixture writes
a codegen config with that one spec, runs codegen into a temporary folder, and ships the
result with the unchanged runtime as the package ``lumencc`` (``codegen.vendor`` with its
tools). Everything below then runs on that package: no line of it was written for Lumen.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import respx
import yaml

from tests.specs import API_KEY, generate_package

SPEC = Path(__file__).resolve().parent / "fourth_api" / "lumen.yaml"
DOCUMENT = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
OPERATION = DOCUMENT["paths"]["/v2/chat/completions"]["post"]
REQUEST = OPERATION["requestBody"]["content"]["application/json"]["examples"]["documented"]["value"]
RESPONSE = OPERATION["responses"]["200"]["content"]["application/json"]["examples"]["documented"]["value"]
URL = DOCUMENT["servers"][0]["url"] + "/v2/chat/completions"
ANSWER = RESPONSE["choices"][0]["message"]["content"]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ModuleType, Path]]:
    """``lumencc``: the runtime with the code generated from the Lumen spec alone."""
    folder = generate_package(tmp_path_factory.mktemp("fourth"), {"lumen": SPEC}, "lumencc")
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("lumencc"), folder
    finally:
        sys.path.remove(str(folder))


@pytest.fixture(scope="module")
def cc(package: tuple[ModuleType, Path]) -> ModuleType:
    return package[0]


@pytest.fixture(scope="module")
def server(cc: ModuleType) -> Iterator[Any]:
    mock = importlib.import_module("lumencc.mock")
    with mock.MockServer() as running:
        yield running


def test_the_registry_and_the_lazy_exports_hold_the_new_api(cc: ModuleType) -> None:
    generated = importlib.import_module("lumencc._generated")
    assert list(generated.APIS) == ["lumen"]
    assert "lumencc._generated.lumen_client" not in sys.modules or cc.Lumen  # loaded on first use
    assert cc.Lumen.__name__ == "Lumen" and cc.AsyncLumen.__name__ == "AsyncLumen"
    assert {"Lumen", "AsyncLumen"} <= set(dir(cc))
    assert "LUMEN_API_KEY" in (cc.Lumen.__doc__ or "") and "https://api.lumen.example" in cc.Lumen.__doc__
    with pytest.raises(AttributeError):
        _ = cc.MiniMax  # only what the config lists is generated


def test_the_client_sends_the_documented_request_and_parses_the_documented_response(cc: ModuleType) -> None:
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(URL).mock(return_value=httpx.Response(200, json=RESPONSE))
        with cc.Lumen(api_key=API_KEY, max_retries=0) as client:
            reply = client.chat.completions.create(**REQUEST)
    sent = route.calls.last.request
    assert json.loads(sent.content) == REQUEST
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert reply.model_dump(mode="json", exclude_unset=True) == RESPONSE
    assert type(reply).__module__ == "lumencc._generated.lumen_models"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"temperature": 2.5}, "temperature"), ({"top_k": 0}, "top_k"), ({"model": "lumen-2"}, "model")],
    ids=["temperature", "top_k", "model"],
)
def test_its_rules_are_enforced_before_sending(cc: ModuleType, params: dict[str, Any], field: str) -> None:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        route = router.post(URL)
        client = cc.Lumen(api_key=API_KEY, max_retries=0)
        with pytest.raises(cc.RequestValidationError) as caught:
            client.chat.completions.create(**{**REQUEST, **params})
    assert caught.value.field == field
    assert not route.called


def test_its_error_codes_decide_the_class_and_its_log_id_names_the_request(cc: ModuleType) -> None:
    body = {"error_code": 40200, "error_type": "billing", "error_msg": "balance exhausted", "log_id": "L-7"}
    with respx.mock(assert_all_mocked=True) as router:
        router.post(URL).mock(return_value=httpx.Response(429, json=body))
        client = cc.Lumen(api_key=API_KEY, max_retries=3)
        with pytest.raises(cc.InsufficientBalanceError) as caught:  # a 429, but the code says balance
            client.chat.completions.create(**REQUEST)
        assert router.calls.call_count == 1  # never retried
    assert caught.value.code == "40200" and caught.value.request_id == "L-7"
    assert "balance exhausted" in str(caught.value)


def test_the_mock_serves_it_whole(cc: ModuleType, server: Any) -> None:
    with cc.Lumen(api_key="any", base_url=server.base_url("lumen"), max_retries=0) as client:
        reply = client.chat.completions.create(**REQUEST)
    assert reply.choices[0].message.content == ANSWER
    assert reply.model == REQUEST["model"]


def test_the_mock_streams_it_in_its_own_style(cc: ModuleType, server: Any) -> None:
    url = server.base_url("lumen") + "/v2/chat/completions"
    raw = httpx.post(url, json={**REQUEST, "stream": True}, headers={"Authorization": "Bearer any"}).text
    frames = [json.loads(line[len("data: ") :]) for line in raw.splitlines() if line.startswith("data: ")]
    assert "[DONE]" not in raw
    assert (
        frames[-1]["choices"] == []
        and frames[-1]["usage"]["total_tokens"] == RESPONSE["usage"]["total_tokens"]
    )
    assert frames[-2]["choices"][0]["finish_reason"] == "stop"
    client = cc.Lumen(api_key="any", base_url=server.base_url("lumen"), max_retries=0)
    with client, client.chat.completions.create(**REQUEST, stream=True) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == ANSWER


def test_the_mock_answers_errors_in_its_format(cc: ModuleType, server: Any) -> None:
    url = server.base_url("lumen") + "/v2/chat/completions"
    unauthorized = httpx.post(url, json=REQUEST)
    assert unauthorized.status_code == 401
    assert unauthorized.json()["error_code"] == 40101 and unauthorized.json()["error_msg"]
    refused = httpx.post(url, json={**REQUEST, "temperature": 9}, headers={"Authorization": "Bearer any"})
    assert refused.status_code == 400
    assert refused.json()["error_code"] == 40000 and "temperature" in refused.json()["error_msg"]
    client = cc.Lumen(api_key="any", base_url=server.base_url("lumen"), max_retries=0)
    with client, pytest.raises(cc.BadRequestError) as caught:
        client.chat.completions.create(**REQUEST, extra_body={"temperature": 9})
    # the mock's x-request-id header wins over the body's log_id (headers first, then the body)
    assert caught.value.code == "40000" and caught.value.request_id
    assert caught.value.response.headers["x-request-id"] == caught.value.request_id


def _run(package: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LUMEN_")}
    environment["PYTHONPATH"] = str(package)
    return subprocess.run(
        [sys.executable, "-m", "lumencc", *args],
        env={**environment, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_chat_api_lumen_works(package: tuple[ModuleType, Path], server: Any) -> None:
    env = {"LUMEN_API_KEY": "any", "LUMEN_BASE_URL": server.base_url("lumen")}
    for extra in ([], ["--stream"]):
        done = _run(
            package[1],
            "chat",
            "--api",
            "lumen",
            "--model",
            "lumen-1",
            "Bonjour",
            "--top-k",
            "5",
            *extra,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        assert ANSWER in done.stdout and "[usage] tokens:" in done.stdout
    refused = _run(
        package[1], "chat", "--api", "lumen", "--model", "lumen-1", "Bonjour", "--top-k", "500", env=env
    )
    assert refused.returncode != 0 and "top_k" in refused.stderr


def test_its_contract_cases_run(package: tuple[ModuleType, Path]) -> None:
    done = _run(package[1], "conformance", "--mock")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "== lumen" in done.stdout


def test_the_pytest_plugin_has_its_fixture(cc: ModuleType, server: Any) -> None:
    testing = importlib.import_module("lumencc.testing")
    assert hasattr(testing, "lumen_client")
    clients = testing.MockClients(server)
    with clients.lumen() as client:
        assert client.chat.completions.create(**REQUEST).choices[0].message.content == ANSWER
