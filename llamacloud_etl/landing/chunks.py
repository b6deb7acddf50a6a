"""A day too big for memory, landed in chunks: each chunk's tables spilled to local Arrow files.

The day budget (:data:`~llamacloud_etl.settings.DEFAULT_DAY_BUDGET_MB`) becomes a number of runs
per chunk (:func:`chunk_runs`), at :data:`RUN_COST_BYTES` per run. The scheduler hands out a day
in pieces once its runs reach a chunk; the :class:`~llamacloud_etl.landing.writer.DayWriter`
flattens each piece and hands its tables to a :class:`DaySpill`, which writes them to Arrow IPC
files in a temporary folder and forgets them. When the day is complete, each table's chunks are
laid out in one schema (their union, see :func:`~llamacloud_etl.flatten.union_schemas`) and
streamed into the day's one file (:class:`~llamacloud_etl.storage.TableStream`, a row group per
chunk), committed like any other: nothing reaches the store before the day is complete, so a
failure mid-day leaves the previous version of the day whole.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa

from llamacloud_etl.flatten import conform_table, union_schemas
from llamacloud_etl.landing.report import DayResult
from llamacloud_etl.storage import TableStream

RUN_COST_BYTES = 160 * 1024
"""Memory one run of a chunk is charged while it lands, from its listing page to its flattened tables.

Measured with the emulator's runs (about 40 KB of JSON each) in a landing process of its own, one
day of 20,000 listed runs: in chunks of 256 runs the landing added 150 MiB to the process's resident
memory, in chunks of 1,024 runs 258 MiB. So a run of a chunk costs about 144 KB (a chunk is held
about twice: one flattened and written while the next is listed), on top of :data:`FIXED_BYTES`.
The chunk size is a count of runs: runs much bigger than the emulator's take more."""

TableKey = str | tuple[str, str]
"""Where a table of a day goes: a table path, or (shared table, part)."""

FIXED_BYTES = 128 * 1024 * 1024
"""What a landing holds whatever the chunk size (listing threads, Arrow's and the allocators'
pools): about 115 MiB measured. A budget below it cannot be kept: its chunks are one run each
(the tests use that to cut tiny days into many chunks)."""


def chunk_runs(budget_mb: int) -> int:
    """Runs per chunk for a day budget of ``budget_mb`` megabytes: what the budget leaves above the
    fixed part, at :data:`RUN_COST_BYTES` a run (at least one).

    Examples:
        >>> chunk_runs(512), chunk_runs(256), chunk_runs(64)
        (2457, 819, 1)
    """
    spare = budget_mb * 1024 * 1024 - FIXED_BYTES
    return max(1, spare // RUN_COST_BYTES)


@dataclass
class _Spilled:
    """One table's chunks on local disk: their files and schemas, in chunk order."""

    paths: list[str] = field(default_factory=list)
    schemas: list[pa.Schema] = field(default_factory=list)
    rows: int = 0


class DaySpill:
    """The chunks of one day written so far: tables in temporary Arrow files, results summed.

    Also the schemas the day's agent tables have grown to (:attr:`grown`), which each next chunk
    is flattened with, so the chunks agree as one batch's runs would.
    """

    def __init__(self, day: date, grown: Mapping[tuple[str, str], pa.Schema]) -> None:
        self.day = day
        self.grown = dict(grown)
        self.result: DayResult | None = None
        self.previous: dict[str, dict[str, Any]] | None = None
        """The day's runs as landed before, read once for all its chunks (by the day writer)."""
        self._folder = tempfile.mkdtemp(prefix=f"llamacloud-etl-{day}-")
        self._tables: dict[TableKey, _Spilled] = {}
        self._chunks = 0

    def add(self, tables: Mapping[TableKey, pa.Table], result: DayResult) -> None:
        """Spill one chunk's tables and add its result (whose ``written`` is empty)."""
        for index, (key, table) in enumerate(tables.items()):
            spilled = self._tables.setdefault(key, _Spilled())
            path = f"{self._folder}/{self._chunks}-{index}.arrow"
            with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            spilled.paths.append(path)
            spilled.schemas.append(table.schema)
            spilled.rows += table.num_rows
        self._chunks += 1
        self.result = result if self.result is None else self.result.combine(result)

    def streams(self) -> dict[TableKey, pa.Table | TableStream]:
        """Every table of the day, its chunks in one schema, oldest chunk first (listings are newest first).

        A table without rows in any chunk is an empty table (the store then removes its day).
        """
        out: dict[TableKey, pa.Table | TableStream] = {}
        for key, spilled in self._tables.items():
            schema = spilled.schemas[0]
            for other in spilled.schemas[1:]:
                schema, _ = union_schemas(schema, other)
            if spilled.rows == 0:
                out[key] = schema.empty_table()
            else:
                out[key] = TableStream(schema, spilled.rows, _Reader(list(reversed(spilled.paths)), schema))
        return out

    def close(self) -> None:
        """Remove the temporary files."""
        shutil.rmtree(self._folder, ignore_errors=True)


@dataclass(frozen=True)
class _Reader:
    """Reads a table's chunk files one at a time, each laid out in the day's schema."""

    paths: list[str]
    schema: pa.Schema

    def __call__(self) -> Iterator[pa.Table]:
        for path in self.paths:
            with pa.memory_map(path) as source:
                table = pa.ipc.open_file(source).read_all()
            if table.num_rows:
                yield conform_table(table, self.schema)
