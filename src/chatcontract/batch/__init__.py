"""Batches: a JSONL file of requests in, a JSONL file of results out, at the vendor's rate limit.

>>> summary = chatcontract.batch.run("requests.jsonl", "results.jsonl", api="minimax", rpm=500)

Input lines are ``{"custom_id", "body"}`` or the OpenAI Batch input format; output lines the
OpenAI Batch output format (``{"id", "custom_id", "response": {"status_code", "request_id",
"body"}, "error"}``). Every line is checked against the spec first: an invalid one goes to
``<output stem>.errors.jsonl`` with its line number, field and rule, and is never sent. The job
state lives in ``<output>.state.sqlite``: run the same command again after any stop (even
``kill -9``) and it resumes, every ``custom_id`` ending in the output exactly once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import _registry
from .._exceptions import InvalidArgumentError
from ._limiter import RateLimiter
from ._lines import Invalid, Line, fingerprint, read
from ._runner import Progress
from ._runner import run as _run_workers
from ._store import JobMismatch, Store, state_path

# The API ids the batch runner takes (``--api``): every generated API.
APIS = tuple(_registry.ids())


@dataclass(frozen=True)
class Summary:
    lines: int  # valid lines in the input
    invalid: int  # lines refused before sending (see errors_path)
    already_recorded: int  # results found from an earlier run
    succeeded: int  # in the output, all runs
    failed: int  # final errors in the output, all runs
    sent_now: int  # results recorded by this run
    tokens: int  # tokens reported by the API in this run (estimates where it reported none)
    estimated_tokens: int  # the estimate over every valid line
    rate_limited: int  # rate-limit answers met in this run
    seconds: float
    output: Path
    errors_path: Path
    dry_run: bool = False

    def text(self) -> str:
        if self.dry_run:
            return (
                f"dry run: {self.lines:,} valid lines, {self.invalid:,} invalid ({self.errors_path}), "
                f"about {self.estimated_tokens:,} tokens; nothing sent"
            )
        return (
            f"{self.succeeded:,} succeeded, {self.failed:,} failed, {self.invalid:,} invalid "
            f"({self.errors_path}); this run: {self.sent_now:,} results in {self.seconds:,.1f} s, "
            f"{self.tokens:,} tokens, {self.rate_limited:,} rate limited; {self.already_recorded:,} "
            f"were recorded before. Output: {self.output}"
        )


def errors_path(output: Path) -> Path:
    return output.with_name(output.stem + ".errors" + (output.suffix or ".jsonl"))


async def arun(
    input: str | Path,
    output: str | Path,
    *,
    api: str,
    rpm: float | None = None,
    tpm: float | None = None,
    concurrency: int = 16,
    max_attempts: int = 5,
    retry_failed: bool = False,
    dry_run: bool = False,
    report: Callable[[Progress], None] | None = None,
    engine: str = "local",
    workers: int = 2,
    address: str | None = None,
    **client_options: Any,
) -> Summary:
    """``run`` inside a running event loop. ``client_options`` go to the async client(s).

    ``engine="ray"`` sends through ``workers`` Ray actors (``address``: a cluster's, else a
    local Ray is started) under one shared rate limit; ``concurrency`` is then split among them.
    """
    if engine not in ("local", "ray"):
        raise InvalidArgumentError(f"engine must be 'local' or 'ray', got {engine!r}")
    source, target = Path(input), Path(output)
    cls = _registry.async_client_class(api)
    valid: list[Line] = []
    invalid: list[Invalid] = []
    for line in read(source, cls._api.endpoints):
        if isinstance(line, Line):
            valid.append(line)
        else:
            invalid.append(line)
    refused = errors_path(target)
    refused.write_text(
        "".join(json.dumps(i.as_json(), ensure_ascii=False) + "\n" for i in invalid), encoding="utf-8"
    )
    estimated = sum(line.tokens for line in valid)
    started = asyncio.get_running_loop().time()
    if dry_run:
        return Summary(
            len(valid), len(invalid), 0, 0, 0, 0, 0, estimated, 0, 0.0, target, refused, dry_run=True
        )
    store = Store(target)
    try:
        if store.claim(fingerprint(source), api):
            store.add(valid)
        if retry_failed:
            store.retry_failed()
        store.reconcile()
        counts = store.counts()
        progress = Progress(total=len(valid), done=counts.get("done", 0), failed=counts.get("failed", 0))
        recorded_before = progress.finished
        if engine == "ray":
            from . import _ray

            await _ray.run(
                api,
                store,
                rpm=rpm,
                tpm=tpm,
                concurrency=concurrency,
                workers=workers,
                max_attempts=max_attempts,
                progress=progress,
                report=report,
                address=address,
                options=client_options,
            )
        else:
            async with cls(max_retries=0, **client_options) as client:
                await _run_workers(
                    client,
                    store,
                    RateLimiter(rpm=rpm, tpm=tpm),
                    concurrency=concurrency,
                    max_attempts=max_attempts,
                    progress=progress,
                    report=report,
                )
        counts = store.counts()
    finally:
        store.close()
    return Summary(
        lines=len(valid),
        invalid=len(invalid),
        already_recorded=recorded_before,
        succeeded=counts.get("done", 0),
        failed=counts.get("failed", 0),
        sent_now=progress.finished - recorded_before,
        tokens=progress.tokens,
        estimated_tokens=estimated,
        rate_limited=progress.rate_limited,
        seconds=asyncio.get_running_loop().time() - started,
        output=target,
        errors_path=refused,
    )


def ray_dataset(dataset: Any, *, api: str, **options: Any) -> Any:
    """A ``ray.data.Dataset`` of requests mapped to a Dataset of results, under ONE rate limit.

    >>> results = chatcontract.batch.ray_dataset(ray.data.read_json("requests.jsonl"), api="minimax", rpm=500)

    Options: ``rpm``, ``tpm``, ``concurrency``, ``workers``, ``max_attempts``, ``batch_size`` and
    the client's (``api_key``, ``base_url``...). Each result row has ``custom_id``, ``ok`` and
    ``output`` (the OpenAI Batch output line as JSON text). See ``_ray.ray_dataset``; needs
    ``pip install 'chatcontract[ray]'``.
    """
    from ._ray import ray_dataset as mapped

    return mapped(dataset, api=api, **options)


def run(input: str | Path, output: str | Path, **options: Any) -> Summary:
    """Run (or resume) a batch; see the module docstring and ``arun`` for the options."""
    return asyncio.run(arun(input, output, **options))


__all__ = [
    "APIS",
    "JobMismatch",
    "Progress",
    "RateLimiter",
    "Summary",
    "arun",
    "errors_path",
    "ray_dataset",
    "run",
    "state_path",
]
