"""A failed write leaves the previous version of the day intact and readable, and no temporary file behind."""

from __future__ import annotations

import glob
import os

import pyarrow.parquet as pq
import pytest

from llamacloud_etl.errors import StorageError
from llamacloud_etl.query import open_dataset
from llamacloud_etl.storage import ParquetStore

from .helpers import DAY1, RECORDS, records


class WriterCrash(OSError):
    """Raised by the injected writer after it has written part of a file."""


@pytest.fixture
def crashing_writer(monkeypatch):
    """Make pyarrow's write_table write some bytes of a file and then fail."""

    def write_half(table, where, **kwargs):
        data = b"PAR1" + b"\0" * 1000
        if isinstance(where, str):
            with open(where, "wb") as handle:
                handle.write(data)
        else:
            where.write(data)
        raise WriterCrash("disk on fire")

    monkeypatch.setattr(pq, "write_table", write_half)


def folder_of(root, table=RECORDS):
    return os.path.join(root, table, "run_date=2024-05-01")


def test_failed_local_write_keeps_the_old_file(store, root, monkeypatch):
    """A writer that fails midway leaves the previous file byte-identical and readable."""
    store.replace_day(DAY1, {RECORDS: records("a", "b")})
    final = os.path.join(folder_of(root), "part-0.parquet")
    with open(final, "rb") as handle:
        before = handle.read()

    def write_half(table, where, **kwargs):
        with open(where, "wb") as handle:
            handle.write(before[:100])
        raise WriterCrash("disk on fire")

    monkeypatch.setattr(pq, "write_table", write_half)
    with pytest.raises(StorageError, match="disk on fire") as caught:
        store.replace_day(DAY1, {RECORDS: records("c")})
    monkeypatch.undo()
    assert isinstance(caught.value.__cause__, WriterCrash)
    with open(final, "rb") as handle:
        assert handle.read() == before
    assert store.read_table(RECORDS).column("_row_id").to_pylist() == ["a", "b"]


@pytest.mark.usefixtures("crashing_writer")
def test_failed_local_write_removes_its_temporary_file(store, root):
    """After a failed write the partition folder holds no temporary file."""
    with pytest.raises(StorageError):
        store.replace_day(DAY1, {RECORDS: records("c")})
    assert os.listdir(folder_of(root)) == []


def test_failed_first_write_leaves_nothing_for_readers(store, root, crashing_writer):
    """A day whose first write fails shows no file to a *.parquet glob, the store or DuckDB."""
    with pytest.raises(StorageError):
        store.replace_day(DAY1, {RECORDS: records("a")})
    assert glob.glob(os.path.join(root, "**", "*.parquet"), recursive=True) == []
    assert store.list_tables() == []
    with open_dataset(root) as con:
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchall() == [(0,)]


def test_failed_rename_keeps_the_old_file_and_cleans_up(store, root, monkeypatch):
    """If the final rename fails, the old file stays and the temporary file is removed."""
    store.replace_day(DAY1, {RECORDS: records("a")})

    def refuse(src, dst):
        raise PermissionError(13, "rename refused", dst)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(StorageError, match="rename refused"):
        store.replace_day(DAY1, {RECORDS: records("b")})
    monkeypatch.undo()
    assert os.listdir(folder_of(root)) == ["part-0.parquet"]
    assert store.read_table(RECORDS).column("_row_id").to_pylist() == ["a"]


def test_temporary_files_are_invisible_and_swept_by_the_next_write(store, root):
    """A killed writer's temporary file is skipped by readers' globs and removed by the next write."""
    store.replace_day(DAY1, {RECORDS: records("a")})
    leftover = os.path.join(folder_of(root), ".part-0.parquet.0123abcd.tmp")
    pq.write_table(records("ghost"), leftover)
    assert glob.glob(os.path.join(folder_of(root), "*.parquet")) == [
        os.path.join(folder_of(root), "part-0.parquet")
    ]
    with open_dataset(root) as con:
        assert con.execute("SELECT _row_id FROM invoices_eu_records").fetchall() == [("a",)]
    store.replace_day(DAY1, {RECORDS: records("b")})
    assert os.listdir(folder_of(root)) == ["part-0.parquet"]


def test_failed_remote_write_keeps_the_old_object(memory_root, monkeypatch):
    """On an object store a failed write never reaches the key: the old object stays as it was."""
    store = ParquetStore(memory_root)
    store.replace_day(DAY1, {RECORDS: records("a", "b")})
    before = store.fs.cat_file(f"{store.path}/{RECORDS}/run_date=2024-05-01/part-0.parquet")

    def write_half(table, where, **kwargs):
        where.write(b"PAR1")
        raise WriterCrash("connection reset")

    monkeypatch.setattr(pq, "write_table", write_half)
    with pytest.raises(StorageError, match="connection reset"):
        store.replace_day(DAY1, {RECORDS: records("c")})
    monkeypatch.undo()
    assert store.fs.find(store.path) == [f"{store.path}/{RECORDS}/run_date=2024-05-01/part-0.parquet"]
    assert store.fs.cat_file(f"{store.path}/{RECORDS}/run_date=2024-05-01/part-0.parquet") == before


def test_folder_pruned_by_a_concurrent_remove_is_made_again(store, root, monkeypatch):
    """If another process prunes the new partition folder before the file exists, the write still lands."""
    real_makedirs = os.makedirs
    calls = []

    def makedirs_then_pruned(path, mode=0o777, exist_ok=False):
        real_makedirs(path, mode, exist_ok)
        if str(path).endswith("run_date=2024-05-01"):
            calls.append(path)
            if len(calls) == 1:
                os.rmdir(path)

    monkeypatch.setattr(os, "makedirs", makedirs_then_pruned)
    store.replace_day(DAY1, {RECORDS: records("a")})
    monkeypatch.undo()
    assert len(calls) == 2
    assert store.read_table(RECORDS).column("_row_id").to_pylist() == ["a"]
