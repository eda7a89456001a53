"""The three contenders, each doing the same work against the benchmark server.

* ``chatcontract``: ``chatcontract.MiniMax`` / ``AsyncMiniMax``;
* ``raw httpx``: ``httpx.Client.post`` + ``json.loads``, ``iter_lines`` + ``json.loads`` per
  ``data:`` line: what any client must at least do, the physical limit;
* ``openai``: the official SDK, ``openai.OpenAI`` / ``AsyncOpenAI``.

Libraries are imported when a contender is opened, so that this module loads without them.
Run as a script, it does one contender's whole workload in a fresh process and prints, as
JSON, its cold start (import + client + first call) and its peak RSS after the imports and at
the end. ``asyncio`` is imported only where used, so that it is charged to whoever needs it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from _payloads import API_KEY, MESSAGES, MODEL
from _report import OPENAI

VARIANTS = ("chatcontract", "raw httpx", "openai")
TIMEOUT = 60.0


@dataclass(frozen=True)
class Sample:
    """One timed run: wall and process CPU seconds for ``count`` operations."""

    wall: float
    cpu: float
    count: int


def timed(run: Callable[[], int]) -> Sample:
    wall, cpu = time.perf_counter(), time.process_time()
    count = run()
    return Sample(time.perf_counter() - wall, time.process_time() - cpu, count)


async def drive(call: Callable[[], Awaitable[Any]], total: int, concurrency: int) -> Sample:
    """``total`` calls by ``concurrency`` workers, after one warm-up call per worker."""
    import asyncio

    await asyncio.gather(*(call() for _ in range(concurrency)))
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Sample(time.perf_counter() - wall, time.process_time() - cpu, total)


def _check_final(content: Any, total_tokens: Any) -> None:
    """A built reply must hold the streamed text and the last chunk's usage, or it measured nothing."""
    if not content or not total_tokens:
        raise RuntimeError(f"accumulated reply lost data: content {content!r:.40}, usage {total_tokens!r}")


class Contender:
    """One client library. ``open`` makes the sync client; ``async_run`` its own async one."""

    name: str

    def __init__(self, url: str) -> None:
        self.url = url

    def open(self) -> None:
        raise NotImplementedError

    def call(self) -> None:
        raise NotImplementedError

    def stream(self) -> int:
        """Read one streamed reply; the number of chunks decoded."""
        raise NotImplementedError

    def stream_final(self) -> int:
        """Read one streamed reply and build the whole reply from it; the number of chunks."""
        raise NotImplementedError

    async def async_run(self, total: int, concurrency: int) -> Sample:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def calls(self, count: int) -> int:
        call = self.call
        for _ in range(count):
            call()
        return count


class ChatContract(Contender):
    name = "chatcontract"

    def open(self) -> None:
        import chatcontract

        self.client = chatcontract.MiniMax(api_key=API_KEY, base_url=self.url, max_retries=0, timeout=TIMEOUT)

    def call(self) -> None:
        self.client.chat.completions.create(model=MODEL, messages=MESSAGES)

    def stream(self) -> int:
        count = 0
        with self.client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True) as stream:
            for _chunk in stream:
                count += 1
        return count

    def stream_final(self) -> int:
        count = 0
        with self.client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True) as stream:
            for _chunk in stream:
                count += 1
            final = stream.get_final_completion()
        _check_final(final.choices[0].message.content, final.usage.total_tokens)
        return count

    async def async_run(self, total: int, concurrency: int) -> Sample:

        import chatcontract

        # The client as users get it: its own HTTP client (a sharded pool, see _pool.py),
        # which allows more than ``concurrency`` connections.
        async with chatcontract.AsyncMiniMax(
            api_key=API_KEY, base_url=self.url, max_retries=0, timeout=TIMEOUT
        ) as client:
            create = client.chat.completions.create
            return await drive(lambda: create(model=MODEL, messages=MESSAGES), total, concurrency)

    def close(self) -> None:
        self.client.close()


class RawHttpx(Contender):
    name = "raw httpx"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.endpoint = url + "/v1/chat/completions"
        self.headers = {"Authorization": f"Bearer {API_KEY}"}
        self.body: dict[str, Any] = {"model": MODEL, "messages": MESSAGES}

    def open(self) -> None:
        import httpx

        self.client = httpx.Client(timeout=TIMEOUT)

    def call(self) -> None:
        response = self.client.post(self.endpoint, json=self.body, headers=self.headers)
        response.raise_for_status()
        json.loads(response.content)

    def stream(self) -> int:
        count = 0
        body = {**self.body, "stream": True}
        with self.client.stream("POST", self.endpoint, json=body, headers=self.headers) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line.startswith("data: "):
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    json.loads(data)
                    count += 1
        return count

    def stream_final(self) -> int:
        """The least a hand-written accumulator does: join the content, keep the last usage."""
        count, parts, usage = 0, [], None
        body = {**self.body, "stream": True}
        with self.client.stream("POST", self.endpoint, json=body, headers=self.headers) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line.startswith("data: "):
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    chunk = json.loads(data)
                    count += 1
                    for choice in chunk.get("choices") or ():
                        content = (choice.get("delta") or {}).get("content")
                        if content:
                            parts.append(content)
                    usage = chunk.get("usage") or usage
        _check_final("".join(parts), (usage or {}).get("total_tokens"))
        return count

    async def async_run(self, total: int, concurrency: int) -> Sample:
        import httpx

        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=TIMEOUT) as client:

            async def call() -> None:
                response = await client.post(self.endpoint, json=self.body, headers=self.headers)
                response.raise_for_status()
                json.loads(response.content)

            return await drive(call, total, concurrency)

    def close(self) -> None:
        self.client.close()


def _openai_http() -> Any:
    """The HTTP library the openai SDK is built on (``httpx2`` in openai 3.x, ``httpx`` before)."""
    import openai

    for name in ("httpx2", "httpx"):
        module = sys.modules.get(name)
        if module is not None and issubclass(openai.DefaultAsyncHttpxClient, module.AsyncClient):
            return module
    raise RuntimeError("cannot tell which HTTP library the openai SDK uses")


class OpenAI(Contender):
    name = "openai"
    messages: Any = MESSAGES  # plain dicts; the SDK's parameter types are TypedDicts

    def open(self) -> None:
        import openai

        self.client = openai.OpenAI(
            api_key=API_KEY, base_url=self.url + "/v1", max_retries=0, timeout=TIMEOUT
        )

    def call(self) -> None:
        self.client.chat.completions.create(model=MODEL, messages=self.messages)

    def stream(self) -> int:
        count = 0
        with self.client.chat.completions.create(model=MODEL, messages=self.messages, stream=True) as stream:
            for _chunk in stream:
                count += 1
        return count

    def stream_final(self) -> int:
        """The SDK's own accumulator (``ChatCompletionStreamState``, as its ``.stream()`` helper uses)."""
        from openai.lib.streaming.chat import ChatCompletionStreamState

        count, state = 0, ChatCompletionStreamState()
        with self.client.chat.completions.create(model=MODEL, messages=self.messages, stream=True) as stream:
            for chunk in stream:
                state.handle_chunk(chunk)
                count += 1
        final = state.get_final_completion()
        _check_final(final.choices[0].message.content, final.usage.total_tokens if final.usage else None)
        return count

    async def async_run(self, total: int, concurrency: int) -> Sample:
        import openai

        http = openai.DefaultAsyncHttpxClient(limits=_openai_http().Limits(max_connections=concurrency))
        async with openai.AsyncOpenAI(
            api_key=API_KEY, base_url=self.url + "/v1", max_retries=0, timeout=TIMEOUT, http_client=http
        ) as client:
            create = client.chat.completions.create
            return await drive(lambda: create(model=MODEL, messages=self.messages), total, concurrency)

    def close(self) -> None:
        self.client.close()


CONTENDERS: dict[str, type[Contender]] = {c.name: c for c in (ChatContract, RawHttpx, OpenAI)}
# What each contender's "import" costs (the raw client needs httpx and, to be typed, pydantic).
IMPORTS = {"chatcontract": "chatcontract", "raw httpx": "httpx, pydantic", "openai": "openai"}


def openai_installed() -> bool:
    return importlib.util.find_spec("openai") is not None


def openai_missing(skip: bool) -> dict[str, str]:
    """``{OPENAI: why}`` when the openai SDK is not measured in this run (``--skip-openai``, or
    not installed), else ``{}``."""
    if skip:
        return {OPENAI: "skipped"}
    return {} if openai_installed() else {OPENAI: "not installed"}


def max_rss_kib() -> int:
    """This process's peak RSS in KiB.

    On Linux, ``VmHWM`` from ``/proc/self/status``: ``ru_maxrss`` (``RUSAGE_SELF``) also counts
    the RSS of the parent process at ``fork``/``exec``, which would put the benchmark's own
    (all three libraries loaded) under every contender. Elsewhere ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss  # bytes on macOS, KiB on Linux


def rss_workload(name: str, url: str, calls: int, concurrency: int, async_requests: int) -> dict[str, float]:
    """One contender's whole workload: its cold start, and its peak RSS after imports and at the end."""
    import asyncio

    contender = CONTENDERS[name](url)
    start = time.perf_counter()
    contender.open()
    after_import = max_rss_kib()
    contender.call()
    cold_start = time.perf_counter() - start
    contender.calls(calls - 1)
    contender.stream()
    contender.close()
    asyncio.run(contender.async_run(async_requests, concurrency))
    return {
        "cold_start_ms": cold_start * 1e3,
        "import_kib": after_import,
        "peak_kib": max_rss_kib(),
        "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="One contender's workload; prints its peak RSS.")
    parser.add_argument("variant", choices=VARIANTS)
    parser.add_argument("--url", required=True)
    parser.add_argument("--calls", type=int, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--async-requests", type=int, required=True)
    args = parser.parse_args()
    result = rss_workload(args.variant, args.url, args.calls, args.concurrency, args.async_requests)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
