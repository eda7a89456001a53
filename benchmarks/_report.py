"""The results table: medians per contender, chatcontract's ratios, the targets, PASS/MISS."""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median

CC, RAW, OPENAI = "chatcontract", "raw httpx", "openai"
SELF = "itself"  # a target on chatcontract's own value (a ratio it measured), not against another


@dataclass(frozen=True)
class Target:
    """``chatcontract / against`` must be ``op`` ``bound`` (op is "<=" or ">=")."""

    against: str
    op: str
    bound: float

    def met(self, ratio: float) -> bool:
        compare = operator.le if self.op == "<=" else operator.ge
        return bool(compare(ratio, self.bound))

    def __str__(self) -> str:
        if self.against == SELF:
            return f"{self.op} {self.bound:g}×"
        return f"{self.op} {self.bound:g}× {self.against}"


@dataclass
class Row:
    """One metric: every round's value per contender (missing contender: no entry)."""

    metric: str
    unit: str
    rounds: dict[str, list[float]]
    target: Target | None = None
    digits: int = 0
    note: str = ""
    medians: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        self.medians = {name: median(values) for name, values in self.rounds.items() if values}

    def ratio(self, against: str) -> float | None:
        if CC not in self.medians or not self.medians.get(against):
            return None
        return self.medians[CC] / self.medians[against]

    def status(self) -> str:
        if self.target is None:
            return ""
        ratio = self.medians.get(CC) if self.target.against == SELF else self.ratio(self.target.against)
        if ratio is None:
            return "n/a"
        return "PASS" if self.target.met(ratio) else "MISS"

    def as_json(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "unit": self.unit,
            "rounds": self.rounds,
            "medians": self.medians,
            "ratio_vs_raw_httpx": self.ratio(RAW),
            "ratio_vs_openai": self.ratio(OPENAI),
            "target": str(self.target) if self.target else None,
            "status": self.status() or None,
        }


def _cell(row: Row, name: str, missing: Mapping[str, str]) -> str:
    if name in missing:
        return f"{name}: {missing[name]}"
    if name not in row.medians:
        return "-"
    return f"{row.medians[name]:,.{row.digits}f}"


def _ratio(row: Row, against: str, missing: Mapping[str, str]) -> str:
    if against in missing:
        return f"{against}: {missing[against]}"
    ratio = row.ratio(against)
    return "-" if ratio is None else f"{ratio:.2f}×"


def table(rows: Sequence[Row], missing: Mapping[str, str], against: Sequence[str] = (RAW, OPENAI)) -> str:
    """A Markdown table; ``missing`` maps a contender that did not run to why (``not installed``).

    ``against``: the contenders besides chatcontract that have columns (and ratios)."""
    headings = ("metric", CC, *against, *(f"{CC} / {name}" for name in against), "target", "status")
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    for row in rows:
        cells = [
            f"{row.metric} ({row.unit})",
            *(_cell(row, name, missing) for name in (CC, *against)),
            *(_ratio(row, name, missing) for name in against),
            str(row.target) if row.target else "",
            row.status(),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
