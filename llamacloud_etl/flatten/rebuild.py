"""Tables -> data: rebuild a run's original ``data`` exactly from its records and child tables.

"Exactly" means the same JSON value with the same JSON types: integers stay ``int``, floats stay
``float``, a missing key stays missing, ``null`` stays ``null`` and ``[]`` stays ``[]``. Only the
order of keys inside objects is not kept (it has no meaning in JSON): rebuilt objects list schema
fields first, then any keys that came back from ``_extra``.

The walk follows the run's own schema (compiled again from ``data_schema``), reads cells by
column name, applies the ``_shape`` markers and merges ``_extra`` back (see ``flatten.records``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from llamacloud_etl.flatten.plan import RECORDS, ObjectPlan, TablePlan, plan_for
from llamacloud_etl.flatten.schema import LIST_TARGETS, Kind

if TYPE_CHECKING:
    import pandas as pd

Row = dict[str, Any]


def run_rows(table: pa.Table | pd.DataFrame, run_id: str) -> list[Row]:
    """The rows of one run in a table (Arrow or pandas), as dicts; none when it has no run_id."""
    if not isinstance(table, pa.Table):  # a DataFrame
        table = pa.Table.from_pandas(table, preserve_index=False)
    if "run_id" not in table.column_names:
        return []
    return table.filter(pc.equal(table.column("run_id"), pa.scalar(run_id))).to_pylist()


def _ints(value: Any, marker: Any) -> Any:
    """Undo the ``int`` marker of a float column or float list column."""
    if isinstance(value, float):
        return int(value) if marker == "int" and value.is_integer() else value
    if isinstance(value, list):
        if marker == "int":
            return [int(v) if isinstance(v, float) and v.is_integer() else v for v in value]
        if isinstance(marker, list):
            out = list(value)
            for i in marker:
                if isinstance(i, int) and 0 <= i < len(out) and isinstance(out[i], float):
                    out[i] = int(out[i])
            return out
    return value


def _merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            _merge(current, value)
        else:
            target[key] = value


class _Rebuilder:
    def __init__(self, children: dict[tuple[str, str], list[Row]]) -> None:
        self.children = children

    def row(self, table: TablePlan, row: Row) -> Any:
        shape = json.loads(row["_shape"]) if row.get("_shape") is not None else None
        extra = row.get("_extra")
        if shape == "null":
            return None
        if shape == "raw":
            return json.loads(extra) if extra is not None else None
        value = self.object(table, table.root, row, shape if isinstance(shape, dict) else None)
        if extra is not None:
            _merge(value, json.loads(extra))
        return value

    def object(
        self, table: TablePlan, plan: ObjectPlan, row: Row, shape: dict[str, Any] | None
    ) -> dict[str, Any]:
        names = table.schema.names
        out: dict[str, Any] = {}
        for f in plan.fields:
            marker = shape.get(f.key) if shape is not None else None
            if marker == "missing":
                continue
            if marker == "null":
                out[f.key] = None
            elif f.kind is Kind.OBJECT:
                assert f.obj is not None
                out[f.key] = self.object(table, f.obj, row, marker if isinstance(marker, dict) else None)
            elif f.kind is Kind.ARRAY:
                assert f.table is not None
                child = f.table
                out[f.key] = [self.row(child, r) for r in self.children.get((child.name, row["_row_id"]), [])]
            else:
                value = row.get(names[f.col])
                if f.kind is Kind.JSON and isinstance(value, str):
                    value = json.loads(value)
                elif f.kind is Kind.INT or f.kind is Kind.LIST_INT:
                    value = _ints(value, "int")  # floats here come from a column widened to float64
                elif marker is not None:
                    value = _ints(value, marker)
                out[f.key] = value
        return out


def rebuild_data(
    run_id: str,
    tables: Mapping[str, pa.Table] | Mapping[str, pd.DataFrame],
    data_schema: dict[str, Any],
    target: str,
) -> dict[str, Any] | list[Any] | None:
    """Rebuild the original ``data`` of a run from its flattened tables.

    Args:
        run_id: the run to rebuild.
        tables: the agent's tables by name (``records``, ``records__line_items``, ...), as Arrow
            tables or DataFrames; rows of other runs are ignored. Optionally also the ``runs``
            table: its ``data_shape`` settles the cases the records cannot show (no records: was
            ``data`` null or ``[]``? one record: an object or a one-item array?). Without it, no
            records means ``None`` for PER_DOC and ``[]`` otherwise, and a PER_DOC run with one
            record is an object.
        data_schema: the run's ``data_schema``.
        target: the run's extraction target (``run.config.target``).

    Examples:
        >>> from llamacloud_etl.flatten import flatten_run
        >>> from llamacloud_etl.run import Outcome, Run, RunConfig
        >>> schema = {"type": "object", "properties": {"n": {"type": "number"}}}
        >>> run = Run(id="r1", agent_id="a", status="SUCCESS", outcome=Outcome.SUCCEEDED,
        ...     config=RunConfig(target="PER_DOC"), data_schema=schema, data={"n": 3, "x": "extra"})
        >>> rebuild_data("r1", flatten_run(run).tables, schema, "PER_DOC")
        {'n': 3, 'x': 'extra'}
    """
    plan = plan_for(data_schema, target)
    children: dict[tuple[str, str], list[Row]] = {}
    for name, table_plan in plan.tables.items():
        if name == RECORDS or name not in tables:
            continue
        found = sorted(run_rows(tables[name], run_id), key=lambda r: r.get("_idx") or 0)
        for r in found:
            children.setdefault((table_plan.name, r.get("_parent_row_id") or ""), []).append(r)
    records = run_rows(tables[RECORDS], run_id) if RECORDS in tables else []
    records.sort(key=lambda r: r.get("record_index") or 0)
    rebuilder = _Rebuilder(children)
    values = [rebuilder.row(plan.records, r) for r in records]

    shape: str | None = None
    if "runs" in tables:
        runs = run_rows(tables["runs"], run_id)
        shape = runs[0].get("data_shape") if runs else None
    if shape is None:
        if not values:
            shape = "array" if target in LIST_TARGETS else "null"
        else:
            shape = "object" if target not in LIST_TARGETS and len(values) == 1 else "array"
    if shape == "null":
        return None
    if shape == "object":
        return values[0] if values else None
    return values
