"""The Ray engine: a pool of actors, each with its own async client, and ONE rate limit for all.

The limit is an actor (``LimitActor``) holding the same ``RateLimiter`` the local engine uses;
workers ask it for a slot and are told how long to wait, so requests per minute, tokens per
minute and the vendor's pauses hold across every worker of the cluster. The driver keeps the
job state (SQLite) and the output, as the local engine does: workers only send and return
``Outcome``s, so resuming and exactly-once output are the same. Needs ``pip install
chatcontract[ray]``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import ray

from ._limiter import RateLimiter
from ._runner import Outcome, Progress, attempt, record, reporting
from ._store import Store

CHUNK = 8  # requests per task: the granularity at which results come back to be recorded


@ray.remote(num_cpus=0)
class LimitActor:
    """The one rate limit of a Ray batch."""

    def __init__(self, rpm: float | None, tpm: float | None) -> None:
        self._limiter = RateLimiter(rpm=rpm, tpm=tpm)

    def reserve(self, tokens: int) -> float:
        return self._limiter.reserve(tokens)

    def paused_for(self) -> float:
        return self._limiter.paused_for()

    def slow_down(self, retry_after: float | None) -> float:
        return self._limiter.slow_down(retry_after)

    def succeeded(self) -> None:
        self._limiter.succeeded()

    def correct(self, estimated: int, used: int | None) -> None:
        self._limiter.correct(estimated, used)


class RemoteLimit:
    """A worker's side of ``LimitActor``: the ``Limiter`` that ``attempt`` expects."""

    def __init__(self, actor: Any) -> None:
        self._actor = actor

    async def acquire(self, tokens: int) -> None:
        while True:
            wait = await self._actor.reserve.remote(tokens)
            if wait <= 0:
                return
            await asyncio.sleep(wait)
            if await self._actor.paused_for.remote() <= 0:
                return

    def slow_down(self, retry_after: float | None) -> None:
        self._actor.slow_down.remote(retry_after)

    def succeeded(self) -> None:
        self._actor.succeeded.remote()

    def correct(self, estimated: int, used: int | None) -> None:
        self._actor.correct.remote(estimated, used)


@ray.remote(num_cpus=0)
class Worker:
    """An async client of one API in its own process; sends what the driver hands it."""

    def __init__(
        self, api: str, limit: Any, concurrency: int, max_attempts: int, options: dict[str, Any]
    ) -> None:
        from .. import _registry

        self._client = _registry.async_client_class(api)(max_retries=0, **options)
        self._limit = RemoteLimit(limit)
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._slots: asyncio.Semaphore | None = None

    async def process(self, items: list[tuple[str, dict[str, Any], int]]) -> list[Outcome]:
        if self._slots is None:  # made in the actor's own event loop
            self._slots = asyncio.Semaphore(self._concurrency)
        slots = self._slots

        async def one(custom_id: str, body: dict[str, Any], tokens: int) -> Outcome:
            async with slots:
                return await attempt(
                    self._client,
                    custom_id,
                    body,
                    tokens,
                    limiter=self._limit,
                    max_attempts=self._max_attempts,
                )

        return list(await asyncio.gather(*(one(*item) for item in items)))


async def run(
    api: str,
    store: Store,
    *,
    rpm: float | None,
    tpm: float | None,
    concurrency: int,
    workers: int,
    max_attempts: int,
    progress: Progress,
    report: Callable[[Progress], None] | None,
    address: str | None,
    options: dict[str, Any],
) -> None:
    """Send every pending line through ``workers`` actors; record results as chunks come back."""
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    limit = LimitActor.remote(rpm, tpm)  # type: ignore[attr-defined]
    per_worker = max(1, concurrency // max(1, workers))
    pool = [
        Worker.remote(api, limit, per_worker, max_attempts, options)  # type: ignore[attr-defined]
        for _ in range(max(1, workers))
    ]
    items = list(store.pending())
    chunks = [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]
    ticker = asyncio.ensure_future(reporting(progress, report))
    try:
        in_flight: set[asyncio.Future[list[Outcome]]] = set()
        turn = 0
        while chunks or in_flight:
            # keep each worker busy with enough chunks to fill its concurrency
            while chunks and len(in_flight) < len(pool) * max(2, per_worker // CHUNK + 1):
                worker = pool[turn % len(pool)]
                turn += 1
                in_flight.add(asyncio.ensure_future(_result(worker.process.remote(chunks.pop(0)))))
            done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                for outcome in future.result():
                    record(store, progress, outcome)
    finally:
        ticker.cancel()
        if report is not None:
            report(progress)
        for actor in [*pool, limit]:
            ray.kill(actor)


async def _result(ref: Any) -> list[Outcome]:
    outcomes: list[Outcome] = await ref
    return outcomes
