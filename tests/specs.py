"""The specs as test data: every documented exchange and every rule table, per API."""

from __future__ import annotations

import copy
import functools
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

import chatcontract
from chatcontract._client import SyncClient
from codegen.config import load
from codegen.schema_views import stream_chunk
from codegen.vendor import vendor

ROOT = Path(__file__).resolve().parent.parent
CONFIG = load(ROOT / "pyproject.toml")
FIXTURES = Path(__file__).resolve().parent / "fixtures"
API_KEY = "sk-test-0123456789abcdef"


@functools.cache
def _parsed(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / CONFIG.specs[name].spec).read_text(encoding="utf-8"))
    return data


def spec(name: str) -> dict[str, Any]:
    """The spec as data (a fresh copy: callers may change it)."""
    return copy.deepcopy(_parsed(name))


def x_client(name: str) -> dict[str, Any]:
    """The spec's ``x-client``: its API's id (``"minimax"``), class name, key variables."""
    found: dict[str, Any] = _parsed(name)["x-client"]
    return found


def api_id(name: str) -> str:
    """The id of the spec's API: ``--api``, the mock's route (``"minimax"``, ``"evolink"``)."""
    return str(x_client(name)["id"])


def client_class(name: str) -> type[SyncClient]:
    cls: type[SyncClient] = getattr(chatcontract, x_client(name)["name"])
    return cls


def client(name: str, **kwargs: Any) -> Any:
    """A sync client of ``name``'s vendor; no retries unless asked (tests of retries ask)."""
    return client_class(name)(api_key=API_KEY, **{"max_retries": 0, **kwargs})


def async_client(name: str, **kwargs: Any) -> Any:
    cls = getattr(chatcontract, "Async" + x_client(name)["name"])
    return cls(api_key=API_KEY, **{"max_retries": 0, **kwargs})


def operation(name: str) -> tuple[str, dict[str, Any]]:
    document = spec(name)
    ((path, item),) = document["paths"].items()
    return document["servers"][0]["url"] + path, item["post"]


@dataclass(frozen=True)
class Exchange:
    """A documented request and the documented response of the same name."""

    api: str
    name: str
    url: str
    request: dict[str, Any]
    response: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.api}:{self.name}"


def exchanges() -> list[Exchange]:
    found = []
    for api in sorted(CONFIG.specs):
        url, op = operation(api)
        requests = op["requestBody"]["content"]["application/json"]["examples"]
        responses = op["responses"]["200"]["content"]["application/json"]["examples"]
        for name in sorted(requests):
            found.append(Exchange(api, name, url, requests[name]["value"], responses[name]["value"]))
    return found


def rule_cases(kind: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(api, base request, case) for each case of ``kind`` in tests/fixtures/<api>/rules.yaml
    (a table is optional: a new API's spec examples are its contract cases from the start)."""
    cases = []
    for api in sorted(CONFIG.specs):
        if not (FIXTURES / api / "rules.yaml").exists():
            continue
        table = yaml.safe_load((FIXTURES / api / "rules.yaml").read_text(encoding="utf-8"))
        cases += [(api, table["base"], case) for case in table[kind]]
    return cases


def error_cases() -> list[tuple[str, dict[str, Any]]]:
    """(api, case) for each case in tests/fixtures/<api>/errors.yaml (optional, as rules.yaml)."""
    cases = []
    for api in sorted(CONFIG.specs):
        if not (FIXTURES / api / "errors.yaml").exists():
            continue
        table = yaml.safe_load((FIXTURES / api / "errors.yaml").read_text(encoding="utf-8"))
        cases += [(api, case) for case in table["cases"]]
    return cases


def respond_with(case: dict[str, Any], **headers: str) -> dict[str, Any]:
    """respx ``respond()`` arguments for an error-table case (its own ``headers`` too)."""
    headers = {**case.get("headers", {}), **headers}
    if "text" in case:
        return {
            "status_code": case["status"],
            "text": case["text"],
            "headers": {"content-type": "text/html", **headers},
        }
    return {"status_code": case["status"], "json": case["body"], "headers": headers}


def _schema_of(api: str, kind: str) -> dict[str, Any]:
    document = spec(api)
    _, op = operation(api)
    ok = op["responses"]["200"]["content"]
    schema = {
        "request": op["requestBody"]["content"]["application/json"]["schema"],
        "response": ok["application/json"]["schema"],
        "chunk": stream_chunk(ok["text/event-stream"]),
    }[kind]
    # The components ride along so that "#/components/schemas/..." refs resolve.
    return {**schema, "components": document["components"]}


@functools.cache
def _validator(api: str, kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_schema_of(api, kind))


def check_against_spec(api: str, kind: str, body: Any) -> None:
    """Validate a request, response or chunk body against the spec with jsonschema, which
    shares nothing with the generated models (the independent check of every exchange)."""
    _validator(api, kind).validate(body)


def generate_package(root: Path, spec_files: dict[str, Path], name: str) -> Path:
    """Codegen over ``spec_files`` alone (a config of its own in ``root``), shipped with the
    unchanged runtime and its tools as the package ``name``; returns the folder to import from."""
    (root / "specs").mkdir(parents=True, exist_ok=True)
    entries = ""
    for api, path in spec_files.items():
        shutil.copy(path, root / "specs" / path.name)
        entries += f'\n[tool.chatcontract.codegen.specs.{api}]\nspec = "specs/{path.name}"\n'
    (root / "pyproject.toml").write_text(
        '[tool.chatcontract.codegen]\noutput = "generated"\n'
        f"datamodel_codegen_args = {json.dumps(CONFIG.datamodel_codegen_args)}\n{entries}",
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "codegen", "--config", str(root / "pyproject.toml")],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    vendor(root / "pkg", name, generated=root / "generated", tools=True)
    return root / "pkg"
