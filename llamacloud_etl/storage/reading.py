"""The read side of the Parquet dataset: listing tables and days, stored schemas, reading tables back.

:class:`TableReader` is the base class of :class:`~llamacloud_etl.storage.store.ParquetStore`
that holds everything that reads (and the paths both sides share); the store adds the writing.
It needs only the store's ``fs`` and ``path``. Schemas read back from file footers are made
equal to the ones Arrow builds (:func:`arrow_schema`), so a day rewritten from them lands byte
for byte as before. Listing is in :mod:`llamacloud_etl.storage.listing`.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Collection, Iterable
from datetime import date
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from llamacloud_etl.errors import StorageError
from llamacloud_etl.storage.layout import check_day, check_part, check_table_path, part_file_name
from llamacloud_etl.storage.listing import (
    day_data_files,
    find_data_files,
    join,
    newest_data_file,
    walk_tables,
)

T = TypeVar("T")
READ_ATTEMPTS = 3
"""Reads of one file before giving up when it keeps being replaced while it is read."""


class TableReader:
    """Paths and reading of a dataset under ``path`` on ``fs``; the base of ``ParquetStore``.

    Attributes:
        fs: the fsspec filesystem every operation goes through.
        path: the root's path on ``fs`` (no protocol).
    """

    fs: Any
    path: str

    # -- paths -----------------------------------------------------------------------------------

    def uri(self, relative: str = "") -> str:
        """The full URL of the root, or of a table path (or any folder) below it."""
        path = self._join(check_table_path(relative)) if relative else self.path
        return str(self.fs.unstrip_protocol(path))

    def _join(self, *parts: str) -> str:
        return join(self.path, *parts)

    def _uri_of(self, path: str) -> str:
        return str(self.fs.unstrip_protocol(path))

    # -- reading ---------------------------------------------------------------------------------

    def list_tables(self) -> list[str]:
        """Table paths that hold at least one day, sorted."""
        return sorted(
            table
            for table, days in walk_tables(self.fs, self.path).items()
            if newest_data_file(self.fs, self.path, table, days)
        )

    def list_days(self, table_path: str) -> list[date]:
        """The days a table holds, oldest first."""
        table = check_table_path(table_path)
        return sorted({day for found, day, _ in find_data_files(self.fs, self.path, table) if found == table})

    def has_day(self, table_path: str, run_date: date) -> bool:
        """True when the table has a file for ``run_date`` (lists that day's folder only)."""
        table = check_table_path(table_path)
        return bool(day_data_files(self.fs, self.path, table, check_day(run_date)))

    def day_schema(self, table_path: str, run_date: date) -> pa.Schema | None:
        """The schema stored for one day of a table (its first file's footer); None if it has no file."""
        table = check_table_path(table_path)
        files = day_data_files(self.fs, self.path, table, check_day(run_date))
        return self._footer_schema(files[0]) if files else None

    def table_schema(self, table_path: str) -> pa.Schema | None:
        """The schema stored for a table, read from a file footer of its newest day; None if it has none.

        The caller uses it to keep one schema across a table's days (timestamps come back in
        microseconds, as stored). Of a day written in parts, the last part by name is read.
        """
        table = check_table_path(table_path)
        days = walk_tables(self.fs, self.path, table).get(table, [])
        path = newest_data_file(self.fs, self.path, table, days)
        return None if path is None else self._footer_schema(path)

    def _footer_schema(self, path: str) -> pa.Schema:
        try:
            stored = self._reading(path, pq.read_schema)
        except Exception as exc:
            raise StorageError(f"cannot read the schema of {self._uri_of(path)}: {exc}") from exc
        return arrow_schema(stored)

    def read_table(
        self,
        table_path: str,
        days: Iterable[date] | None = None,
        *,
        columns: Iterable[str] | None = None,
        parts: Collection[str] | None = None,
    ) -> pa.Table:
        """Read a table's files (all days, or those given) as one Arrow table, without ``run_date``.

        Days are concatenated oldest first. Columns some days lack (added later) are filled
        with nulls. A table with no file for the days asked for gives an empty table. With
        ``parts``, only those parts' files are read (of a table written in parts per day).

        Raises:
            StorageError: a file cannot be read, days disagree on a column's type, or a column
                asked for is in no file of the table.
        """
        table = check_table_path(table_path)
        wanted = None if days is None else {check_day(day) for day in days}
        selected = None if columns is None else list(columns)
        if wanted is None:
            files = [path for found, _, path in find_data_files(self.fs, self.path, table) if found == table]
        else:  # only the days' folders: reading back a day must not walk the whole table
            files = [
                path for day in sorted(wanted) for path in day_data_files(self.fs, self.path, table, day)
            ]
        if parts is not None:
            names = {part_file_name(check_part(part)) for part in parts}
            files = [path for path in files if path.rpartition("/")[2] in names]
        pieces = [self._read_file(path, selected) for path in files]
        if not pieces:
            return self._empty_table(table, selected)
        try:
            result = pa.concat_tables(pieces, promote_options="default")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise StorageError(f"the days of {self.uri(table)} disagree on a column's type: {exc}") from exc
        if selected is None:
            return result
        missing = [name for name in selected if name not in result.column_names]
        known = (self.table_schema(table) or pa.schema([])) if missing else result.schema
        for name in missing:
            if name not in known.names:
                raise StorageError(f"{self.uri(table)} has no column {name!r}")
            field = known.field(name)
            result = result.append_column(field, pa.nulls(result.num_rows, field.type))
        return result.select(selected)

    def _read_file(self, path: str, columns: list[str] | None) -> pa.Table:

        def read(handle: Any) -> pa.Table:
            parquet = pq.ParquetFile(handle)
            names = parquet.schema_arrow.names
            return parquet.read(columns=None if columns is None else [c for c in columns if c in names])

        try:
            return self._reading(path, read)
        except Exception as exc:
            raise StorageError(f"cannot read {self._uri_of(path)}: {exc}") from exc

    def _reading(self, path: str, read: Callable[[Any], T]) -> T:
        """``read`` an open file; again when another writer replaced the object while it was read.

        Each file is replaced whole, and s3fs notices a replacement mid-read (its ``FileExpired``,
        an ``EBUSY`` OSError): reading the new object then gives a whole file again.
        """
        for attempt in range(READ_ATTEMPTS):
            try:
                with self.fs.open(path, "rb") as handle:
                    return read(handle)
            except OSError as exc:
                if exc.errno != errno.EBUSY or attempt == READ_ATTEMPTS - 1:
                    raise
                self.fs.invalidate_cache(path)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _empty_table(self, table: str, columns: list[str] | None) -> pa.Table:
        schema = self.table_schema(table) or pa.schema([])
        if columns is not None:
            fields = [
                schema.field(name) if name in schema.names else pa.field(name, pa.null()) for name in columns
            ]
            schema = pa.schema(fields)
        return schema.empty_table()


def arrow_schema(stored: pa.Schema) -> pa.Schema:
    """A schema read from a file footer, with list items named as Arrow names them (see below)."""
    schema = pa.schema([f.with_type(_arrow_list_names(f.type)) for f in stored])
    return schema.with_metadata(stored.metadata) if stored.metadata else schema


def _arrow_list_names(arrow_type: pa.DataType) -> pa.DataType:
    """The type with every list's item field named ``item``, as Arrow builds it.

    Parquet stores list items as ``element`` and gives that name back on read. Arrow ignores the
    name when comparing types, but it is part of the schema written into each file, so without this a
    day rewritten from a schema read back from storage would differ byte for byte from its first
    version.
    """
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        item = arrow_type.value_field
        inner = item.with_type(_arrow_list_names(item.type))
        if inner.name != "item":
            inner = pa.field("item", inner.type, inner.nullable, inner.metadata)
        return pa.large_list(inner) if pa.types.is_large_list(arrow_type) else pa.list_(inner)
    if pa.types.is_struct(arrow_type):
        return pa.struct([f.with_type(_arrow_list_names(f.type)) for f in arrow_type])
    return arrow_type
