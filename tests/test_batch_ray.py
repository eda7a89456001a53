"""The Ray engine on a real local Ray (``ray.init(num_cpus=2)``), against a server on real sockets:
the same output, exactly once, and ONE rate limit shared by every worker."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

import chatcontract.batch as batch
from chatcontract.batch._limiter import CATCH_UP
from tests.test_batch import Upstream, body, results, write


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream(latency=0.01)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_ray_workers_share_one_rate_limit_and_write_each_result_once(
    local_ray: None, upstream: Upstream, tmp_path: Path
) -> None:
    count, rpm = 60, 1200  # 20 requests a second, for all workers together
    source = write(tmp_path / "in.jsonl", [{"custom_id": f"r{n}", "body": body(n)} for n in range(count)])
    output = tmp_path / "out.jsonl"
    summary = batch.run(
        source,
        output,
        api="minimax",
        api_key="k",
        base_url=f"http://127.0.0.1:{upstream.server_address[1]}",
        rpm=rpm,
        concurrency=8,
        engine="ray",
        workers=2,
    )
    assert summary.succeeded == count and summary.failed == 0
    ids = [r["custom_id"] for r in results(output)]
    assert sorted(ids) == sorted(f"r{n}" for n in range(count)) and len(set(ids)) == count
    span = max(upstream.times) - min(upstream.times)
    # one limit: (count - 1) gaps of 60/rpm s, less the one second of allowance a late start may
    # catch up (2.95 - 1 s); a limit per worker would allow twice the rate (at most 1.45 s)
    assert span >= 0.9 * ((count - 1) * 60 / rpm - CATCH_UP), span
    assert len(upstream.sent) == count


def test_ray_resumes_a_job_the_local_engine_started(
    local_ray: None, upstream: Upstream, tmp_path: Path
) -> None:
    source = write(tmp_path / "in.jsonl", [{"custom_id": f"r{n}", "body": body(n)} for n in range(20)])
    output = tmp_path / "out.jsonl"
    url = f"http://127.0.0.1:{upstream.server_address[1]}"
    first = [json.loads(line) for line in source.read_text().splitlines()[:5]]
    write(tmp_path / "part.jsonl", first)
    # the first five, as if recorded by an earlier (local) run of the same job
    batch.run(source, output, api="minimax", api_key="k", base_url=url, concurrency=1, max_attempts=1)
    lines = output.read_text().splitlines()
    output.write_text("\n".join(lines[:5]) + "\n")
    sent_before = len(upstream.sent)
    summary = batch.run(source, output, api="minimax", api_key="k", base_url=url, engine="ray", workers=2)
    assert summary.succeeded == 20 and len(upstream.sent) == sent_before  # nothing sent again
    assert sorted(r["custom_id"] for r in results(output)) == sorted(f"r{n}" for n in range(20))
