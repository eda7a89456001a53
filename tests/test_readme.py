"""The README's error-code table says what the specs and the runtime do."""

from __future__ import annotations

import re

import httpx

from chatcontract._error_mapping import KIND_ERRORS
from chatcontract._retry import is_retryable
from codegen.generate import code_kinds
from tests import specs


def _readme_rows() -> set[tuple[str, str, str, str]]:
    text = (specs.ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([a-z][a-z0-9_]*) \| (\S+) \| (\w+Error) \| (yes|no) \|$", text, re.M)
    return set(rows)


def _spec_rows() -> set[tuple[str, str, str, str]]:
    rows = set()
    for api in specs.CONFIG.specs:
        vendor = specs.api_id(api)
        _, op = specs.operation(api)
        for code, kind in code_kinds(op["x-errors"]).items():
            cls = KIND_ERRORS[kind]
            response = httpx.Response(200, request=httpx.Request("POST", "http://127.0.0.1"))
            retried = "yes" if is_retryable(cls("x", response=response, body=b"")) else "no"
            rows.add((vendor, str(code), cls.__name__, retried))
    return rows


def test_readme_error_table_matches_specs() -> None:
    expected = _spec_rows()
    table = "\n".join(
        f"| {api} | {code} | {cls} | {retried} |" for api, code, cls, retried in sorted(expected)
    )
    assert _readme_rows() == expected, f"README's error table (section Errors) should read:\n{table}"


def test_readme_exit_code_table_matches_the_cli() -> None:
    from chatcontract.cli._exit_codes import EXIT_CODES

    text = (specs.ROOT / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| (\d+) \| (\w+)", text, re.M))
    assert {(str(code), cls.__name__) for cls, code, _ in EXIT_CODES} <= rows
