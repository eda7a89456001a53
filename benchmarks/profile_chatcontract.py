"""Where chatcontract's time goes: its non-streaming and streaming paths under a profiler.

    .venv/bin/python benchmarks/profile_chatcontract.py [--tool cprofile|pyinstrument] [--calls N]

Against the benchmark's loopback server (in its own process). ``cprofile`` (the default, no
extra package) lists the functions of chatcontract's own code (``src/chatcontract``,
``generated``) by inclusive time, then the top functions overall by own time; ``pyinstrument``
(``pip install pyinstrument``) prints its sampled call tree, which distorts less.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from collections.abc import Callable
from pathlib import Path

from _workloads import ChatContract
from bench import Server

OWN_CODE = ("/src/chatcontract/", "/generated/", "/chatcontract/_generated/")


def _where(key: tuple[str, int, str]) -> str:
    path, _line, function = key
    return f"{Path(path).name}:{function}" if path != "~" else function


def cprofile_report(title: str, run: Callable[[], object], top: int) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler)
    table: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\n### {title}: {total * 1e3:.0f} ms under cProfile\n")
    own = [(key, value) for key, value in table.items() if any(part in key[0] for part in OWN_CODE)]
    print(f"chatcontract's own functions, by inclusive time (% of {total * 1e3:.0f} ms):\n")
    for key, (_, calls, tottime, cumtime, _) in sorted(own, key=lambda item: -item[1][3])[:top]:
        print(f"  {cumtime / total:6.1%} incl  {tottime / total:6.1%} own  {calls:>8}  {_where(key)}")
    print("\nall functions, by own time:\n")
    for key, (_, calls, tottime, cumtime, _) in sorted(table.items(), key=lambda item: -item[1][2])[:top]:
        where = f"{Path(key[0]).parent.name}/{_where(key)}"
        print(f"  {tottime / total:6.1%} own  {cumtime / total:6.1%} incl  {calls:>8}  {where}")


def pyinstrument_report(title: str, run: Callable[[], object]) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0002)
    profiler.start()
    run()
    profiler.stop()
    print(f"\n### {title}\n")
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", choices=("cprofile", "pyinstrument"), default="cprofile")
    parser.add_argument("--calls", type=int, default=2_000, help="non-streaming calls")
    parser.add_argument("--chunks", type=int, default=20_000, help="chunks in the stream")
    parser.add_argument("--top", type=int, default=25, help="rows per list (cprofile)")
    args = parser.parse_args()
    server = Server(args.chunks)
    try:
        contender = ChatContract(server.url)
        contender.open()
        contender.calls(100)
        contender.stream()
        paths: dict[str, Callable[[], object]] = {
            f"non-streaming, {args.calls} calls": lambda: contender.calls(args.calls),
            f"streaming, one {args.chunks}-chunk stream": contender.stream,
        }
        for title, run in paths.items():
            if args.tool == "cprofile":
                cprofile_report(title, run, args.top)
            else:
                pyinstrument_report(title, run)
        contender.close()
    finally:
        server.close()


if __name__ == "__main__":
    main()
