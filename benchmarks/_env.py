"""The machine and the package versions a benchmark ran on."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("httpx", "httpcore", "h11", "pydantic", "pydantic-core", "openai", "httpx2", "httpcore2", "jiter")


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        return None
    return None


def machine() -> dict[str, str]:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = _proc_field("/proc/meminfo", "MemTotal")
    ram = f"{int(mem.split()[0]) / 1024**2:.1f} GiB" if mem else "unknown"
    return {
        "nproc": str(cpus),
        "cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
    }


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews every wall-clock number."""
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "unknown"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    commit = _git("rev-parse", "--short=12", "HEAD") or "unknown"
    dirty = " (+ uncommitted changes)" if _git("status", "--porcelain", "--", "src", "generated") else ""
    from chatcontract import __version__

    found["chatcontract"] = f"{__version__} @ {commit}{dirty}"
    return found


def venv() -> str:
    """Which environment ran the benchmark, and what else ``import httpx`` loads there.

    httpx tries to import its optional CLI (``httpx._main``: click, pygments, rich) and keeps
    whatever of it is installed even when that import fails. Dev tools bring click and
    pygments, a user's venv usually does not; they cost chatcontract and raw httpx about 2 MiB
    and some milliseconds, and not openai (built on httpx2).
    """
    count = sum(1 for _ in metadata.distributions())
    probe = "import sys, httpx; print(' '.join(m for m in ('click', 'pygments', 'rich') if m in sys.modules))"
    where = f"{Path(sys.prefix).name} ({count} distributions)"
    try:
        command = [sys.executable, "-c", probe]
        extra = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return where + ", where what `import httpx` loads could not be told"
    return where + (f", where `import httpx` also loads {', '.join(extra)}" if extra else "")
