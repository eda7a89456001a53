"""A pytest plugin for ``make mutation`` only: mutmut's call stack kept out of a ContextVar.

mutmut 3.8.1's trampolines note the caller of every mutated function in a ContextVar, set and
reset on each call, for its dependency tracking. On CPython 3.10 and 3.11 a ``ContextVar.set``
whose allocation starts the garbage collector, while a finalizer run by that collection sets a
ContextVar again (a stream dropped after an error closes its generators, which runs trampolined
code), leaves the context's HAMT pointing at freed nodes (python/cpython#148891): mutmut's first
whole-suite run died with SIGSEGV in tests/test_streaming.py. ``track_dependencies`` is off in
pyproject.toml, so mutmut never reads the caller, and the call stack can be a constant: the
ContextVar is not touched.
"""

from __future__ import annotations

from typing import Any

from mutmut.core import MutmutCallStack


def _top(cls: type) -> tuple[None, int]:
    return (None, 0)


def _no_change(cls: type, value: Any) -> None:
    return None


def pytest_configure(config: Any) -> None:
    MutmutCallStack.get = classmethod(_top)  # type: ignore[method-assign,assignment]
    MutmutCallStack.set = classmethod(_no_change)  # type: ignore[method-assign,assignment,arg-type]
    MutmutCallStack.reset = classmethod(_no_change)  # type: ignore[method-assign,assignment,arg-type]
