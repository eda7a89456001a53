"""chatcontract vs raw httpx vs the official openai SDK, in one run, against a loopback server.

    .venv/bin/python benchmarks/bench.py [--quick | --smoke] [--rounds N] [--json out.json]

Measures import time, non-streaming latency and client CPU per call, streaming throughput,
async requests/s, peak RSS and cold start. Variants run interleaved in rounds (A, B, C, A, B, C, ...);
the table shows medians over rounds, chatcontract's ratios and the targets. The server runs in
its own process, so its CPU is not counted as client CPU; its share of a core is reported.
Without the openai package, its columns read "openai: not installed". No timing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import median

from _env import load_average, machine, venv, versions
from _report import CC, OPENAI, RAW, SELF, Row, Target, table
from _workloads import CONTENDERS, IMPORTS, VARIANTS, Contender, Sample, openai_missing, timed

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Sizes:
    rounds: int
    calls: int  # non-streaming calls per contender per round
    chunks: int  # chunks in one streamed reply
    async_requests: int  # per contender per round
    concurrency: int
    import_rounds: int
    rss_rounds: int
    rss_calls: int
    rss_async_requests: int


PRESETS = {
    "full": Sizes(5, 2_000, 20_000, 5_000, 64, 10, 3, 500, 1_000),
    "quick": Sizes(3, 200, 2_000, 250, 64, 3, 1, 100, 250),
    "smoke": Sizes(1, 20, 200, 50, 16, 1, 1, 10, 50),
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Server:
    """``_server.py`` in its own process; ``cpu()`` is that process's CPU seconds so far."""

    def __init__(self, chunks: int) -> None:
        command = [sys.executable, str(HERE / "_server.py"), "--chunks", str(chunks)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.close()
            raise RuntimeError("the benchmark server did not start")
        self.port = int(line)
        self.url = f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", "/_stats")
            return float(json.loads(connection.getresponse().read())["cpu"])
        finally:
            connection.close()

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@dataclass
class Share:
    """CPU seconds per wall second over one phase: the server process and this (client) process."""

    server: float = 0.0
    client: float = 0.0


@contextmanager
def metered(server: Server, shares: dict[str, Share], phase: str) -> Iterator[None]:
    server_cpu, client_cpu, wall = server.cpu(), time.process_time(), time.perf_counter()
    yield
    elapsed = time.perf_counter() - wall
    shares[phase] = Share((server.cpu() - server_cpu) / elapsed, (time.process_time() - client_cpu) / elapsed)


# ----------------------------------------------------------------------------- phases


def _run_python(code: str) -> tuple[str, float]:
    wall = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout, time.perf_counter() - wall


def import_phase(names: list[str], rounds: int) -> tuple[list[Row], float]:
    """Each import in a fresh interpreter, timed inside it (so interpreter start-up is excluded)."""
    code = "import time; t = time.perf_counter(); import {}; print(time.perf_counter() - t)"
    inside: dict[str, list[float]] = {name: [] for name in names}
    whole: dict[str, list[float]] = {name: [] for name in names}
    bare: list[float] = []
    for name in names:  # warm-up: byte-code caches written, files in the page cache
        _run_python(code.format(IMPORTS[name]))
    for _ in range(rounds):
        bare.append(_run_python("pass")[1] * 1e3)
        for name in names:
            out, wall = _run_python(code.format(IMPORTS[name]))
            inside[name].append(float(out) * 1e3)
            whole[name].append(wall * 1e3)
    rows = [
        Row("import, timed in a fresh interpreter", "ms", inside, Target(RAW, "<=", 1.3), 1),
        Row("`python -c 'import …'` process wall, raw", "ms", whole, digits=1),
    ]
    return rows, median(bare)


def _per_round(
    contenders: dict[str, Contender], rounds: int, run: Callable[[Contender], Sample]
) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {name: [] for name in contenders}
    for index in range(rounds):
        log(f"    round {index + 1}/{rounds}")
        for name, contender in contenders.items():
            gc.collect()
            samples[name].append(run(contender))
    return samples


def sync_phases(names: list[str], server: Server, sizes: Sizes, shares: dict[str, Share]) -> list[Row]:
    contenders = {name: CONTENDERS[name](server.url) for name in names}
    for contender in contenders.values():
        contender.open()
        contender.calls(min(sizes.calls, 100))  # warm-up: connection open, caches filled
    log("  non-streaming calls")
    with metered(server, shares, "non-streaming"):
        calls = _per_round(contenders, sizes.rounds, lambda c: timed(lambda: c.calls(sizes.calls)))
    log("  streaming")
    for contender in contenders.values():
        contender.stream()
    with metered(server, shares, "streaming"):
        streams = _per_round(contenders, sizes.rounds, lambda c: timed(c.stream))
    log("  streaming, then the whole reply built from the chunks")
    for contender in contenders.values():
        contender.stream_final()
    with metered(server, shares, "streaming + accumulation"):
        finals = _per_round(contenders, sizes.rounds, lambda c: timed(c.stream_final))
    for contender in contenders.values():
        contender.close()
    for name, runs in [*streams.items(), *finals.items()]:
        for sample in runs:
            if sample.count != sizes.chunks:
                raise RuntimeError(f"{name} decoded {sample.count} chunks, expected {sizes.chunks}")
    # chatcontract's own cost of accumulating: its stream+final time over its plain stream time,
    # round by round (the rounds interleave, so each pair ran under the same conditions).
    overhead = [f.wall / p.wall for p, f in zip(streams[CC], finals[CC], strict=True)]
    return [
        Row("non-streaming latency per call", "µs", _rate(calls, per_op=1e6), Target(RAW, "<=", 1.15)),
        Row(
            "non-streaming client CPU per call",
            "µs",
            _rate(calls, per_op=1e6, cpu=True),
            Target(RAW, "<=", 1.15),
        ),
        Row("streaming throughput", "chunks/s", _rate(streams), Target(RAW, ">=", 1.0)),
        Row("streaming client CPU per chunk", "µs", _rate(streams, per_op=1e6, cpu=True), digits=2),
        Row(
            "streaming + the whole reply built (get_final_completion)",
            "chunks/s",
            _rate(finals),
            Target(RAW, ">=", 0.9),
        ),
        Row(
            "accumulation cost: stream + final / plain stream, chatcontract",
            "×",
            {CC: overhead},
            Target(SELF, "<=", 1.1),
            digits=3,
        ),
    ]


def async_phase(names: list[str], server: Server, sizes: Sizes, shares: dict[str, Share]) -> list[Row]:
    contenders = {name: CONTENDERS[name](server.url) for name in names}
    log(f"  async, concurrency {sizes.concurrency}")
    with metered(server, shares, "async"):
        runs = _per_round(
            contenders,
            sizes.rounds,
            lambda c: asyncio.run(c.async_run(sizes.async_requests, sizes.concurrency)),
        )
    return [
        Row(
            f"async requests/s at concurrency {sizes.concurrency}",
            "req/s",
            _rate(runs),
            Target(OPENAI, ">=", 1.5),
        ),
        Row("async client CPU per request", "µs", _rate(runs, per_op=1e6, cpu=True)),
    ]


def rss_phase(names: list[str], server: Server, sizes: Sizes) -> list[Row]:
    """Each contender's whole workload in a fresh process: its peak RSS and its cold start."""
    peak: dict[str, list[float]] = {name: [] for name in names}
    after_import: dict[str, list[float]] = {name: [] for name in names}
    cold: dict[str, list[float]] = {name: [] for name in names}
    log("  peak RSS and cold start, one fresh process per contender")
    for _ in range(sizes.rss_rounds):
        for name in names:
            command = [
                sys.executable,
                str(HERE / "_workloads.py"),
                name,
                f"--url={server.url}",
                f"--calls={sizes.rss_calls}",
                f"--concurrency={sizes.concurrency}",
                f"--async-requests={sizes.rss_async_requests}",
            ]
            out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600)
            result = json.loads(out.stdout)
            peak[name].append(result["peak_kib"] / 1024)
            after_import[name].append(result["import_kib"] / 1024)
            cold[name].append(result["cold_start_ms"])
    return [
        Row("peak RSS, whole workload", "MiB", peak, Target(OPENAI, "<=", 0.75), 1),
        Row("RSS after import + client", "MiB", after_import, digits=1),
        Row("cold start: import + client + first call", "ms", cold, digits=1),
    ]


def _rate(
    samples: dict[str, list[Sample]], *, per_op: float | None = None, cpu: bool = False
) -> dict[str, list[float]]:
    """Operations per second, or (``per_op``) seconds per operation scaled by ``per_op``."""
    out: dict[str, list[float]] = {}
    for name, runs in samples.items():
        values = []
        for sample in runs:
            seconds = sample.cpu if cpu else sample.wall
            values.append(seconds / sample.count * per_op if per_op else sample.count / seconds)
        out[name] = values
    return out


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, Sizes]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="tiny sizes: well under a minute")
    size.add_argument("--smoke", action="store_true", help="tinier still: for the test suite")
    parser.add_argument("--rounds", type=int, help="rounds of interleaved runs (default: 5, 3, 1)")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    parser.add_argument("--skip-openai", action="store_true", help="run as if openai were not installed")
    args = parser.parse_args(argv)
    sizes = PRESETS["smoke" if args.smoke else "quick" if args.quick else "full"]
    if args.rounds:
        sizes = Sizes(**{**asdict(sizes), "rounds": args.rounds, "rss_rounds": min(args.rounds, 3)})
    return args, sizes


def main(argv: list[str] | None = None) -> None:
    args, sizes = parse_args(argv)
    # Only 127.0.0.1 is used: keep any proxy settings away from the clients.
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1"
    missing = openai_missing(args.skip_openai)
    names = [name for name in VARIANTS if name not in missing]
    env, found = machine(), versions()
    env["venv"] = venv()
    load_before = load_average()
    log(f"benchmark sizes: {sizes}")
    shares: dict[str, Share] = {}
    log("  imports")
    rows, bare = import_phase(names, sizes.import_rounds)
    server = Server(sizes.chunks)
    try:
        rows += sync_phases(names, server, sizes, shares)
        rows += async_phase(names, server, sizes, shares)
        rows += rss_phase(names, server, sizes)
    finally:
        server.close()
    env["load average (1 min) at start / end"] = f"{load_before} / {load_average()}"

    print_report(sizes, rows, missing, bare, shares, env, found)
    if args.json:
        report = {
            "sizes": asdict(sizes),
            "machine": env,
            "versions": found,
            "missing": missing,
            "import_bare_python_ms": bare,
            "cpu_share": {phase: asdict(share) for phase, share in shares.items()},
            "rows": [row.as_json() for row in rows],
        }
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def print_report(
    sizes: Sizes,
    rows: list[Row],
    missing: dict[str, str],
    bare: float,
    shares: dict[str, Share],
    env: dict[str, str],
    found: dict[str, str],
) -> None:
    print("## Results\n")
    print(
        f"Medians of {sizes.rounds} interleaved rounds ({sizes.import_rounds} for imports, "
        f"{sizes.rss_rounds} for RSS). Sizes: {sizes.calls} calls per round, a {sizes.chunks}-chunk "
        f"stream, {sizes.async_requests} async requests at concurrency {sizes.concurrency}; RSS "
        f"workload: {sizes.rss_calls} calls, one stream, {sizes.rss_async_requests} async requests.\n"
    )
    print(table(rows, missing))
    print()
    for name, reason in missing.items():
        print(f"{name}: {reason}")
    print(
        f"\nImports: `import chatcontract` vs `import {IMPORTS[RAW]}` vs `import openai`, timed with "
        "perf_counter around the import statement in a fresh interpreter (so start-up is excluded, "
        f"nothing subtracted); the raw row is the whole process; a bare `python -c pass` takes {bare:.1f} ms."
    )
    print("\nCPU share of one core (CPU seconds / wall seconds) per phase:\n")
    for phase, share in shares.items():
        print(f"- {phase}: server process {share.server:.0%}, client process {share.client:.0%}")
    print("\n## Machine\n")
    print(", ".join(f"{key}: {value}" for key, value in env.items()))
    print("\n## Versions\n")
    print(", ".join(f"{key} {value}" for key, value in found.items()))


if __name__ == "__main__":
    main()
