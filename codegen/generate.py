"""``python -m codegen [--check]``: rebuild ``generated/`` from ``specs/``.

Each spec becomes three modules (``<name>_models``, ``<name>_strict``, ``<name>_endpoint``),
each client one (``<vendor>_client``); ``_protocol`` and ``__init__`` complete the package.
Output goes to a scratch folder first, is formatted by ruff, and then replaces
``generated/`` wholesale, so a file no spec produces any more disappears. ``--check``
compares instead of writing and exits 1 when ``generated/`` is stale.
"""

from __future__ import annotations

import argparse
import ast
import filecmp
import functools
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import ValidationError

from . import schema_views
from .config import ClientInfo, CodegenConfig, load
from .request_schema import request_schema as bundle_request_schema
from .signature import parameters, rule

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(__file__).resolve().parent / "templates"

ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=StrictUndefined,
    autoescape=False,
)
ENV.filters["pyrepr"] = repr
# A str literal in double quotes, as ruff writes them (JSON's string syntax is Python's).
ENV.filters["pystr"] = lambda text: json.dumps(text, ensure_ascii=False)


# The sync and async clients come from one template; these are the words that differ.
VARIANTS = (
    {"name": "", "async": "", "await": "", "for": "", "stream": "ChunkStream"},
    {"name": "Async", "async": "async ", "await": "await ", "for": "async ", "stream": "AsyncChunkStream"},
)


def code_kinds(x_errors: dict[str, Any]) -> dict[str, str]:
    """Vendor code -> error kind, from ``x-errors.codes``. An entry is the kind itself, or an
    object ``{kind, meaning, x-source}`` that also says what the code means and who says so."""
    codes = x_errors.get("codes", {})
    return {str(code): v if isinstance(v, str) else v["kind"] for code, v in sorted(codes.items())}


def _render(template: str, out: Path, **context: Any) -> None:
    out.write_text(ENV.get_template(template).render(**context), encoding="utf-8")


def _header(source: str) -> str:
    return ENV.get_template("_header.jinja").render(source=source).strip()


def _schema_name(ref_holder: dict[str, Any]) -> str:
    return str(ref_holder["$ref"]).rsplit("/", 1)[-1]


def _datamodel_codegen(config: CodegenConfig, view: dict[str, Any], source: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        view_file = Path(scratch) / "view.json"
        view_file.write_text(json.dumps(view, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "datamodel_code_generator",
                "--input",
                str(view_file),
                "--output",
                str(out),
                "--custom-file-header",
                _header(source),
                *config.datamodel_codegen_args,
            ],
            check=True,
            cwd=ROOT,  # the arguments' paths (the custom template folder) are relative to it
        )


# datamodel-code-generator writes an object default (``default: {}``) as ``= {}``, which type
# checkers refuse for a model-typed field. The lenient view gives that default only to the
# required objects of a response (see schema_views); here it becomes an empty model instead.
_EMPTY_OBJECT_DEFAULT = re.compile(r"(\w+): Annotated\[(\w+), Field\(validate_default=True\)\] = \{\}")
# An array default (``= []``) is deep-copied by pydantic for every instance that lacks the field
# (each stream delta without tool_calls); a factory builds the empty list for a fraction of that.
_EMPTY_LIST_DEFAULT = re.compile(r"(\w+): Annotated\[(list\[\w+\]), Field\(validate_default=True\)\] = \[\]")


def _empty_object_defaults(module: Path) -> None:
    text = module.read_text(encoding="utf-8")
    fixed = _EMPTY_OBJECT_DEFAULT.sub(r"\1: Annotated[\2, Field(default_factory=lambda: \2())]", text)
    fixed = _EMPTY_LIST_DEFAULT.sub(r"\1: Annotated[\2, Field(default_factory=list)]", fixed)
    module.write_text(fixed, encoding="utf-8")


def _allows_null(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type")
    if kinds == "null" or (isinstance(kinds, list) and "null" in kinds):
        return True
    return any(_allows_null(branch) for branch in schema.get("anyOf", []) + schema.get("oneOf", []))


def _not_null(spec: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Schema -> its properties that may be absent but never null.

    The generated models type such optional properties ``T | None`` (pydantic has no plain
    "absent"), so the runtime checks this table to refuse a null the spec does not allow, in
    requests and in strict response checks.
    """
    request, response = schema_views.sides(spec)
    schemas = spec["components"]["schemas"]
    table = {}
    for name in sorted(request | response):
        props = schemas[name].get("properties", {})
        fields = tuple(key for key, prop in props.items() if not _allows_null(prop))
        if fields:
            table[name] = fields
    return table


def _example_values(media: dict[str, Any]) -> dict[str, Any]:
    return {name: example["value"] for name, example in sorted(media.get("examples", {}).items())}


def stream_style(media: dict[str, Any]) -> list[tuple[str, Any]]:
    """The ``x-stream-style`` of the text/event-stream response as StreamStyle arguments."""
    style = media.get("x-stream-style")
    if not isinstance(style, dict):
        raise ValueError("the text/event-stream response needs an x-stream-style (done, usage_chunk, ...)")
    return [
        ("final_chunk_fields", tuple(style.get("final_chunk_fields", ()))),
        ("usage_chunk", bool(style["usage_chunk"])),
        ("done", bool(style["done"])),
    ]


def build_spec(config: CodegenConfig, name: str, out: Path) -> dict[str, Any]:
    """Write the three modules of one spec; return what the client template needs of it."""
    source = config.specs[name].spec.as_posix()
    spec = yaml.safe_load((config.root / source).read_text(encoding="utf-8"))
    client = _client_info(source, spec)
    _datamodel_codegen(config, schema_views.lenient_view(spec), source, out / f"{name}_models.py")
    _empty_object_defaults(out / f"{name}_models.py")
    _datamodel_codegen(config, schema_views.strict_view(spec), source, out / f"{name}_strict.py")

    op = schema_views.operation(spec)
    schemas = spec["components"]["schemas"]
    request_schema = _schema_name(op["requestBody"]["content"]["application/json"]["schema"])
    ok = op["responses"]["200"]["content"]
    response_schema = _schema_name(ok["application/json"]["schema"])
    chunk_schema = _schema_name(schema_views.stream_chunk(ok["text/event-stream"]))
    request = schemas[request_schema]
    x_errors = op.get("x-errors")
    errors = None
    if x_errors:
        success = x_errors.get("success_body", {})
        errors = [
            ("message", x_errors["body"]["message"]),
            ("type", x_errors["body"]["type"]),
            ("code", x_errors["body"]["code"]),
            ("code_in_message", x_errors.get("code_in_message")),
            ("success_code", success.get("code")),
            ("success_message", success.get("message")),
            ("success_ok", success.get("ok")),
            ("kinds", code_kinds(x_errors)),
            ("request_id_headers", tuple(x_errors.get("request_id", {}).get("headers", ()))),
            ("request_id_pointers", tuple(x_errors.get("request_id", {}).get("body", ()))),
        ]
    required_when = {
        trigger: {key: value["const"] for key, value in rule_schema["properties"].items()}
        for trigger, rule_schema in sorted(request.get("dependentSchemas", {}).items())
    }
    context = {
        "client": client,
        "error_template": (x_errors or {}).get("template"),
        "source": source,
        "name": name,
        "title": spec["info"]["title"],
        "method": op["method"],
        "path": op["path"],
        "server_url": spec["servers"][0]["url"],
        "models": request["properties"]["model"]["enum"],
        "request_schema": request_schema,
        "response_schema": response_schema,
        "chunk_schema": chunk_schema,
        "rules": [(field, rule(request, field, schemas)) for field in request["properties"]],
        "required_when": required_when,
        "errors": errors,
        "not_null": _not_null(spec),
        "request_examples": _example_values(op["requestBody"]["content"]["application/json"]),
        "response_examples": _example_values(ok["application/json"]),
        "params": parameters(request, f"{name}_models", schemas),
        "request_json_schema": bundle_request_schema(
            spec, op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        ),
        "stream_style": stream_style(ok["text/event-stream"]),
    }
    _render("endpoint.py.jinja", out / f"{name}_endpoint.py", **context)
    return context


# Names a client class may not take: what the client module defines or imports besides it.
_TEMPLATE_NAMES = {
    "API",
    "AsyncChat",
    "AsyncChunkStream",
    "AsyncClient",
    "AsyncCompletions",
    "AsyncTransport",
    "Chat",
    "ChunkStream",
    "Completions",
    "Endpoint",
    "NotGiven",
    "SyncClient",
    "Transport",
}


@functools.cache
def _runtime_exports() -> frozenset[str]:
    """The names ``chatcontract`` exports itself (its ``__all__`` literal), which a client must not shadow."""
    tree = ast.parse((ROOT / "src" / "chatcontract" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            assert isinstance(node.value, ast.List)
            return frozenset(
                e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
    raise ValueError("src/chatcontract/__init__.py has no __all__ list")


def _client_info(source: str, spec: dict[str, Any]) -> ClientInfo:
    if "x-client" not in spec:
        raise ValueError(f"{source}: needs an x-client (name, id, api_key_env, base_url_env, summary)")
    try:
        info = ClientInfo.model_validate(spec["x-client"])
    except ValidationError as error:
        raise ValueError(f"{source}: x-client: {error}") from None
    taken = (_TEMPLATE_NAMES | _runtime_exports()) & {info.name, "Async" + info.name}
    if taken:
        raise ValueError(
            f"{source}: x-client.name {info.name!r} would shadow {sorted(taken)}; choose another"
        )
    return info


def _unique_names(registry: list[dict[str, Any]]) -> None:
    seen: dict[str, str] = {}
    for entry in registry:
        other = seen.setdefault(entry["name"], entry["id"])
        if other != entry["id"]:
            raise ValueError(
                f"x-client.name {entry['name']!r} is taken by both {other!r} and {entry['id']!r}"
            )


def _one(client: str, what: str, values: list[Any]) -> Any:
    """The value all specs of ``client`` agree on."""
    distinct = {json.dumps(value, sort_keys=True, ensure_ascii=False) for value in values}
    if len(distinct) != 1:
        raise ValueError(f"{client}: its specs state different {what}: {sorted(distinct)}")
    return values[0]


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _example(endpoints: list[dict[str, Any]]) -> dict[str, str]:
    """A short call for the client's docstring: the first documented request's model and its
    last user message (falling back to the first model and a greeting)."""
    first = endpoints[0]
    request: dict[str, Any] = next(iter(first["request_examples"].values()), {})
    users = [
        m
        for m in request.get("messages", [])
        if m.get("role") == "user" and isinstance(m.get("content"), str)
    ]
    return {
        "model": request.get("model", first["models"][0]),
        "content": users[-1]["content"] if users else "Hello",
    }


def build_client(endpoints: list[dict[str, Any]], out: Path) -> dict[str, Any]:
    """Write the client module of the specs in ``endpoints``; return its registry entry."""
    info: ClientInfo = endpoints[0]["client"]
    _one(info.name, "x-client", [endpoint["client"].presentation() for endpoint in endpoints])
    server_url = _one(info.name, "servers", [endpoint["server_url"] for endpoint in endpoints])
    template = _one(info.name, "x-errors.template", [endpoint["error_template"] for endpoint in endpoints])
    models = [model for endpoint in endpoints for model in endpoint["models"]]
    summary = f"{info.summary}, model{'s' if len(models) > 1 else ''} {_and_list(models)}."
    _render(
        "client.py.jinja",
        out / f"{info.module}.py",
        source=", ".join(endpoint["source"] for endpoint in endpoints),
        client_name=info.name,
        api_id=info.id,
        summary=summary,
        short_summary=info.summary,
        api_key_env=info.api_key_env,
        base_url_env=info.base_url_env,
        server_url=server_url,
        error_body=(template or {}).get("body"),
        error_codes=(template or {}).get("codes", {}),
        example=_example(endpoints),
        endpoints=endpoints,
        variants=VARIANTS,
    )
    return {"id": info.id, "module": info.module, "name": info.name}


def build_package(config: CodegenConfig, out: Path) -> None:
    by_client: dict[str, list[dict[str, Any]]] = {}
    for name in config.specs:  # in the configured order: the registry keeps it
        context = build_spec(config, name, out)
        by_client.setdefault(context["client"].id, []).append(context)
    registry = [build_client(sorted(by_client[api], key=lambda e: e["name"]), out) for api in by_client]
    _unique_names(registry)
    specs = [(name, config.specs[name].spec.as_posix()) for name in sorted(config.specs)]
    _render("protocol.py.jinja", out / "_protocol.py", source="codegen/templates/protocol.py.jinja")
    _render("__init__.py.jinja", out / "__init__.py", source="specs/", specs=specs, registry=registry)
    _render("_exports.py.jinja", out / "_exports.py", source="specs/", registry=registry)
    (out / "py.typed").write_text("", encoding="utf-8")
    ruff = [sys.executable, "-m", "ruff"]
    config_arg = ["--config", str(ROOT / "pyproject.toml")]
    subprocess.run(
        [*ruff, "check", *config_arg, "--quiet", "--fix", "--select", "I,F401", str(out)], check=True
    )
    subprocess.run([*ruff, "format", *config_arg, "--quiet", str(out)], check=True)


def _files(folder: Path) -> Iterator[Path]:
    if folder.exists():
        yield from (
            p.relative_to(folder)
            for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts
        )


def stale(fresh: Path, current: Path) -> list[str]:
    """What differs between a fresh build and ``generated/``: added, deleted or changed files."""
    new, old = set(_files(fresh)), set(_files(current))
    changed = [p for p in sorted(new & old) if not filecmp.cmp(fresh / p, current / p, shallow=False)]
    return (
        [f"added   {p}" for p in sorted(new - old)]
        + [f"deleted {p}" for p in sorted(old - new)]
        + [f"changed {p}" for p in changed]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when generated/ is stale; write nothing")
    parser.add_argument("--config", type=Path, default=ROOT / "pyproject.toml", help="pyproject.toml to read")
    parser.add_argument("--output", type=Path, help="folder to write instead of the configured one")
    args = parser.parse_args(argv)
    config = load(args.config)
    target = args.output or config.root / config.output
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "generated"
        fresh.mkdir()
        build_package(config, fresh)
        differences = stale(fresh, target)
        if args.check:
            if differences:
                print(f"{target} is stale; run `make generate`:", *differences, sep="\n  ")
                return 1
            print(f"{target} is up to date with its specs and codegen/")
            return 0
        if differences:
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(fresh, target)
        print(f"{target}: {len(differences)} file(s) updated" if differences else f"{target}: unchanged")
        return 0
