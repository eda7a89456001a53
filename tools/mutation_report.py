"""Print the mutation score of each module from mutmut's results in mutants/ (make mutation).

mutmut keeps, per mutated file, ``mutants/<path>.meta``: a JSON object whose ``exit_code_by_key``
maps each mutant to the exit code of the test run against it. The score of a module is the share
of its checked mutants that the tests caught (failed, timed out, or refused by the type check).

    python tools/mutation_report.py [--min SCORE]    # exit 1 when a module scores below SCORE
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut/stats.py); any other code counts as "suspicious".
STATUS: dict[int | None, str] = {
    **dict.fromkeys([1, 3], "killed"),
    **dict.fromkeys([36, 24, -24, 152, 255], "timeout"),
    37: "type check",
    0: "survived",
    **dict.fromkeys([5, 33], "no tests"),
    35: "suspicious",
    **dict.fromkeys([-11, -9], "segfault"),
    None: "not checked",
    34: "skipped",
    2: "interrupted",
}
CAUGHT = {"killed", "timeout", "type check"}  # the tests (or mypy) noticed the mutant
MISSED = {"survived", "no tests", "suspicious", "segfault"}  # checked, and nothing noticed


def module_counts(root: Path) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        if codes:
            name = str(meta.relative_to(root)).removesuffix(".meta")
            counts[name] = Counter(STATUS.get(code, "suspicious") for code in codes.values())
    return counts


def score(counts: Counter[str]) -> float | None:
    caught = sum(counts[s] for s in CAUGHT)
    checked = caught + sum(counts[s] for s in MISSED)
    return 100 * caught / checked if checked else None


COLUMNS = ("score", "killed", "survived", "no tests", "timeout", "other")


def _row(name: str, found: Counter[str]) -> str:
    value = score(found)
    named = ("killed", "survived", "no tests", "timeout")
    cells = ["-" if value is None else f"{value:.1f}%", *(str(found[s]) for s in named)]
    cells.append(str(sum(found.values()) - sum(found[s] for s in named)))
    return f"{name:42} " + " ".join(f"{cell:>9}" for cell in cells)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("mutants"))
    parser.add_argument("--min", type=float, default=0.0, help="lowest acceptable score per module (%%)")
    args = parser.parse_args(argv)
    counts = module_counts(args.root)
    if not counts:
        print(f"no mutmut results under {args.root}/: run `make mutation` first")
        return 1
    total: Counter[str] = Counter()
    low = []
    print(f"{'module':42} " + " ".join(f"{c:>9}" for c in COLUMNS))
    for name, found in counts.items():
        total += found
        print(_row(name, found))
        value = score(found)
        if value is not None and value < args.min:
            low.append(name)
    print(_row("all modules", total))
    if low:
        print(f"below {args.min:g}%: {', '.join(low)}")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
