"""A pytest plugin for ``make mutation`` only: mutmut's call stack kept still, and a watchdog.

**The call stack.** mutmut 3.8.1's trampolines note the caller of every mutated function in a
ContextVar, set and reset on each call, for its dependency tracking. On CPython 3.10 and 3.11 a
``ContextVar.set`` whose allocation starts the garbage collector, while a finalizer run by that
collection sets a ContextVar again (a stream dropped after an error closes its generators, which
runs trampolined code), leaves the context's HAMT pointing at freed nodes (python/cpython#148891):
mutmut's first whole-suite run died with SIGSEGV in tests/test_streaming.py.
``track_dependencies`` is off in pyproject.toml, so mutmut never reads the caller, and the call
stack can be a constant: the ContextVar is not touched.

**The watchdog.** A mutant can turn a loop endless (``_EOL.search(text)`` from the start again),
and mutmut's own limit is 15 times the duration of all the tests that reach the mutant: minutes,
while such a run grew to 8 GB in five. In a mutant's run, a test that takes over
``TEST_SECONDS`` or a process over ``MEMORY_BYTES`` ends the run with mutmut's timeout code.
The slowest test of the whole-suite run under trampolines takes about 14 s.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from mutmut.core import MutmutCallStack
from mutmut.mutation.trampoline import get_mutant_under_test

TEST_SECONDS = 60
MEMORY_BYTES = 3 << 30
TIMEOUT_EXIT = 36  # "timeout" in mutmut's table of exit codes (mutmut/stats.py)
_STATM = "/proc/self/statm"


def _top(cls: type) -> tuple[None, int]:
    return (None, 0)


def _no_change(cls: type, value: Any) -> None:
    return None


def _resident_bytes() -> int:
    if not os.path.exists(_STATM):  # not Linux: time alone is watched
        return 0
    with open(_STATM, encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Watchdog:
    """Ends this process when one test runs too long or the process grows too large."""

    def __init__(self) -> None:
        self.test_started = time.monotonic()

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.test_started = time.monotonic()

    def watch(self) -> None:
        while True:
            time.sleep(0.5)
            slow = time.monotonic() - self.test_started > TEST_SECONDS
            if slow or _resident_bytes() > MEMORY_BYTES:
                os._exit(TIMEOUT_EXIT)


def pytest_configure(config: Any) -> None:
    MutmutCallStack.get = classmethod(_top)  # type: ignore[method-assign,assignment]
    MutmutCallStack.set = classmethod(_no_change)  # type: ignore[method-assign,assignment,arg-type]
    MutmutCallStack.reset = classmethod(_no_change)  # type: ignore[method-assign,assignment,arg-type]
    if "__mutmut_" in get_mutant_under_test():  # a mutant's run (not the stats or clean runs)
        watchdog = Watchdog()
        config.pluginmanager.register(watchdog, "mutmut-watchdog")
        threading.Thread(target=watchdog.watch, name="mutmut-watchdog", daemon=True).start()
