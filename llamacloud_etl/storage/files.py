"""Putting one Parquet file in place atomically: locally by rename, on object stores by one PUT.

A reader of the dataset must never see half a file, nor a moment where a rewritten day has no
file. How that is reached depends on what the storage guarantees:

* **Local disk**: the file is written to a hidden temporary name in its partition folder
  (``.part-0.parquet.<hex>.tmp``: starts with ``.``, does not end in ``.parquet``, so no
  reader's ``*.parquet`` glob sees it), fsynced, and renamed onto its final name with
  :func:`os.replace`, which is atomic on POSIX and Windows. A failed write removes its temporary
  file; a process killed mid-write leaves one, which the next write to that folder sweeps away.
* **Object stores** (any other fsspec filesystem): the file is serialised in memory and PUT to
  its final key in one request, which object stores make visible atomically. A failure before
  the PUT leaves the old object as it was. The price is holding one file in memory, which for
  one table-day of extraction records is small.

Either write may be conditional on the file in place being a given version (compare-and-swap);
locally every rename then happens under the day folder's lock. See
:mod:`llamacloud_etl.storage.versions`.

Parquet settings: zstd, row groups of 128 Ki rows, statistics on, format 2.6, the Arrow schema
stored in the footer so types (time zones, large strings, dictionaries) round-trip. Timestamps
are stored in microseconds (DuckDB's, Spark's and most engines' precision); nanoseconds that the
cast would lose are **an error**, not silently truncated: API timestamps carry at most
microseconds, so lost digits mean a bug upstream. Time-zone-aware timestamps are stored as UTC
instants (Parquet ``isAdjustedToUTC=true``) with their zone kept in the Arrow schema; naive ones
as they are. Identical input gives byte-identical files: pyarrow writes no clock or random value,
and its ``created_by`` field depends only on its version.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import pyarrow as pa
import pyarrow.parquet as pq

from llamacloud_etl.storage.layout import is_temp_file, temp_file_name
from llamacloud_etl.storage.versions import (
    PROCESS_LOCK,
    FileVersion,
    VersionMismatch,
    is_s3,
    local_version,
    locked_folder,
    put_if_match,
    remote_version,
)

Compression: TypeAlias = Literal["zstd", "snappy", "gzip", "brotli", "lz4", "none"]
DEFAULT_ROW_GROUP_SIZE = 128 * 1024


@dataclass(frozen=True)
class TableStream:
    """A table too big to hold at once: its schema, its rows, and its pieces read on request.

    Written as one file with (at least) one row group per piece; every piece has ``schema``.
    ``pieces`` is called once per write.
    """

    schema: pa.Schema
    num_rows: int
    pieces: Callable[[], Iterable[pa.Table]]


@dataclass(frozen=True)
class ParquetOptions:
    """How files are encoded; see the module docstring for the fixed choices."""

    compression: Compression = "zstd"
    compression_level: int | None = None
    row_group_size: int = DEFAULT_ROW_GROUP_SIZE

    def write(self, data: pa.Table | TableStream, where: str | pa.NativeFile) -> None:
        """Encode ``data`` with its own schema into ``where`` (a local path or an Arrow stream)."""
        if isinstance(data, TableStream):
            with pq.ParquetWriter(where, data.schema, **self._settings()) as writer:
                for piece in data.pieces():
                    writer.write_table(piece, row_group_size=self.row_group_size)
            return
        pq.write_table(data, where, row_group_size=self.row_group_size, **self._settings())

    def _settings(self) -> dict[str, Any]:
        return {
            "version": "2.6",
            "compression": self.compression,
            "compression_level": self.compression_level,
            "write_statistics": True,
            "coerce_timestamps": "us",
            "allow_truncated_timestamps": False,
            "store_schema": True,
        }


def commit_local(
    options: ParquetOptions,
    data: pa.Table | TableStream,
    directory: str,
    name: str,
    expected: FileVersion | None = None,
) -> tuple[pa.Schema, int]:
    """Write ``directory/name`` on local disk through a temporary file and an atomic rename.

    The rename happens under the day folder's lock (:func:`~llamacloud_etl.storage.versions.locked_folder`);
    with ``expected``, only if the file in place is still that version. A conditional write is a
    guest in another writer's day: it sweeps no temporary file, and its own being swept (the day's
    owner writing it now) or its folder removed counts as the file having changed.

    Returns:
        The schema as stored and the file's size.

    Raises:
        VersionMismatch: ``expected`` is given and the file changed, or the folder was removed.
    """
    final = posixpath.join(directory, name)
    if expected is None:
        temp = _create_temp_file(directory, name)
    else:  # the day must still exist: a guest neither makes its folder again nor sweeps it
        try:
            temp = posixpath.join(directory, temp_file_name(name, uuid.uuid4().hex))
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileNotFoundError as exc:
            raise VersionMismatch(final) from exc
    try:
        options.write(data, temp)
        _fsync_file(temp)
        schema = pq.read_schema(temp)
        num_bytes = os.path.getsize(temp)
        _replace_locked(temp, final, expected)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.remove(temp)
        if expected is not None and isinstance(exc, FileNotFoundError):
            raise VersionMismatch(final) from exc
        raise
    _fsync_dir(directory)
    return schema, num_bytes


def _replace_locked(temp: str, final: str, expected: FileVersion | None) -> None:
    """Rename ``temp`` onto ``final`` under the folder's lock; if ``expected``, only onto that version."""
    with locked_folder(posixpath.dirname(final)):
        if expected is not None and local_version(final) != expected:
            raise VersionMismatch(final)
        os.replace(temp, final)


def commit_remote(
    fs: Any,
    options: ParquetOptions,
    data: pa.Table | TableStream,
    directory: str,
    name: str,
    expected: FileVersion | None = None,
) -> tuple[pa.Schema, int]:
    """Write ``directory/name`` on an fsspec filesystem in one PUT of the finished file.

    With ``expected``, only if the object in place is still that version (see
    :mod:`llamacloud_etl.storage.versions` for how each filesystem makes that atomic).

    Returns:
        The schema as stored and the file's size.

    Raises:
        VersionMismatch: ``expected`` is given and the object changed or is gone.
    """
    sink = pa.BufferOutputStream()
    options.write(data, sink)
    buffer = sink.getvalue()
    schema = pq.read_schema(pa.BufferReader(buffer))
    path = f"{directory}/{name}"
    if is_s3(fs):
        if expected is None:
            fs.pipe_file(path, buffer.to_pybytes())
        else:
            put_if_match(fs, path, buffer.to_pybytes(), expected)
        return schema, buffer.size
    with PROCESS_LOCK:
        if expected is not None and remote_version(fs, path) != expected:
            raise VersionMismatch(path)
        fs.pipe_file(path, buffer.to_pybytes())
    return schema, buffer.size


def _create_temp_file(directory: str, name: str, attempts: int = 3) -> str:
    """Create the partition folder and an empty temporary file in it; return the file's path.

    Another process removing a day may prune the table's folder when it looks empty, while our
    ``makedirs`` runs or before the file is created; then the folders are made again. Once the temporary file
    exists the folder is not empty, so no prune can take it away.
    """
    for attempt in range(attempts):
        temp = posixpath.join(directory, temp_file_name(name, uuid.uuid4().hex))
        try:
            os.makedirs(directory, exist_ok=True)
            if attempt == 0:
                sweep_temp_files(directory, name)
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
            continue
        return temp
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def sweep_temp_files(directory: str, name: str) -> None:
    """Remove temporary files that a killed writer of ``name`` left in a local partition folder.

    Only ``name``'s: writers of other parts of a shared day (other agents, perhaps in other
    processes) may be writing theirs right now. Two processes writing the same part of a day at
    once are not supported: the later one may sweep the other's temporary file, which then fails
    with an error instead of landing.
    """
    with os.scandir(directory) as entries:
        for entry in entries:
            if is_temp_file(entry.name, name) and entry.is_file():
                with contextlib.suppress(FileNotFoundError):
                    os.remove(entry.path)


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: str) -> None:
    """Make the rename durable; platforms that cannot open a folder (Windows) skip it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
