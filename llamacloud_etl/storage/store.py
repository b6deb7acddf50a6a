"""The Parquet dataset: one atomic file per table and day (or per named part of a day).

Every operation goes through one fsspec filesystem made from the root URL, so a local folder,
``s3://bucket/prefix`` or ``memory://x`` run the same code; only the final step of a write
differs (see :mod:`llamacloud_etl.storage.files`). After a file is in place, the files it
supersedes are deleted, so rewriting a day never leaves a duplicate row, and never a moment
without the day's rows. This module writes; reading (and the paths both sides share) is in
:mod:`llamacloud_etl.storage.reading`, the base class of :class:`ParquetStore`. The layout is in
:mod:`llamacloud_etl.storage.layout`, how it is listed cheaply in :mod:`llamacloud_etl.storage.listing`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, get_args

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from llamacloud_etl.errors import StorageError
from llamacloud_etl.storage.files import (
    DEFAULT_ROW_GROUP_SIZE,
    Compression,
    ParquetOptions,
    TableStream,
    commit_local,
    commit_remote,
    sweep_temp_files,
)
from llamacloud_etl.storage.layout import (
    PARTITION_KEY,
    WHOLE_DAY_FILE,
    check_day,
    check_part,
    check_scope_entry,
    check_table_path,
    in_scope,
    is_data_file,
    is_temp_file,
    part_file_name,
    partition_name,
)
from llamacloud_etl.storage.listing import day_data_files, list_files, walk_tables
from llamacloud_etl.storage.reading import TableReader, arrow_schema
from llamacloud_etl.storage.schema_record import SchemaRecords
from llamacloud_etl.storage.versions import (
    FileVersion,
    VersionMismatch,
    locked_folder,
    remote_version,
    stat_version,
)

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # pandas is imported only to convert a DataFrame: landing never needs it
    import pandas as pd

TableLike: TypeAlias = "pa.Table | pd.DataFrame | TableStream"
TableKey = TypeVar("TableKey", bound="str | tuple[str, str]")


@dataclass(frozen=True, slots=True)
class WrittenPartition:
    """One file that :meth:`ParquetStore.replace_day` wrote.

    Attributes:
        table: the table path (``runs``, ``agents/<slug>/records``).
        run_date: the day partition.
        uri: the full URL of the file (``file:///...``, ``s3://...``, ``memory://...``).
        row_count: rows in the file.
        num_bytes: size of the file.
        schema: the Arrow schema as stored (timestamps in microseconds, list items named ``item``).
        part: the part name when the table-day is written in parts, None for a whole-day file.
    """

    table: str
    run_date: date
    uri: str
    row_count: int
    num_bytes: int
    schema: pa.Schema
    part: str | None = None


@dataclass(frozen=True)
class _Item:
    table: str
    part: str | None
    data: pa.Table | TableStream


class ParquetStore(TableReader):
    """A hive-partitioned Parquet dataset under one root, written one table-day at a time.

    Layout (see :mod:`llamacloud_etl.storage.layout`)::

        <root>/<table path>/run_date=YYYY-MM-DD/part-0.parquet

    The day is in the folder name only; files never hold a ``run_date`` column.

    Args:
        root: a local path or any fsspec URL (``s3://bucket/prefix``, ``memory://name``).
        storage_options: passed to the fsspec filesystem (credentials, endpoint, ...); never
            shown in messages or reprs.
        compression: Parquet codec.
        compression_level: codec level; the codec's default when None.
        row_group_size: most rows per row group.

    Attributes:
        root: the root as given, with any password in it masked.
        fs: the fsspec filesystem every operation goes through.
        path: the root's path on ``fs`` (no protocol).
        is_local: whether ``fs`` is the local disk (writes then go through rename, not PUT).
        options: the Parquet encoding settings.
        schema_records: the tables' schema records, which concurrent writers agree on schemas
            through (see :mod:`llamacloud_etl.storage.schema_record`).

    Raises:
        StorageError: the root's filesystem cannot be made (unknown protocol, missing driver
            such as s3fs).

    Examples:
        >>> import datetime, pyarrow as pa
        >>> store = ParquetStore("memory://doctest-store")
        >>> written = store.replace_day(datetime.date(2024, 5, 1), {"runs": pa.table({"id": [1, 2]})})
        >>> [(w.table, w.row_count) for w in written]
        [('runs', 2)]
        >>> store.list_days("runs")
        [datetime.date(2024, 5, 1)]
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        storage_options: Mapping[str, Any] | None = None,
        compression: Compression = "zstd",
        compression_level: int | None = None,
        row_group_size: int = DEFAULT_ROW_GROUP_SIZE,
    ) -> None:
        if compression not in get_args(Compression):
            raise ValueError(f"unknown compression {compression!r}; use one of {get_args(Compression)}")
        if row_group_size < 1:
            raise ValueError(f"row_group_size must be positive, not {row_group_size}")
        self.root = _redact(os.fspath(root))
        self.options = ParquetOptions(compression, compression_level, row_group_size)
        try:
            self.fs, path = fsspec.core.url_to_fs(os.fspath(root), **dict(storage_options or {}))
        except (ImportError, ValueError, TypeError) as exc:
            raise StorageError(f"cannot open the storage root {self.root}: {exc}") from exc
        self.path: str = path if path == "/" else path.rstrip("/")
        self.is_local = isinstance(self.fs, LocalFileSystem)
        self.schema_records = SchemaRecords(self.fs, self.path, is_local=self.is_local)
        # One object per distinct schema, shared by every file written in it: a landing keeps
        # the schema of each file it wrote, and a year of days must not hold a copy per file.
        self._schemas: dict[bytes, pa.Schema] = {}

    def __repr__(self) -> str:
        return f"ParquetStore({self.root!r})"

    # -- writing (the reading and the paths are in TableReader) ----------------------------------

    def replace_day(
        self,
        run_date: date,
        tables: Mapping[TableKey, TableLike],
        *,
        scope: Iterable[str] | None = None,
        schemas: Mapping[str, pa.Schema] | None = None,
        known_tables: Iterable[str] | None = None,
    ) -> list[WrittenPartition]:
        """Replace one day of the given tables, and remove that day from tables in scope that are not given.

        Each table-day is swapped atomically (see the module docstring); the call as a whole is
        not a transaction: if it fails midway, tables already swapped keep their new day and the
        others keep their old one, and re-running the call completes it.

        Args:
            run_date: the UTC day of the runs (the caller computes it from ``created_at``).
            tables: the data, keyed by table path (``"runs"``, ``"agents/<slug>/records"``) for a
                table written whole per day (one ``part-0.parquet``; every other file of that
                day is removed), or by ``(table path, part name)`` for a table that several
                writers share per day: only ``<part>.parquet`` is replaced, the day's other parts
                stay. A table is written either whole or in parts, never both in one day.
                Values are ``pyarrow.Table`` (written with its own schema, as is) or a pandas
                DataFrame (converted with ``schemas[table]`` when given, else from its dtypes,
                which are exact for Arrow-backed dtypes; pandas' own metadata is dropped so a
                DataFrame lands exactly like the equivalent Table) or a :class:`TableStream` (a
                table written piece by piece, one row group or more per piece, for a day too big
                to hold at once). **An empty table writes
                nothing and removes that day's file** (the whole day's folder, or that part):
                a day that now has no rows must not keep the rows of its previous version. The
                day's files are only gone, so the table's schema remains known from its other days.
            scope: table paths, or prefixes like ``"agents/<slug>/"``, that this call owns for the
                day: a table in scope that is not in ``tables`` but has this day on storage gets
                the day removed (for example an agent table whose records all vanished).
            schemas: Arrow schemas by table path, used only to convert DataFrames.
            known_tables: the tables in scope that can have this day, if the caller knows them
                (a landing does): checked instead of walking the scope (None: walk).

        Returns:
            One :class:`WrittenPartition` per file written, sorted by table path and part.

        Raises:
            StorageError: a file cannot be written or removed; a table has a column named
                ``run_date`` (the day lives in the path) or two columns whose names differ only
                in case (DuckDB's names are case-insensitive); a DataFrame cannot be converted;
                a part is written into a day that holds a whole-day file.
            ValueError: a table path, part or scope entry is malformed, or a table is given both
                whole and in parts.
            TypeError: ``run_date`` is not a date, or a value is not a Table, DataFrame or TableStream.
        """
        day = check_day(run_date)
        items = self._prepare(tables, schemas or {})
        scope_entries = [scope] if isinstance(scope, str) else list(scope or ())
        prefixes = [check_scope_entry(entry) for entry in scope_entries]
        written: list[WrittenPartition] = []
        for item in items:
            if item.data.num_rows == 0:
                self._remove(item.table, day, item.part)
            else:
                written.append(self._write(item, day))
        if prefixes:
            given = {item.table for item in items}
            if known_tables is None:
                walked = [walk_tables(self.fs, self.path, prefix).items() for prefix in prefixes]
                on_storage = {table for tables in walked for table, days in tables if day in days}
            else:  # maybe on storage: _remove checks, and removes only what is there
                on_storage = {t for t in known_tables if any(in_scope(t, p) for p in prefixes)}
            for table in sorted(on_storage - given):
                self._remove(table, day, None)
        return written

    def read_day_versioned(self, table_path: str, run_date: date) -> tuple[pa.Table, FileVersion | None]:
        """A day of a table written whole, and the version of its file, for :meth:`replace_day_if`.

        Returns:
            The day's rows and its file's version; an empty table and None when the day has no file.

        Raises:
            StorageError: the file cannot be read, or the day is written in parts (it has no one version).
        """
        table, day = check_table_path(table_path), check_day(run_date)
        directory = self._join(table, partition_name(day))
        path = f"{directory}/{WHOLE_DAY_FILE}"
        files = day_data_files(self.fs, self.path, table, day)
        if files and path not in files:
            raise StorageError(f"{self._uri_of(directory)} is written in parts: it has no one version")
        if not files:
            return self._empty_table(table, None), None
        try:
            if self.is_local:
                with open(path, "rb") as handle:
                    version = stat_version(os.fstat(handle.fileno()))
                    return pq.ParquetFile(handle).read(), version
            # The version first: the object read is then that one or a newer one, and a write
            # conditional on an older version fails.
            remote = remote_version(self.fs, path)
        except FileNotFoundError:  # replaced by an empty day since it was listed
            return self._empty_table(table, None), None
        except Exception as exc:
            raise StorageError(f"cannot read {self._uri_of(path)}: {exc}") from exc
        if remote is None:
            return self._empty_table(table, None), None
        return self._read_file(path, None), remote

    def replace_day_if(
        self, run_date: date, table_path: str, data: pa.Table, version: FileVersion
    ) -> WrittenPartition | None:
        """Replace a day of a table written whole, only if its file is still ``version`` (compare-and-swap).

        ``version`` comes from :meth:`read_day_versioned`. How each filesystem makes the check and
        the write one step is in :mod:`llamacloud_etl.storage.versions`.

        Returns:
            The file written; None when the day's file changed or went since it was read (then
            nothing is written: read the day again).

        Raises:
            StorageError: as :meth:`replace_day`.
            ValueError: ``data`` has no rows (there is nothing conditional about removing a day).
        """
        day = check_day(run_date)
        (item,) = self._prepare({table_path: data}, {})
        if item.data.num_rows == 0:
            raise ValueError(f"replace_day_if of {table_path} with no rows")
        try:
            return self._write(item, day, expected=version)
        except VersionMismatch:
            logger.info("%s of %s changed since it was read; not replaced", table_path, day)
            return None

    def _prepare(self, tables: Mapping[Any, TableLike], schemas: Mapping[str, pa.Schema]) -> list[_Item]:
        """Check and convert every input before anything is written, so bad input writes nothing."""
        items: list[_Item] = []
        for key, value in tables.items():
            if isinstance(key, str):
                table, part = check_table_path(key), None
            elif isinstance(key, tuple) and len(key) == 2:
                table, part = check_table_path(key[0]), check_part(key[1])
            else:
                raise TypeError(f"a table key is a table path or a (table path, part) pair, not {key!r}")
            data = self._to_arrow(table, value, schemas.get(table))
            self._check_columns(table, data)
            items.append(_Item(table, part, data))
        whole = {item.table for item in items if item.part is None}
        mixed = sorted(whole & {item.table for item in items if item.part is not None})
        if mixed:
            raise ValueError(f"table {mixed[0]!r} is given both whole and in parts")
        return sorted(items, key=lambda item: (item.table, item.part or ""))

    def _to_arrow(self, table: str, value: TableLike, schema: pa.Schema | None) -> pa.Table | TableStream:
        if isinstance(value, pa.Table | TableStream):
            return value
        import pandas as pd

        if isinstance(value, pd.DataFrame):
            try:
                converted = pa.Table.from_pandas(value, schema=schema, preserve_index=False)
            except (pa.ArrowException, ValueError, TypeError) as exc:
                raise StorageError(f"cannot convert the DataFrame for {self.uri(table)}: {exc}") from exc
            metadata = {k: v for k, v in (converted.schema.metadata or {}).items() if k != b"pandas"}
            return converted.replace_schema_metadata(metadata or None)
        kind = type(value).__name__
        raise TypeError(f"{table}: expected a pyarrow.Table, a pandas.DataFrame or a TableStream, not {kind}")

    def _check_columns(self, table: str, data: pa.Table | TableStream) -> None:
        seen: dict[str, str] = {}
        for name in data.schema.names:
            folded = name.casefold()
            if folded == PARTITION_KEY:
                raise StorageError(
                    f"{self.uri(table)}: the table has a column named {name!r}; the day lives in the "
                    f"folder name ({PARTITION_KEY}=YYYY-MM-DD), so files must not carry it"
                )
            if folded in seen:
                raise StorageError(
                    f"{self.uri(table)}: columns {seen[folded]!r} and {name!r} collide "
                    "(column names are compared case-insensitively by DuckDB)"
                )
            seen[folded] = name

    def _write(self, item: _Item, day: date, expected: FileVersion | None = None) -> WrittenPartition:
        directory = self._join(item.table, partition_name(day))
        name = part_file_name(item.part)
        uri = self._uri_of(f"{directory}/{name}")
        try:
            if item.part is not None and f"{directory}/{WHOLE_DAY_FILE}" in list_files(self.fs, directory):
                raise StorageError(
                    f"cannot write {uri}: its day holds a whole-day {WHOLE_DAY_FILE}; a table is "
                    "written either whole per day or in parts, and mixing them would duplicate rows"
                )
            if self.is_local:
                schema, num_bytes = commit_local(self.options, item.data, directory, name, expected)
            else:
                schema, num_bytes = commit_remote(self.fs, self.options, item.data, directory, name, expected)
            if item.part is None:
                self._delete_superseded(directory, keep=name)
        except (StorageError, VersionMismatch):
            raise
        except Exception as exc:
            raise StorageError(f"cannot write {uri}: {exc}") from exc
        logger.info("wrote %s (%d rows, %d bytes)", uri, item.data.num_rows, num_bytes)
        return WrittenPartition(
            table=item.table,
            run_date=day,
            uri=uri,
            row_count=item.data.num_rows,
            num_bytes=num_bytes,
            schema=self._interned(arrow_schema(schema)),
            part=item.part,
        )

    def _interned(self, schema: pa.Schema) -> pa.Schema:
        """The one shared object equal to ``schema``, metadata included."""
        return self._schemas.setdefault(schema.serialize().to_pybytes(), schema)

    def _delete_superseded(self, directory: str, *, keep: str) -> None:
        for path in list_files(self.fs, directory):
            name = posixpath.basename(path)
            if name != keep and (is_data_file(name) or is_temp_file(name)):
                self.fs.rm_file(path)

    def _remove(self, table: str, day: date, part: str | None) -> None:
        """Remove a day of a table, or one part of it; the day's folder goes once it is empty.

        A part is removed alone, never with its folder: writers of the day's other parts (other
        agents, perhaps in other processes) may have a temporary file in it right now.
        """
        directory = self._join(table, partition_name(day))
        target = directory if part is None else f"{directory}/{part_file_name(part)}"
        uri = self._uri_of(target)
        try:
            if part is not None:
                if target in list_files(self.fs, directory):
                    self.fs.rm_file(target)
                    logger.info("removed %s", uri)
                if self.is_local and os.path.isdir(directory):
                    sweep_temp_files(directory, part_file_name(part))
                    with contextlib.suppress(OSError):  # not empty: other parts (or their writers) remain
                        os.rmdir(directory)
            elif self.is_local:
                self._remove_local_day(directory, uri)
            elif self.fs.exists(directory):
                # Recursive: a killed writer's temporary file must not keep the folder alive.
                self.fs.rm(directory, recursive=True)
                logger.info("removed %s", uri)
            if self.is_local:
                self._prune_empty_folders(table)
        except StorageError:
            raise
        except Exception as exc:
            raise StorageError(f"cannot remove {uri}: {exc}") from exc

    def _remove_local_day(self, directory: str, uri: str) -> None:
        """Remove a local day folder under its lock, so no conditional write lands in it meanwhile."""
        try:
            with locked_folder(directory):
                # Recursive: a killed writer's temporary file must not keep the folder alive.
                self.fs.rm(directory, recursive=True)
        except FileNotFoundError:
            return  # no such day (or another writer removed it first)
        logger.info("removed %s", uri)

    def _prune_empty_folders(self, table: str) -> None:
        """Remove a local table's folder, and its parents below the root, once they are empty."""
        parts = table.split("/")
        for depth in range(len(parts), 0, -1):
            try:
                os.rmdir(self._join(*parts[:depth]))
            except OSError:  # not empty (or already gone): the parents are not empty either
                return


def _redact(url: str) -> str:
    """Hide a password in a URL's user-info (``ftp://user:secret@host`` -> ``ftp://user:***@host``)."""
    return re.sub(r"(://[^/@:]*):[^/@]*@", r"\1:***@", url)
