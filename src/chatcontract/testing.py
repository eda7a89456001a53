"""pytest fixtures for your own tests: the mock server on a free port, and clients pointed at it.

Installed chatcontract registers this module as a pytest plugin, so the fixtures are there in
any test session (or add ``pytest_plugins = ["chatcontract.testing"]`` to a ``conftest.py``):

    def test_my_summary(minimax_client):
        reply = minimax_client.chat.completions.create(
            model="MiniMax-M2.7", messages=[{"role": "user", "content": "hi"}]
        )
        assert reply.choices[0].message.content

The mock checks every request against the spec, like the real API would, and answers with
the documented example (or streams it). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from . import _registry
from ._async_client import AsyncClient
from ._client import SyncClient
from ._generated import APIS
from .mock import MockServer

TEST_KEY = "test-key"


@dataclass(frozen=True)
class MockClients:
    """Makes clients of every kind pointed at one mock server (pass any client option).

    ``client("minimax")`` / ``async_client("minimax")`` for any API id; ``minimax()`` and
    ``async_minimax()`` are the same, named after the API.
    """

    server: MockServer

    def client(self, api: str, **options: Any) -> SyncClient:
        return _registry.client_class(api)(api_key=TEST_KEY, base_url=self.server.base_url(api), **options)

    def async_client(self, api: str, **options: Any) -> AsyncClient:
        cls = _registry.async_client_class(api)
        return cls(api_key=TEST_KEY, base_url=self.server.base_url(api), **options)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        api = name.removeprefix("async_")
        if api not in _registry.ids():
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        make = self.async_client if name.startswith("async_") else self.client
        return functools.partial(make, api)


@pytest.fixture(scope="session")
def chatcontract_mock_server() -> Iterator[MockServer]:
    """The mock server, started once per test session on a free loopback port."""
    with MockServer() as server:
        yield server


@pytest.fixture
def chatcontract_clients(chatcontract_mock_server: MockServer) -> MockClients:
    """A factory of sync and async clients pointed at the mock server."""
    return MockClients(chatcontract_mock_server)


def _client_fixture(api: str) -> Any:
    def fixture(chatcontract_clients: MockClients) -> Iterator[SyncClient]:
        with chatcontract_clients.client(api) as client:
            yield client

    fixture.__doc__ = f"A ``chatcontract.{APIS[api].name}`` talking to the mock server."
    return pytest.fixture(name=f"{api}_client")(fixture)


# ``<id>_client`` for every API: ``minimax_client``, ``evolink_client``, ...
for _api in _registry.ids():
    globals()[f"{_api}_client"] = _client_fixture(_api)
