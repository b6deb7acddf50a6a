"""Schema evolution: union_schemas, and batches mixing schema versions or meeting stored schemas."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from llamacloud_etl.flatten import (
    conform_table,
    flatten_batch,
    rebuild_data,
    table_schemas_for,
    union_schemas,
)

from .payloads import FETCHED_AT, make_run, obj, same_json

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
NUM: dict[str, Any] = {"type": "number"}


def _schema(*fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema([*fields, ("_shape", pa.string()), ("_extra", pa.string())])


def test_union_adds_new_columns_before_trailing_ones() -> None:
    """New columns follow the first schema's columns; _shape and _extra stay last."""
    merged, conflicts = union_schemas(
        _schema(("a", pa.string())), _schema(("b", pa.int64()), ("a", pa.string()))
    )
    assert merged.names == ["a", "b", "_shape", "_extra"]
    assert conflicts == []


@pytest.mark.parametrize(
    ("first", "second", "merged", "resolution"),
    [
        pytest.param(pa.int64(), pa.float64(), pa.float64(), "widened", id="int-then-float"),
        pytest.param(pa.float64(), pa.int64(), pa.float64(), None, id="float-then-int"),
        pytest.param(
            pa.list_(pa.int64()),
            pa.list_(pa.float64()),
            pa.list_(pa.float64()),
            "widened",
            id="int-list-then-float-list",
        ),
        pytest.param(pa.null(), pa.string(), pa.string(), None, id="null-type-takes-other"),
        pytest.param(pa.string(), pa.null(), pa.string(), None, id="other-then-null-type"),
        pytest.param(pa.int64(), pa.string(), pa.int64(), "kept_first", id="int-vs-string"),
        pytest.param(pa.string(), pa.list_(pa.string()), pa.string(), "kept_first", id="scalar-vs-list"),
        pytest.param(pa.bool_(), pa.int64(), pa.bool_(), "kept_first", id="bool-vs-int"),
        pytest.param(
            pa.list_(pa.string()),
            pa.list_(pa.int64()),
            pa.list_(pa.string()),
            "kept_first",
            id="list-item-conflict",
        ),
    ],
)
def test_union_types(
    first: pa.DataType, second: pa.DataType, merged: pa.DataType, resolution: str | None
) -> None:
    """int64+float64 widen, null types yield, anything else keeps the first type and is reported."""
    schema, conflicts = union_schemas(pa.schema([("c", first)]), pa.schema([("c", second)]), table="records")
    assert schema.field("c").type == merged
    assert [c.resolution for c in conflicts] == ([resolution] if resolution else [])
    assert all(c.table == "records" and c.column == "c" for c in conflicts)


def test_union_is_pure_and_keeps_metadata() -> None:
    """union_schemas leaves its inputs alone and keeps the first schema's metadata."""
    first = pa.schema([("a", pa.int64())], metadata={"k": "v"})
    second = pa.schema([("a", pa.float64())])
    merged, _ = union_schemas(first, second)
    assert first.field("a").type == pa.int64()
    assert merged.metadata == {b"k": b"v"}


def test_union_nullable_if_either_is() -> None:
    """A column is nullable in the union when it is nullable in either schema."""
    merged, _ = union_schemas(
        pa.schema([pa.field("a", pa.int64(), nullable=False)]), pa.schema([("a", pa.int64())])
    )
    assert merged.field("a").nullable


def test_conflict_str_names_the_column() -> None:
    """A conflict reads as agent.table.column and what happened."""
    _, conflicts = union_schemas(
        pa.schema([("a", pa.int64())]), pa.schema([("a", pa.string())]), table="records", agent_id="ag"
    )
    assert str(conflicts[0]) == "ag.records.a: int64 vs string; kept int64, other values go to _extra"


def _batch_round_trip(runs: list[Any], **kwargs: Any) -> Any:
    batch = flatten_batch(runs, fetched_at=FETCHED_AT, **kwargs)
    for run in runs:
        tables = {**batch.agents[run.agent_id].tables, "runs": batch.runs}
        rebuilt = rebuild_data(run.id, tables, run.data_schema, run.config.target)
        assert same_json(rebuilt, run.data), run.id
    return batch


def test_added_field_unions_columns() -> None:
    """Two versions of an agent's schema give one records table with both versions' columns."""
    v1 = make_run(obj(a=STR), {"a": "x"})
    v2 = make_run(obj(a=STR, po_number=STR), {"a": "y", "po_number": "PO-1"})
    batch = _batch_round_trip([v1, v2])
    records = batch.agents[v1.agent_id].tables["records"]
    assert records.column("po_number").to_pylist() == [None, "PO-1"]
    assert len(set(batch.runs.column("data_schema_hash").to_pylist())) == 2
    assert batch.stats.schema_conflicts == []


def test_integer_to_number_widens_and_round_trips() -> None:
    """An integer field that became a number is one float64 column; both versions rebuild exactly."""
    v1 = make_run(obj(n=INT), {"n": 2**53})
    v2 = make_run(obj(n=NUM), {"n": 2.5})
    big = make_run(obj(n=INT), {"n": 2**53 + 1})
    batch = _batch_round_trip([v1, v2, big])
    records = batch.agents[v1.agent_id].tables["records"]
    assert records.schema.field("n").type == pa.float64()
    assert records.column("n").to_pylist() == [float(2**53), 2.5, None]
    assert [c.resolution for c in batch.stats.schema_conflicts] == ["widened"]


def test_true_conflict_keeps_first_type_and_moves_values_to_extra() -> None:
    """When a field changes int -> string, the first type stays and string values go to _extra."""
    v1 = make_run(obj(code=INT), {"code": 7})
    v2 = make_run(obj(code=STR), {"code": "A7"})
    v2_int = make_run(obj(code=STR), {"code": 8})
    batch = _batch_round_trip([v1, v2, v2_int])
    records = batch.agents[v1.agent_id].tables["records"].to_pylist()
    assert [r["code"] for r in records] == [7, None, 8]
    assert json.loads(records[1]["_extra"]) == {"code": "A7"}
    assert batch.runs.column("off_schema_count").to_pylist() == [0, 1, 0]
    assert [c.resolution for c in batch.stats.schema_conflicts] == ["kept_first"]


def test_stored_schema_type_wins() -> None:
    """A stored table's column type is kept over the batch's, and values are fitted to it."""
    run = make_run(obj(n=INT, s={"type": "object"}), {"n": 3, "s": {"k": 1}})
    stored = table_schemas_for(obj(n=NUM, s=INT), "PER_DOC")["records"]
    batch = _batch_round_trip([run], table_schemas={(run.agent_id, "records"): stored})
    row = batch.agents[run.agent_id].tables["records"].to_pylist()[0]
    assert (row["n"], row["s"]) == (3.0, None)
    assert json.loads(row["_extra"]) == {"s": {"k": 1}}


def test_stored_foreign_type_sends_values_to_extra() -> None:
    """A stored column of a type we never write (a timestamp, say) gets nulls; values go to _extra."""
    run = make_run(obj(when=STR), {"when": "2025-01-01"})
    stored = pa.schema([("when", pa.timestamp("us"))])
    batch = _batch_round_trip([run], table_schemas={(run.agent_id, "records"): stored})
    row = batch.agents[run.agent_id].tables["records"].to_pylist()[0]
    assert row["when"] is None
    assert json.loads(row["_extra"]) == {"when": "2025-01-01"}


def test_json_text_and_string_versions_share_a_column() -> None:
    """A field that was a string and became a free object shares one string column; both rebuild."""
    v1 = make_run(obj(meta=STR), {"meta": "[not json"})
    v2 = make_run(obj(meta={"type": "object"}), {"meta": {"a": 1}})
    batch = _batch_round_trip([v1, v2])
    assert batch.agents[v1.agent_id].tables["records"].column("meta").to_pylist() == [
        "[not json",
        '{"a":1}',
    ]


def test_field_becoming_array_of_objects_adds_child_table() -> None:
    """A field that turns from a string into an array of objects keeps its column and gains a table."""
    v1 = make_run(obj(items=STR), {"items": "a, b"})
    v2 = make_run(obj(items={"type": "array", "items": obj(sku=STR)}), {"items": [{"sku": "a"}]})
    batch = _batch_round_trip([v1, v2])
    tables = batch.agents[v1.agent_id].tables
    assert tables["records"].column("items").to_pylist() == ["a, b", None]
    assert tables["records__items"].column("sku").to_pylist() == ["a"]


def test_float_in_widened_integer_field_is_off_schema() -> None:
    """In a column widened to float64, an integer field's float value still goes to _extra."""
    v1 = make_run(obj(n=INT, xs={"type": "array", "items": INT}), {"n": 2.0, "xs": [1, 2.5]})
    v2 = make_run(obj(n=NUM, xs={"type": "array", "items": NUM}), {"n": 2.0, "xs": [1, 2.5]})
    batch = _batch_round_trip([v2, v1])
    rows = batch.agents[v1.agent_id].tables["records"].to_pylist()
    assert [(r["n"], r["xs"]) for r in rows] == [(2.0, [1.0, 2.5]), (None, None)]
    assert json.loads(rows[1]["_extra"]) == {"n": 2.0, "xs": [1, 2.5]}


def test_rebuild_from_older_files_read_back_as_float() -> None:
    """An integer column read back cast to float64 (after widening) still rebuilds integers."""
    run = make_run(obj(n=INT, xs={"type": "array", "items": INT}), {"n": 7, "xs": [1, None, 3]})
    tables = flatten_batch([run], fetched_at=FETCHED_AT).agents[run.agent_id].tables
    records = tables["records"]
    widened = records.schema.set(records.schema.get_field_index("n"), pa.field("n", pa.float64()))
    widened = widened.set(widened.get_field_index("xs"), pa.field("xs", pa.list_(pa.float64())))
    rebuilt = rebuild_data(run.id, {"records": records.cast(widened)}, run.data_schema, "PER_DOC")
    assert same_json(rebuilt, {"n": 7, "xs": [1, None, 3]})


# -- conform_table ---------------------------------------------------------------------------


def _records(runs: list[Any], stored: dict[tuple[str, str], pa.Schema] | None = None) -> pa.Table:
    batch = flatten_batch(runs, fetched_at=FETCHED_AT, table_schemas=stored)
    return batch.agents[runs[0].agent_id].tables["records"]


def test_conform_equals_flattening_with_the_grown_schema_from_the_start() -> None:
    """A day conformed after it was written equals the day flattened with the grown schema."""
    newer = make_run(obj(n=INT, xs={"type": "array", "items": INT}), {"n": 7, "xs": [1, None, 3]})
    older = make_run(obj(n=NUM, xs={"type": "array", "items": NUM}, legacy=STR), {"n": 2.5, "legacy": "L"})
    written = _records([newer])
    grown = _records([newer, older]).schema
    direct = _records([newer], {(newer.agent_id, "records"): grown})
    assert conform_table(written, grown).equals(direct, check_metadata=True)


def test_conform_adds_missing_columns_as_nulls_in_the_grown_order() -> None:
    """Columns the table lacks are null, and the columns follow the grown schema's order."""
    table = pa.table(
        {"a": ["x"], "_shape": pa.array([None], pa.string()), "_extra": pa.array([None], pa.string())}
    )
    grown = _schema(("a", pa.string()), ("b", pa.int64()))
    conformed = conform_table(table, grown)
    assert conformed.schema.equals(grown) and conformed.column("b").to_pylist() == [None]


def test_conform_widens_integer_columns_and_lists_to_float() -> None:
    """int64 and list<int64> become float64 and list<float64>, values kept."""
    table = pa.table({"n": [3], "xs": pa.array([[1, None]], pa.list_(pa.int64()))})
    grown = pa.schema([("n", pa.float64()), ("xs", pa.list_(pa.float64()))])
    assert conform_table(table, grown).to_pylist() == [{"n": 3.0, "xs": [1.0, None]}]


def test_conform_refuses_an_integer_a_float_cannot_hold() -> None:
    """Beyond 2**53 an int64 -> float64 cast would change the value: a ValueError, not a silent loss."""
    table = pa.table({"n": [2**53 + 1]})
    with pytest.raises(ValueError, match="column 'n' cannot become double"):
        conform_table(table, pa.schema([("n", pa.float64())]))


def test_conform_refuses_a_column_the_grown_schema_lacks() -> None:
    """A grown schema never drops a column, so a table with an unknown one is a ValueError."""
    with pytest.raises(ValueError, match=r"lacks the columns \['gone'\]"):
        conform_table(pa.table({"gone": [1]}), pa.schema([("n", pa.float64())]))


def test_conform_names_list_items_as_the_grown_schema_does() -> None:
    """A list read back from Parquet (items named ``element``) takes the grown schema's item name."""
    read_back = pa.list_(pa.field("element", pa.string()))
    table = pa.table({"tags": pa.array([["a"]], read_back)})
    conformed = conform_table(table, pa.schema([("tags", pa.list_(pa.string()))]))
    assert conformed.schema.field("tags").type.value_field.name == "item"


def test_conform_refuses_a_type_change_that_is_not_a_widening() -> None:
    """A string column never becomes int64 by a cast ("007" would turn into 7): a ValueError."""
    with pytest.raises(ValueError, match="column 'n' is string, not a type that widens to int64"):
        conform_table(pa.table({"n": ["007"]}), pa.schema([("n", pa.int64())]))


def test_conform_refuses_nulls_in_a_non_nullable_column() -> None:
    """A bookkeeping column that may not be null is never filled with nulls."""
    grown = pa.schema([pa.field("run_id", pa.string(), nullable=False), ("n", pa.float64())])
    with pytest.raises(ValueError, match="'run_id' cannot be added as nulls"):
        conform_table(pa.table({"n": [1.0]}), grown)
