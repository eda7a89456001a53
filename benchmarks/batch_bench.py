"""Batch benchmark: ``chatcontract.batch`` against the mock server acting as a real upstream.

    .venv-bench/bin/python benchmarks/batch_bench.py [--quick]

The mock (``chatcontract.mock.Upstream``) answers after 200 ms and allows 6,000 requests a
minute; the batch is told the same ``--rpm``. Reported: the achieved rate as a share of the
allowed one (goal >= 0.95), the rate-limit answers met (goal <= 1% of requests), the client's
CPU per request and its peak RSS. The mock runs in its own process, so its CPU is not the
client's. Nothing is asserted; the numbers are printed (Markdown) for the closing notes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LATENCY_MS = 200
RPM = 6000
SIZES = {"full": 10_000, "quick": 1_000}


def _mock(port_file: Path) -> subprocess.Popen[bytes]:
    code = (
        "import sys, time\n"
        "from chatcontract.mock import MockServer, Upstream\n"
        f"server = MockServer(port=0, upstream=Upstream(latency_ms={LATENCY_MS}, rpm={RPM})).start()\n"
        f"open({str(port_file)!r}, 'w').write(server.base_url('minimax'))\n"
        "while True: time.sleep(3600)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code])


def _peak_mib() -> float:
    with open("/proc/self/status") as status:
        line = next(text for text in status if text.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{SIZES['quick']:,} requests instead of {SIZES['full']:,}"
    )
    args = parser.parse_args()
    count = SIZES["quick" if args.quick else "full"]
    import chatcontract.batch as batch

    with tempfile.TemporaryDirectory() as folder:
        port_file = Path(folder) / "url"
        mock = _mock(port_file)
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.05)
            url = port_file.read_text()
            source = Path(folder) / "in.jsonl"
            with source.open("w") as lines:
                for n in range(count):
                    body = {
                        "model": "MiniMax-M2.7",
                        "messages": [{"role": "user", "content": f"Question {n}"}],
                    }
                    lines.write(json.dumps({"custom_id": f"q{n}", "body": body}) + "\n")
            cpu = time.process_time()
            summary = batch.run(
                source, Path(folder) / "out.jsonl", api="minimax", api_key="k", base_url=url,
                rpm=RPM, concurrency=64, max_attempts=10,
            )  # fmt: skip
            cpu = time.process_time() - cpu
        finally:
            mock.kill()
            mock.wait()
    allowed = RPM / 60
    achieved = summary.sent_now / summary.seconds
    title = f"{count:,} requests, mock latency {LATENCY_MS} ms, limit {RPM:,} rpm (batch --rpm {RPM:,})"
    print(f"## Batch: {title}\n")
    print("| metric | value | goal |\n|---|---|---|")
    print(f"| achieved rate | {achieved:,.1f} req/s ({achieved / allowed:.3f} of {allowed:,.0f}) | >= 0.95 |")
    print(f"| rate-limit answers | {summary.rate_limited} ({summary.rate_limited / count:.2%}) | <= 1% |")
    print(f"| succeeded / failed | {summary.succeeded:,} / {summary.failed:,} | all succeeded |")
    print(f"| client CPU per request | {cpu / count * 1e6:,.0f} µs | |")
    print(f"| client peak RSS | {_peak_mib():,.1f} MiB | |")
    print(f"| wall time | {summary.seconds:,.1f} s | |")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nmachine: {os.cpu_count()} CPUs, max RSS (ru_maxrss) {maxrss:,.1f} MiB")


if __name__ == "__main__":
    main()
