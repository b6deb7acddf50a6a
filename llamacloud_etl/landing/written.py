"""The files a day wrote, kept compact: every day result of a landing holds its own until the end.

A :class:`~llamacloud_etl.storage.WrittenPartition` costs about 600 bytes (the object, its full URL,
its part name); a day writes one per table and agent, and a landing of years of days keeps every
day's. :class:`WrittenFiles` keeps the same facts in a few parallel columns: table paths and part
names interned (one string per table for the whole landing), counts in one ``array``, schemas
shared (the store hands out one object per distinct schema), and the URLs rebuilt from the root
on access. It reads as the sequence of :class:`WrittenPartition` it was built from.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any, overload

from llamacloud_etl.storage import WrittenPartition
from llamacloud_etl.storage.layout import part_file_name, partition_name


def _suffix(table: str, day: date, part: str | None) -> str:
    return f"/{table}/{partition_name(day)}/{part_file_name(part)}"


def _intern(text: str | None) -> str | None:
    return None if text is None else sys.intern(text)


class WrittenFiles(Sequence[WrittenPartition]):
    """An immutable sequence of written files, stored column by column."""

    __slots__ = ("_counts", "_days", "_parts", "_roots", "_schemas", "_tables")

    def __init__(self, files: Iterable[WrittenPartition] = ()) -> None:
        items = list(files)
        self._tables = tuple(sys.intern(w.table) for w in items)
        self._parts = tuple(_intern(w.part) for w in items)
        self._days = tuple(w.run_date for w in items)
        self._schemas = tuple(w.schema for w in items)
        self._counts = array("q", [n for w in items for n in (w.row_count, w.num_bytes)])
        # The URL minus what table, day and part give; the whole URL where it is laid out otherwise.
        roots: list[str] = []
        for w in items:
            suffix = _suffix(w.table, w.run_date, w.part)
            root = w.uri[: -len(suffix)] if w.uri.endswith(suffix) else w.uri + "\0"
            roots.append(sys.intern(root))
        self._roots = tuple(roots)

    def __len__(self) -> int:
        return len(self._tables)

    @overload
    def __getitem__(self, index: int) -> WrittenPartition: ...

    @overload
    def __getitem__(self, index: slice) -> WrittenFiles: ...

    def __getitem__(self, index: int | slice) -> WrittenPartition | WrittenFiles:
        if isinstance(index, slice):
            return WrittenFiles(self[i] for i in range(len(self))[index])
        i = range(len(self))[index]  # negative indexes, and IndexError
        table, part, day, root = self._tables[i], self._parts[i], self._days[i], self._roots[i]
        uri = root[:-1] if root.endswith("\0") else root + _suffix(table, day, part)
        return WrittenPartition(
            table=table,
            run_date=day,
            uri=uri,
            row_count=self._counts[2 * i],
            num_bytes=self._counts[2 * i + 1],
            schema=self._schemas[i],
            part=part,
        )

    def __iter__(self) -> Iterator[WrittenPartition]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return list(self) == list(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"WrittenFiles({list(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (WrittenFiles, (list(self),))
