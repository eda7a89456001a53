"""Document and operation rules of the spec change report; ``diff_specs`` puts all rules together.

Servers, security, the operation's path and method, its request body and responses (media
types, schemas, examples), parameters and ``x-errors``. Schemas are compared by
``codegen._diff_rules``; the classification table is in ``codegen.spec_diff``.
"""

from __future__ import annotations

from typing import Any, Literal

from . import schema_views
from ._diff_base import (
    ABSENT,
    BREAKING,
    COMPATIBLE,
    DOC_KEYS,
    Change,
    Kind,
    by_direction,
    change_text,
    changed,
    escape,
    fmt,
    is_doc,
    keys_of,
    verb,
)
from ._diff_rules import compare_schema, diff_components

_METHODS = {"get", "post", "put", "patch", "delete"}
_TOP_DOCS = DOC_KEYS | {"tags", "externalDocs", "openapi"}


def _walk(old: Any, new: Any, ptr: str, what: str, kind: Kind, out: list[Change]) -> None:
    """Every difference of two plain values: documentation keys compatible, the rest ``kind``."""
    if old == new:
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _walk(a, b, f"{ptr}/{i}", f"{what}[{i}]", kind, out)
    elif isinstance(old, dict) and isinstance(new, dict):
        for key in keys_of(old, new):
            a, b = old.get(key, ABSENT), new.get(key, ABSENT)
            sub, name = f"{ptr}/{escape(key)}", f"{what}.{key}"
            if a == b:
                continue
            if is_doc(key):
                out.append(Change(COMPATIBLE, sub, f"{name} {verb(a, b)}"))
            elif a is ABSENT or b is ABSENT:
                out.append(Change(kind, sub, change_text(name, a, b)))
            else:
                _walk(a, b, sub, name, kind, out)
    else:
        out.append(Change(kind, ptr, change_text(what, old, new)))


def _examples(old: Any, new: Any, ptrs: tuple[str, str], what: str, out: list[Change]) -> None:
    old, new = (v if isinstance(v, dict) else {} for v in (old, new))
    for name in keys_of(old, new):
        a, b = old.get(name, ABSENT), new.get(name, ABSENT)
        if a != b:
            ptr = f"{ptrs[1] if b is not ABSENT else ptrs[0]}/{escape(name)}"
            out.append(Change(COMPATIBLE, ptr, f"{what} example {name} {verb(a, b)}"))


def _media(
    old: dict[str, Any], new: dict[str, Any], ptrs: tuple[str, str], where: str, out: list[Change]
) -> None:
    """The ``content`` of a request body or a response: media types, schemas and examples."""
    side: Literal["request", "response"] = "request" if where == "request" else "response"
    for media, a, b, sub in changed(old, new, ptrs):
        if a is ABSENT or b is ABSENT:
            kind = COMPATIBLE if b is not ABSENT else BREAKING
            out.append(Change(kind, sub[b is not ABSENT], f"{where} media type {media} {verb(a, b)}"))
            continue
        for key, x, y, at in changed(a, b, sub):
            if key in ("schema", "x-sse-event-schema", "itemSchema"):
                at_what = media if side == "request" else f"{where.removeprefix('response ')} {media}"
                label = f"body ({at_what})" if key == "schema" else f"stream event ({at_what})"
                x, y = ({} if v is ABSENT else v for v in (x, y))
                out += compare_schema(x, y, at, side, label)
            elif key == "examples":
                _examples(x, y, at, f"{where} {media}", out)
            elif is_doc(key):
                out.append(Change(COMPATIBLE, at[y is not ABSENT], f"{where} {media} {key} {verb(x, y)}"))
            else:
                _walk(x, y, at[1], f"{where} {media} {key}", BREAKING, out)


def _request_body(old: Any, new: Any, ptrs: tuple[str, str], out: list[Change]) -> None:
    old, new = (v if isinstance(v, dict) else {} for v in (old, new))
    for key, a, b, at in changed(old, new, ptrs):
        if key == "content":
            _media(a if a is not ABSENT else {}, b if b is not ABSENT else {}, at, "request", out)
        elif key == "required":
            kind = by_direction("request", widens=b is not True)
            out.append(Change(kind, at[1], f"request body required {fmt(a is True)} → {fmt(b is True)}"))
        elif is_doc(key):
            out.append(Change(COMPATIBLE, at[b is not ABSENT], f"request body {key} {verb(a, b)}"))
        else:
            _walk(a, b, at[1], f"request body {key}", BREAKING, out)


def _responses(old: Any, new: Any, ptrs: tuple[str, str], out: list[Change]) -> None:
    old, new = (v if isinstance(v, dict) else {} for v in (old, new))
    for status, a, b, at in changed(old, new, ptrs):
        if a is ABSENT or b is ABSENT:
            kind = COMPATIBLE if b is not ABSENT else BREAKING
            out.append(Change(kind, at[b is not ABSENT], f"response {status} {verb(a, b)}"))
            continue
        for key, x, y, sub in changed(a, b, at):
            if key == "content":
                _media(
                    x if x is not ABSENT else {},
                    y if y is not ABSENT else {},
                    sub,
                    f"response {status}",
                    out,
                )
            elif is_doc(key):
                out.append(Change(COMPATIBLE, sub[y is not ABSENT], f"response {status} {key} {verb(x, y)}"))
            else:
                _walk(x, y, sub[1], f"response {status} {key}", BREAKING, out)


def _kinds(codes: Any) -> dict[str, Any]:
    """code -> kind: an entry is the kind, or an object whose ``kind`` it is (its meaning and
    source are documentation, and not a change of what the client raises)."""
    if not isinstance(codes, dict):
        return {}
    return {str(c): v.get("kind") if isinstance(v, dict) else v for c, v in codes.items()}


def _x_errors(old: Any, new: Any, ptr: str, out: list[Change]) -> None:
    """x-errors only changes which error class a vendor code raises: compatible, but listed."""
    old, new = (v if isinstance(v, dict) else {} for v in (old, new))
    codes = [_kinds(v.get("codes")) for v in (old, new)]
    for code in keys_of(codes[0], codes[1]):
        a, b = codes[0].get(code, ABSENT), codes[1].get(code, ABSENT)
        if a == b:
            continue
        at = f"{ptr}/codes/{escape(code)}"
        out.append(Change(COMPATIBLE, at, change_text(f"x-errors code {code}", a, b)))
    rest = [{k: v for k, v in side.items() if k != "codes"} for side in (old, new)]
    _walk(rest[0], rest[1], ptr, "x-errors", COMPATIBLE, out)


def _parameters(old: Any, new: Any, ptrs: tuple[str, str], out: list[Change]) -> None:
    """Parameters by (in, name): a new required one is breaking, the rest listed."""

    def by_key(params: Any) -> dict[str, tuple[int, dict[str, Any]]]:
        items = params if isinstance(params, list) else []
        found = {f"{p.get('in')} parameter {p.get('name')}": (i, p) for i, p in enumerate(items)}
        return {key: value for key, value in found.items() if isinstance(value[1], dict)}

    before, after = by_key(old), by_key(new)
    for key in keys_of(before, after):
        if key not in before:
            i, param = after[key]
            kind = BREAKING if param.get("required") is True else COMPATIBLE
            out.append(
                Change(kind, f"{ptrs[1]}/{i}", f"{key} added{' (required)' if kind == BREAKING else ''}")
            )
        elif key not in after:
            out.append(Change(COMPATIBLE, f"{ptrs[0]}/{before[key][0]}", f"{key} removed"))
        else:
            _walk(before[key][1], after[key][1], f"{ptrs[1]}/{after[key][0]}", key, BREAKING, out)


def _servers(old: Any, new: Any, out: list[Change]) -> None:
    """A server URL is where every call goes: changing it is breaking; the rest is documentation."""
    urls = [
        [s.get("url") if isinstance(s, dict) else s for s in v] if isinstance(v, list) else []
        for v in (old, new)
    ]
    if len(urls[0]) != len(urls[1]):
        out.append(Change(BREAKING, "/servers", f"server URLs changed {fmt(urls[0])} → {fmt(urls[1])}"))
        return
    for i, (a, b) in enumerate(zip(urls[0], urls[1], strict=True)):
        if a != b:
            out.append(Change(BREAKING, f"/servers/{i}/url", f"server URL changed {fmt(a)} → {fmt(b)}"))
    rest = [
        [{k: v for k, v in s.items() if k != "url"} for s in v if isinstance(s, dict)] for v in (old, new)
    ]
    _walk(rest[0], rest[1], "/servers", "servers", COMPATIBLE, out)


def _op_ptr(op: dict[str, Any]) -> str:
    return f"/paths/{escape(op['path'])}/{op['method'].lower()}"


def _operation(old: dict[str, Any], new: dict[str, Any], out: list[Change]) -> None:
    o, n = schema_views.operation(old), schema_views.operation(new)
    ptrs = (_op_ptr(o), _op_ptr(n))
    if o["path"] != n["path"]:
        out.append(Change(BREAKING, f"/paths/{escape(n['path'])}", f"path changed {o['path']} → {n['path']}"))
    if o["method"] != n["method"]:
        out.append(Change(BREAKING, ptrs[1], f"method changed {o['method']} → {n['method']}"))
    items = [
        {k: v for k, v in s["paths"][op["path"]].items() if k not in _METHODS}
        for s, op in ((old, o), (new, n))
    ]
    _walk(items[0], items[1], f"/paths/{escape(n['path'])}", "path item", BREAKING, out)
    for key in keys_of(o, n):
        a, b = o.get(key, ABSENT), n.get(key, ABSENT)
        at = (f"{ptrs[0]}/{escape(key)}", f"{ptrs[1]}/{escape(key)}")
        if key in ("path", "method") or a == b:
            continue
        if key == "requestBody":
            _request_body(a, b, at, out)
        elif key == "responses":
            _responses(a, b, at, out)
        elif key == "x-errors":
            _x_errors(a, b, at[1], out)
        elif key == "parameters":
            _parameters(a, b, at, out)
        elif key == "operationId":
            out.append(Change(COMPATIBLE, at[1], f"operationId {verb(a, b)} (codegen does not use it)"))
        elif is_doc(key):
            out.append(Change(COMPATIBLE, at[b is not ABSENT], f"operation {key} {verb(a, b)}"))
        else:  # security, and anything unknown
            _walk(a, b, at[1], f"operation {key}", BREAKING, out)


def diff_specs(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from ``old`` to ``new`` (two parsed specs), classified for callers."""
    out: list[Change] = []
    for key in keys_of(old, new):
        a, b = old.get(key, ABSENT), new.get(key, ABSENT)
        if key in ("paths", "components") or a == b:
            continue
        if key == "servers":
            _servers(a, b, out)
        elif key == "info" or key in _TOP_DOCS or key.startswith("x-"):
            _walk(a, b, f"/{escape(key)}", key, COMPATIBLE, out)
        else:  # security, and anything unknown
            _walk(a, b, f"/{escape(key)}", key, BREAKING, out)
    _operation(old, new, out)
    components = [s.get("components", {}) for s in (old, new)]
    others = [{k: v for k, v in c.items() if k != "schemas"} for c in components]
    _walk(others[0], others[1], "/components", "components", BREAKING, out)
    out += diff_components(old, new)
    return out
