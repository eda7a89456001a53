"""Schema rules of the spec change report: what one schema's change means for callers.

``codegen.spec_diff`` holds the classification table and the command line. One idea carries
the rules here: a change *widens* a schema (it accepts more values) or *narrows* it. On the
request side narrowing is breaking (a call that worked is now refused) and widening is
compatible; on the response side it is the other way round (callers may now read values they
never saw before). A change whose direction cannot be told (a changed ``pattern``) is
breaking on both sides. Schemas are normalised first (``codegen._diff_base.Norm``).
"""

from __future__ import annotations

from typing import Any

from . import schema_views
from ._diff_base import (
    ABSENT,
    BREAKING,
    COMPATIBLE,
    Change,
    Kind,
    Norm,
    Side,
    bound,
    by_direction,
    change_text,
    covers,
    escape,
    fmt,
    is_doc,
    keys_of,
    norm,
    show_types,
    tighter,
    tokens,
    verb,
)

_LOWER = ("minimum", "exclusiveMinimum")
_UPPER = ("maximum", "exclusiveMaximum")
_COUNT_MIN = ("minItems", "minLength", "minProperties")
_COUNT_MAX = ("maxItems", "maxLength", "maxProperties")
_OPAQUE = ("format", "pattern", "multipleOf", "uniqueItems")  # added narrows, removed widens
_HANDLED = frozenset(
    {"type", "$ref", "enum", "const", "properties", "required", "additionalProperties", "items", "default"}
    | {"dependentSchemas", "dependentRequired", *_LOWER, *_UPPER, *_COUNT_MIN, *_COUNT_MAX, *_OPAQUE}
)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _rule_text(trigger: str, rule: Any) -> str:
    if not isinstance(rule, dict):
        return f"when {trigger} is sent: {fmt(rule)}"
    props = rule.get("properties", {})
    parts = [
        f"{k} must be {fmt(v['const'])}" for k, v in props.items() if isinstance(v, dict) and "const" in v
    ]
    parts += [
        f"{k} is required" for k in rule.get("required", []) if k not in props or "const" not in props[k]
    ]
    return f"when {trigger} is sent, " + (", ".join(parts) if parts else fmt(rule))


class SchemaRules:
    """Compares schemas of one side of an operation and collects the changes."""

    def __init__(self, side: Side, out: list[Change]) -> None:
        self.side = side
        self.out = out

    def emit(self, kind: Kind, pointer: str, label: str, what: str) -> None:
        self.out.append(Change(kind, pointer, f"{self.side} {label}: {what}"))

    def compare(
        self, old: Any, new: Any, ptrs: tuple[str, str], label: str, path: str, *, closed: bool = False
    ) -> None:
        """Compare two schemas. ``label`` names the schema in messages (``field temperature``),
        ``path`` prefixes its fields' names, ``closed`` says absent additionalProperties is false."""
        if old == new:
            return
        if not (isinstance(old, dict) and isinstance(new, dict)):
            self.emit(self._unknown(), ptrs[1], label, f"schema changed {fmt(old)} → {fmt(new)}")
            return
        self._norms(norm(old, ptrs[0]), norm(new, ptrs[1]), label, path, closed)

    def _unknown(self) -> Kind:
        return COMPATIBLE if self.side == "unreferenced" else BREAKING

    def _norms(self, o: Norm, n: Norm, label: str, path: str, closed: bool) -> None:
        if o.nullable != n.nullable:
            if self.side == "response":
                what = "made nullable (callers may get None)" if n.nullable else "no longer nullable"
            else:
                what = "now accepts null" if n.nullable else "no longer accepts null"
            self.emit(by_direction(self.side, widens=n.nullable), n.ptr, label, what)
        self._types(o, n, label)
        self._enum(o, n, label)
        for keys, lower in ((_LOWER, True), (_UPPER, False)):
            self._range(o, n, label, keys, lower=lower)
        for key in (*_COUNT_MIN, *_COUNT_MAX, *_OPAQUE, "default"):
            self._simple(o, n, label, key)
        self._properties(o, n, path)
        self._additional(o, n, label, path, closed)
        self._items(o, n, path)
        for key in ("dependentSchemas", "dependentRequired"):
            self._dependent(o, n, label, key)
        for key in keys_of(o.keys, n.keys):
            old, new = o.value(key), n.value(key)
            if key in _HANDLED or old == new:
                continue
            ptr = n.at(key) if new is not ABSENT else o.at(key)
            if is_doc(key):
                self.emit(COMPATIBLE, ptr, label, f"{key} {verb(old, new)}")
            else:
                self.emit(
                    self._unknown(), ptr, label, f"{key} {verb(old, new)} (not classified; review by hand)"
                )
        self._alternatives(o, n, label, path)

    def _types(self, o: Norm, n: Norm, label: str) -> None:
        old, new = tokens(o), tokens(n)
        if old == new:
            return
        widens, narrows = covers(new, old), covers(old, new)
        word = "widened" if widens else "narrowed" if narrows else "changed"
        kind = by_direction(self.side, widens=widens) if widens or narrows else self._unknown()
        ptr = n.at("type") if "type" in n.keys else n.at("$ref")
        self.emit(kind, ptr, label, f"type {word} {show_types(old)} → {show_types(new)}")

    def _enum(self, o: Norm, n: Norm, label: str) -> None:
        def allowed(schema: Norm) -> tuple[str, list[Any]] | None:
            if "enum" in schema.keys and isinstance(schema.value("enum"), list):
                return "enum", list(schema.value("enum"))
            return ("const", [schema.value("const")]) if "const" in schema.keys else None

        old, new = allowed(o), allowed(n)
        if (old is None and new is None) or (old is not None and new is not None and old[1] == new[1]):
            return
        ptr = n.at(new[0]) if new else o.at(old[0]) if old else n.ptr
        if old is None and new is not None:
            what = f"{new[0]} added: only {', '.join(fmt(v) for v in new[1])} allowed"
            self.emit(by_direction(self.side, widens=False), ptr, label, what)
            return
        if new is None and old is not None:
            self.emit(by_direction(self.side, widens=True), ptr, label, f"{old[0]} removed (any value now)")
            return
        assert old is not None and new is not None
        removed = [v for v in old[1] if v not in new[1]]
        added = [v for v in new[1] if v not in old[1]]
        for value in removed:
            self.emit(by_direction(self.side, widens=False), ptr, label, f"enum value {fmt(value)} removed")
        for value in added:
            what = f"enum value {fmt(value)} added"
            if self.side == "response":
                what += " (callers may now receive it; strict_responses=True rejects it until regenerated)"
            self.emit(COMPATIBLE, ptr, label, what)
        if not removed and not added:
            self.emit(COMPATIBLE, ptr, label, "enum values reordered")

    def _range(self, o: Norm, n: Norm, label: str, keys: tuple[str, str], *, lower: bool) -> None:
        changed = [k for k in keys if o.value(k) != n.value(k)]
        old, new = bound(o, keys, lower=lower), bound(n, keys, lower=lower)
        if not changed or old == new:
            return
        narrows = tighter(new, old, lower=lower)
        if len(changed) == 1:
            key = changed[0]
            before, after = o.value(key), n.value(key)
            ptr = n.at(key) if after is not ABSENT else o.at(key)
            if not (_number(before) and _number(after)):
                what = change_text(key, before, after)
            else:
                what = f"{key} {'raised' if after > before else 'lowered'} {fmt(before)} → {fmt(after)}"
        else:
            ptr = next((n.at(k) for k in keys if k in n.keys), n.ptr)

            def show(b: tuple[float, bool] | None) -> str:
                return "none" if b is None else f"{'>' if lower else '<'}{'' if b[1] else '='} {fmt(b[0])}"

            word = ("raised" if lower else "lowered") if narrows else ("lowered" if lower else "raised")
            what = f"{'lower' if lower else 'upper'} bound {word}: {show(old)} → {show(new)}"
        self.emit(by_direction(self.side, widens=not narrows), ptr, label, what)

    def _simple(self, o: Norm, n: Norm, label: str, key: str) -> None:
        before, after = o.value(key), n.value(key)
        if key == "uniqueItems":
            before, after = (v if v is True else ABSENT for v in (before, after))
        if before == after:
            return
        ptr = n.at(key) if after is not ABSENT else o.at(key)
        if key == "default":
            self.emit(COMPATIBLE, ptr, label, change_text(key, before, after))
            return
        if before is ABSENT or after is ABSENT:
            narrows, text = before is ABSENT, change_text(key, before, after)
        elif (key in _COUNT_MIN or key in _COUNT_MAX) and _number(before) and _number(after):
            narrows = (after > before) == (key in _COUNT_MIN)
            text = f"{key} {'raised' if after > before else 'lowered'} {fmt(before)} → {fmt(after)}"
        else:
            self.emit(self._unknown(), ptr, label, change_text(key, before, after))
            return
        if key in _COUNT_MIN and {before, after} <= {ABSENT, 0}:
            narrows = False
        self.emit(by_direction(self.side, widens=not narrows), ptr, label, text)

    def _properties(self, o: Norm, n: Norm, path: str) -> None:
        props = [v if isinstance(v, dict) else {} for v in (o.value("properties"), n.value("properties"))]
        required = [
            set(v) if isinstance(v, list) else set() for v in (o.value("required"), n.value("required"))
        ]
        holders = (o.keys.get("properties", (None, o.ptr))[1], n.keys.get("properties", (None, n.ptr))[1])
        for name in keys_of(props[0], props[1]):
            ptrs = (f"{holders[0]}/properties/{escape(name)}", f"{holders[1]}/properties/{escape(name)}")
            field = f"{path}.{name}" if path else name
            label = f"field {field}"
            if name not in props[1]:
                self.emit(self._unknown(), ptrs[0], label, "removed")
            elif name not in props[0]:
                if self.side == "request":
                    is_required = name in required[1]
                    what = "new required field" if is_required else "new optional field"
                    self.emit(BREAKING if is_required else COMPATIBLE, ptrs[1], label, what)
                else:
                    self.emit(COMPATIBLE, ptrs[1], label, "field added")
            else:
                was, now = name in required[0], name in required[1]
                if was != now:
                    what = "made required" if now else "made optional"
                    if not now and self.side == "response":
                        what += " (callers may get None)"
                    self.emit(by_direction(self.side, widens=not now), ptrs[1], label, what)
                self.compare(props[0][name], props[1][name], ptrs, label, field)
        for name in sorted((required[0] ^ required[1]) - set(props[0]) - set(props[1])):
            now = name in required[1]
            ptr = n.at("required") if now else o.at("required")
            field = f"{path}.{name}" if path else name
            what = "made required" if now else "no longer required"
            self.emit(by_direction(self.side, widens=not now), ptr, f"field {field}", what)

    def _additional(self, o: Norm, n: Norm, label: str, path: str, closed: bool) -> None:
        before, after = o.value("additionalProperties"), n.value("additionalProperties")
        if isinstance(before, dict) and isinstance(after, dict):
            ptrs = (o.at("additionalProperties"), n.at("additionalProperties"))
            self.compare(before, after, ptrs, f"field {path}.*", f"{path}.*")
            return
        rank = {False: 0, True: 2}
        old = before if before is not ABSENT else not closed
        new = after if after is not ABSENT else not closed
        old_rank, new_rank = (rank.get(v, 1) if isinstance(v, bool) else 1 for v in (old, new))
        if old_rank == new_rank:
            return
        widens = new_rank > old_rank
        ptr = n.at("additionalProperties") if after is not ABSENT else o.at("additionalProperties")
        what = f"additionalProperties {fmt(old)} → {fmt(new)}"
        if self.side == "response":
            self.emit(COMPATIBLE, ptr, label, what + " (lenient models keep unknown fields either way)")
        else:
            what += " (unknown fields now accepted)" if widens else " (unknown fields now rejected)"
            self.emit(by_direction(self.side, widens=widens), ptr, label, what)

    def _items(self, o: Norm, n: Norm, path: str) -> None:
        before, after = o.value("items"), n.value("items")
        if before == after:
            return
        label = f"field {path}[]"
        if before is ABSENT or after is ABSENT:
            ptr = n.at("items") if after is not ABSENT else o.at("items")
            self.emit(
                by_direction(self.side, widens=after is ABSENT), ptr, label, f"items {verb(before, after)}"
            )
            return
        self.compare(before, after, (o.at("items"), n.at("items")), label, f"{path}[]")

    def _dependent(self, o: Norm, n: Norm, label: str, key: str) -> None:
        before, after = (v if isinstance(v, dict) else {} for v in (o.value(key), n.value(key)))
        for trigger in keys_of(before, after):
            if before.get(trigger, ABSENT) == after.get(trigger, ABSENT):
                continue
            holder = n if trigger in after else o
            ptr = f"{holder.at(key)}/{escape(trigger)}"
            if trigger not in after:
                what, widens = f"{key} rule removed ({_rule_text(trigger, before[trigger])})", True
            elif trigger not in before:
                what, widens = f"{key} rule added ({_rule_text(trigger, after[trigger])})", False
            else:
                self.emit(self._unknown(), ptr, label, f"{key} rule for {trigger} changed")
                continue
            self.emit(by_direction(self.side, widens=widens), ptr, label, what)

    def _alternatives(self, o: Norm, n: Norm, label: str, path: str) -> None:
        if not o.alts or not n.alts:
            return  # a member added or removed shows as a type change
        unmatched = list(n.alts)
        for alt in o.alts:
            match = next((m for m in unmatched if tokens(m) == tokens(alt)), None)
            if match is None:
                if not tokens(alt):
                    self.emit(by_direction(self.side, widens=False), alt.ptr, label, "alternative removed")
                continue
            unmatched.remove(match)
            self._norms(alt, match, label, path, False)
        for alt in unmatched:
            if not tokens(alt):
                self.emit(by_direction(self.side, widens=True), alt.ptr, label, "alternative added")


def _sides(spec: dict[str, Any]) -> tuple[set[str], set[str], str | None]:
    request, response = schema_views.sides(spec)
    body = schema_views.operation(spec)["requestBody"].get("content", {}).get("application/json", {})
    ref = body.get("schema", {}).get("$ref")
    return request, response, ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _object_like(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "object" or "properties" in schema)


def diff_components(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Changes of ``components/schemas``, each classified by the side that reaches it."""
    out: list[Change] = []
    schemas = [spec.get("components", {}).get("schemas", {}) for spec in (old, new)]
    (old_req, old_resp, _), (new_req, new_resp, root) = _sides(old), _sides(new)
    for name in keys_of(schemas[0], schemas[1]):
        ptr = f"/components/schemas/{escape(name)}"
        request, response = (new_req, new_resp) if name in schemas[1] else (old_req, old_resp)
        side: Side = "request" if name in request else "response" if name in response else "unreferenced"
        rules = SchemaRules(side, out)
        if name not in schemas[1]:
            rules.emit(COMPATIBLE, ptr, f"schema {name}", "removed")
        elif name not in schemas[0]:
            rules.emit(COMPATIBLE, ptr, f"schema {name}", "added")
        else:
            closed = side == "request" and _object_like(schemas[1][name])
            path = "" if name == root else name
            rules.compare(
                schemas[0][name], schemas[1][name], (ptr, ptr), f"schema {name}", path, closed=closed
            )
    return out


def compare_schema(old: Any, new: Any, ptrs: tuple[str, str], side: Side, label: str) -> list[Change]:
    """Changes of one inline schema (a body's or a stream event's), on ``side``."""
    changes: list[Change] = []
    SchemaRules(side, changes).compare(old, new, ptrs, label, "")
    return changes
