"""Codegen configuration: the ``[tool.chatcontract.codegen]`` tables of ``pyproject.toml``."""

from __future__ import annotations

from pathlib import Path

import tomllib
from pydantic import BaseModel, ConfigDict


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpecConfig(_Strict):
    """One documented endpoint: its spec and the client class that serves it."""

    spec: Path
    client: str


class ClientConfig(_Strict):
    """One vendor client class and where it finds its key and server."""

    module: str
    api_key_env: str
    base_url_env: str
    summary: str


class CodegenConfig(_Strict):
    root: Path
    output: Path
    datamodel_codegen_args: list[str]
    specs: dict[str, SpecConfig]
    clients: dict[str, ClientConfig]


def load(pyproject: Path) -> CodegenConfig:
    """The codegen tables of ``pyproject``; paths in them are relative to its folder."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    config = CodegenConfig.model_validate(
        {"root": pyproject.parent, **data["tool"]["chatcontract"]["codegen"]}
    )
    unknown = {spec.client for spec in config.specs.values()} - set(config.clients)
    if unknown:
        raise ValueError(f"specs name clients with no [clients] table: {sorted(unknown)}")
    return config
