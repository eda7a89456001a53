"""``python -m codegen.new_api NAME --server URL --model M [--model M2 ...]``: a spec to fill in.

Writes ``specs/<id>.yaml`` from ``codegen/templates/scaffold/spec.yaml.jinja`` (an
OpenAI-compatible chat completions endpoint with TODOs where the vendor's page decides) and adds
its one entry to ``[tool.chatcontract.codegen.specs]`` in ``pyproject.toml``. After that,
writing the YAML is the only work: ``make generate`` makes the client, the mock serves it and
``--api <id>`` reaches it (CONTRIBUTING.md, "Adding an API").
"""

from __future__ import annotations

import argparse
import datetime
import re
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .config import ClientInfo, load

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "templates" / "scaffold"


def api_id(name: str) -> str:
    """``DeepSeek`` -> ``deepseek``; ``MoonshotCN`` -> ``moonshotcn``."""
    return re.sub(r"[^a-z0-9_]", "", name.lower())


def scaffold(
    root: Path, name: str, server: str, models: list[str], path: str = "/v1/chat/completions"
) -> Path:
    """Write the spec of a new API under ``root`` and register it; return the spec's path."""
    ident = api_id(name)
    info = ClientInfo(  # refuses a name or id the generated code could not use, before writing
        name=name,
        id=ident,
        api_key_env=f"{ident.upper()}_API_KEY",
        base_url_env=f"{ident.upper()}_BASE_URL",
        summary=name,
    )
    parts = urlsplit(server)
    if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"--server must be an https origin such as https://api.example.com, got {server!r}")
    if not path.startswith("/"):
        raise ValueError(f"--path must start with '/', got {path!r}")
    pyproject = root / "pyproject.toml"
    config = load(pyproject)
    if ident in config.specs:
        raise ValueError(f"{pyproject} already has a spec {ident!r}")
    spec = root / "specs" / f"{ident}.yaml"
    if spec.exists():
        raise ValueError(f"{spec} exists already")
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), keep_trailing_newline=True, undefined=StrictUndefined
    )
    text = env.get_template("spec.yaml.jinja").render(
        name=info.name,
        id=info.id,
        env=ident.upper(),
        host=parts.hostname,
        server=server.rstrip("/"),
        path=path,
        models=models,
        version=datetime.date.today().isoformat(),
    )
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(text, encoding="utf-8")
    entry = f'\n[tool.chatcontract.codegen.specs.{ident}]\nspec = "specs/{ident}.yaml"\n'
    source = pyproject.read_text(encoding="utf-8")
    last = max(
        m.end() for m in re.finditer(r'\[tool\.chatcontract\.codegen\.specs\.\w+\]\nspec = "[^"]*"\n', source)
    )
    pyproject.write_text(source[:last] + entry + source[last:], encoding="utf-8")
    return spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.new_api", description=__doc__.splitlines()[0])
    parser.add_argument(
        "name", help="the client class name, e.g. DeepSeek (its id is the name in lower case)"
    )
    parser.add_argument(
        "--server", required=True, help="the documented server, e.g. https://api.deepseek.com"
    )
    parser.add_argument(
        "--model", action="append", required=True, help="a documented model (repeat for more)"
    )
    parser.add_argument(
        "--path", default="/v1/chat/completions", help="the endpoint's path (default: %(default)s)"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="the project folder (default: this one)")
    args = parser.parse_args(argv)
    try:
        spec = scaffold(args.root, args.name, args.server, args.model, args.path)
    except ValueError as error:
        parser.error(str(error))
    print(
        f"wrote {spec} and its entry in {args.root / 'pyproject.toml'}; fill in its TODOs, then make generate"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
