"""ParquetStore's listing and reading: tables, days, schemas, tables read back, paths and settings."""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from llamacloud_etl.errors import StorageError
from llamacloud_etl.storage import ParquetStore

from .helpers import DAY1, DAY2, LINE_ITEMS, RECORD_SCHEMA, RECORDS, records, runs

WIDER = RECORD_SCHEMA.append(pa.field("currency", pa.string()))


def test_list_tables_and_days_report_what_is_on_disk(store):
    """list_tables names every table with a day; list_days gives its days oldest first."""
    store.replace_day(DAY2, {RECORDS: records("b"), "runs": runs("r2")})
    store.replace_day(DAY1, {LINE_ITEMS: records("x"), "runs": runs("r1")})
    assert store.list_tables() == [RECORDS, LINE_ITEMS, "runs"]
    assert store.list_days("runs") == [DAY1, DAY2]
    assert store.list_days(LINE_ITEMS) == [DAY1]


def test_has_day_is_true_only_for_a_day_with_a_file(store):
    """has_day looks at one table-day: a written day is there; another day or table is not."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    assert (store.has_day(RECORDS, DAY1), store.has_day(RECORDS, DAY2), store.has_day("runs", DAY1)) == (
        True,
        False,
        False,
    )


def test_day_schema_reads_the_schema_of_that_day(store):
    """day_schema gives each day's own stored schema, and None for a day without a file."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    store.replace_day(DAY2, {RECORDS: records("b", schema=WIDER)})
    assert store.day_schema(RECORDS, DAY1).names == RECORD_SCHEMA.names
    assert store.day_schema(RECORDS, DAY2).names == WIDER.names
    assert store.day_schema("runs", DAY1) is None


def test_a_missing_root_has_no_tables(store):
    """A root that does not exist yet lists no tables, no days and no schema."""
    assert store.list_tables() == []
    assert store.list_days(RECORDS) == []
    assert store.table_schema(RECORDS) is None


def test_listing_ignores_files_outside_the_layout(store, root):
    """Temporary, hidden and non-Parquet files, and folders that are not days, are not listed."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    folder = os.path.join(root, RECORDS, "run_date=2024-05-01")
    for name in (".part-0.parquet.abc.tmp", "_SUCCESS", ".hidden.parquet", "notes.txt"):
        with open(os.path.join(folder, name), "w") as handle:
            handle.write("x")
    os.makedirs(os.path.join(root, "runs", "not-a-day"))
    pq.write_table(runs("r"), os.path.join(root, "runs", "not-a-day", "part-0.parquet"))
    os.makedirs(os.path.join(root, "runs", "run_date=2024-13-45"))
    pq.write_table(runs("r"), os.path.join(root, "runs", "run_date=2024-13-45", "part-0.parquet"))
    assert store.list_tables() == [RECORDS]
    assert store.list_days(RECORDS) == [DAY1]


def test_table_schema_reads_the_newest_day(store):
    """table_schema returns the schema stored for the table's newest day."""
    store.replace_day(DAY2, {RECORDS: records("b", schema=WIDER)})
    store.replace_day(DAY1, {RECORDS: records("a")})
    assert store.table_schema(RECORDS) == WIDER


def test_table_schema_keeps_field_metadata(store):
    """Field and schema metadata declared by the caller round-trip through the footer."""
    schema = RECORD_SCHEMA.with_metadata({"source": "flatten"})
    store.replace_day(DAY1, {RECORDS: records("a", schema=schema)})
    assert store.table_schema(RECORDS).metadata == {b"source": b"flatten"}


def test_read_table_fills_columns_older_days_lack(store):
    """Reading days written before a column was added gives nulls for it."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    store.replace_day(DAY2, {RECORDS: records("b", schema=WIDER)})
    table = store.read_table(RECORDS)
    assert table.schema == WIDER
    assert table.column("_row_id").to_pylist() == ["a", "b"]
    assert table.column("currency").to_pylist() == [None, None]


def test_read_table_selects_days_and_columns(store):
    """read_table returns only the days and columns asked for, in the order asked for."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    store.replace_day(DAY2, {RECORDS: records("b", schema=WIDER)})
    table = store.read_table(RECORDS, days=[DAY1], columns=["currency", "_row_id"])
    assert table.column_names == ["currency", "_row_id"]
    assert table.schema.field("currency").type == pa.string()
    assert table.to_pylist() == [{"currency": None, "_row_id": "a"}]


def test_read_table_reads_only_the_parts_asked_for(store):
    """With ``parts``, the day's other parts are left out."""
    store.replace_day(DAY1, {("runs", "one"): runs("r1"), ("runs", "two"): runs("r2", "r3")})
    store.replace_day(DAY2, {("runs", "one"): runs("r4")})
    table = store.read_table("runs", columns=["run_id"], parts=["one"])
    assert table.column("run_id").to_pylist() == ["r1", "r4"]
    assert store.read_table("runs", [DAY1], parts=["two", "three"]).num_rows == 2
    assert store.read_table("runs", [DAY1], parts=[]).num_rows == 0


def test_read_table_without_files_is_empty(store):
    """A table with no file for the days asked for reads as an empty table of its schema."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    table = store.read_table(RECORDS, days=[DAY2])
    assert table.num_rows == 0
    assert table.schema == RECORD_SCHEMA


def test_read_table_refuses_unknown_columns(store):
    """Asking for a column no file has raises StorageError."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    with pytest.raises(StorageError, match="no column 'nope'"):
        store.read_table(RECORDS, columns=["nope"])


def test_read_table_reports_days_that_disagree_on_a_type(store):
    """Days whose column types conflict raise StorageError naming the table."""
    store.replace_day(DAY1, {"runs": pa.table({"n": pa.array([1], pa.int64())})})
    store.replace_day(DAY2, {"runs": pa.table({"n": pa.array(["x"], pa.string())})})
    with pytest.raises(StorageError, match="disagree"):
        store.read_table("runs")


def test_unreadable_file_raises_storage_error(store, root):
    """A corrupt data file raises StorageError naming its URL."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    path = os.path.join(root, RECORDS, "run_date=2024-05-01", "part-0.parquet")
    with open(path, "wb") as handle:
        handle.write(b"not parquet")
    with pytest.raises(StorageError, match=r"cannot read .*part-0\.parquet"):
        store.read_table(RECORDS)
    with pytest.raises(StorageError, match="schema"):
        store.table_schema(RECORDS)


def test_uri_gives_full_urls(store, root):
    """uri() is the root's URL, or a table's folder URL."""
    assert store.uri() == "file://" + root
    assert store.uri("agents") == f"file://{root}/agents"


def test_unknown_protocol_raises_storage_error():
    """A root with a protocol fsspec does not know raises StorageError."""
    with pytest.raises(StorageError, match="cannot open the storage root"):
        ParquetStore("nosuchprotocol://bucket/x")


def test_repr_hides_a_password_in_the_root():
    """A password in the root URL's user-info never shows in the store's repr."""
    store = ParquetStore("memory://user:hunter2@host/x")
    assert "hunter2" not in repr(store)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"compression": "lzo"}, "compression", id="compression"),
        pytest.param({"row_group_size": 0}, "row_group_size", id="row-group-size"),
    ],
)
def test_bad_settings_are_refused(kwargs, match):
    """Unknown codecs and non-positive row group sizes raise ValueError."""
    with pytest.raises(ValueError, match=match):
        ParquetStore("memory://x", **kwargs)


def test_table_schema_names_list_items_as_arrow_does(tmp_path) -> None:
    """A list column read back from storage has Arrow's ``item`` field name, not Parquet's ``element``."""
    store = ParquetStore(str(tmp_path))
    table = pa.table({"tags": pa.array([["a"]], type=pa.list_(pa.string()))})
    store.replace_day(DAY1, {"agents/x-0123abcd/records": table})
    schema = store.table_schema("agents/x-0123abcd/records")
    assert schema is not None
    assert schema.field("tags").type.value_field.name == "item"
