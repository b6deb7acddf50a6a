"""ParquetStore.replace_day on local disk: days replaced whole, never a leftover or a duplicate."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from llamacloud_etl.errors import StorageError
from llamacloud_etl.storage import ParquetStore, WrittenPartition

from .helpers import (
    DAY1,
    DAY2,
    LINE_ITEMS,
    OTHER_RECORDS,
    OTHER_SLUG,
    RECORD_SCHEMA,
    RECORDS,
    SLUG,
    records,
    runs,
)


def parquet_files(root):
    """Every *.parquet file under root, relative, sorted (what a reader's glob would see)."""
    found = []
    for folder, _, names in os.walk(root):
        found += [os.path.relpath(os.path.join(folder, n), root) for n in names if n.endswith(".parquet")]
    return sorted(found)


def row_ids(store, table, days=None):
    return sorted(store.read_table(table, days).column("_row_id").to_pylist())


def test_rewriting_a_day_with_fewer_rows_leaves_no_leftover(store, root):
    """Re-landing a day with fewer rows replaces that day's rows and keeps the other day."""
    store.replace_day(DAY1, {RECORDS: records("a", "b", "c")})
    store.replace_day(DAY2, {RECORDS: records("d", "e")})
    store.replace_day(DAY1, {RECORDS: records("a")})
    assert row_ids(store, RECORDS, [DAY1]) == ["a"]
    assert row_ids(store, RECORDS) == ["a", "d", "e"]
    assert parquet_files(root) == [
        f"{RECORDS}/run_date=2024-05-01/part-0.parquet",
        f"{RECORDS}/run_date=2024-05-02/part-0.parquet",
    ]


def test_written_partition_describes_the_file(store, root):
    """replace_day reports each file's table, day, URL, row count, size and stored schema."""
    [written] = store.replace_day(DAY1, {RECORDS: records("a", "b")})
    path = os.path.join(root, RECORDS, "run_date=2024-05-01", "part-0.parquet")
    assert written == WrittenPartition(
        table=RECORDS,
        run_date=DAY1,
        uri="file://" + path,
        row_count=2,
        num_bytes=os.path.getsize(path),
        schema=pq.read_schema(path),
    )
    assert written.schema.equals(RECORD_SCHEMA)


def test_results_are_sorted_by_table_path(store):
    """The written partitions come back sorted by table path, whatever the input order."""
    written = store.replace_day(DAY1, {"runs": runs("r1"), LINE_ITEMS: records("x"), RECORDS: records("a")})
    assert [w.table for w in written] == [RECORDS, LINE_ITEMS, "runs"]


def test_scope_removes_the_day_of_tables_not_given(store):
    """A table in scope that the new version of the day lacks loses that day, and only that day."""
    store.replace_day(DAY1, {RECORDS: records("a"), LINE_ITEMS: records("x")})
    store.replace_day(DAY2, {RECORDS: records("b"), LINE_ITEMS: records("y")})
    store.replace_day(DAY1, {RECORDS: records("a")}, scope=[f"agents/{SLUG}/"])
    assert store.list_days(LINE_ITEMS) == [DAY2]
    assert store.list_days(RECORDS) == [DAY1, DAY2]


def test_scope_removes_an_agent_whose_runs_all_vanished(store, root):
    """An agent with no rows left on a re-landed day keeps no file of that day."""
    store.replace_day(DAY1, {RECORDS: records("a"), LINE_ITEMS: records("x")})
    store.replace_day(DAY1, {}, scope=[f"agents/{SLUG}/"])
    assert store.list_tables() == []
    assert parquet_files(root) == []
    assert not os.path.exists(os.path.join(root, "agents"))


def test_scope_matches_whole_path_components(store):
    """A scope prefix for one agent does not reach an agent whose slug merely starts the same."""
    longer = f"agents/{SLUG}x/records"
    store.replace_day(DAY1, {RECORDS: records("a"), longer: records("b")})
    store.replace_day(DAY1, {}, scope=[f"agents/{SLUG}"])
    assert store.list_tables() == [longer]


def test_tables_outside_scope_are_left_alone(store):
    """Without scope, tables not given keep their day."""
    store.replace_day(DAY1, {RECORDS: records("a"), OTHER_RECORDS: records("b")})
    store.replace_day(DAY1, {RECORDS: records("c")}, scope=[f"agents/{SLUG}/"])
    assert row_ids(store, OTHER_RECORDS) == ["b"]


def test_known_tables_in_scope_lose_the_day_they_are_not_given(store):
    """With known_tables, a known table in scope that the day lacks loses that day (no walk needed)."""
    store.replace_day(DAY1, {RECORDS: records("a"), LINE_ITEMS: records("x")})
    store.replace_day(DAY2, {RECORDS: records("b"), LINE_ITEMS: records("y")})
    known = [RECORDS, LINE_ITEMS, OTHER_RECORDS]
    store.replace_day(DAY1, {RECORDS: records("a")}, scope=[f"agents/{SLUG}/"], known_tables=known)
    assert store.list_days(LINE_ITEMS) == [DAY2]
    assert store.list_days(RECORDS) == [DAY1, DAY2]


def test_known_tables_outside_scope_or_without_the_day_are_left_alone(store):
    """Known tables outside the scope keep their day; a known table without the day is no error."""
    store.replace_day(DAY1, {RECORDS: records("a"), OTHER_RECORDS: records("b")})
    store.replace_day(DAY2, {LINE_ITEMS: records("y")})
    known = [RECORDS, LINE_ITEMS, OTHER_RECORDS]
    store.replace_day(DAY1, {RECORDS: records("c")}, scope=[f"agents/{SLUG}/"], known_tables=known)
    assert row_ids(store, OTHER_RECORDS) == ["b"]
    assert store.list_days(LINE_ITEMS) == [DAY2]


def test_empty_table_removes_the_day_and_writes_nothing(store, root):
    """An empty table removes that day's partition, writes no file, and keeps the schema known."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    store.replace_day(DAY2, {RECORDS: records("b")})
    written = store.replace_day(DAY1, {RECORDS: records()})
    assert written == []
    assert store.list_days(RECORDS) == [DAY2]
    assert not os.path.exists(os.path.join(root, RECORDS, "run_date=2024-05-01"))
    assert store.table_schema(RECORDS).equals(RECORD_SCHEMA)


def test_empty_table_for_a_new_day_is_a_no_op(store, root):
    """An empty table for a day never written creates nothing."""
    assert store.replace_day(DAY1, {RECORDS: records()}) == []
    assert not os.path.exists(root) or parquet_files(root) == []


def test_whole_day_write_removes_stray_files(store, root):
    """Writing a day whole removes any other *.parquet file in that day's folder."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    folder = os.path.join(root, RECORDS, "run_date=2024-05-01")
    pq.write_table(records("stale"), os.path.join(folder, "part-1.parquet"))
    store.replace_day(DAY1, {RECORDS: records("b")})
    assert sorted(os.listdir(folder)) == ["part-0.parquet"]
    assert row_ids(store, RECORDS) == ["b"]


def test_parts_replace_only_their_own_file(store):
    """A (table, part) key replaces that part of the day and leaves the day's other parts."""
    store.replace_day(DAY1, {("runs", SLUG): runs("r1", "r2"), ("runs", OTHER_SLUG): runs("r3")})
    written = store.replace_day(DAY1, {("runs", SLUG): runs("r1")})
    assert [(w.table, w.part, w.uri.rsplit("/", 1)[1]) for w in written] == [
        ("runs", SLUG, f"{SLUG}.parquet")
    ]
    assert sorted(store.read_table("runs").column("run_id").to_pylist()) == ["r1", "r3"]


def test_empty_part_removes_only_that_part(store, root):
    """An empty part removes its file; the day's folder goes with the last part."""
    store.replace_day(DAY1, {("runs", SLUG): runs("r1"), ("runs", OTHER_SLUG): runs("r2")})
    store.replace_day(DAY1, {("runs", SLUG): runs()})
    assert store.read_table("runs").column("run_id").to_pylist() == ["r2"]
    store.replace_day(DAY1, {("runs", OTHER_SLUG): runs()})
    assert store.list_tables() == []
    assert not os.path.exists(os.path.join(root, "runs"))


def test_part_into_a_whole_day_is_refused(store):
    """Writing a part into a day that holds a whole-day file raises StorageError instead of duplicating."""
    store.replace_day(DAY1, {"runs": runs("r1")})
    with pytest.raises(StorageError, match="whole-day"):
        store.replace_day(DAY1, {("runs", SLUG): runs("r1")})
    assert store.read_table("runs").column("run_id").to_pylist() == ["r1"]


def test_whole_day_write_replaces_the_parts(store, root):
    """Writing a day whole removes the parts it supersedes."""
    store.replace_day(DAY1, {("runs", SLUG): runs("r1"), ("runs", OTHER_SLUG): runs("r2")})
    store.replace_day(DAY1, {"runs": runs("r1", "r2")})
    assert parquet_files(root) == ["runs/run_date=2024-05-01/part-0.parquet"]


def test_table_given_whole_and_in_parts_is_refused(store):
    """One call cannot write a table both whole and in parts."""
    with pytest.raises(ValueError, match="both whole and in parts"):
        store.replace_day(DAY1, {"runs": runs("r1"), ("runs", SLUG): runs("r2")})


@pytest.mark.parametrize("name", ["run_date", "RUN_DATE"])
def test_run_date_column_is_refused_before_anything_is_written(store, name):
    """A table with a run_date column raises StorageError and no table of the call is written."""
    bad = records("a").append_column(name, pa.array(["2024-05-01"]))
    with pytest.raises(StorageError, match="run_date"):
        store.replace_day(DAY1, {"runs": runs("r1"), RECORDS: bad})
    assert store.list_tables() == []


def test_columns_equal_but_for_case_are_refused(store):
    """Two columns whose names differ only in case raise StorageError (DuckDB could not tell them apart)."""
    with pytest.raises(StorageError, match="collide"):
        store.replace_day(DAY1, {RECORDS: pa.table({"Total": [1], "total": [2]})})


def test_datetime_run_date_is_refused(store):
    """A datetime is not accepted where the UTC day is expected."""
    with pytest.raises(TypeError, match=r"datetime\.date"):
        store.replace_day(datetime(2024, 5, 1, tzinfo=UTC), {RECORDS: records("a")})


@pytest.mark.parametrize(
    "table",
    [
        pytest.param("../escape", id="dot-dot"),
        pytest.param("/absolute", id="absolute"),
        pytest.param("agents//records", id="empty-component"),
        pytest.param("runs/run_date=2024-05-01", id="partition-like"),
        pytest.param(".hidden", id="hidden"),
        pytest.param("_private", id="underscore"),
        pytest.param("", id="empty"),
        pytest.param("a b", id="space"),
    ],
)
def test_malformed_table_paths_are_refused(store, table):
    """A table path that could escape the root or confuse readers raises ValueError."""
    with pytest.raises(ValueError, match="table path"):
        store.replace_day(DAY1, {table: records("a")})


def test_values_must_be_tables_or_dataframes(store):
    """Anything but a pyarrow Table or a pandas DataFrame raises TypeError."""
    with pytest.raises(TypeError, match="DataFrame"):
        store.replace_day(DAY1, {RECORDS: [{"_row_id": "a"}]})


def test_dataframe_lands_exactly_like_the_equivalent_table(tmp_path):
    """An Arrow-backed DataFrame gives the same bytes as the Table it was made from."""
    table = records("a", "b")
    from_table = ParquetStore(tmp_path / "t").replace_day(DAY1, {RECORDS: table})[0]
    from_frame = ParquetStore(tmp_path / "f").replace_day(
        DAY1, {RECORDS: table.to_pandas(types_mapper=pd.ArrowDtype)}, schemas={RECORDS: RECORD_SCHEMA}
    )[0]
    assert from_frame.schema.equals(RECORD_SCHEMA, check_metadata=True)
    assert _bytes(from_frame.uri) == _bytes(from_table.uri)


def test_dataframe_without_schema_keeps_its_arrow_dtypes(store):
    """A DataFrame without a declared schema lands with the Arrow types of its dtypes."""
    frame = pd.DataFrame({"n": pd.array([1, None], dtype="int32[pyarrow]")}, index=[7, 9])
    [written] = store.replace_day(DAY1, {RECORDS: frame})
    assert written.schema == pa.schema([("n", pa.int32())])


def test_identical_input_gives_identical_bytes(tmp_path):
    """Writing the same table twice, anywhere, gives byte-identical files."""
    table = records("a", "b", "c")
    first = ParquetStore(tmp_path / "one").replace_day(DAY1, {RECORDS: table})[0]
    second = ParquetStore(tmp_path / "two").replace_day(DAY1, {RECORDS: table})[0]
    assert _bytes(first.uri) == _bytes(second.uri)


def test_files_use_zstd_statistics_and_the_row_group_size(tmp_path):
    """Files are zstd-compressed, carry statistics and split rows into row groups of the configured size."""
    store = ParquetStore(tmp_path, row_group_size=2)
    [written] = store.replace_day(DAY1, {RECORDS: records("a", "b", "c")})
    meta = pq.read_metadata(written.uri.removeprefix("file://"))
    assert meta.num_row_groups == 2
    column = meta.row_group(0).column(0)
    assert column.compression == "ZSTD"
    assert column.statistics.has_min_max


def test_timestamps_are_stored_in_microseconds_with_their_zone(store):
    """Nanosecond timestamps without sub-microsecond digits are stored as microseconds, zone kept."""
    moments = pa.array([1_714_521_600_123_456_000], pa.timestamp("ns", tz="UTC"))
    [written] = store.replace_day(DAY1, {"runs": pa.table({"created_at": moments})})
    assert written.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert store.read_table("runs").column("created_at")[0].value == 1_714_521_600_123_456


def test_timestamps_that_would_lose_nanoseconds_fail_loudly(store):
    """A timestamp with sub-microsecond digits raises StorageError instead of being truncated."""
    moments = pa.array([1_714_521_600_123_456_789], pa.timestamp("ns", tz="UTC"))
    with pytest.raises(StorageError, match="would lose data") as caught:
        store.replace_day(DAY1, {"runs": pa.table({"created_at": moments})})
    assert isinstance(caught.value.__cause__, pa.ArrowInvalid)
    assert store.list_tables() == []


def test_all_null_column_keeps_its_declared_type(store):
    """A column with only nulls is stored with the type the Arrow schema declares."""
    schema = pa.schema(
        [("_row_id", pa.string()), ("due", pa.timestamp("us", tz="UTC")), ("total", pa.decimal128(12, 2))]
    )
    table = pa.table({"_row_id": ["a"], "due": [None], "total": [None]}, schema=schema)
    store.replace_day(DAY1, {RECORDS: table})
    assert store.table_schema(RECORDS) == schema


def test_unwritable_root_raises_storage_error(tmp_path):
    """A root below a regular file raises StorageError naming the file's URL, with the OS error chained."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    store = ParquetStore(blocker / "data")
    with pytest.raises(StorageError, match=r"cannot write file://.*part-0\.parquet") as caught:
        store.replace_day(DAY1, {RECORDS: records("a")})
    assert isinstance(caught.value.__cause__, OSError)


def _bytes(uri):
    with open(uri.removeprefix("file://"), "rb") as handle:
        return handle.read()


@pytest.mark.parametrize("entry", ["../", "agents/../x", "", "/"])
def test_malformed_scope_entries_are_refused(store, entry):
    """A scope entry that is not a table-path prefix raises ValueError before anything is removed."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    with pytest.raises(ValueError, match="table path"):
        store.replace_day(DAY1, {}, scope=[entry])
    assert store.list_days(RECORDS) == [DAY1]


def test_scope_may_be_a_single_string(store):
    """A single scope string is one entry, not a sequence of characters."""
    store.replace_day(DAY1, {RECORDS: records("a"), "runs": runs("r1")})
    store.replace_day(DAY1, {}, scope="runs")
    assert store.list_tables() == [RECORDS]


def test_removing_a_part_spares_another_writers_temporary_file(store, root):
    """A part removed while another part's writer has its temporary file in the day keeps that file."""
    store.replace_day(DAY1, {("runs", SLUG): runs("r1")})
    folder = os.path.join(root, "runs", "run_date=2024-05-01")
    in_flight = os.path.join(folder, f".{OTHER_SLUG}.parquet.0123abcd.tmp")
    pq.write_table(runs("r2"), in_flight)
    store.replace_day(DAY1, {("runs", SLUG): runs()})
    assert os.listdir(folder) == [os.path.basename(in_flight)]


def test_writing_a_part_spares_another_parts_temporary_file(store, root):
    """Writing one part sweeps only that part's leftovers, not another writer's file in flight."""
    folder = os.path.join(root, "runs", "run_date=2024-05-01")
    os.makedirs(folder)
    mine = os.path.join(folder, f".{SLUG}.parquet.0123abcd.tmp")
    theirs = os.path.join(folder, f".{OTHER_SLUG}.parquet.4567cdef.tmp")
    for path in (mine, theirs):
        pq.write_table(runs("ghost"), path)
    store.replace_day(DAY1, {("runs", SLUG): runs("r1")})
    assert sorted(os.listdir(folder)) == sorted([f"{SLUG}.parquet", os.path.basename(theirs)])


def test_known_tables_are_the_only_tables_checked(store):
    """With known_tables, the scope is not walked: a table in scope the caller did not name keeps its day."""
    store.replace_day(DAY1, {RECORDS: records("a"), LINE_ITEMS: records("x")})
    store.replace_day(DAY1, {RECORDS: records("b")}, scope=[f"agents/{SLUG}/"], known_tables=[RECORDS])
    assert store.list_days(LINE_ITEMS) == [DAY1]
