"""The Ray engine: a pool of actors, each with its own async client, and ONE rate limit for all.

The limit is an actor (``LimitActor``) holding the same ``RateLimiter`` the local engine uses;
workers ask it for a slot and are told how long to wait, so requests per minute, tokens per
minute and the vendor's pauses hold across every worker of the cluster. The driver keeps the
job state (SQLite) and the output, as the local engine does: workers only send and return
``Outcome``s, so resuming and exactly-once output are the same. ``ray_dataset`` maps a Ray
Data ``Dataset`` of requests to their results through the same limit. Needs ``pip install
chatcontract[ray]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
from collections.abc import Callable
from typing import Any

import ray
import ray.data

from .._exceptions import InvalidArgumentError
from ._limiter import RateLimiter
from ._lines import Invalid, check
from ._runner import Outcome, Progress, attempt, record, refusal, reporting
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


# ----------------------------------------------------------------------------- ray.data

OUTPUT_COLUMNS = ("custom_id", "ok", "output")


def _without_nulls(value: Any) -> Any:
    """``value`` with every ``None`` under a key dropped: Arrow gives each row of a struct
    column every key any row has, ``None`` where the row had none."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _request(row: dict[str, Any]) -> dict[str, Any]:
    """A dataset row as a batch line: ``body`` as JSON text is taken as it is, a struct without nulls."""
    data = {key: value for key, value in row.items() if value is not None}
    body = data.get("body")
    if isinstance(body, str):
        with contextlib.suppress(ValueError):  # else left a string: refused by the line check
            data["body"] = json.loads(body)
    elif isinstance(body, dict):
        data["body"] = _without_nulls(body)
    return data


class _Sender:
    """One Ray Data worker (an actor): its own async client and event loop, the job's one limit."""

    def __init__(
        self, api: str, limit: Any, concurrency: int, max_attempts: int, options: dict[str, Any]
    ) -> None:
        from .. import _registry

        self._loop = asyncio.new_event_loop()
        self._client = _registry.async_client_class(api)(max_retries=0, **options)
        self._limit = RemoteLimit(limit)
        self._concurrency = concurrency
        self._max_attempts = max_attempts

    def __call__(self, rows: Any) -> Any:
        pyarrow = importlib.import_module("pyarrow")  # Ray Data's own dependency
        lines = self._loop.run_until_complete(self._send([_request(row) for row in rows.to_pylist()]))
        columns = {
            "custom_id": [line["custom_id"] for line in lines],
            "ok": [line["error"] is None for line in lines],
            "output": [json.dumps(line, ensure_ascii=False) for line in lines],
        }
        schema = pyarrow.schema(
            [("custom_id", pyarrow.string()), ("ok", pyarrow.bool_()), ("output", pyarrow.string())]
        )
        return pyarrow.Table.from_pydict(columns, schema=schema)

    async def _send(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        slots = asyncio.Semaphore(self._concurrency)
        endpoints = self._client._api.endpoints

        async def one(number: int, row: dict[str, Any]) -> dict[str, Any]:
            line = check(number, row, endpoints)
            if isinstance(line, Invalid):
                return refusal(line)
            async with slots:
                outcome = await attempt(
                    self._client,
                    line.custom_id,
                    line.body,
                    line.tokens,
                    limiter=self._limit,
                    max_attempts=self._max_attempts,
                )
            return outcome.result

        return list(await asyncio.gather(*(one(number, row) for number, row in enumerate(rows, start=1))))


def ray_dataset(
    dataset: Any,
    *,
    api: str,
    rpm: float | None = None,
    tpm: float | None = None,
    concurrency: int = 16,
    workers: int = 2,
    max_attempts: int = 5,
    batch_size: int = 64,
    **client_options: Any,
) -> Any:
    """A ``ray.data.Dataset`` of requests mapped to their results, under ONE rate limit.

    Each row is a batch line (``custom_id`` and ``body``, or the OpenAI Batch input format); the
    result has a row per request: ``custom_id``, ``ok`` and ``output``, the OpenAI Batch output
    line as JSON text. Lazy, as Ray Data is: requests go when the result is consumed, through
    ``workers`` actors with ``concurrency`` requests in flight in all, every one of them held to
    the same ``rpm`` / ``tpm`` (a ``LimitActor``). Each row is checked against the spec first; a
    row that fails gets an ``invalid_request`` error and is never sent. A ``body`` may be JSON
    text (taken as written) or a struct, from which ``None`` values are dropped (Arrow gives
    every row of a struct column all the keys of the others, as ``None``). Unlike
    ``run(engine="ray")`` this keeps no job state: nothing resumes, and repeated ``custom_id``s
    are not refused.
    """
    from . import APIS

    if api not in APIS:
        raise InvalidArgumentError(f"unknown api {api!r}; one of {', '.join(sorted(APIS))}")
    limit = LimitActor.remote(rpm, tpm)  # type: ignore[attr-defined]
    per_worker = max(1, concurrency // max(1, workers))
    return dataset.map_batches(
        _Sender,
        fn_constructor_kwargs={
            "api": api,
            "limit": limit,
            "concurrency": per_worker,
            "max_attempts": max_attempts,
            "options": client_options,
        },
        batch_format="pyarrow",
        batch_size=batch_size,
        # One batch at a time per actor (each sends its batch on its own event loop): a batch
        # queued behind another on a busy actor would wait while an idle one could send it.
        compute=ray.data.ActorPoolStrategy(size=max(1, workers), max_tasks_in_flight_per_actor=1),
        num_cpus=0.5,  # waiting on the network, not computing
    )
