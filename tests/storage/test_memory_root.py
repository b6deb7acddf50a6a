"""A non-local fsspec root (``memory://``) goes through the same code as a local folder."""

from __future__ import annotations

import pyarrow as pa

from llamacloud_etl.query import describe_dataset, open_dataset, run_query
from llamacloud_etl.storage import ParquetStore

from .helpers import DAY1, DAY2, LINE_ITEMS, RECORD_SCHEMA, RECORDS, SLUG, records, runs


def test_memory_root_writes_lists_and_reads(memory_root):
    """Writing, listing days and tables, reading schemas and tables all work on memory://."""
    store = ParquetStore(memory_root)
    [written] = store.replace_day(DAY1, {RECORDS: records("a", "b")})
    store.replace_day(DAY2, {RECORDS: records("c")})
    assert (
        written.uri
        == f"{memory_root.replace('memory://', 'memory:///')}/{RECORDS}/run_date=2024-05-01/part-0.parquet"
    )
    assert store.list_tables() == [RECORDS]
    assert store.list_days(RECORDS) == [DAY1, DAY2]
    assert store.table_schema(RECORDS) == RECORD_SCHEMA
    assert store.read_table(RECORDS).column("_row_id").to_pylist() == ["a", "b", "c"]


def test_memory_root_rewrite_and_scope_leave_no_leftover(memory_root):
    """Rewriting a day and scoping out a vanished table leave exactly the new files on memory://."""
    store = ParquetStore(memory_root)
    store.replace_day(DAY1, {RECORDS: records("a", "b"), LINE_ITEMS: records("x")})
    store.replace_day(DAY1, {RECORDS: records("a")}, scope=[f"agents/{SLUG}/"])
    assert store.fs.find(store.path) == [f"{store.path}/{RECORDS}/run_date=2024-05-01/part-0.parquet"]
    assert store.read_table(RECORDS).column("_row_id").to_pylist() == ["a"]


def test_memory_root_parts_are_replaced_one_by_one(memory_root):
    """Parts of a shared table are replaced and removed individually on memory://."""
    store = ParquetStore(memory_root)
    store.replace_day(DAY1, {("runs", "one"): runs("r1"), ("runs", "two"): runs("r2")})
    store.replace_day(DAY1, {("runs", "one"): runs()})
    assert store.read_table("runs").column("run_id").to_pylist() == ["r2"]


def test_memory_root_files_match_local_files(memory_root, tmp_path):
    """The same table gives the same bytes on memory:// as on local disk."""
    remote = ParquetStore(memory_root).replace_day(DAY1, {RECORDS: records("a", "b")})[0]
    local = ParquetStore(tmp_path).replace_day(DAY1, {RECORDS: records("a", "b")})[0]
    remote_bytes = ParquetStore(memory_root).fs.cat_file(remote.uri)
    with open(local.uri.removeprefix("file://"), "rb") as handle:
        assert remote_bytes == handle.read()
    assert remote.num_bytes == local.num_bytes == len(remote_bytes)


def test_memory_root_is_queryable_with_duckdb(memory_root):
    """DuckDB reads a memory:// dataset through the registered fsspec filesystem, run_date included."""
    store = ParquetStore(memory_root)
    store.replace_day(DAY1, {RECORDS: records("a", "b"), "runs": runs("r1")})
    store.replace_day(DAY2, {RECORDS: records("c")})
    with open_dataset(memory_root) as con:
        rows = con.execute(
            "SELECT run_date, count(*) FROM invoices_eu_records GROUP BY ALL ORDER BY 1"
        ).fetchall()
        assert rows == [(DAY1, 2), (DAY2, 1)]
        assert [(v.name, v.table_path, v.row_count) for v in describe_dataset(con)] == [
            ("runs", "runs", 1),
            ("invoices_eu_records", RECORDS, 3),
        ]
    result = run_query(memory_root, "SELECT run_id FROM runs")
    assert result == pa.table({"run_id": ["r1"]})
