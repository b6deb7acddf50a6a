"""Type tree -> table plans: the tables, columns and row layout of a schema, as the walkers use them.

A :class:`Plan` holds one :class:`TablePlan` per table: ``records``, then one child table per array
of objects, depth-first. Each table's rows start with the bookkeeping key columns
(:data:`RECORD_KEYS`, or :data:`CHILD_KEYS` for a child table), then one column per leaf field
(named by :mod:`llamacloud_etl.flatten.naming`), then ``_shape`` and ``_extra``
(:data:`TRAILING`). Compiled against a *layout* (the schemas unified over a batch and the stored
tables), a plan puts each field in the layout's column and adjusts its :class:`Kind` to the
column's type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pyarrow as pa

from llamacloud_etl.flatten.naming import MAX_NAME_LENGTH, assign_names, path_hash, render_path
from llamacloud_etl.flatten.schema import Arr, Kind, Leaf, Obj, record_node, schema_hash

RECORDS = "records"
"""The name of every agent's records table; child tables are named after it."""

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


@dataclass(eq=False)
class FieldPlan:
    """One property of an object as the walker sees it."""

    key: str
    kind: Kind
    col: int = -1  # column index in the row, for leaf kinds
    obj: ObjectPlan | None = None  # for OBJECT
    table: TablePlan | None = None  # for ARRAY
    label: str = ""  # for ARRAY: the path from the row, rendered (naming rule 9), as used in child row IDs


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


def _leaves_and_arrays(obj: Obj) -> tuple[list[tuple[tuple[str, ...], Leaf]], list[tuple[str, ...]]]:
    """The paths of an object's leaves (through nested objects) and of its arrays of objects."""
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
    return leaves, arrays


class _Builder:
    """Plans the tables of one type tree, laid out in ``layout`` where it has the table."""

    def __init__(self, layout: Mapping[str, pa.Schema] | None) -> None:
        self.layout = layout
        self.tables: dict[str, TablePlan] = {}

    def table(self, name: str, json_path: tuple[str, ...], obj: Obj) -> TablePlan:
        """Plan one table and, depth-first after it, the child tables of its arrays of objects."""
        leaves, arrays = _leaves_and_arrays(obj)
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
        self.tables[name] = plan  # before its children: tables are listed parents first
        plan.root = self.object(plan, obj, (), names, position)
        return plan

    def object(
        self,
        table: TablePlan,
        node: Obj,
        prefix: tuple[str, ...],
        names: Mapping[tuple[str, ...], str],
        position: Mapping[str, int],
    ) -> ObjectPlan:
        """The plan of an object of ``table``'s rows, at ``prefix`` from the row."""
        fields: list[FieldPlan] = []
        for key, sub in node.fields:
            path = (*prefix, key)
            if isinstance(sub, Obj):
                fields.append(FieldPlan(key, Kind.OBJECT, obj=self.object(table, sub, path, names, position)))
            elif isinstance(sub, Arr):
                json_path = (*table.json_path, *path)
                child_name = self.table_name(f"{table.name}__{names[path]}", json_path)
                sub_plan = self.table(child_name, json_path, sub.item)
                fields.append(FieldPlan(key, Kind.ARRAY, table=sub_plan, label=render_path(path)))
            else:
                col = position[names[path]]
                declared = _ARROW_TYPES[sub.kind]
                actual = table.schema.field(col).type
                kind = sub.kind if declared.equals(actual) else _effective_kind(sub.kind, actual)
                fields.append(FieldPlan(key, kind, col=col))
        return ObjectPlan(fields)

    def table_name(self, candidate: str, json_path: tuple[str, ...]) -> str:
        """A child table's name: ``candidate``, or a hashed one if too long or taken (naming rule 8)."""
        if len(candidate) > MAX_NAME_LENGTH or candidate in self.tables:
            suffix = path_hash(json_path)
            candidate = f"{candidate[: MAX_NAME_LENGTH - 9].rstrip('_')}_{suffix}"
        return candidate


def compile_plan(data_schema: Any, target: str, layout: Mapping[str, pa.Schema] | None = None) -> Plan:
    """Compile a run's schema into table plans.

    Args:
        data_schema: the run's JSON Schema.
        target: the run's extraction target (``run.config.target``); unknown values behave like ``PER_DOC``.
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
