"""Batches: lines checked before sending, the OpenAI Batch formats, rate limits, retries, and
resuming after ``kill -9`` with every ``custom_id`` in the output exactly once."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from tqdm import tqdm  # type: ignore[import-untyped]  # no type hints in tqdm

import chatcontract.batch as batch
from chatcontract.batch import RateLimiter
from chatcontract.cli import main
from chatcontract.cli._batch import ProgressBar, ProgressLine, progress_reporter
from tests import specs

EXCHANGE = next(e for e in specs.exchanges() if e.api == "minimax")
URL = "https://api.minimaxi.com/v1/chat/completions"


def body(n: int, **extra: Any) -> dict[str, Any]:
    return {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": f"item {n}"}], **extra}


def write(path: Path, lines: list[Any]) -> Path:
    path.write_text(
        "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8"
    )
    return path


def results(path: Path) -> list[dict[str, Any]]:
    return [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines() if text.strip()]


# ----------------------------------------------------------------------------- checked first


def test_invalid_lines_are_reported_and_never_sent(tmp_path: Path) -> None:
    source = write(
        tmp_path / "in.jsonl",
        [
            {"custom_id": "ok-1", "body": body(1)},
            {"custom_id": "hot", "body": body(2, temperature=3)},
            "{not json",
            {"custom_id": "ok-1", "body": body(3)},
            {"custom_id": "get", "method": "GET", "url": "/v1/chat/completions", "body": body(4)},
            {"custom_id": "where", "method": "POST", "url": "/v1/embeddings", "body": body(5)},
            {"custom_id": "flow", "body": body(6, stream=True)},
            {"body": body(7)},
            {"custom_id": "ok-2", "method": "POST", "url": "/v1/chat/completions", "body": body(8)},
        ],
    )
    with respx.mock(assert_all_called=True) as router:
        route = router.post(URL).respond(200, json=EXCHANGE.response)
        summary = batch.run(source, tmp_path / "out.jsonl", api="minimax", api_key="k")
    assert route.call_count == 2 and summary.succeeded == 2 and summary.invalid == 7
    refused = results(tmp_path / "out.errors.jsonl")
    assert [(r["line"], r["custom_id"], r["field"]) for r in refused] == [
        (2, "hot", "body.temperature"),
        (3, None, ""),
        (4, "ok-1", "custom_id"),
        (5, "get", "method"),
        (6, "where", "url"),
        (7, "flow", "body.stream"),
        (8, None, "custom_id"),
    ]
    assert "0 < x <= 1" in refused[0]["rule"] and "unique" in refused[2]["rule"]
    sent = [json.loads(call.request.content)["messages"][0]["content"] for call in route.calls]
    assert sent == ["item 1", "item 8"]


def test_dry_run_sends_nothing_and_estimates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(
        tmp_path / "in.jsonl",
        [{"custom_id": f"r{n}", "body": body(n, max_completion_tokens=100)} for n in range(3)],
    )
    with respx.mock(assert_all_mocked=True):
        code = main(["batch", str(source), str(tmp_path / "out.jsonl"), "--api", "minimax", "--dry-run"])
    assert code == 0
    out = capsys.readouterr().out
    assert "dry run: 3 valid lines, 0 invalid" in out and "nothing sent" in out
    assert not (tmp_path / "out.jsonl").exists() and not batch.state_path(tmp_path / "out.jsonl").exists()


# ----------------------------------------------------------------------------- results and errors


def test_results_are_in_the_openai_batch_output_format(tmp_path: Path) -> None:
    source = write(
        tmp_path / "in.jsonl", [{"custom_id": "a", "body": body(1)}, {"custom_id": "b", "body": body(2)}]
    )
    with respx.mock() as router:
        router.post(URL).mock(
            side_effect=[
                httpx.Response(200, json=EXCHANGE.response),
                httpx.Response(401, json={"type": "error", "error": {"message": "bad key (1004)"}}),
            ]
        )
        summary = batch.run(source, tmp_path / "out.jsonl", api="minimax", api_key="k", concurrency=1)
    assert (summary.succeeded, summary.failed) == (1, 1)
    good, bad = results(tmp_path / "out.jsonl")
    assert set(good) == {"id", "custom_id", "response", "error"} and good["error"] is None
    assert good["response"]["status_code"] == 200 and good["response"]["body"] == EXCHANGE.response
    assert bad["custom_id"] == "b" and bad["error"]["code"] == "1004"
    assert (
        bad["response"]["status_code"] == 401
        and bad["response"]["body"]["error"]["message"] == "bad key (1004)"
    )


def test_rate_limits_pause_and_are_retried_but_auth_errors_are_not(tmp_path: Path) -> None:
    source = write(tmp_path / "in.jsonl", [{"custom_id": "a", "body": body(1)}])
    limited = {"choices": None, "base_resp": {"status_code": 1002, "status_msg": "rate limit"}}
    with respx.mock() as router:
        route = router.post(URL).mock(
            side_effect=[httpx.Response(200, json=limited), httpx.Response(200, json=EXCHANGE.response)]
        )
        started = time.monotonic()
        summary = batch.run(source, tmp_path / "out.jsonl", api="minimax", api_key="k")
    assert route.call_count == 2 and summary.succeeded == 1 and summary.rate_limited == 1
    assert time.monotonic() - started >= 0.9  # the pause after a rate limit (1 s at first)


def test_server_errors_end_retryable_and_retry_failed_sends_them_again(tmp_path: Path) -> None:
    source = write(
        tmp_path / "in.jsonl", [{"custom_id": "a", "body": body(1)}, {"custom_id": "b", "body": body(2)}]
    )
    output = tmp_path / "out.jsonl"
    with respx.mock() as router:
        router.post(URL).respond(500, json={"error": {"message": "down (1000)"}})
        first = batch.run(source, output, api="minimax", api_key="k", max_attempts=2)
    assert (first.succeeded, first.failed) == (0, 2)
    with respx.mock() as router:
        route = router.post(URL).respond(200, json=EXCHANGE.response)
        again = batch.run(source, output, api="minimax", api_key="k")
        assert route.call_count == 0 and again.failed == 2  # a plain rerun keeps final errors
        retried = batch.run(source, output, api="minimax", api_key="k", retry_failed=True)
    assert route.call_count == 2 and (retried.succeeded, retried.failed) == (2, 0)
    assert sorted(r["custom_id"] for r in results(output)) == ["a", "b"]
    assert all(r["error"] is None for r in results(output))


def test_a_changed_input_is_not_resumed(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    with respx.mock() as router:
        router.post(URL).respond(200, json=EXCHANGE.response)
        batch.run(
            write(tmp_path / "in.jsonl", [{"custom_id": "a", "body": body(1)}]),
            output,
            api="minimax",
            api_key="k",
        )
        with pytest.raises(batch.JobMismatch, match="input changed"):
            batch.run(
                write(tmp_path / "in.jsonl", [{"custom_id": "b", "body": body(2)}]),
                output,
                api="minimax",
                api_key="k",
            )


def test_a_torn_last_line_is_cut_and_written_again(tmp_path: Path) -> None:
    source = write(tmp_path / "in.jsonl", [{"custom_id": f"r{n}", "body": body(n)} for n in range(3)])
    output = tmp_path / "out.jsonl"
    with respx.mock() as router:
        route = router.post(URL).respond(200, json=EXCHANGE.response)
        batch.run(source, output, api="minimax", api_key="k")
        data = output.read_bytes()
        output.write_bytes(data[: len(data) - 40])  # a kill in the middle of the last write
        batch.run(source, output, api="minimax", api_key="k")
    assert route.call_count == 3
    assert sorted(r["custom_id"] for r in results(output)) == ["r0", "r1", "r2"]


# ----------------------------------------------------------------------------- the rate limiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _drive(limiter: RateLimiter, tokens: list[int]) -> None:
    import asyncio

    async def go() -> None:
        for count in tokens:
            await limiter.acquire(count)

    asyncio.run(go())


def test_requests_per_minute_space_the_requests() -> None:
    clock = Clock()
    limiter = RateLimiter(rpm=600, clock=clock, sleep=clock.sleep)
    _drive(limiter, [1] * 21)
    assert clock.now - 1000.0 == pytest.approx(2.0, abs=0.01)  # one request per 0.1 s, no start burst
    clock.now += 5.0  # a quiet spell: at most one second of it may be caught up
    before = clock.now
    _drive(limiter, [1] * 11)
    assert clock.now - before == pytest.approx(0.0, abs=0.01)
    _drive(limiter, [1])
    assert clock.now - before == pytest.approx(0.1, abs=0.01)


def test_tokens_per_minute_follow_the_estimate_then_the_usage() -> None:
    clock = Clock()
    limiter = RateLimiter(tpm=6000, clock=clock, sleep=clock.sleep)  # 100 tokens a second
    _drive(limiter, [200, 200])
    assert clock.now - 1000.0 == pytest.approx(2.0, abs=0.01)  # the first 200 tokens take 2 s
    limiter.correct(estimated=200, used=1200)  # the API counted 10 s more than estimated
    _drive(limiter, [100])
    assert clock.now - 1000.0 == pytest.approx(14.0, abs=0.01)


def test_a_vendor_rate_limit_pauses_everyone_and_grows_until_a_success() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    pauses = []
    for _ in range(3):  # three limits met one after the other, each after the last pause ended
        pauses.append(limiter.slow_down(None))
        clock.now += pauses[-1]
    assert pauses == [1.0, 2.0, 4.0]
    limiter.succeeded()
    assert limiter.slow_down(None) == 1.0 and limiter.slow_down(7.5) == 7.5
    _drive(limiter, [1])
    assert clock.now >= 1014.5


def test_refusals_of_requests_in_flight_together_are_one_signal() -> None:
    """64 requests sent before the limit was met come back refused at once: one pause, not 60 s."""
    clock = Clock()
    limiter = RateLimiter(rpm=600, clock=clock, sleep=clock.sleep)
    assert max(limiter.slow_down(None) for _ in range(64)) == 1.0 and limiter.pauses == 1
    started = clock.now
    _drive(limiter, [1] * 11)  # after the pause: spaced from its end, no catch-up burst
    assert clock.now - started == pytest.approx(1.0 + 1.0, abs=0.01)


# ----------------------------------------------------------------------------- kill -9 and resume


class Upstream(ThreadingHTTPServer):
    """A documented-reply server that records which item each request was for, per run."""

    daemon_threads = True

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.run = 0
        self.sent: list[tuple[int, str]] = []
        self.times: list[float] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a killed batch leaves broken pipes behind: expected here


class _Handler(BaseHTTPRequestHandler):
    server: Upstream

    def do_POST(self) -> None:
        data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.sent.append((self.server.run, data["messages"][0]["content"]))
            self.server.times.append(time.monotonic())
        time.sleep(self.server.latency)
        reply = json.dumps(EXCHANGE.response).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving(latency: float) -> Iterator[Upstream]:
    """An ``Upstream`` answering on its own thread until the block ends."""
    server = Upstream(latency=latency)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with serving(latency=0.02) as server:
        yield server


def _recorded(output: Path) -> set[str]:
    found = set()
    if output.exists():
        data = output.read_text(encoding="utf-8")
        for text in data[: data.rfind("\n") + 1].splitlines():
            found.add(json.loads(text)["custom_id"])
    state = batch.state_path(output)
    if state.exists():
        import sqlite3

        with sqlite3.connect(state) as db:
            found |= {row[0] for row in db.execute("SELECT custom_id FROM requests WHERE state != 'pending'")}
    return found


def test_killed_at_random_and_resumed_every_custom_id_is_in_the_output_once(
    tmp_path: Path, upstream: Upstream
) -> None:
    count = 300
    source = write(tmp_path / "in.jsonl", [{"custom_id": f"r{n}", "body": body(n)} for n in range(count)])
    output = tmp_path / "out.jsonl"
    command = [
        sys.executable, "-m", "chatcontract", "batch", str(source), str(output), "--api", "minimax",
        "--base-url", f"http://127.0.0.1:{upstream.server_address[1]}", "--concurrency", "8", "--no-progress",
    ]  # fmt: skip
    env = {**os.environ, "MINIMAX_API_KEY": "k"}
    chance = random.Random(20261204)
    recorded_before: set[str] = set()
    kills = 0
    for run in range(8):
        upstream.run = run
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if run < 4:
            time.sleep(chance.uniform(0.4, 0.9))
        if process.poll() is None and run < 4:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.communicate(timeout=60)
        # nothing recorded by an earlier run was sent again in this one
        again = {item for sent_run, item in upstream.sent if sent_run == run} & {
            f"item {cid[1:]}" for cid in recorded_before
        }
        assert not again, f"run {run} sent again what was recorded: {sorted(again)[:5]}"
        recorded_before = _recorded(output)
        if process.returncode == 0 and len(recorded_before) == count:
            break
    assert kills >= 2, "the batch ended before it could be killed: make it longer"
    ids = [r["custom_id"] for r in results(output)]
    assert sorted(ids) == sorted(f"r{n}" for n in range(count)) and len(ids) == len(set(ids))
    assert all(r["error"] is None for r in results(output))


# ----------------------------------------------------------------------------- progress


def _batch_with_progress(tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]) -> str:
    source = write(tmp_path / "in.jsonl", [{"custom_id": f"p{n}", "body": body(n)} for n in range(12)])
    argv = [
        "batch", str(source), str(tmp_path / "out.jsonl"), "--api", "minimax",
        "--base-url", f"http://127.0.0.1:{upstream.server_address[1]}", "--concurrency", "4",
    ]  # fmt: skip
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "12 succeeded, 0 failed" in captured.out
    return captured.err


def test_the_progress_is_a_tqdm_bar_when_tqdm_is_installed(
    tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINIMAX_API_KEY", "k")
    assert isinstance(progress_reporter(io.StringIO()), ProgressBar)  # tqdm is in the test group
    err = _batch_with_progress(tmp_path, upstream, capsys)
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    assert "100%|" in last and "12/12 [" in last and "req/s" in last
    assert "0 failed, " in last and " tokens, 0 rate limited]" in last
    assert int(last.split("0 failed, ")[1].split(" tokens")[0].replace(",", "")) > 0


def test_without_tqdm_the_progress_is_the_built_in_line(
    tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINIMAX_API_KEY", "k")
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails, as where it is not installed
    assert isinstance(progress_reporter(io.StringIO()), ProgressLine)
    err = _batch_with_progress(tmp_path, upstream, capsys)
    last = err.strip().splitlines()[-1]
    assert (
        last.startswith("12/12 (0 failed), ") and " req/s, ETA -, " in last and last.endswith(" rate limited")
    )


def test_the_bar_counts_from_what_was_recorded_before_with_the_errors_and_tokens() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, tqdm)
    progress = batch.Progress(total=10, done=4)  # 4 recorded by an earlier run
    bar(progress)
    progress.done, progress.failed, progress.tokens, progress.rate_limited = 6, 2, 1234, 3
    bar(progress)
    assert bar.bar.n == 8 and bar.bar.format_dict["initial"] == 4  # the rate counts this run only
    bar.close()
    assert "8/10" in out.getvalue() and "2 failed, 1,234 tokens, 3 rate limited" in out.getvalue()
