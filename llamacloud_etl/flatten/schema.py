"""JSON Schema -> compiled plans and Arrow schemas; the union of two table schemas.

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

Schema evolution: :func:`union_schemas` unions two Arrow schemas column by column. ``int64`` and
``float64`` (also as list items) widen to ``float64``: an integer field's values are stored as
floats (those a float64 cannot hold exactly, beyond 2**53, go to ``_extra``; a float there is
off-schema) and rebuilding turns them back into integers, also from older files read back with
the column cast to float64. A null-typed column takes the other type. Any other difference
is a true conflict: the *first* schema's type is kept (the stored one, then the batch's versions
in order) and values that do not fit it go to ``_extra``. Both are reported as
:class:`SchemaConflict`. Versions are told apart by ``runs.data_schema_hash``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache
from typing import Any, Literal

import pyarrow as pa

from llamacloud_etl.flatten.naming import MAX_NAME_LENGTH, assign_names, path_hash, render_path
from llamacloud_etl.flatten.values import canonical_json

MAX_DEPTH = 8
"""Objects and arrays nested deeper than this (the record is level 0) are stored as JSON text."""

_MAX_HOPS = 32  # $ref / allOf / anyOf indirections followed for one node before giving up (JSON text)


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


_ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.STR: pa.string(),
    Kind.JSON: pa.string(),
    Kind.INT: pa.int64(),
    Kind.FLOAT: pa.float64(),
    Kind.BOOL: pa.bool_(),
    Kind.LIST_STR: pa.list_(pa.string()),
    Kind.LIST_INT: pa.list_(pa.int64()),
    Kind.LIST_FLOAT: pa.list_(pa.float64()),
    Kind.LIST_BOOL: pa.list_(pa.bool_()),
}
_LIST_OF = {
    Kind.STR: Kind.LIST_STR,
    Kind.INT: Kind.LIST_INT,
    Kind.FLOAT: Kind.LIST_FLOAT,
    Kind.BOOL: Kind.LIST_BOOL,
}
_SCALAR_TYPES = {"string": Kind.STR, "integer": Kind.INT, "number": Kind.FLOAT, "boolean": Kind.BOOL}

RECORDS = "records"
LIST_TARGETS = frozenset({"PER_PAGE", "PER_TABLE_ROW"})

# Bookkeeping columns. Records rows start with the first three, child rows with all five.
RECORD_KEYS = (
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("record_index", pa.int64(), nullable=False),
    pa.field("_row_id", pa.string(), nullable=False),
)
CHILD_KEYS = (
    *RECORD_KEYS,
    pa.field("_parent_row_id", pa.string(), nullable=False),
    pa.field("_idx", pa.int64(), nullable=False),
)
TRAILING = (pa.field("_shape", pa.string()), pa.field("_extra", pa.string()))
SYSTEM_FIELDS = {f.name: f for f in (*CHILD_KEYS, *TRAILING)}


def schema_hash(data_schema: Any) -> str:
    """First 16 hex digits of the SHA-256 of the schema's canonical JSON (UTF-8)."""
    encoded = canonical_json(data_schema).encode("utf-8", "surrogatepass")
    return hashlib.sha256(encoded).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# JSON Schema -> type tree


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


# ---------------------------------------------------------------------------------------------
# type tree -> table plans


@dataclass(eq=False)
class FieldPlan:
    """One property of an object as the walker sees it."""

    key: str
    kind: Kind
    col: int = -1  # column index in the row, for leaf kinds
    obj: ObjectPlan | None = None  # for OBJECT
    table: TablePlan | None = None  # for ARRAY
    label: str = ""  # for ARRAY: the path from the row, rendered (rule 9), as used in child row IDs


@dataclass(eq=False)
class ObjectPlan:
    """The known properties of an object, in schema order.

    ``steps`` repeats ``fields`` as plain tuples ``(key, kind, col, sub, label)``, ``sub`` being the
    ObjectPlan of an ``OBJECT`` or the TablePlan of an ``ARRAY``: the walker unpacks them in its hot loop.
    """

    fields: list[FieldPlan]
    by_key: dict[str, FieldPlan] = field(default_factory=dict)
    steps: tuple[tuple[str, Kind, int, Any, str], ...] = ()

    def __post_init__(self) -> None:
        self.by_key = {f.key: f for f in self.fields}
        self.steps = tuple((f.key, f.kind, f.col, f.obj or f.table, f.label) for f in self.fields)


@dataclass(eq=False)
class TablePlan:
    """How rows of one table (records or a child table) are laid out."""

    name: str
    json_path: tuple[str, ...]  # keys from the record to this table's array (through array items)
    child: bool
    root: ObjectPlan
    schema: pa.Schema
    key_cols: tuple[int, ...]  # positions of run_id, record_index, _row_id (+ _parent_row_id, _idx)
    shape_col: int
    extra_col: int
    width: int


@dataclass(eq=False)
class Plan:
    """A compiled schema: every table of an agent's runs with this schema and target."""

    target: str
    tables: dict[str, TablePlan]  # "records" first, then child tables depth-first

    @property
    def records(self) -> TablePlan:
        """The records table's plan."""
        return self.tables[RECORDS]

    def schemas(self) -> dict[str, pa.Schema]:
        """Arrow schema of each table, by table name."""
        return {name: table.schema for name, table in self.tables.items()}


def kind_of_type(arrow_type: pa.DataType) -> Kind:
    """The leaf kind that fills a column of this Arrow type (``FOREIGN``: no value fits it)."""
    for kind, known in _ARROW_TYPES.items():
        if kind != Kind.JSON and known.equals(arrow_type):
            return kind
    return Kind.FOREIGN


def _effective_kind(kind: Kind, actual: pa.DataType) -> Kind:
    """The kind of a field whose column has another type than its schema gives (see union_schemas)."""
    if kind == Kind.INT and actual.equals(pa.float64()):
        return Kind.INT_AS_FLOAT
    if kind == Kind.LIST_INT and actual.equals(pa.list_(pa.float64())):
        return Kind.LIST_INT_AS_FLOAT
    return kind_of_type(actual)


class _Builder:
    def __init__(self, layout: Mapping[str, pa.Schema] | None) -> None:
        self.layout = layout
        self.tables: dict[str, TablePlan] = {}

    def table(self, name: str, json_path: tuple[str, ...], obj: Obj) -> TablePlan:
        leaves: list[tuple[tuple[str, ...], Leaf]] = []
        arrays: list[tuple[str, ...]] = []

        def collect(node: Obj, prefix: tuple[str, ...]) -> None:
            for key, sub in node.fields:
                path = (*prefix, key)
                if isinstance(sub, Obj):
                    collect(sub, path)
                elif isinstance(sub, Arr):
                    arrays.append(path)
                else:
                    leaves.append((path, sub))

        collect(obj, ())
        names = assign_names([p for p, _ in leaves] + arrays)
        child = bool(json_path)
        keys = CHILD_KEYS if child else RECORD_KEYS
        own = pa.schema(
            [*keys, *(pa.field(names[p], _ARROW_TYPES[leaf.kind]) for p, leaf in leaves), *TRAILING]
        )
        schema = own if self.layout is None or name not in self.layout else self.layout[name]
        position = {n: i for i, n in enumerate(schema.names)}
        plan = TablePlan(
            name=name,
            json_path=json_path,
            child=child,
            root=ObjectPlan([]),
            schema=schema,
            key_cols=tuple(position[key.name] for key in keys),
            shape_col=position["_shape"],
            extra_col=position["_extra"],
            width=len(schema),
        )
        self.tables[name] = plan

        def build(node: Obj, prefix: tuple[str, ...]) -> ObjectPlan:
            fields: list[FieldPlan] = []
            for key, sub in node.fields:
                path = (*prefix, key)
                if isinstance(sub, Obj):
                    fields.append(FieldPlan(key, Kind.OBJECT, obj=build(sub, path)))
                elif isinstance(sub, Arr):
                    child_name = self.table_name(f"{name}__{names[path]}", (*json_path, *path))
                    sub_plan = self.table(child_name, (*json_path, *path), sub.item)
                    fields.append(FieldPlan(key, Kind.ARRAY, table=sub_plan, label=render_path(path)))
                else:
                    col = position[names[path]]
                    declared = _ARROW_TYPES[sub.kind]
                    actual = schema.field(col).type
                    kind = sub.kind if declared.equals(actual) else _effective_kind(sub.kind, actual)
                    fields.append(FieldPlan(key, kind, col=col))
            return ObjectPlan(fields)

        plan.root = build(obj, ())
        return plan

    def table_name(self, candidate: str, json_path: tuple[str, ...]) -> str:
        if len(candidate) > MAX_NAME_LENGTH or candidate in self.tables:
            suffix = path_hash(json_path)
            candidate = f"{candidate[: MAX_NAME_LENGTH - 9].rstrip('_')}_{suffix}"
        return candidate


def compile_plan(data_schema: Any, target: str, layout: Mapping[str, pa.Schema] | None = None) -> Plan:
    """Compile a run's schema into table plans.

    Args:
        data_schema: the run's JSON Schema.
        target: ``config.extraction_target``; unknown values behave like ``PER_DOC``.
        layout: unified table schemas to lay rows out in (a superset of this schema's columns);
            a column whose unified type differs from this schema's takes the unified type.
    """
    builder = _Builder(layout)
    builder.table(RECORDS, (), record_node(data_schema, target))
    return Plan(target=target, tables=builder.tables)


def plan_for(data_schema: Any, target: str, digest: str | None = None) -> Plan:
    """Cached :func:`compile_plan` without a layout, keyed by the schema's digest and the target.

    Args:
        data_schema: the run's JSON Schema.
        target: the run's extraction target.
        digest: ``schema_hash(data_schema)``, when the caller has it already.
    """
    return _cached_plan(_Digested(digest or schema_hash(data_schema), data_schema), target)


@dataclass(frozen=True)
class _Digested:
    """A schema that compares and hashes by its digest, so that :func:`_cached_plan` can key on it."""

    digest: str
    schema: Any = field(compare=False)


@lru_cache(maxsize=256)
def _cached_plan(schema: _Digested, target: str) -> Plan:
    return compile_plan(schema.schema, target)


def table_schemas_for(data_schema: dict[str, Any], target: str) -> dict[str, pa.Schema]:
    """Arrow schemas of the records table and every child table for a schema and target.

    Examples:
        >>> schema = {"type": "object", "properties": {"items": {"type": "array",
        ...     "items": {"type": "object", "properties": {"sku": {"type": "string"}}}}}}
        >>> sorted(table_schemas_for(schema, "PER_DOC"))
        ['records', 'records__items']
    """
    return plan_for(data_schema, target).schemas()


# ---------------------------------------------------------------------------------------------
# schema evolution


@dataclass(frozen=True)
class SchemaConflict:
    """Two versions of a table disagree on a column's type.

    ``resolution`` is ``"widened"`` (int64 + float64 -> float64; nothing is lost) or
    ``"kept_first"`` (a true conflict: the first type stays, off-type values go to ``_extra``) or
    ``"replaced"`` (a stored schema gave one of our bookkeeping columns another type; ours is used).
    """

    column: str
    first_type: str
    second_type: str
    resolution: Literal["widened", "kept_first", "replaced"]
    table: str | None = None
    agent_id: str | None = None

    def __str__(self) -> str:
        where = ".".join(p for p in (self.agent_id, self.table, self.column) if p)
        if self.resolution == "widened":
            return f"{where}: {self.first_type} and {self.second_type} widened (integers become float64)"
        if self.resolution == "replaced":
            return f"{where}: stored as {self.first_type}, replaced by our {self.second_type}"
        kept = self.first_type
        return f"{where}: {self.first_type} vs {self.second_type}; kept {kept}, other values go to _extra"


def _merge_types(first: pa.DataType, second: pa.DataType) -> pa.DataType | None:
    if pa.types.is_null(first):
        return second
    if pa.types.is_null(second):
        return first
    numeric = (pa.int64(), pa.float64())
    if first in numeric and second in numeric:
        return pa.float64()
    if pa.types.is_list(first) and pa.types.is_list(second):
        inner = _merge_types(first.value_type, second.value_type)
        return None if inner is None else pa.list_(inner)
    return None


def union_schemas(
    first: pa.Schema, second: pa.Schema, *, table: str | None = None, agent_id: str | None = None
) -> tuple[pa.Schema, list[SchemaConflict]]:
    """Union two versions of a table's schema; pure.

    Columns keep the first schema's order, new columns of the second follow, and the trailing
    bookkeeping columns ``_shape``/``_extra`` stay last. Types are reconciled as the module
    docstring says; every type change or true conflict is returned as a :class:`SchemaConflict`.

    Examples:
        >>> old = pa.schema([("a", pa.int64()), ("_extra", pa.string())])
        >>> new = pa.schema([("a", pa.float64()), ("b", pa.string()), ("_extra", pa.string())])
        >>> merged, conflicts = union_schemas(old, new)
        >>> merged.names, str(merged.field("a").type), conflicts[0].resolution
        (['a', 'b', '_extra'], 'double', 'widened')
    """
    fields: dict[str, pa.Field[Any]] = {}
    for f in first:
        fields.setdefault(f.name, f)
    conflicts: list[SchemaConflict] = []
    for f in second:
        old = fields.get(f.name)
        if old is None:
            fields[f.name] = f
            continue
        nullable = old.nullable or f.nullable
        if old.type.equals(f.type):
            fields[f.name] = old.with_nullable(nullable)
            continue
        merged = _merge_types(old.type, f.type)
        if merged is None:
            conflicts.append(
                SchemaConflict(f.name, str(old.type), str(f.type), "kept_first", table, agent_id)
            )
            continue
        if not merged.equals(old.type) and not pa.types.is_null(old.type):
            conflicts.append(SchemaConflict(f.name, str(old.type), str(f.type), "widened", table, agent_id))
        fields[f.name] = pa.field(f.name, merged, nullable=nullable, metadata=old.metadata)
    trailing = [t.name for t in TRAILING]
    ordered = [f for name, f in fields.items() if name not in trailing]
    ordered += [fields[name] for name in trailing if name in fields]
    merged_schema = pa.schema(ordered)
    return (merged_schema.with_metadata(first.metadata) if first.metadata else merged_schema), conflicts


def conform_table(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Lay out a table written under an earlier version of a schema in the grown ``schema``; pure.

    ``schema`` is what :func:`union_schemas` grew from the table's own schema: columns the table
    lacks become nulls, ``int64`` (also as list items) widens to ``float64`` (rebuilding turns the
    values back into integers, as for any column widened to float64), and a null-typed column
    takes its type. Column order, field metadata and list item names come from ``schema``. The result is what
    flattening the same runs with ``schema`` gives, so a day conformed after it was written and
    a day flattened with the grown schema from the start hold the same values.

    Raises:
        ValueError: the table has a column ``schema`` lacks; a column's type differs from its new
            one by more than a widening (a string column that ``schema`` calls int64, say); a column
            cannot take its new type without loss (an integer beyond 2**53 in a column widened to
            float64); or a non-nullable column of ``schema`` would hold nulls.

    Examples:
        >>> old = pa.table({"n": pa.array([1, 2]), "_extra": pa.array([None, None], pa.string())})
        >>> grown = pa.schema([("n", pa.float64()), ("s", pa.string()), ("_extra", pa.string())])
        >>> conform_table(old, grown).to_pylist()
        [{'n': 1.0, 's': None, '_extra': None}, {'n': 2.0, 's': None, '_extra': None}]
    """
    unknown = [name for name in table.column_names if name not in schema.names]
    if unknown:
        raise ValueError(f"the grown schema lacks the columns {unknown}")
    columns: list[pa.ChunkedArray[Any] | pa.Array[Any]] = []
    for target in schema:
        if target.name not in table.column_names:
            if not target.nullable and table.num_rows:
                raise ValueError(f"column {target.name!r} cannot be added as nulls: it is not nullable")
            columns.append(pa.nulls(table.num_rows, target.type))
            continue
        column = table.column(target.name)
        if not _widens(column.type, target.type):
            raise ValueError(
                f"column {target.name!r} is {column.type}, not a type that widens to {target.type}"
            )
        if not target.nullable and column.null_count:
            raise ValueError(f"column {target.name!r} holds nulls but is not nullable")
        # str() too: Arrow's equality ignores a list's item name, which Parquet readers give back
        # as "element", while the schema written into the file keeps it.
        if not column.type.equals(target.type) or str(column.type) != str(target.type):
            try:
                column = column.cast(target.type)  # safe: refuses a lossy int64 -> float64
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ValueError(f"column {target.name!r} cannot become {target.type}: {exc}") from exc
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def _widens(actual: pa.DataType, target: pa.DataType) -> bool:
    """True when :func:`union_schemas` can have grown ``actual`` into ``target``."""
    if actual.equals(target) or pa.types.is_null(actual):  # equals() ignores list item names
        return True
    if actual.equals(pa.int64()) and target.equals(pa.float64()):
        return True
    if pa.types.is_list(actual) and pa.types.is_list(target):
        return _widens(actual.value_type, target.value_type)
    return False
