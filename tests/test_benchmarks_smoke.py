"""``benchmarks/bench.py`` runs end to end at its tiniest sizes. No timing is checked."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks" / "bench.py"
STREAMS = ROOT / "benchmarks" / "streams_bench.py"
HEADINGS = (
    "## Results",
    "| metric | chatcontract | raw httpx | openai | chatcontract / raw httpx | chatcontract / openai |",
    "| import, timed in a fresh interpreter (ms) |",
    "| non-streaming latency per call (µs) |",
    "| non-streaming client CPU per call (µs) |",
    "| streaming throughput (chunks/s) |",
    "| async requests/s at concurrency",
    "| peak RSS, whole workload (MiB) |",
    "CPU share of one core",
    "## Machine",
    "## Versions",
)


def _smoke(script: Path, report: Path, skip_openai: bool) -> subprocess.CompletedProcess[str]:
    """``script --smoke``, its JSON report written to ``report``."""
    command = [sys.executable, str(script), "--smoke", "--json", str(report)]
    if skip_openai:
        command.append("--skip-openai")
    return subprocess.run(command, capture_output=True, text=True, encoding="utf-8", timeout=300, cwd=ROOT)


@pytest.mark.parametrize("skip_openai", [False, True], ids=["openai-as-installed", "openai-skipped"])
def test_bench_runs_and_prints_the_table(skip_openai: bool, tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    run = _smoke(BENCH, report, skip_openai)

    assert run.returncode == 0, run.stderr[-4000:]
    for heading in HEADINGS:
        assert heading in run.stdout
    if skip_openai:
        assert "openai: skipped" in run.stdout
    elif importlib.util.find_spec("openai") is None:
        assert "openai: not installed" in run.stdout
    rows = json.loads(report.read_text(encoding="utf-8"))["rows"]
    assert {row["status"] for row in rows} <= {"PASS", "MISS", "n/a", None}
    assert all(row["medians"]["chatcontract"] > 0 for row in rows)


@pytest.mark.parametrize("skip_openai", [False, True], ids=["openai-as-installed", "openai-skipped"])
def test_streams_bench_runs_and_prints_the_table(skip_openai: bool, tmp_path: Path) -> None:
    report = tmp_path / "streams.json"
    run = _smoke(STREAMS, report, skip_openai)

    assert run.returncode == 0, run.stderr[-4000:]
    for heading in (
        "## Streams: 50 open at once in one process",
        "| metric | chatcontract | openai | chatcontract / openai |",
        "| chunks/s, every stream read at once (chunks/s) |",
        "| RSS per open stream (MiB) |",
        "## Machine",
    ):
        assert heading in run.stdout
    if skip_openai:
        assert "openai: skipped" in run.stdout
    elif importlib.util.find_spec("openai") is None:
        assert "openai: not installed" in run.stdout
    document = json.loads(report.read_text(encoding="utf-8"))
    runs = document["runs"]["chatcontract"]
    assert [r["streams"] for r in runs] == [50] and runs[0]["chunks_per_stream"] > 1
    assert all(row["medians"]["chatcontract"] > 0 for row in document["rows"] if row["unit"] != "MiB")
