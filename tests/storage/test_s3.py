"""An ``s3://`` root, against moto's S3 server over HTTP on loopback (see ``tests/s3_server.py``)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pyarrow as pa
import pytest

from llamacloud_etl.errors import StorageError
from llamacloud_etl.query import open_dataset, run_query
from llamacloud_etl.storage import ParquetStore

from .helpers import DAY1, DAY2, LINE_ITEMS, RECORD_SCHEMA, RECORDS, SLUG, records, runs

DAY1_FILE = f"{RECORDS}/run_date=2024-05-01/part-0.parquet"


def keys(admin, store: ParquetStore) -> list[str]:
    """Every object under the store's root, relative to it, as the server lists them now."""
    admin.invalidate_cache()
    return sorted(path.removeprefix(store.path + "/") for path in admin.find(store.path))


def test_s3_root_writes_lists_and_reads(s3_root, s3_options):
    """Writing, listing tables and days, reading schemas and rows all work on s3:// over HTTP."""
    store = ParquetStore(s3_root, storage_options=s3_options)
    [written] = store.replace_day(DAY1, {RECORDS: records("a", "b")})
    store.replace_day(DAY2, {RECORDS: records("c")})
    assert written.uri == f"{s3_root}/{DAY1_FILE}"
    assert store.list_tables() == [RECORDS]
    assert store.list_days(RECORDS) == [DAY1, DAY2]
    assert store.table_schema(RECORDS) == RECORD_SCHEMA
    assert store.read_table(RECORDS).column("_row_id").to_pylist() == ["a", "b", "c"]


def test_s3_objects_match_local_files(s3_root, s3_options, tmp_path):
    """The same table gives the same bytes in the bucket as on local disk, and its size is reported."""
    remote = ParquetStore(s3_root, storage_options=s3_options).replace_day(DAY1, {RECORDS: records("a")})[0]
    ParquetStore(tmp_path).replace_day(DAY1, {RECORDS: records("a")})[0]
    body = ParquetStore(s3_root, storage_options=s3_options).fs.cat_file(remote.uri)
    assert body == (tmp_path / DAY1_FILE).read_bytes() and remote.num_bytes == len(body)


def test_s3_rewrite_and_scope_leave_only_the_new_objects(s3_root, s3_options, s3_admin):
    """Rewriting a day and scoping out a vanished table leave exactly the new day's object in the bucket."""
    store = ParquetStore(s3_root, storage_options=s3_options)
    store.replace_day(DAY1, {RECORDS: records("a", "b"), LINE_ITEMS: records("x")})
    store.replace_day(DAY1, {RECORDS: records("a")}, scope=[f"agents/{SLUG}/"])
    assert keys(s3_admin, store) == [DAY1_FILE]
    assert store.read_table(RECORDS).column("_row_id").to_pylist() == ["a"]


def test_s3_parts_are_replaced_and_removed_one_by_one(s3_root, s3_options, s3_admin):
    """Parts of a shared table are replaced and removed individually in the bucket."""
    store = ParquetStore(s3_root, storage_options=s3_options)
    store.replace_day(DAY1, {("runs", "one"): runs("r1"), ("runs", "two"): runs("r2")})
    store.replace_day(DAY1, {("runs", "one"): runs("r3")})
    store.replace_day(DAY1, {("runs", "two"): runs()})
    assert keys(s3_admin, store) == ["runs/run_date=2024-05-01/one.parquet"]
    assert store.read_table("runs").column("run_id").to_pylist() == ["r3"]


def test_s3_concurrent_writers_of_one_day_each_land_their_part(s3_root, s3_options, s3_admin):
    """Threads writing their own parts of the same days at once all land whole, none lost."""
    store = ParquetStore(s3_root, storage_options=s3_options)
    writers = [f"w{i}" for i in range(4)]
    errors: list[BaseException] = []

    def write(writer: str) -> None:
        try:
            for offset in range(3):
                day = DAY1 + timedelta(days=offset)
                store.replace_day(
                    day, {("runs", writer): runs(f"{writer}-{offset}-a", f"{writer}-{offset}-b")}
                )
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(keys(s3_admin, store)) == 12
    assert sorted(store.read_table("runs").column("run_id").to_pylist()) == sorted(
        f"{w}-{o}-{s}" for w in writers for o in range(3) for s in "ab"
    )


def test_s3_table_that_fails_to_serialise_keeps_the_old_object(s3_root, s3_options, s3_admin):
    """A table that cannot be encoded never reaches its key: the previous object stays whole and readable."""
    store = ParquetStore(s3_root, storage_options=s3_options)
    store.replace_day(DAY1, {"runs": runs("r1", "r2")})
    key = f"{store.path}/runs/run_date=2024-05-01/part-0.parquet"
    before = store.fs.cat_file(key)
    moments = pa.array([1_714_521_600_123_456_789], pa.timestamp("ns", tz="UTC"))
    with pytest.raises(StorageError, match="would lose data"):
        store.replace_day(DAY1, {"runs": pa.table({"run_id": ["r3"], "created_at": moments})})
    assert keys(s3_admin, store) == ["runs/run_date=2024-05-01/part-0.parquet"]
    assert store.fs.cat_file(key) == before
    assert run_query(s3_root, "SELECT run_id FROM runs ORDER BY 1", storage_options=s3_options) == pa.table(
        {"run_id": ["r1", "r2"]}
    )


def test_s3_put_failing_midway_through_a_day_keeps_the_rest_whole(s3_root, s3_options, monkeypatch):
    """A PUT failing after another table of the day was written leaves that one new, this one old."""
    store = ParquetStore(s3_root, storage_options=s3_options)
    store.replace_day(DAY1, {RECORDS: records("a"), "runs": runs("r1")})
    put = store.fs.pipe_file

    def put_failing_for_runs(path, value, **kwargs):
        if "/runs/" in path:
            raise ConnectionResetError("connection reset by peer")
        return put(path, value, **kwargs)

    monkeypatch.setattr(store.fs, "pipe_file", put_failing_for_runs)
    with pytest.raises(StorageError, match="connection reset"):
        store.replace_day(DAY1, {RECORDS: records("b"), "runs": runs("r2")})
    monkeypatch.undo()
    reader = ParquetStore(s3_root, storage_options=s3_options)
    assert reader.read_table(RECORDS).column("_row_id").to_pylist() == ["b"]
    assert reader.read_table("runs").column("run_id").to_pylist() == ["r1"]
    store.replace_day(DAY1, {RECORDS: records("b"), "runs": runs("r2")})
    assert reader.read_table("runs").column("run_id").to_pylist() == ["r2"]


def test_s3_root_is_queryable_with_duckdb(s3_root, s3_options):
    """DuckDB reads the bucket through the registered s3fs filesystem, run_date included."""
    store = ParquetStore(s3_root, storage_options=s3_options)
    store.replace_day(DAY1, {RECORDS: records("a", "b"), "runs": runs("r1")})
    store.replace_day(DAY2, {RECORDS: records("c")})
    with open_dataset(s3_root, storage_options=s3_options) as con:
        rows = con.execute(
            "SELECT run_date, count(*) FROM invoices_eu_records GROUP BY ALL ORDER BY 1"
        ).fetchall()
        assert rows == [(DAY1, 2), (DAY2, 1)]


def test_s3_endpoint_may_come_from_the_environment(s3_root, s3_options, monkeypatch):
    """With ``AWS_ENDPOINT_URL_S3`` set, a root without storage_options reaches that endpoint."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_options["endpoint_url"])
    ParquetStore(s3_root).replace_day(DAY1, {"runs": runs("r1")})
    assert ParquetStore(s3_root, storage_options=s3_options).list_tables() == ["runs"]
