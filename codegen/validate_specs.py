"""``python -m codegen.validate_specs [SPEC ...]``: check specs before anything is generated.

1. openapi-spec-validator checks each document against its OpenAPI version (3.2).
2. Every example in a spec (request and response examples, and the ``examples`` of single
   schemas) is checked against its own schema by jsonschema (Draft 2020-12), which shares
   nothing with the generated pydantic models. The spec validator does not look at examples.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parent.parent


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def examples(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example the spec holds."""
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            bodies = [("requestBody", op.get("requestBody", {}))]
            bodies += [(f"responses/{status}", resp) for status, resp in op.get("responses", {}).items()]
            for where, body in bodies:
                for media_type, media in body.get("content", {}).items():
                    for name, example in media.get("examples", {}).items():
                        yield (
                            f"{method} {path} {where} {media_type} examples/{name}",
                            media["schema"],
                            example["value"],
                        )
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        yield from _schema_examples(f"components/schemas/{name}", schema)


def _schema_examples(where: str, schema: Any) -> Iterator[tuple[str, dict[str, Any], Any]]:
    if not isinstance(schema, dict):
        return
    for i, example in enumerate(schema.get("examples", [])):
        yield f"{where} examples[{i}]", schema, example
    for key, sub in schema.get("properties", {}).items():
        yield from _schema_examples(f"{where}/properties/{key}", sub)


def example_errors(spec: dict[str, Any]) -> list[str]:
    """Every way an example breaks its schema, as readable lines."""
    problems = []
    for where, schema, example in examples(spec):
        # The spec's components ride along so that "#/components/schemas/..." refs resolve.
        validator = jsonschema.Draft202012Validator({**schema, "components": spec.get("components", {})})
        for error in validator.iter_errors(example):
            at = "/".join(str(p) for p in error.absolute_path) or "<root>"
            problems.append(f"{where}: at {at}: {error.message}")
    return problems


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted((ROOT / "specs").glob("*.yaml"))
    failed = False
    for path in paths:
        spec = load(path)
        validate(spec)
        problems = example_errors(spec)
        count = sum(1 for _ in examples(spec))
        for problem in problems:
            print(f"{path}: {problem}")
        failed |= bool(problems)
        print(
            f"{path.name}: valid OpenAPI {spec['openapi']}; {count} examples checked, {len(problems)} invalid"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
