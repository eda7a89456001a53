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

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ._evolink import AsyncEvolink, Evolink
from ._minimax import AsyncMiniMax, MiniMax
from .mock import MockServer

TEST_KEY = "test-key"


@dataclass(frozen=True)
class MockClients:
    """Makes clients of every kind pointed at one mock server (pass any client option)."""

    server: MockServer

    def minimax(self, **options: Any) -> MiniMax:
        return MiniMax(api_key=TEST_KEY, base_url=self.server.base_url("minimax"), **options)

    def evolink(self, **options: Any) -> Evolink:
        return Evolink(api_key=TEST_KEY, base_url=self.server.base_url("evolink"), **options)

    def async_minimax(self, **options: Any) -> AsyncMiniMax:
        return AsyncMiniMax(api_key=TEST_KEY, base_url=self.server.base_url("minimax"), **options)

    def async_evolink(self, **options: Any) -> AsyncEvolink:
        return AsyncEvolink(api_key=TEST_KEY, base_url=self.server.base_url("evolink"), **options)


@pytest.fixture(scope="session")
def chatcontract_mock_server() -> Iterator[MockServer]:
    """The mock server, started once per test session on a free loopback port."""
    with MockServer() as server:
        yield server


@pytest.fixture
def chatcontract_clients(chatcontract_mock_server: MockServer) -> MockClients:
    """A factory of sync and async clients pointed at the mock server."""
    return MockClients(chatcontract_mock_server)


@pytest.fixture
def minimax_client(chatcontract_clients: MockClients) -> Iterator[MiniMax]:
    """A ``chatcontract.MiniMax`` talking to the mock server."""
    with chatcontract_clients.minimax() as client:
        yield client


@pytest.fixture
def evolink_client(chatcontract_clients: MockClients) -> Iterator[Evolink]:
    """A ``chatcontract.Evolink`` talking to the mock server."""
    with chatcontract_clients.evolink() as client:
        yield client
