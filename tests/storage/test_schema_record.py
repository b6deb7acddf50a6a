"""The schema record of a table: versions created only if free, and updates that survive lost races."""

from __future__ import annotations

import threading

import pyarrow as pa
import pytest

from llamacloud_etl.storage import SCHEMA_FOLDER, ParquetStore, SchemaRecords

from .helpers import RECORDS

BASE = pa.schema([("_row_id", pa.string()), ("a", pa.int64())])
WITH_B = pa.schema([*BASE, pa.field("b", pa.string())])
WITH_C = pa.schema([*BASE, pa.field("c", pa.float64())])


def union(current: pa.Schema | None, mine: pa.Schema) -> pa.Schema:
    """Columns of ``current`` first, then those of ``mine`` it lacks (enough for these tests)."""
    if current is None:
        return mine
    return pa.schema([*current, *(f for f in mine if f.name not in current.names)])


@pytest.fixture(params=["local", "memory", "s3"])
def any_store(request, root, memory_root) -> ParquetStore:
    """A store on local disk, on fsspec's memory filesystem, or in a bucket on moto's S3 server."""
    if request.param == "local":
        return ParquetStore(root)
    if request.param == "memory":
        return ParquetStore(memory_root)
    s3_root = request.getfixturevalue("s3_root")
    return ParquetStore(s3_root, storage_options=request.getfixturevalue("s3_options"))


def test_a_version_is_created_once_and_read_back(any_store: ParquetStore) -> None:
    """Publishing a version that exists already fails, and the first one stays the one read back."""
    records = any_store.schema_records
    assert records.read(RECORDS) is None
    assert records.publish(RECORDS, 1, BASE) is True
    assert records.publish(RECORDS, 1, WITH_B) is False
    current = records.read(RECORDS)
    assert current is not None and current.version == 1 and current.schema.equals(BASE)


def test_the_highest_version_is_current(any_store: ParquetStore) -> None:
    """Of several versions, the one with the highest number is read."""
    records = any_store.schema_records
    records.publish(RECORDS, 1, BASE)
    records.publish(RECORDS, 2, WITH_B)
    current = records.read(RECORDS)
    assert current is not None and (current.version, current.schema.names) == (2, WITH_B.names)


def test_an_update_that_changes_nothing_publishes_nothing(any_store: ParquetStore) -> None:
    """Merging a schema the record holds already keeps its version."""
    records = any_store.schema_records
    records.update(RECORDS, lambda current: union(current, BASE))
    assert records.update(RECORDS, lambda current: union(current, BASE)).version == 1


def test_a_lost_race_is_retried_on_the_winners_version(any_store: ParquetStore) -> None:
    """A writer whose version was taken meanwhile re-reads the record and publishes the union next."""
    records = any_store.schema_records
    records.publish(RECORDS, 1, BASE)
    seen: list[list[str] | None] = []

    def merge(current: pa.Schema | None) -> pa.Schema:
        seen.append(None if current is None else current.names)
        if len(seen) == 1:  # another writer publishes version 2 between our read and our publish
            assert SchemaRecords(any_store.fs, any_store.path, is_local=any_store.is_local).publish(
                RECORDS, 2, WITH_C
            )
        return union(current, WITH_B)

    result = records.update(RECORDS, merge)
    assert seen == [BASE.names, WITH_C.names]
    assert (result.version, result.schema.names) == (3, ["_row_id", "a", "c", "b"])
    assert records.read(RECORDS) == result


@pytest.fixture(params=["local", "memory"])
def atomic_store(request, root, memory_root) -> ParquetStore:
    """A store whose create-if-absent is atomic under concurrent writers.

    Not moto's S3 server: its ``If-None-Match: *`` check and its write are two steps without a lock
    (``moto/s3/responses.py``: ``get_object(...) is not None``, then ``put_object``), so two threads
    can both create one key there, which real S3 refuses. On S3 the lost race is tested injected.
    """
    return ParquetStore(root) if request.param == "local" else ParquetStore(memory_root)


def test_concurrent_updates_keep_every_column(atomic_store: ParquetStore) -> None:
    """Eight writers each adding a column at once leave a record with all eight."""
    records = atomic_store.schema_records
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def add(n: int) -> None:
        mine = pa.schema([*BASE, pa.field(f"c{n}", pa.string())])
        try:
            barrier.wait()
            records.update(RECORDS, lambda current: union(current, mine))
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    current = records.read(RECORDS)
    assert errors == []
    assert current is not None and set(current.schema.names) == {*BASE.names, *(f"c{n}" for n in range(8))}


def test_the_record_is_no_table_and_no_data_file(any_store: ParquetStore) -> None:
    """A table with only a record is not listed, and the record never shows among a table's days."""
    any_store.schema_records.publish(RECORDS, 1, BASE)
    assert any_store.list_tables() == []
    assert any_store.list_days(RECORDS) == []
    assert any_store.schema_records.folder(RECORDS).endswith(f"{RECORDS}/{SCHEMA_FOLDER}")
