"""The async clients' default transport: several small connection pools instead of one.

httpcore 1.0's connection pool walks all its connections for every queued request
(encode/httpcore#1035), so at concurrency 64 one pool of 64 connections spends most of the
client's CPU assigning requests to connections. Spreading requests over 16 pools of at most
8 connections each, always to the least busy pool, keeps each walk short: measured in
benchmarks/README.md. It is an ordinary ``httpx.AsyncBaseTransport``, so ``httpx`` options,
respx and injected clients work as before; pass your own ``http_client`` to opt out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from ._security import tls_context

SHARDS = 16
CONNECTIONS_PER_SHARD = 8


class _Released(httpx.AsyncByteStream):
    """A response body that tells its pool when it is done with (once)."""

    def __init__(self, inner: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._inner:
            yield part

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class ShardedAsyncTransport(httpx.AsyncBaseTransport):
    """``SHARDS`` pools of ``CONNECTIONS_PER_SHARD`` connections; each request to the least busy."""

    def __init__(self, shards: int = SHARDS, per_shard: int = CONNECTIONS_PER_SHARD, **options: Any) -> None:
        limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
        # One TLS context for all pools (each would load the CA certificates again), and each
        # pool made on first use: a program that never has many requests in flight has one.
        options.setdefault("verify", tls_context())
        self._options = {"limits": limits, **options}
        self._pools: list[httpx.AsyncHTTPTransport | None] = [None] * shards
        self._busy = [0] * shards

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        busy = self._busy
        shard = busy.index(min(busy))
        busy[shard] += 1
        pool = self._pools[shard]
        if pool is None:
            pool = self._pools[shard] = httpx.AsyncHTTPTransport(**self._options)

        def release() -> None:
            busy[shard] -= 1

        try:
            response = await pool.handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Released(response.stream, release),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for pool in self._pools:
            if pool is not None:
                await pool.aclose()


def sharded(max_connections: int | None = None, **options: Any) -> ShardedAsyncTransport:
    """The transport for ``max_connections`` (default ``SHARDS * CONNECTIONS_PER_SHARD``, 128).

    More connections mean more pools, not bigger ones: each holds at most
    ``CONNECTIONS_PER_SHARD`` so that its walk stays short (1,000 open streams read at once: one
    pool of 1,000, 550 chunks/s; 125 pools of 8, 17,500: benchmarks/streams_bench.py). The
    pools share the connections evenly, so the total is ``max_connections`` rounded up to a
    multiple of the number of pools (100: 13 pools of 8).
    """
    if max_connections is None:
        return ShardedAsyncTransport(**options)
    shards = -(-max_connections // CONNECTIONS_PER_SHARD)
    return ShardedAsyncTransport(shards, -(-max_connections // shards), **options)
