"""``make schemathesis``: a bounded Schemathesis run of every spec against the built-in mock.

The mock is started in this process on a free port; each spec is run with ``st run`` (pinned
in pyproject.toml), every check on except the deliberate ones below, deterministic data and
few examples, so the run is short and repeatable. Exit status 0 only when every spec passes.

Deliberate differences from a plain ``st run``, each a documented property of the mock or
of OpenAPI, not a hidden failure:

* ``ignored_auth`` is off: the mock accepts any non-empty bearer key (it never knows real
  keys); it refuses a missing or malformed Authorization header, which the run still checks.
* Header parameters named ``Accept``, ``Content-Type`` or ``Authorization`` are dropped from
  the copy of the spec Schemathesis reads: OpenAPI 3.2 (Parameter Object, ``in: header``)
  says such a definition SHALL be ignored. Schemathesis 4.32 does not ignore MiniMax's
  ``Content-Type`` parameter and reports a "missing" header on a request that carries it.

Usage: ``python tools/schemathesis/run.py [--max-examples N] [--spec NAME ...]``.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib
import yaml

from chatcontract.mock import MockServer

ROOT = Path(__file__).resolve().parents[2]
EXCLUDED_CHECKS = ("ignored_auth",)
IGNORED_HEADERS = {"accept", "content-type", "authorization"}


@dataclass(frozen=True)
class Result:
    spec: str
    exit_code: int
    generated: int
    failures: list[str]
    seconds: float


def configured_specs() -> dict[str, tuple[Path, str]]:
    """Spec name -> (spec file, the mock's path prefix: its API id, the spec's ``x-client.id``),
    from pyproject.toml's codegen table."""
    table = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["chatcontract"]
    found = {}
    for name, entry in sorted(table["codegen"]["specs"].items()):
        path = ROOT / entry["spec"]
        found[name] = (path, yaml.safe_load(path.read_text(encoding="utf-8"))["x-client"]["id"])
    return found


def without_ignored_headers(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` without the header parameters OpenAPI says tools must ignore."""
    out = copy.deepcopy(spec)
    for item in out["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [
                    p
                    for p in operation["parameters"]
                    if not (p.get("in") == "header" and p.get("name", "").lower() in IGNORED_HEADERS)
                ]
    return out


def run_spec(spec: dict[str, Any], name: str, url: str, max_examples: int, scratch: Path) -> Result:
    spec_file = scratch / f"{name}.json"
    spec_file.write_text(json.dumps(without_ignored_headers(spec), ensure_ascii=False), encoding="utf-8")
    report = scratch / f"{name}.report.json"
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        str(spec_file),
        "--url",
        url,
        "--header",
        "Authorization: Bearer schemathesis",
        "--checks",
        "all",
        "--exclude-checks",
        ",".join(EXCLUDED_CHECKS),
        "--max-examples",
        str(max_examples),
        "--generation-deterministic",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=scratch, check=False)
    if not report.exists():
        raise RuntimeError(f"schemathesis wrote no report for {name}:\n{done.stdout}\n{done.stderr}")
    data = json.loads(report.read_text(encoding="utf-8"))
    failures = [str(failure.get("title") or failure) for failure in data.get("failures", [])]
    failures += [str(error) for error in data.get("errors", [])]
    if done.returncode and not failures:
        failures = [done.stdout[-2000:]]
    return Result(name, done.returncode, data["test_cases"]["generated"], failures, data["running_time"])


def run(names: list[str] | None = None, max_examples: int = 10) -> list[Result]:
    """Run the named specs (all by default) against a fresh mock server."""
    specs = configured_specs()
    results = []
    with MockServer() as server, tempfile.TemporaryDirectory() as scratch:
        for name in names or list(specs):
            path, prefix = specs[name]
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
            results.append(run_spec(spec, name, server.base_url(prefix), max_examples, Path(scratch)))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=10, help="examples per phase (default 10)")
    parser.add_argument("--spec", action="append", help="a spec name of pyproject.toml (default: all)")
    args = parser.parse_args(argv)
    results = run(args.spec, args.max_examples)
    for result in results:
        verdict = "ok" if result.exit_code == 0 else "FAILED"
        print(f"{result.spec}: {verdict}, {result.generated} cases in {result.seconds:.1f} s")
        for failure in result.failures:
            print(f"  - {failure}")
    return 0 if all(result.exit_code == 0 for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
