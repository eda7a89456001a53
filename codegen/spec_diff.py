"""``python -m codegen.spec_diff [--ref REF] [--markdown] [--fail-on-breaking] [--root DIR] [SPEC ...]``.

Compares each spec in ``DIR/specs/`` (or each SPEC given, relative to the working directory)
with its version at a git ref (default ``HEAD``, read with ``git show REF:path``) and reports
every change, classified **breaking** or **compatible** for callers of the generated client,
with a JSON pointer into the new spec (into the old one for something removed). A spec absent
at the ref is "added", one gone from the working tree "removed". It is a report, not a gate:
the exit code is 0, or 2 for a usage error (no git repository, unknown ref, unreadable spec),
and with ``--fail-on-breaking`` 1 when a change is breaking. ``--markdown`` prints
Keep-a-Changelog bullets for CHANGELOG.md. ``DIR`` defaults to this repository.
``diff_specs(old, new) -> list[Change]`` is the comparison as a function.

Request side means schemas reachable from the request body, response side those reachable
from a response (``schema_views.sides``). The rule behind both columns: a change that makes
the request accept less, or the response promise less, breaks callers.

=====================================  =============================  ===============================
change                                 request side                   response side
=====================================  =============================  ===============================
field removed                          breaking                       breaking
field added                            breaking if required,          compatible (lenient models
                                       else compatible                kept unknown fields anyway)
field made required                    breaking                       compatible
field made optional                    compatible                     breaking (callers may get None)
made nullable / no longer nullable     compatible / breaking          breaking / compatible
type changed (``$ref`` target too)     breaking                       breaking
type widened (string → string|array,   compatible                     breaking
integer → number)
type narrowed                          breaking                       compatible
bound narrowed (maximum lowered,       breaking                       compatible
minimum raised, exclusiveMinimum
added, maxItems lowered, minItems
raised, minLength..., added)
bound widened (the reverse, removed)   compatible                     breaking
enum value removed                     breaking                       compatible
enum value added                       compatible                     compatible, noted: a client
                                                                      generated before rejects it
                                                                      with strict_responses=True
enum/const added / removed             breaking / compatible          compatible / breaking
additionalProperties true → false      breaking                       compatible
additionalProperties false → true      compatible                     compatible
dependentSchemas/-Required rule added  breaking                       compatible
rule removed / changed                 compatible / breaking          breaking / breaking
format, pattern, multipleOf added      breaking                       compatible
... removed / changed                  compatible / breaking          breaking / breaking
default added, changed or removed      compatible (listed)            compatible (listed)
description, title, examples,          compatible (listed)            compatible (listed)
x-transcription-note, other x-*
=====================================  =============================  ===============================

Operation and document level: path, method and server URL changes are breaking, and so is any
change to ``security`` or ``securitySchemes`` (beyond their descriptions), a removed media type
or response, a new required parameter. ``x-errors`` changes (codes added, removed or remapped),
example changes, summary/description/info changes and ``x-transcription-note`` changes are
compatible and listed one line per pointer. A spec new since the ref is compatible ("added");
a spec gone is breaking ("removed"). Changes of a schema neither side reaches are listed as
compatible. A keyword no rule knows is reported as breaking, "not classified; review by hand",
so nothing changes silently.

Why "enum value added" on the response side is compatible rather than a third level: lenient
response models (the default) keep any value, so callers' code runs; only a caller who opted
into ``strict_responses=True`` with a client generated before the change sees the value
rejected, and the message says so. Two kinds keep ``--fail-on-breaking`` a yes/no question.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from ._diff_base import BREAKING, COMPATIBLE, Change
from ._diff_ops import diff_specs

__all__ = ["Change", "SpecReport", "UsageError", "compare_with_ref", "diff_specs", "main"]

ROOT = Path(__file__).resolve().parent.parent


class UsageError(Exception):
    """The command line cannot be carried out (no git repository, unknown ref, unknown spec)."""


@dataclass(frozen=True)
class SpecReport:
    """The changes of one spec file, breaking ones first."""

    path: str  # relative to the project root, with forward slashes
    status: Literal["changed", "unchanged", "added", "removed"]
    changes: tuple[Change, ...]


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, encoding="utf-8")
    except FileNotFoundError as missing:
        raise UsageError("git is not installed") from missing


def _load(text: str, where: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise UsageError(f"{where}: not YAML: {error}") from error
    if not isinstance(data, dict):
        raise UsageError(f"{where}: not an OpenAPI document")
    return data


def _spec_paths(root: Path, ref: str) -> list[str]:
    """specs/*.yaml in the working tree and at ``ref``, relative to ``root``."""
    listed = _git(root, "ls-tree", "--name-only", ref, "--", "specs/").stdout.splitlines()
    on_disk = [p.relative_to(root).as_posix() for p in (root / "specs").glob("*.yaml")]
    return sorted({p for p in listed if p.endswith(".yaml")} | set(on_disk))


def _report(root: Path, ref: str, rel: str) -> SpecReport:
    shown = _git(root, "show", f"{ref}:./{rel}")
    path = root / rel
    if shown.returncode and not path.is_file():
        raise UsageError(f"{rel}: neither in the working tree nor at {ref}")
    if shown.returncode:
        return SpecReport(rel, "added", (Change(COMPATIBLE, "", f"spec added (not at {ref})"),))
    if not path.is_file():
        return SpecReport(rel, "removed", (Change(BREAKING, "", "spec removed (its endpoint is gone)"),))
    old, new = _load(shown.stdout, f"{rel} at {ref}"), _load(path.read_text(encoding="utf-8"), rel)
    try:
        changes = diff_specs(old, new)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise UsageError(f"{rel}: cannot compare: {error!r}") from error
    ordered = [c for c in changes if c.kind == BREAKING] + [c for c in changes if c.kind != BREAKING]
    return SpecReport(rel, "changed" if changes else "unchanged", tuple(ordered))


def compare_with_ref(root: Path, ref: str = "HEAD", specs: Sequence[str] = ()) -> list[SpecReport]:
    """Reports for ``specs`` (paths relative to ``root``; default: every spec) against ``ref``."""
    if ref.startswith("-"):
        raise UsageError(f"not a git ref: {ref!r}")
    checked = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if checked.returncode:
        detail = checked.stderr.strip().splitlines()
        raise UsageError(
            f"{ref!r} is not a commit of a git repository at {root}" + (f": {detail[-1]}" if detail else "")
        )
    return [_report(root, ref, rel) for rel in (list(specs) or _spec_paths(root, ref))]


def render_text(reports: Sequence[SpecReport], ref: str) -> str:
    lines = []
    for report in reports:
        if report.status in ("unchanged", "added", "removed"):
            kind = {"unchanged": "", "added": " (compatible)", "removed": " (breaking)"}[report.status]
            lines.append(f"{report.path}: {report.status} since {ref}{kind}")
            continue
        counts = {k: sum(c.kind == k for c in report.changes) for k in (BREAKING, COMPATIBLE)}
        lines.append(
            f"{report.path}: {counts[BREAKING]} breaking, {counts[COMPATIBLE]} compatible since {ref}"
        )
        for kind in (BREAKING, COMPATIBLE):
            changes = [c for c in report.changes if c.kind == kind]
            lines += [f"  {kind}:"] if changes else []
            for change in changes:
                lines += [f"    {change.message}", f"      at {change.pointer}"]
    every = [c for r in reports for c in r.changes]
    breaking = sum(c.kind == BREAKING for c in every)
    compatible = len(every) - breaking
    lines.append(f"{len(reports)} spec(s) compared with {ref}: {breaking} breaking, {compatible} compatible")
    return "\n".join(lines)


def render_markdown(reports: Sequence[SpecReport]) -> str:
    """Keep-a-Changelog bullets: breaking ones marked **breaking**, the rest (compatible)."""
    lines = []
    for report in reports:
        for change in report.changes:
            if change.kind == BREAKING:
                lines.append(f"- **breaking** {report.path}: {change.message}")
            else:
                lines.append(f"- {report.path}: {change.message} (compatible)")
    return "\n".join(lines)


def _relative(root: Path, spec: str) -> str:
    path = Path(spec).resolve()
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        raise UsageError(f"{spec}: not inside {root}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen.spec_diff",
        description="Report what changed in the specs since a git ref, breaking changes first.",
    )
    parser.add_argument("specs", nargs="*", metavar="SPEC", help="spec files (default: every specs/*.yaml)")
    parser.add_argument("--ref", default="HEAD", help="git ref to compare with (default: HEAD)")
    parser.add_argument("--markdown", action="store_true", help="print CHANGELOG bullet lines only")
    parser.add_argument("--fail-on-breaking", action="store_true", help="exit 1 when a change is breaking")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="project folder holding specs/ (default: this repo)"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        reports = compare_with_ref(root, args.ref, [_relative(root, s) for s in args.specs])
    except UsageError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    text = render_markdown(reports) if args.markdown else render_text(reports, args.ref)
    if text:
        print(text)
    breaking = any(c.kind == BREAKING for r in reports for c in r.changes)
    return 1 if args.fail_on_breaking and breaking else 0


if __name__ == "__main__":
    sys.exit(main())
