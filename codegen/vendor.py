"""``python -m codegen.vendor DEST [--name NAME]``: a self-contained copy of the client.

Writes ``DEST/NAME/`` (default name ``chatcontract``): the runtime from ``src/chatcontract``
and the generated code as ``NAME/_generated``, without the command line, the mock server and
the pytest plugin. The copy imports only httpx and pydantic, and all its imports are relative,
so it works under any package name. ``--generated DIR`` ships another build's generated code
(your own specs); ``--with-tools`` adds the command line, the mock server and the pytest plugin.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "src" / "chatcontract"
GENERATED = ROOT / "generated"
# Parts of the package that are tools around the client, not the client.
LEFT_OUT = {"cli", "mock", "testing.py", "__main__.py", "_generated", "__pycache__"}


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def vendor(
    dest: Path, name: str = "chatcontract", *, generated: Path = GENERATED, tools: bool = False
) -> Path:
    """Write ``dest/name``: the runtime and ``generated`` (another build's output if given);
    with ``tools``, also the command line, the mock server and the pytest plugin."""
    if not name.isidentifier():
        raise ValueError(f"--name must be a Python identifier, got {name!r}")
    target = dest / name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    skip = {"_generated", "__pycache__"} if tools else LEFT_OUT
    for path in sorted(RUNTIME.iterdir()):
        if path.name in skip:
            continue
        if path.is_file():
            shutil.copy2(path, target / path.name)
        elif tools and path.is_dir():
            shutil.copytree(path, target / path.name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(generated, target / "_generated", ignore=shutil.ignore_patterns("__pycache__"))
    version = (RUNTIME / "_version.py").read_text(encoding="utf-8").split('"')[1]
    (target / "VENDORED.md").write_text(
        f"Vendored copy of chatcontract {version} (commit {_commit()}), made by `make vendor`.\n"
        "Do not edit: change the specs upstream, regenerate, and vendor again.\n"
        "Needs only httpx and pydantic.\n",
        encoding="utf-8",
    )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.vendor", description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="folder to write the package into")
    parser.add_argument("--name", default="chatcontract", help="package name (default: %(default)s)")
    parser.add_argument(
        "--generated", type=Path, default=GENERATED, help="generated code to ship (default: generated/)"
    )
    parser.add_argument(
        "--with-tools", action="store_true", help="also the command line, mock server and pytest plugin"
    )
    args = parser.parse_args(argv)
    target = vendor(args.dest, args.name, generated=args.generated, tools=args.with_tools)
    print(f"vendored the client into {target} (import {args.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
