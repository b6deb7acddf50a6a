"""ParquetStore.read_day_versioned and replace_day_if: a day replaced only if its file is the one read."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from llamacloud_etl.errors import StorageError
from llamacloud_etl.storage import ParquetStore
from llamacloud_etl.storage.versions import locked_folder

from .helpers import DAY1, RECORDS, records


@pytest.fixture(params=["local", "memory", "s3"])
def stores(request: pytest.FixtureRequest, root: str) -> tuple[ParquetStore, ParquetStore]:
    """Two stores over one root (two writers): local, ``memory://`` or a bucket on moto's S3 server."""
    url, options = root, {}
    if request.param == "memory":
        url = request.getfixturevalue("memory_root")
    elif request.param == "s3":
        url, options = request.getfixturevalue("s3_root"), request.getfixturevalue("s3_options")
    return ParquetStore(url, storage_options=options), ParquetStore(url, storage_options=options)


def row_ids(store: ParquetStore) -> list[Any]:
    """The day's ``_row_id`` values."""
    return store.read_table(RECORDS, days=[DAY1]).column("_row_id").to_pylist()


def test_replace_day_if_replaces_the_version_read(stores: tuple[ParquetStore, ParquetStore]) -> None:
    """A day unchanged since it was read is replaced."""
    mine, _ = stores
    mine.replace_day(DAY1, {RECORDS: records("a")})
    data, version = mine.read_day_versioned(RECORDS, DAY1)
    assert version is not None and data.column("_row_id").to_pylist() == ["a"]
    written = mine.replace_day_if(DAY1, RECORDS, records("a", "b"), version)
    assert written is not None and written.row_count == 2 and row_ids(mine) == ["a", "b"]


def test_replace_day_if_leaves_a_day_another_writer_replaced(
    stores: tuple[ParquetStore, ParquetStore],
) -> None:
    """A day another writer replaced after the read keeps that writer's rows, and None is returned."""
    mine, theirs = stores
    mine.replace_day(DAY1, {RECORDS: records("a")})
    _, version = mine.read_day_versioned(RECORDS, DAY1)
    theirs.replace_day(DAY1, {RECORDS: records("a", "new")})
    assert version is not None and mine.replace_day_if(DAY1, RECORDS, records("a"), version) is None
    assert row_ids(mine) == ["a", "new"]


def test_replace_day_if_does_not_bring_back_a_removed_day(stores: tuple[ParquetStore, ParquetStore]) -> None:
    """A day another writer removed after the read stays removed."""
    mine, theirs = stores
    mine.replace_day(DAY1, {RECORDS: records("a")})
    _, version = mine.read_day_versioned(RECORDS, DAY1)
    theirs.replace_day(DAY1, {RECORDS: records()})
    assert version is not None and mine.replace_day_if(DAY1, RECORDS, records("a"), version) is None
    assert mine.list_days(RECORDS) == [] and mine.read_day_versioned(RECORDS, DAY1)[1] is None


def test_read_day_versioned_refuses_a_day_written_in_parts(store: ParquetStore) -> None:
    """A day written in parts has no one version to replace."""
    store.replace_day(DAY1, {(RECORDS, "agent-a"): records("a")})
    with pytest.raises(StorageError, match="in parts"):
        store.read_day_versioned(RECORDS, DAY1)


def test_a_local_write_waits_for_the_day_folders_lock(store: ParquetStore, root: str) -> None:
    """A local write renames its file into place only while no conditional write holds the day's lock."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    folder = f"{root}/{RECORDS}/run_date={DAY1.isoformat()}"
    writer = threading.Thread(target=store.replace_day, args=(DAY1, {RECORDS: records("b")}))
    with locked_folder(folder):
        writer.start()
        writer.join(timeout=0.5)
        assert writer.is_alive() and row_ids(store) == ["a"]
    writer.join()
    assert row_ids(store) == ["b"]
