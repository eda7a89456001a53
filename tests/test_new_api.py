"""``make new-api``: the scaffolded spec and its one config entry are all a new API needs."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import pytest

from codegen.config import load
from codegen.new_api import api_id, scaffold
from codegen.validate_specs import example_errors
from codegen.validate_specs import load as load_spec
from tests.specs import ROOT, generate_package


def _project(folder: Path) -> Path:
    """A project folder holding a copy of this project's pyproject.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _project(tmp_path)


def test_scaffold_writes_a_valid_spec_and_one_config_entry(project: Path) -> None:
    before = load(project / "pyproject.toml").specs
    spec = scaffold(project, "Moonshot", "https://api.moonshot.example", ["kimi-k2", "kimi-k2-turbo"])
    assert spec == project / "specs" / "moonshot.yaml"
    after = load(project / "pyproject.toml").specs
    assert set(after) - set(before) == {"moonshot"} and after["moonshot"].spec == Path("specs/moonshot.yaml")
    document = load_spec(spec)  # valid OpenAPI, or this raises
    assert example_errors(document) == []
    assert document["x-client"]["api_key_env"] == "MOONSHOT_API_KEY"
    request = document["components"]["schemas"]["ChatCompletionRequest"]
    assert request["properties"]["model"]["enum"] == ["kimi-k2", "kimi-k2-turbo"]
    assert "TODO" in spec.read_text(encoding="utf-8")  # the facts left to transcribe are marked


@pytest.mark.parametrize(
    ("name", "server", "message"),
    [
        ("deep-seek", "https://api.deepseek.com", "name"),
        ("DeepSeek", "http://api.deepseek.com", "https origin"),
        ("DeepSeek", "https://api.deepseek.com/v1", "https origin"),
        ("MiniMax", "https://api.minimaxi.com", "already has a spec 'minimax'"),
    ],
    ids=["bad-name", "http", "path-in-server", "taken"],
)
def test_scaffold_refuses_what_codegen_could_not_use(
    project: Path, name: str, server: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        scaffold(project, name, server, ["m-1"])
    assert not (project / "specs").exists()


def test_the_scaffold_as_written_generates_a_working_client(tmp_path: Path) -> None:
    spec = scaffold(_project(tmp_path / "p"), "Acme", "https://api.acme.example", ["acme-1"])
    folder = generate_package(tmp_path / "build", {"acme": spec}, "acmecc")
    sys.path.insert(0, str(folder))
    try:
        acmecc = importlib.import_module("acmecc")
        server = importlib.import_module("acmecc.mock").MockServer().start()
        with server, acmecc.Acme(api_key="k", base_url=server.base_url("acme"), max_retries=0) as client:
            reply = client.chat.completions.create(
                model="acme-1", messages=[{"role": "user", "content": "hi"}]
            )
            with pytest.raises(acmecc.RequestValidationError):
                client.chat.completions.create(model="acme-2", messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content == "Hello! How can I help you?"
    finally:
        sys.path.remove(str(folder))


def test_api_id_is_the_name_in_lower_case() -> None:
    assert api_id("DeepSeek") == "deepseek" and api_id("MoonshotCN") == "moonshotcn"


@pytest.mark.parametrize(
    "models",
    [["@cf/meta/llama-3.1-8b-instruct"], ["yes", "1.5", "null", "007"], ["a,b", "x]", "a", "a"]],
    ids=["slashes-and-at", "yaml-lookalikes", "flow-characters"],
)
def test_model_names_reach_the_spec_as_strings(project: Path, models: list[str]) -> None:
    spec = scaffold(project, "Acme", "https://api.acme.example", models)
    document = load_spec(spec)
    request = document["components"]["schemas"]["ChatCompletionRequest"]
    assert request["properties"]["model"]["enum"] == list(dict.fromkeys(models))
    assert example_errors(document) == []


@pytest.mark.parametrize(
    ("name", "path", "message"),
    [
        ("Evolink", "/v1/chat/completions", "already has a spec 'evolink'"),
        ("Acme", "/v1/chat #x", "plain path"),
    ],
    ids=["x-client-id-taken", "odd-path"],
)
def test_refused_before_anything_is_written(project: Path, name: str, path: str, message: str) -> None:
    before = (project / "pyproject.toml").read_bytes()
    (project / "specs").mkdir()
    for spec in ("minimax.yaml", "evolink-minimax-m2.5.yaml", "evolink-gemini-3-pro-preview.yaml"):
        shutil.copy(ROOT / "specs" / spec, project / "specs" / spec)
    with pytest.raises(ValueError, match=message):
        scaffold(project, name, "https://api.evolink.ai", ["m"], path)
    assert (project / "pyproject.toml").read_bytes() == before
    assert sorted(p.name for p in (project / "specs").iterdir()) == sorted(
        ["minimax.yaml", "evolink-minimax-m2.5.yaml", "evolink-gemini-3-pro-preview.yaml"]
    )


CODEGEN_HEAD = '[tool.chatcontract.codegen]\noutput = "generated"\ndatamodel_codegen_args = []\n'


@pytest.mark.parametrize(
    "tables",
    [
        "[tool.chatcontract.codegen.specs.one]\nspec='specs/one.yaml'  # first\n\n[tool.other]\nx = 1\n",
        "[tool.chatcontract.codegen.specs]\none = {spec = 'specs/one.yaml'}\n",
        "",
    ],
    ids=["single-quotes-and-a-comment", "inline-tables", "no-specs-yet"],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_the_entry_goes_into_any_pyproject_layout(tmp_path: Path, tables: str, newline: str) -> None:
    text = (CODEGEN_HEAD + tables).replace("\n", newline)
    (tmp_path / "pyproject.toml").write_bytes(text.encode())
    scaffold(tmp_path, "Acme", "https://api.acme.example", ["acme-1"])
    updated = (tmp_path / "pyproject.toml").read_bytes().decode()
    config = load(tmp_path / "pyproject.toml")
    assert list(config.specs)[-1] == "acme" and config.specs["acme"].spec == Path("specs/acme.yaml")
    assert updated.count("\r\n") == (updated.count("\n") if newline == "\r\n" else 0)
    kept = iter(updated.splitlines())
    assert all(line in kept for line in text.splitlines()), "every line of the file kept, in order"
