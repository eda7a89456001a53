"""The async engine: workers take pending lines, wait for the shared rate limit, send, record.

Retried (up to ``max_attempts``, then recorded as a retryable final error): rate limits, which
pause every worker (``RateLimiter.slow_down``), server errors and connection failures, with
backoff. Never retried: authentication, balance, permission, bad request and a reply that does
not match the spec. Results are recorded as they come (``Store.record``), so a stop at any
moment loses at most the requests in flight.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .. import _exceptions as errors
from .._generated._protocol import NOT_GIVEN
from .._retry import retry_after
from ._limiter import RateLimiter
from ._lines import Invalid
from ._store import Store

RETRIED = (errors.RateLimitError, errors.InternalServerError, errors.APIConnectionError)


@dataclass
class Progress:
    total: int
    done: int = 0
    failed: int = 0
    tokens: int = 0
    rate_limited: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> int:
        return self.done + self.failed

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.finished / elapsed
        left = self.total - self.finished
        eta = f"{left / rate:,.0f} s" if rate > 0 and left else "-"
        return (
            f"{self.finished:,}/{self.total:,} ({self.failed:,} failed), {rate:,.1f} req/s, ETA {eta}, "
            f"{self.tokens:,} tokens, {self.rate_limited:,} rate limited"
        )


def success(custom_id: str, reply: Any) -> dict[str, Any]:
    """An output line in the OpenAI Batch output format."""
    return {
        "id": f"batch_req_{uuid.uuid4().hex}",
        "custom_id": custom_id,
        "response": {
            "status_code": 200,
            "request_id": getattr(reply, "id", None),
            "body": reply.model_dump(mode="json", exclude_unset=True),
        },
        "error": None,
    }


def failure(custom_id: str, error: errors.ChatContractError) -> dict[str, Any]:
    response = None
    if isinstance(error, errors.APIStatusError):
        try:
            body: Any = json.loads(error.body)
        except ValueError:
            body = error.body.decode("utf-8", "replace")
        response = {"status_code": error.status_code, "request_id": error.request_id, "body": body}
    code = getattr(error, "code", None) or type(error).__name__
    return {
        "id": f"batch_req_{uuid.uuid4().hex}",
        "custom_id": custom_id,
        "response": response,
        "error": {"code": str(code), "message": str(error)},
    }


def refusal(line: Invalid) -> dict[str, Any]:
    """The output line of a request refused before sending (the ``ray.data`` helper's)."""
    where = f"{line.field}: " if line.field else ""
    return {
        "id": f"batch_req_{uuid.uuid4().hex}",
        "custom_id": line.custom_id,
        "response": None,
        "error": {"code": "invalid_request", "message": where + line.rule},
    }


@dataclass(frozen=True)
class Outcome:
    """What became of one request: its output line and how it ended."""

    custom_id: str
    result: dict[str, Any]
    failed: bool
    retryable: bool
    tokens: int  # reported by the API (the estimate if it reported none)
    rate_limited: int  # rate-limit answers met on the way


class Limiter(Protocol):
    """A ``RateLimiter``, or a stand-in for one in another process (the Ray engine's)."""

    async def acquire(self, tokens: int) -> None: ...

    def slow_down(self, retry_after: float | None) -> float | Any: ...

    def succeeded(self) -> Any: ...

    def correct(self, estimated: int, used: int | None) -> Any: ...


async def attempt(
    client: Any, custom_id: str, body: dict[str, Any], tokens: int, *, limiter: Limiter, max_attempts: int
) -> Outcome:
    """Send one request until it succeeds, fails for good, or runs out of attempts."""
    endpoints = client._api.endpoints
    backoff, attempts, limited = 0.5, 0, 0
    while True:
        await limiter.acquire(tokens)
        attempts += 1
        try:
            reply = await client.create(
                endpoints, body, extra_headers=None, extra_body=None, timeout=NOT_GIVEN
            )
        except errors.ChatContractError as error:
            retryable = isinstance(error, RETRIED)
            if isinstance(error, errors.RateLimitError):
                limited += 1
                limiter.slow_down(retry_after(error))
            if retryable and attempts < max_attempts:
                if not isinstance(error, errors.RateLimitError):
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 8.0)
                continue
            return Outcome(custom_id, failure(custom_id, error), True, retryable, 0, limited)
        limiter.succeeded()
        usage = getattr(getattr(reply, "usage", None), "total_tokens", None)
        used = usage if isinstance(usage, int) and usage > 0 else None
        limiter.correct(tokens, used)
        return Outcome(custom_id, success(custom_id, reply), False, False, used or tokens, limited)


def note(progress: Progress, outcome: Outcome) -> None:
    progress.tokens += outcome.tokens
    progress.rate_limited += outcome.rate_limited
    if outcome.failed:
        progress.failed += 1
    else:
        progress.done += 1


def record(store: Store, progress: Progress, outcome: Outcome) -> None:
    store.record(outcome.custom_id, outcome.result, failed=outcome.failed, retryable=outcome.retryable)
    note(progress, outcome)


async def reporting(progress: Progress, report: Callable[[Progress], None] | None) -> None:
    while report is not None:
        report(progress)
        await asyncio.sleep(0.5)


async def run(
    client: Any,
    store: Store,
    limiter: RateLimiter,
    *,
    concurrency: int,
    max_attempts: int,
    progress: Progress,
    report: Callable[[Progress], None] | None = None,
) -> None:
    """The local engine: ``concurrency`` tasks in this process share ``client`` and ``limiter``."""
    queue: asyncio.Queue[tuple[str, dict[str, Any], int]] = asyncio.Queue()
    for item in store.pending():
        queue.put_nowait(item)

    async def worker() -> None:
        while True:
            try:
                custom_id, body, tokens = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            outcome = await attempt(
                client, custom_id, body, tokens, limiter=limiter, max_attempts=max_attempts
            )
            record(store, progress, outcome)

    ticker = asyncio.ensure_future(reporting(progress, report))
    try:
        await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    finally:
        ticker.cancel()
        if report is not None:
            report(progress)
