"""Codegen configuration: the ``[tool.chatcontract.codegen]`` tables of ``pyproject.toml``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser from PyPI (a dev dependency; the library reads no TOML)
    import tomli as tomllib


def parse_toml(text: str) -> dict[str, Any]:
    return tomllib.loads(text)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpecConfig(_Strict):
    """One documented endpoint: its spec (everything else about it is in the spec)."""

    spec: Path


class ClientInfo(BaseModel):
    """A spec's ``x-client``: how its API is presented (specs/EXTENSIONS.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$")  # the sync class; the async one is Async<name>
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")  # --api, the mock's route, the fixtures' prefix
    api_key_env: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    base_url_env: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    summary: str
    description: str = ""
    x_source: str = Field(default="", alias="x-source")

    @property
    def module(self) -> str:
        return f"{self.id}_client"

    def presentation(self) -> dict[str, str]:
        """What every spec of one client must state alike."""
        return self.model_dump(exclude={"description", "x_source"})


class CodegenConfig(_Strict):
    root: Path
    output: Path
    datamodel_codegen_args: list[str]
    specs: dict[str, SpecConfig] = Field(default_factory=dict)


def load(pyproject: Path) -> CodegenConfig:
    """The codegen tables of ``pyproject``; paths in them are relative to its folder."""
    data = parse_toml(pyproject.read_text(encoding="utf-8"))
    config = CodegenConfig.model_validate(
        {"root": pyproject.parent, **data["tool"]["chatcontract"]["codegen"]}
    )
    return config
