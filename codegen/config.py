"""Codegen configuration: the ``[tool.chatcontract.codegen]`` tables of ``pyproject.toml``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser from PyPI (a dev dependency; the library reads no TOML)
    import tomli as tomllib


def parse_toml(text: str) -> dict[str, Any]:
    return tomllib.loads(text)


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
    data = parse_toml(pyproject.read_text(encoding="utf-8"))
    config = CodegenConfig.model_validate(
        {"root": pyproject.parent, **data["tool"]["chatcontract"]["codegen"]}
    )
    unknown = {spec.client for spec in config.specs.values()} - set(config.clients)
    if unknown:
        raise ValueError(f"specs name clients with no [clients] table: {sorted(unknown)}")
    return config
