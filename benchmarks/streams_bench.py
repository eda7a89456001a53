"""Many concurrent streams in one process: chatcontract's AsyncMiniMax against the openai SDK's AsyncOpenAI.

    .venv-bench/bin/python benchmarks/streams_bench.py [--quick | --smoke] [--streams N] [--rounds N]
                                                       [--json out.json] [--skip-openai]

The mock server (``chatcontract.mock``, real sockets on 127.0.0.1, one thread per connection)
runs in its own process and paces every stream like a model: its headers at once, its first
event ``TTFT_MS`` later (``Upstream(ttft_ms=...)``), then the rest. Each contender runs in a
fresh process of its own, rounds interleaved (A, B, A, B, ...): it warms up, opens all the
streams and holds them open (headers read, no event yet), measures its RSS, waits until every
stream's events have been written (they wait in the kernel's socket buffers, not in the
process), then reads all the streams at once. Reported: chunks/s over all the streams, client
CPU per chunk, MiB of RSS per open stream (RSS with every stream open minus RSS before, over
the number of streams), the time to open them all and the peak RSS. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _env import load_average, machine, venv, versions
from _payloads import API_KEY, MESSAGES, MODEL
from _report import CC, OPENAI, Row, table
from _workloads import max_rss_kib, openai_missing

HERE = Path(__file__).resolve().parent
TTFT_MS = 1000  # the mock's pause between a stream's headers and its first event
OPENING = 256  # streams being opened at once (the mock's listen backlog is 512)
WARM_UP = 16  # streams read whole before measuring: imports done, first connections open
TIMEOUT = 120.0
CONTENDERS = (CC, OPENAI)


@dataclass(frozen=True)
class Sizes:
    streams: int
    rounds: int


PRESETS = {"full": Sizes(5_000, 3), "quick": Sizes(1_000, 1), "smoke": Sizes(50, 1)}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def raise_fd_limit() -> int:
    """The soft limit of open files raised to the hard one (each stream is a socket); the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib() -> int:
    """This process's resident set now (``VmRSS``), in KiB."""
    with open("/proc/self/status") as status:
        line = next(text for text in status if text.startswith("VmRSS:"))
    return int(line.split()[1])


# ----------------------------------------------------------------------------- contenders
# Each is a pair of coroutines: open one stream (headers read, nothing of the body), and read an
# opened stream to its end, returning its number of chunks. Both clients are allowed as many
# connections as there are streams (HTTP/1.1: one connection per open stream).


class Client:
    """A contender: its ``__init__`` builds ``client`` and ``create`` (its create method)."""

    client: Any
    create: Any
    messages: Any = MESSAGES  # plain dicts (the openai SDK's parameter types are TypedDicts)

    def __init__(self, url: str, streams: int) -> None:
        self.url, self.streams = url, streams

    async def open(self) -> Any:
        return await self.create(model=MODEL, messages=self.messages, stream=True)

    async def read(self, stream: Any) -> int:
        count = 0
        async with stream:
            async for _chunk in stream:
                count += 1
        return count

    async def close(self) -> None:
        await self.client.close()


class ChatContract(Client):
    def __init__(self, url: str, streams: int) -> None:
        super().__init__(url, streams)
        import chatcontract

        self.client = chatcontract.AsyncMiniMax(
            api_key=API_KEY,
            base_url=url + "/minimax",
            max_retries=0,
            timeout=TIMEOUT,
            max_connections=streams,
        )
        self.create = self.client.chat.completions.create


class OpenAI(Client):
    def __init__(self, url: str, streams: int) -> None:
        super().__init__(url, streams)
        import openai
        from _workloads import _openai_http

        limits = _openai_http().Limits(max_connections=streams, max_keepalive_connections=streams)
        self.client = openai.AsyncOpenAI(
            api_key=API_KEY,
            base_url=url + "/minimax/v1",
            max_retries=0,
            timeout=TIMEOUT,
            http_client=openai.DefaultAsyncHttpxClient(limits=limits),
        )
        self.create = self.client.chat.completions.create


CLIENTS: dict[str, Callable[[str, int], Client]] = {CC: ChatContract, OPENAI: OpenAI}


async def _bounded(calls: list[Callable[[], Awaitable[Any]]], at_once: int) -> list[Any]:
    gate = asyncio.Semaphore(at_once)

    async def one(call: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(call) for call in calls))


async def workload(name: str, url: str, streams: int, ttft: float) -> dict[str, float]:
    """One contender's run (in a process of its own): warm up, open all, hold, read all."""
    client = CLIENTS[name](url, streams)
    warm = await _bounded([client.open for _ in range(WARM_UP)], OPENING)
    await asyncio.gather(*(client.read(stream) for stream in warm))
    del warm
    gc.collect()
    before = rss_kib()
    wall = time.perf_counter()
    opened = await _bounded([client.open for _ in range(streams)], OPENING)
    opened_at = time.perf_counter()
    gc.collect()
    held = rss_kib()
    # Every stream's events are written once its TTFT has passed: they wait in the kernel.
    await asyncio.sleep(max(0.0, opened_at + ttft + 0.5 - time.perf_counter()))
    read_wall, read_cpu = time.perf_counter(), time.process_time()
    counts = await asyncio.gather(*(client.read(stream) for stream in opened))
    read_wall, read_cpu = time.perf_counter() - read_wall, time.process_time() - read_cpu
    await client.close()
    if len(set(counts)) != 1 or not counts[0]:
        raise RuntimeError(f"{name}: streams ended with different numbers of chunks: {sorted(set(counts))}")
    return {
        "streams": streams,
        "chunks_per_stream": counts[0],
        "open_seconds": opened_at - wall,
        "read_seconds": read_wall,
        "read_cpu_seconds": read_cpu,
        "rss_before_kib": before,
        "rss_held_kib": held,
        "peak_kib": max_rss_kib(),
    }


# ----------------------------------------------------------------------------- the parent


class Mock:
    """The mock server in its own process, pacing every stream by ``ttft_ms``."""

    def __init__(self, folder: Path, ttft_ms: float) -> None:
        port_file = folder / "url"
        code = (
            "import sys, time\n"
            "from chatcontract.mock import MockServer, Upstream\n"
            f"server = MockServer(port=0, upstream=Upstream(ttft_ms={ttft_ms})).start()\n"
            f"open({str(port_file)!r}, 'w').write(server.url)\n"
            "while True: time.sleep(3600)\n"
        )
        self.process = subprocess.Popen([sys.executable, "-c", code])
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("the mock server did not start")
            time.sleep(0.05)
        self.url = port_file.read_text()

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def run_rounds(names: list[str], url: str, sizes: Sizes) -> dict[str, list[dict[str, float]]]:
    results: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for index in range(sizes.rounds):
        for name in names:
            log(f"  round {index + 1}/{sizes.rounds}: {name}, {sizes.streams:,} streams")
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                name,
                f"--url={url}",
                f"--streams={sizes.streams}",
            ]
            out = subprocess.run(command, capture_output=True, text=True, timeout=900)
            if out.returncode != 0:
                raise RuntimeError(f"{name} failed:\n{out.stderr[-4000:]}")
            results[name].append(json.loads(out.stdout))
    return results


def rows(results: dict[str, list[dict[str, float]]]) -> list[Row]:
    def each(value: Callable[[dict[str, float]], float]) -> dict[str, list[float]]:
        return {name: [value(run) for run in runs] for name, runs in results.items()}

    def chunks(run: dict[str, float]) -> float:
        return run["streams"] * run["chunks_per_stream"]

    return [
        Row("chunks/s, every stream read at once", "chunks/s", each(lambda r: chunks(r) / r["read_seconds"])),
        Row("client CPU per chunk", "µs", each(lambda r: r["read_cpu_seconds"] / chunks(r) * 1e6), digits=1),
        Row(
            "RSS per open stream",
            "MiB",
            each(lambda r: (r["rss_held_kib"] - r["rss_before_kib"]) / 1024 / r["streams"]),
            digits=4,
        ),
        Row(
            "RSS with every stream open, over RSS before",
            "MiB",
            each(lambda r: (r["rss_held_kib"] - r["rss_before_kib"]) / 1024),
            digits=1,
        ),
        Row("time to open every stream", "s", each(lambda r: r["open_seconds"]), digits=2),
        Row("peak RSS", "MiB", each(lambda r: r["peak_kib"] / 1024), digits=1),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help=f"{PRESETS['quick'].streams:,} streams, one round")
    size.add_argument("--smoke", action="store_true", help="tinier still: for the test suite")
    parser.add_argument("--streams", type=int, help="streams held open at once (default: 5,000)")
    parser.add_argument("--rounds", type=int, help="rounds of interleaved runs (default: 3, 1, 1)")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    parser.add_argument("--skip-openai", action="store_true", help="run as if openai were not installed")
    parser.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1"
    fd_limit = raise_fd_limit()  # before the mock starts: it inherits the limit
    if args.worker:
        result = asyncio.run(workload(args.worker, args.url, args.streams, TTFT_MS / 1000))
        print(json.dumps(result))
        return
    sizes = PRESETS["smoke" if args.smoke else "quick" if args.quick else "full"]
    sizes = Sizes(args.streams or sizes.streams, args.rounds or sizes.rounds)
    if fd_limit < sizes.streams + 100:
        raise SystemExit(f"{sizes.streams:,} streams need more open files than the limit ({fd_limit:,})")
    missing = openai_missing(args.skip_openai)
    names = [name for name in CONTENDERS if name not in missing]
    env, found = machine(), versions()
    env["venv"] = venv()
    load_before = load_average()
    log(f"streams benchmark: {sizes}, open-file limit {fd_limit:,}")
    with tempfile.TemporaryDirectory() as folder:
        mock = Mock(Path(folder), TTFT_MS)
        try:
            results = run_rounds(names, mock.url, sizes)
        finally:
            mock.close()
    env["load average (1 min) at start / end"] = f"{load_before} / {load_average()}"
    report = rows(results)
    per_stream = next(iter(results.values()))[0]["chunks_per_stream"]
    print(f"## Streams: {sizes.streams:,} open at once in one process\n")
    print(
        f"Medians of {sizes.rounds} interleaved rounds, each contender in a fresh process. The mock "
        f"(its own process, a thread per connection) sends each stream's headers at once and its "
        f"{per_stream:.0f} events {TTFT_MS} ms later; all {sizes.streams:,} streams are opened "
        f"({OPENING} at a time) and held before any is read. Open-file limit {fd_limit:,}.\n"
    )
    print(table(report, missing, against=(OPENAI,)))
    print()
    print(
        "chatcontract: `AsyncMiniMax(max_connections=N)` (N/8 pools of 8 connections); openai: "
        "`AsyncOpenAI(http_client=DefaultAsyncHttpxClient(limits=Limits(max_connections=N)))`. "
        "Raw httpx is not a contender here: `httpx.AsyncClient(limits=Limits(max_connections=N))` "
        "is one httpcore pool, which walks every connection whenever one is released "
        "(encode/httpcore#1035): 1,000 streams read at once went at 550 chunks/s that way."
    )
    for name, reason in missing.items():
        print(f"{name}: {reason}")
    print("\n## Machine\n")
    print(", ".join(f"{key}: {value}" for key, value in env.items()))
    print("\n## Versions\n")
    print(", ".join(f"{key} {value}" for key, value in found.items()))
    if args.json:
        document = {
            "sizes": asdict(sizes),
            "machine": env,
            "versions": found,
            "missing": missing,
            "runs": results,
            "rows": [row.as_json() for row in report],
        }
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
