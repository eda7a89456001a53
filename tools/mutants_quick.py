"""Check each mutant of one module against a few test files, without mutmut's own run.

mutmut writes its mutants into ``mutants/`` (``make mutation``); each is switched on by the
``MUTANT_UNDER_TEST`` variable. This forks one pytest run per mutant (``-x``, after one warm-up
import) over the test files of the module's subject, so survivors show up in minutes rather
than the hours of a whole ``make mutation``. It is a narrower measure: only the files given.

    .venv-mutation/bin/python tools/mutants_quick.py src/chatcontract/_request.py \\
        tests/test_rules.py tests/test_client.py [--regenerate] [--only SUBSTRING ...] [--timeout S]

Run from the repository; test paths are relative to it. ``--regenerate`` first brings
``mutants/`` up to date with src/ and the tests (mutmut's generation step alone).
A mutant is caught when a test fails or it runs out of time; any other exit (a crash) is listed
apart and not counted. Prints the survivors and a summary; exit 1 when any was not caught.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

PYTEST_ARGS = [
    "-q",
    "-p",
    "no:randomly",
    "-p",
    "no:cacheprovider",
    "-W",
    "ignore::pytest.PytestAssertRewriteWarning",
]


def _run_one(key: str, files: list[str], timeout: int) -> int:
    pid = os.fork()
    if pid == 0:  # the child: the mutant on, quiet, bounded in time
        import pytest

        os.environ["MUTANT_UNDER_TEST"] = key
        signal.alarm(timeout)
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        os._exit(int(pytest.main(["-x", "--tb=no", *PYTEST_ARGS, *files])))
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def regenerate() -> None:
    """mutants/ brought up to date with src/ and the tests (mutmut's own first step, no run)."""
    from mutmut import __main__ as mutmut

    mutmut.set_mutant_under_test("mutant_generation")
    Path("mutants").mkdir(exist_ok=True)
    mutmut.copy_src_dir()
    mutmut.copy_also_copy_files()
    mutmut.setup_source_paths()
    mutmut.create_mutants(1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="a mutated file, e.g. src/chatcontract/_request.py")
    parser.add_argument("tests", nargs="+", help="test files to run against each mutant")
    parser.add_argument("--only", action="append", default=[], help="mutants whose key holds this")
    parser.add_argument("--timeout", type=int, default=20, help="seconds per mutant (then: killed)")
    parser.add_argument("--root", type=Path, default=Path("mutants"))
    parser.add_argument("--regenerate", action="store_true", help="first update mutants/ (from the repo)")
    args = parser.parse_args(argv)
    if args.regenerate:
        regenerate()
    root = args.root.resolve()
    keys = list(json.loads((root / f"{args.source}.meta").read_text(encoding="utf-8"))["exit_code_by_key"])
    keys = [k for k in keys if not args.only or any(part in k for part in args.only)]
    os.chdir(root)
    sys.path[:0] = [str(root / "src"), str(root)]
    os.environ["PY_IGNORE_IMPORTMISMATCH"] = "1"
    import pytest

    pytest.main(["--collect-only", "-qq", *PYTEST_ARGS, *args.tests])  # warm up once, as mutmut does
    start = time.monotonic()
    codes = {key: _run_one(key, args.tests, args.timeout) for key in keys}
    survived = [key for key, code in codes.items() if code == 0]
    other = {key: code for key, code in codes.items() if code not in (0, 1, -signal.SIGALRM)}
    for key in survived:
        print(f"survived: {key}")
    for key, code in other.items():  # neither a failing test nor a timeout: not counted as caught
        print(f"exit {code}: {key}")
    caught = len(keys) - len(survived) - len(other)
    share = f"{100 * caught / len(keys):.1f}%" if keys else "-"
    elapsed = time.monotonic() - start
    print(f"{args.source}: {caught} of {len(keys)} mutants caught ({share}), {elapsed:.0f} s")
    return 1 if survived or other else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
