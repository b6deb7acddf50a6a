"""Schema evolution: two versions of a table's schema unioned, and old tables laid out in the union.

:func:`union_schemas` unions two Arrow schemas column by column. ``int64`` and
``float64`` (also as list items) widen to ``float64``: an integer field's values are stored as
floats (those a float64 cannot hold exactly, beyond 2**53, go to ``_extra``; a float there is
off-schema) and rebuilding turns them back into integers, also from older files read back with
the column cast to float64. A null-typed column takes the other type. Any other difference
is a true conflict: the *first* schema's type is kept (the stored one, then the batch's versions
in order) and values that do not fit it go to ``_extra``. Both are reported as
:class:`SchemaConflict`. Versions are told apart by ``runs.data_schema_hash``.

:func:`conform_table` lays a table written under an earlier version out in the grown schema, so a
day written before a schema grew reads like one flattened with the grown schema from the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from llamacloud_etl.flatten.plan import TRAILING


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
