"""Shared pieces of the spec change report: ``Change``, message helpers and schema normalisation.

Normalisation takes nullability out of a schema (``type: [string, "null"]``, an ``anyOf``
member ``{type: "null"}`` or OpenAPI 3.0's ``nullable``) and reads an ``anyOf``/``oneOf`` with
a single non-null member as that member, so wrapping a field in ``anyOf`` to make it nullable
is a nullability change and not a type change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["breaking", "compatible"]
Side = Literal["request", "response", "unreferenced"]
BREAKING: Kind = "breaking"
COMPATIBLE: Kind = "compatible"

# Keywords that document and never constrain: their changes are listed as compatible.
DOC_KEYS = frozenset({"description", "summary", "title", "examples", "example", "$comment", "deprecated"})
ABSENT: Any = object()


@dataclass(frozen=True)
class Change:
    """One difference between two versions of a spec, as callers of the generated client see it."""

    kind: Kind
    pointer: str  # JSON pointer into the new spec (into the old one for something removed)
    message: str


def is_doc(key: str) -> bool:
    """Documentation keywords and ``x-`` extensions (``x-transcription-note``) never constrain."""
    return key in DOC_KEYS or key.startswith("x-")


def escape(token: str | int) -> str:
    """One JSON pointer reference token."""
    return str(token).replace("~", "~0").replace("/", "~1")


def fmt(value: Any) -> str:
    """A short readable rendering of a spec value for a message."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def keys_of(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The keys of both mappings: old ones in order, then the new ones."""
    return [*old, *(key for key in new if key not in old)]


def changed(
    old: dict[str, Any], new: dict[str, Any], ptrs: tuple[str, str]
) -> Iterator[tuple[str, Any, Any, tuple[str, str]]]:
    """(key, old value, new value, (old pointer, new pointer)) for each key whose value differs."""
    for key in keys_of(old, new):
        a, b = old.get(key, ABSENT), new.get(key, ABSENT)
        if a != b:
            yield key, a, b, (f"{ptrs[0]}/{escape(key)}", f"{ptrs[1]}/{escape(key)}")


def verb(old: Any, new: Any) -> str:
    return "added" if old is ABSENT else "removed" if new is ABSENT else "changed"


def change_text(name: str, before: Any, after: Any) -> str:
    """``name added: X``, ``name removed (was X)`` or ``name changed X → Y``."""
    if before is ABSENT:
        return f"{name} added: {fmt(after)}"
    if after is ABSENT:
        return f"{name} removed (was {fmt(before)})"
    return f"{name} changed {fmt(before)} → {fmt(after)}"


def by_direction(side: Side, *, widens: bool) -> Kind:
    """Request side: widening is compatible. Response side: narrowing is. Unreferenced: always."""
    if side == "unreferenced":
        return COMPATIBLE
    return COMPATIBLE if widens == (side == "request") else BREAKING


def _is_null(schema: Any) -> bool:
    return (
        isinstance(schema, dict) and schema.get("type") == "null" and all(map(is_doc, set(schema) - {"type"}))
    )


@dataclass
class Norm:
    """A schema with nullability taken out and single-member ``anyOf`` unwrapped.

    ``keys`` maps each keyword to (value, pointer of the object that holds it), so messages
    point at the real place even when the keyword sits inside an ``anyOf`` member.
    """

    keys: dict[str, tuple[Any, str]]
    alts: list[Norm]
    nullable: bool
    ptr: str

    def value(self, key: str) -> Any:
        return self.keys[key][0] if key in self.keys else ABSENT

    def at(self, key: str) -> str:
        return f"{self.keys[key][1]}/{escape(key)}" if key in self.keys else self.ptr


def norm(schema: dict[str, Any], ptr: str) -> Norm:
    """``schema`` (found at JSON pointer ``ptr``) normalised."""
    keys = {k: (v, ptr) for k, v in schema.items() if k not in ("anyOf", "oneOf", "nullable")}
    nullable = schema.get("nullable") is True
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind:
        nullable = True
        rest = [t for t in kind if t != "null"]
        keys["type"] = (rest[0] if len(rest) == 1 else rest, ptr)
    elif kind == "null":
        nullable = True
        del keys["type"]
    alts: list[Norm] = []
    for key in ("anyOf", "oneOf"):
        members = schema.get(key)
        if not isinstance(members, list):
            continue
        real = [(i, m) for i, m in enumerate(members) if not _is_null(m) and isinstance(m, dict)]
        nullable |= len(real) < len(members)
        inner = [norm(m, f"{ptr}/{key}/{i}") for i, m in real]
        if len(inner) == 1:
            for k, v in inner[0].keys.items():
                keys.setdefault(k, v)
            nullable |= inner[0].nullable
            alts += inner[0].alts
        else:
            alts += inner
    return Norm(keys, alts, nullable, ptr)


def tokens(schema: Norm) -> frozenset[str]:
    """The types a schema allows; a referenced schema counts as a type of its own name."""
    found: set[str] = set()
    kind = schema.value("type")
    if kind is not ABSENT:
        found |= {t for t in (kind if isinstance(kind, list) else [kind]) if t != "null"}
    ref = schema.value("$ref")
    if isinstance(ref, str):
        found.add(ref.rsplit("/", 1)[-1])
    for alt in schema.alts:
        found |= tokens(alt)
    return frozenset(found)


def covers(big: frozenset[str], small: frozenset[str]) -> bool:
    """Does every value of type set ``small`` fit ``big``? (An empty set means any type.)"""
    if not big:
        return True
    return bool(small) and all(t in big or (t == "integer" and "number" in big) for t in small)


def show_types(tokens: frozenset[str]) -> str:
    return " | ".join(sorted(tokens)) or "any"


def bound(schema: Norm, keys: tuple[str, str], *, lower: bool) -> tuple[float, bool] | None:
    """The effective (value, exclusive) bound from an inclusive and an exclusive keyword."""
    inclusive, exclusive = schema.value(keys[0]), schema.value(keys[1])
    found: list[tuple[float, bool]] = []
    if isinstance(inclusive, (int, float)) and not isinstance(inclusive, bool):
        found.append((inclusive, exclusive is True))  # OpenAPI 3.0 style boolean exclusive
    if isinstance(exclusive, (int, float)) and not isinstance(exclusive, bool):
        found.append((exclusive, True))
    if not found:
        return None
    return max(found) if lower else min(found, key=lambda b: (b[0], not b[1]))


def tighter(new: tuple[float, bool] | None, old: tuple[float, bool] | None, *, lower: bool) -> bool:
    if new is None:
        return False
    if old is None:
        return True
    if new[0] != old[0]:
        return new[0] > old[0] if lower else new[0] < old[0]
    return new[1] and not old[1]
