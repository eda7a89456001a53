"""Nulls the spec does not allow. No I/O.

The generated models type an optional property ``T | None`` (pydantic has no separate
"absent"), so they take a null that the spec forbids. ``Endpoint.not_null`` lists, per schema,
the properties that may be absent but never null; this walk finds a null among them.
"""

from __future__ import annotations

from typing import Any

import pydantic

from ._generated._protocol import Endpoint


def forbidden_null(endpoint: Endpoint[Any], node: Any, path: str = "") -> str:
    """Path of the first null the spec does not allow under ``node`` ("" if none)."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            found = forbidden_null(endpoint, item, f"{path}[{i}]")
            if found:
                return found
    elif isinstance(node, pydantic.BaseModel):
        not_null = endpoint.not_null.get(type(node).__name__, ())
        for name in node.model_fields_set:
            value = getattr(node, name)
            where = f"{path}.{name}" if path else name
            if value is None and name in not_null:
                return where
            found = forbidden_null(endpoint, value, where)
            if found:
                return found
    return ""
