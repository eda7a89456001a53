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
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .config import ClientInfo, CodegenConfig, load, parse_toml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "templates" / "scaffold"


def api_id(name: str) -> str:
    """``DeepSeek`` -> ``deepseek``; ``MoonshotCN`` -> ``moonshotcn``."""
    return re.sub(r"[^a-z0-9_]", "", name.lower())


def _taken_ids(config: CodegenConfig) -> set[str]:
    """The config keys and the x-client ids of the configured specs."""
    taken = set(config.specs)
    for entry in config.specs.values():
        path = config.root / entry.spec
        if path.exists():
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            taken.add(str(document.get("x-client", {}).get("id", "")))
    return taken


def with_entry(source: str, ident: str) -> str:
    """``source`` (pyproject.toml's text) with the spec's table after the last spec table, or
    at the end; its line endings kept."""
    newline = "\r\n" if "\r\n" in source else "\n"
    entry = f'[tool.chatcontract.codegen.specs.{ident}]{newline}spec = "specs/{ident}.yaml"{newline}'
    tables = list(re.finditer(r"^\[tool\.chatcontract\.codegen\.specs\.[^\]\n]+\][^\[]*", source, re.M))
    if not tables:
        return source.rstrip() + newline * 2 + entry
    last = tables[-1].end()
    rest = source[last:]
    return source[:last].rstrip() + newline * 2 + entry + (newline + rest if rest else "")


def scaffold(
    root: Path, name: str, server: str, models: list[str], path: str = "/v1/chat/completions"
) -> Path:
    """Write the spec of a new API under ``root`` and register it; return the spec's path.

    Everything is checked before anything is written: a refused name, server, path or model
    leaves ``root`` as it was.
    """
    ident = api_id(name)
    info = ClientInfo(  # refuses a name or id the generated code could not use
        name=name,
        id=ident,
        api_key_env=f"{ident.upper()}_API_KEY",
        base_url_env=f"{ident.upper()}_BASE_URL",
        summary=name,
    )
    parts = urlsplit(server)
    if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"--server must be an https origin such as https://api.example.com, got {server!r}")
    if not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+", path):
        raise ValueError(f"--path must be a plain path such as /v1/chat/completions, got {path!r}")
    models = list(dict.fromkeys(models))
    if not models or not all(models):
        raise ValueError("give at least one --model, none empty")
    pyproject = root / "pyproject.toml"
    config = load(pyproject)
    if ident in _taken_ids(config):
        raise ValueError(f"{pyproject} already has a spec {ident!r} (a config key or an x-client id)")
    spec = root / "specs" / f"{ident}.yaml"
    if spec.exists():
        raise ValueError(f"{spec} exists already")
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), keep_trailing_newline=True, undefined=StrictUndefined
    )
    env.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False)  # a JSON string is YAML
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
    document = yaml.safe_load(text)  # reads back as meant, or this raises before writing
    if document["components"]["schemas"]["ChatCompletionRequest"]["properties"]["model"]["enum"] != models:
        raise ValueError(f"the models {models!r} do not survive YAML; report this")
    with pyproject.open(encoding="utf-8", newline="") as handle:
        updated = with_entry(handle.read(), ident)
    registered = parse_toml(updated)["tool"]["chatcontract"]["codegen"]["specs"].get(ident)
    if registered != {"spec": f"specs/{ident}.yaml"}:
        raise ValueError(
            f"could not add the entry to {pyproject}: add [tool.chatcontract.codegen.specs.{ident}]"
        )
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(text, encoding="utf-8")
    with pyproject.open("w", encoding="utf-8", newline="") as handle:
        handle.write(updated)
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
