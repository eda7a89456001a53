"""The generated APIs by id (``_generated.APIS``): their modules and client classes.

The command line, the mock server, the batch runner and the pytest plugin find APIs here, so
none of them names one; a module is imported the first time its API is asked for.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from ._exceptions import InvalidArgumentError
from ._generated import APIS

if TYPE_CHECKING:
    from ._async_client import AsyncClient
    from ._client import SyncClient


def ids() -> list[str]:
    """Every API id, in the order of the codegen config."""
    return list(APIS)


def module(api: str) -> ModuleType:
    """The generated ``<id>_client`` module of ``api``."""
    if api not in APIS:
        raise InvalidArgumentError(f"unknown api {api!r}; one of {', '.join(map(repr, APIS))}")
    return importlib.import_module(f"._generated.{APIS[api].module}", __package__)


def client_class(api: str) -> type[SyncClient]:
    cls: type[SyncClient] = getattr(module(api), APIS[api].name)
    return cls


def async_client_class(api: str) -> type[AsyncClient]:
    cls: type[AsyncClient] = getattr(module(api), "Async" + APIS[api].name)
    return cls
