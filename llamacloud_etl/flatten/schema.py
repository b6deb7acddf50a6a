"""JSON Schema -> type tree: what each field of a run's ``data_schema`` is (:class:`Kind`).

Types come from the run's ``data_schema``, never from the values, so a column keeps its type in
every batch even when all its values are null. The rules:

* ``string``, whatever its ``format`` (dates stay text: no parsing surprises) -> ``string``;
  ``integer`` -> ``int64``; ``number`` -> ``float64``; ``boolean`` -> ``bool``.
* ``enum`` / ``const`` without ``type``: from the values (all strings ``string``, all integers
  ``int64``, all numbers ``float64``, all booleans ``bool``, mixed: JSON text).
* ``["T", "null"]`` and ``anyOf`` / ``oneOf`` of ``T`` and null -> as ``T`` (columns are nullable).
* ``integer`` or ``number`` -> ``float64``; any other union of non-null types -> JSON text.
* ``$ref`` (``#/$defs/..``, ``#/definitions/..``, any local pointer) is resolved, keys beside it
  overriding the target's; a reference cycle or an unresolvable ref -> JSON text.
* ``allOf``: one part is that part; several object parts merge their properties; else JSON text.
* object with ``properties`` -> one column per field, nested names joined with ``__``; object
  without ``properties`` (free-form, ``additionalProperties`` only) -> JSON text.
* array of scalars -> ``list<int64>``, ``list<string>``, ...; array of objects -> a child table;
  array of arrays, of unions, without ``items`` or with tuple ``items`` -> JSON text.
* anything else (``true``, ``{}``, ``"type": "null"``, unknown types) -> JSON text.
* an object or array nested deeper than ``MAX_DEPTH`` levels -> JSON text (the record is level 0;
  each object and each array adds one).

Only JSON types are checked: a string outside its ``enum`` or ``format`` stays in its column.
JSON text columns hold the value's compact JSON (key order kept); JSON ``null`` is SQL NULL. For
PER_PAGE / PER_TABLE_ROW the schema describes one record; if it is an array schema, its ``items``.

The tables and columns a type tree gives are laid out by :mod:`llamacloud_etl.flatten.plan`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from llamacloud_etl.run import schema_hash as schema_hash

MAX_DEPTH = 8
"""Objects and arrays nested deeper than this (the record is level 0) are stored as JSON text."""

_MAX_HOPS = 32  # $ref / allOf / anyOf indirections followed for one node before giving up (JSON text)

LIST_TARGETS = frozenset({"PER_PAGE", "PER_TABLE_ROW"})
"""Extraction targets whose ``data`` is a list of records, and whose schema may be an array's."""


class Kind(IntEnum):
    """What a field is: for a leaf, which values its column accepts as they are.

    The structural kinds (``OBJECT``, ``ARRAY``) compare greater than every leaf kind.
    """

    STR = 0
    INT = 1
    FLOAT = 2
    BOOL = 3
    JSON = 4
    """Any JSON value, stored as its JSON text."""
    LIST_STR = 5
    LIST_INT = 6
    LIST_FLOAT = 7
    LIST_BOOL = 8
    FOREIGN = 9
    """A column whose type no value fits (another schema version's conflicting type): all go to ``_extra``."""
    INT_AS_FLOAT = 10
    """An integer field whose column another schema version widened to float64: integers only."""
    LIST_INT_AS_FLOAT = 11
    """A list of integers whose column another schema version widened to list<float64>."""
    OBJECT = 20
    """An object with known properties: flattened into its row's columns."""
    ARRAY = 21
    """An array of objects: a child table."""


_LIST_OF = {
    Kind.STR: Kind.LIST_STR,
    Kind.INT: Kind.LIST_INT,
    Kind.FLOAT: Kind.LIST_FLOAT,
    Kind.BOOL: Kind.LIST_BOOL,
}
_SCALAR_TYPES = {"string": Kind.STR, "integer": Kind.INT, "number": Kind.FLOAT, "boolean": Kind.BOOL}


@dataclass(frozen=True)
class Leaf:
    """A value stored in one column."""

    kind: Kind


@dataclass(frozen=True)
class Obj:
    """An object with known properties, in schema order."""

    fields: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Arr:
    """An array of objects: a child table."""

    item: Obj


Node = Leaf | Obj | Arr
_JSON_LEAF = Leaf(Kind.JSON)
_EMPTY = Obj(())


class _Compiler:
    """Turns a JSON Schema into a :data:`Node` tree; total: anything it cannot read is JSON text."""

    def __init__(self, root: Any) -> None:
        self.root = root

    def lookup(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return None
        target = self.root
        for raw in ref[1:].split("/")[1:] if ref != "#" else []:
            key = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict):
                target = target.get(key)
            elif isinstance(target, list) and key.isdigit() and int(key) < len(target):
                target = target[int(key)]
            else:
                return None
        return target

    def deref(self, schema: Any, refs: tuple[str, ...], hops: int) -> tuple[Any, tuple[str, ...], int]:
        """Follow ``$ref`` chains; the referring schema's other keys override the target's."""
        while isinstance(schema, dict) and "$ref" in schema:
            ref = schema["$ref"]
            hops += 1
            if not isinstance(ref, str) or ref in refs or hops > _MAX_HOPS:
                return None, refs, hops
            target = self.lookup(ref)
            if not isinstance(target, dict):
                return None, refs, hops
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema, refs = {**target, **siblings}, (*refs, ref)
        return schema, refs, hops

    def node(self, schema: Any, depth: int, refs: tuple[str, ...] = (), hops: int = 0) -> Node:
        schema, refs, hops = self.deref(schema, refs, hops)
        if not isinstance(schema, dict) or hops > _MAX_HOPS:
            return _JSON_LEAF
        if "allOf" in schema:
            return self.all_of(schema, depth, refs, hops)
        branches = schema.get("anyOf", schema.get("oneOf"))
        if branches is not None:
            return self.any_of(branches, depth, refs, hops)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            if len(kinds) == 1:
                kind = kinds[0]
            elif kinds and all(k in ("integer", "number") for k in kinds):
                kind = "number"
            else:
                return _JSON_LEAF
        if kind is None:
            kind = self.infer_type(schema)
        if isinstance(kind, str) and kind in _SCALAR_TYPES:
            return Leaf(_SCALAR_TYPES[kind])
        if kind == "object":
            return self.object(schema, depth, refs, hops)
        if kind == "array":
            return self.array(schema, depth, refs, hops)
        return _JSON_LEAF

    @staticmethod
    def infer_type(schema: dict[str, Any]) -> str | None:
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        values = schema["enum"] if "enum" in schema else [schema["const"]] if "const" in schema else None
        if not isinstance(values, list):
            return None
        present = [v for v in values if v is not None]
        if not present:
            return None
        types = {type(v) for v in present}
        if types == {str}:
            return "string"
        if types == {bool}:
            return "boolean"
        if types == {int}:
            return "integer"
        if types <= {int, float}:
            return "number"
        return None

    def object(self, schema: dict[str, Any], depth: int, refs: tuple[str, ...], hops: int) -> Node:
        properties = schema.get("properties")
        if not isinstance(properties, dict) or not properties or depth > MAX_DEPTH:
            return _JSON_LEAF
        return Obj(
            tuple(
                (key, self.node(sub, depth + 1, refs, hops))
                for key, sub in properties.items()
                if isinstance(key, str)
            )
        )

    def array(self, schema: dict[str, Any], depth: int, refs: tuple[str, ...], hops: int) -> Node:
        items = schema.get("items")
        if not isinstance(items, dict) or depth > MAX_DEPTH:
            return _JSON_LEAF
        item = self.node(items, depth + 1, refs, hops)
        if isinstance(item, Obj):
            return Arr(item)
        if isinstance(item, Leaf) and item.kind in _LIST_OF:
            return Leaf(_LIST_OF[item.kind])
        return _JSON_LEAF

    def is_null(self, schema: Any, refs: tuple[str, ...], hops: int) -> bool:
        schema, _, _ = self.deref(schema, refs, hops)
        if not isinstance(schema, dict):
            return False
        kind = schema.get("type")
        return (
            kind == "null"
            or kind == ["null"]
            or schema.get("enum") == [None]
            or ("const" in schema and schema["const"] is None)
        )

    def any_of(self, branches: Any, depth: int, refs: tuple[str, ...], hops: int) -> Node:
        if not isinstance(branches, list):
            return _JSON_LEAF
        nodes = [self.node(b, depth, refs, hops + 1) for b in branches if not self.is_null(b, refs, hops)]
        if len(nodes) == 1:
            return nodes[0]
        if nodes and all(isinstance(n, Leaf) and n.kind in (Kind.INT, Kind.FLOAT) for n in nodes):
            return Leaf(Kind.FLOAT)
        if nodes and all(n == nodes[0] for n in nodes) and isinstance(nodes[0], Leaf):
            return nodes[0]
        return _JSON_LEAF

    def all_of(self, schema: dict[str, Any], depth: int, refs: tuple[str, ...], hops: int) -> Node:
        parts = schema["allOf"]
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        if not isinstance(parts, list) or not parts:
            return _JSON_LEAF
        if len(parts) == 1:
            part = parts[0] if isinstance(parts[0], dict) else None
            return self.node({**part, **rest} if part is not None else None, depth, refs, hops + 1)
        properties: dict[str, Any] = {}
        for part in parts:
            resolved, _, _ = self.deref(part, refs, hops + 1)
            props = resolved.get("properties") if isinstance(resolved, dict) else None
            if not isinstance(props, dict):
                return _JSON_LEAF
            properties.update(props)
        return self.node({**rest, "type": "object", "properties": properties}, depth, refs, hops + 1)


def record_node(data_schema: Any, target: str) -> Obj:
    """The type tree of one record of a run with this schema and extraction target."""
    root = _Compiler(data_schema).node(data_schema, 0)
    if isinstance(root, Arr) and target in LIST_TARGETS:
        return root.item
    return root if isinstance(root, Obj) else _EMPTY
