"""Schema conforming: every partition of an agent table keeps its table's one (grown) schema.

Days are written newest first, each in the table's schema as it stands then; an older schema
version can grow the table later (a new column, an integer widened to float). :class:`TableSchemas`
tracks each agent table's schema as stored when the landing began, as grown since, and as written
per day; :func:`conform` then rewrites the days whose schema is not the table's final one, the
table's days outside the landing too when the landing grew a table already on disk.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from llamacloud_etl.flatten import conform_table
from llamacloud_etl.landing.report import DayResult
from llamacloud_etl.landing.written import WrittenFiles
from llamacloud_etl.storage import ParquetStore, WrittenPartition, agent_prefix, agent_table

logger = logging.getLogger(__name__)

TableKey = tuple[str, str]
"""``(agent ID, table name)`` of an agent's own table."""


class TableSchemas:
    """The schemas of a group's agent tables: as stored at the start, as grown since, as written per day."""

    def __init__(self, store: ParquetStore, slugs: Mapping[str, str], tables: Sequence[str]) -> None:
        self._store = store
        self.slugs = dict(slugs)
        self._by_prefix = {agent_prefix(slug): agent_id for agent_id, slug in slugs.items()}
        self.stored: dict[TableKey, pa.Schema] = {}
        for table in tables:
            key = self.key(table)
            schema = None if key is None else store.table_schema(table)
            if key is not None and schema is not None:
                self.stored[key] = schema
        self.grown: dict[TableKey, pa.Schema] = dict(self.stored)
        self.written: dict[tuple[str, date], pa.Schema] = {}

    def key(self, table: str) -> TableKey | None:
        """``(agent ID, table name)`` of one of the group's own tables, else None."""
        prefix, _, name = table.rpartition("/")
        agent_id = self._by_prefix.get(prefix + "/")
        return None if agent_id is None else (agent_id, name)

    def record(self, day: date, written: Sequence[WrittenPartition]) -> None:
        """Take note of a day's files: the tables grow, and the day's schema per table is kept."""
        for agent_id, name in self.grown:  # a table with no rows that day lost its file
            self.written.pop((agent_table(self.slugs[agent_id], name), day), None)
        for w in written:
            key = self.key(w.table)
            if key is not None:
                self.grown[key] = w.schema
                self.written[(w.table, day)] = w.schema


@dataclass
class Conformed:
    """What conforming did: partitions rewritten, and those left in an earlier schema (with why)."""

    rewritten: int = 0
    unconformed: list[str] = field(default_factory=list)


def conform(
    store: ParquetStore, schemas: TableSchemas, results: MutableMapping[date, DayResult]
) -> Conformed:
    """Rewrite each agent table's days whose schema is not the table's final one.

    Days written before their table's schema last grew are rewritten; and when the landing grew
    a table that was already on disk, its days outside the landing are checked too (one footer
    each) and rewritten if need be. A day that cannot take the grown schema without loss (an
    integer beyond 2**53 in a column another version made float64) keeps its own schema and is
    reported in :attr:`Conformed.unconformed`. The results of rewritten days get the new files.
    """
    done = Conformed()
    for (table, day), schema in sorted(_todo(store, schemas).items()):
        key = schemas.key(table)
        assert key is not None
        grown = schemas.grown[key]
        if schema.equals(grown, check_metadata=True):
            continue
        stored_day = store.read_table(table, days=[day])
        if stored_day.num_rows == 0:
            continue  # the day's file is gone (no rows any more): nothing to conform
        try:
            data = conform_table(stored_day, grown)
        except ValueError as exc:
            logger.warning("%s of %s keeps its earlier schema: %s", table, day, exc)
            done.unconformed.append(f"{table} run_date={day}: {exc}")
            continue
        (rewritten,) = store.replace_day(day, {table: data})
        done.rewritten += 1
        if (table, day) in schemas.written:
            schemas.written[(table, day)] = rewritten.schema
            result = results[day]
            result.written = WrittenFiles(rewritten if w.table == table else w for w in result.written)
    return done


def _todo(store: ParquetStore, schemas: TableSchemas) -> dict[tuple[str, date], pa.Schema]:
    """Every (table, day) to look at, with the schema it has now."""
    todo = dict(schemas.written)
    for (agent_id, name), grown in schemas.grown.items():
        stored = schemas.stored.get((agent_id, name))
        if stored is None or stored.equals(grown, check_metadata=True):
            continue
        table = agent_table(schemas.slugs[agent_id], name)
        for day in store.list_days(table):
            if (table, day) not in todo:
                todo[(table, day)] = store.day_schema(table, day) or grown
    return todo
