"""Table plans: the columns of the records and child tables, in order, and the plan cache."""

from __future__ import annotations

import pyarrow as pa

from llamacloud_etl.flatten import table_schemas_for
from llamacloud_etl.flatten.plan import plan_for
from llamacloud_etl.flatten.schema import schema_hash

from .payloads import obj

INT64 = pa.int64()


def test_records_columns_in_order() -> None:
    """Records start with run_id, record_index, _row_id and end with _shape, _extra."""
    schema = obj(b={"type": "string"}, a=obj(c={"type": "integer"}))
    assert table_schemas_for(schema, "PER_DOC")["records"].names == [
        "run_id",
        "record_index",
        "_row_id",
        "b",
        "a__c",
        "_shape",
        "_extra",
    ]


def test_child_table_columns() -> None:
    """A child table carries the parent link and position, then the item's own flattened fields."""
    item = obj(amount={"type": "number"}, tax=obj(rate={"type": "number"}))
    tables = table_schemas_for(obj(line_items={"type": "array", "items": item}), "PER_DOC")
    child = tables["records__line_items"]
    assert child.names == [
        "run_id",
        "record_index",
        "_row_id",
        "_parent_row_id",
        "_idx",
        "amount",
        "tax__rate",
        "_shape",
        "_extra",
    ]
    assert child.field("_idx").type == INT64


def test_plan_for_compiles_each_schema_version_once() -> None:
    """plan_for compiles a schema once per digest and target; an equal schema reuses that plan."""
    first = obj(a={"type": "string"})
    again = obj(a={"type": "string"})
    assert plan_for(first, "PER_DOC") is plan_for(again, "PER_DOC")
    assert plan_for(first, "PER_PAGE") is not plan_for(first, "PER_DOC")
    assert plan_for(first, "PER_DOC", schema_hash(first)) is plan_for(first, "PER_DOC")
