"""Schema conforming: every partition of an agent table keeps its table's one (grown) schema.

Days are written newest first, each in the table's schema as it stands then; an older schema
version can grow the table later (a new column, an integer widened to float). Other landings may
write other days of the same table at the same time (Dagster runs of one backfill) and grow it
too. They agree through the table's **schema record** (:mod:`llamacloud_etl.storage.schema_record`):

1. A landing starts from the record's schema (the newest file's footer for a table landed before
   records existed).
2. After writing a day, it merges the schema it wrote into the record by compare-and-swap
   (:meth:`~llamacloud_etl.storage.SchemaRecords.update` with :func:`union_schemas`, the record's
   schema first); losing a race means re-reading the winner's version and unifying again. The
   record only ever grows, and the landing's next days are flattened with what it holds.
3. At the end, :func:`conform` rewrites every day of the landing's tables whose schema is not the
   record's, the days other landings wrote included, then reads the records again and repeats
   until no record moved meanwhile. Each rewrite is conditional on the day's file being the one
   read (compare-and-swap on the data file): a day its owner wrote again meanwhile is read again,
   never overwritten with its older rows.

So the landing that publishes a table's last version conforms every day written before it, and a
landing that wrote a day after that version was published reads it in step 3 and conforms its own
day: once all landings have finished, each table folder holds one schema, the record's.

:class:`TableSchemas` tracks each agent table's schema as stored when the landing began, as grown
since (the record), and as written per day.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from llamacloud_etl.flatten import conform_table, union_schemas
from llamacloud_etl.landing.report import DayResult
from llamacloud_etl.landing.written import WrittenFiles
from llamacloud_etl.storage import ParquetStore, WrittenPartition, agent_prefix, agent_table
from llamacloud_etl.storage.reading import arrow_schema

logger = logging.getLogger(__name__)

TableKey = tuple[str, str]
"""``(agent ID, table name)`` of an agent's own table."""

MAX_PASSES = 20
"""Conforming passes before giving up on records that keep moving (each extra pass means another
landing published a new version of a table meanwhile)."""
MAX_ATTEMPTS = 10
"""Conditional rewrites of one day before giving up on it (each lost one means its owner wrote the
day again meanwhile)."""


class TableSchemas:
    """The schemas of a group's agent tables: as stored at the start, as grown since, as written per day.

    ``grown`` is the table's schema record as this landing last read or published it; ``versions``
    the record's version that it is.
    """

    def __init__(self, store: ParquetStore, slugs: Mapping[str, str], tables: Sequence[str]) -> None:
        self._store = store
        self.slugs = dict(slugs)
        self._by_prefix = {agent_prefix(slug): agent_id for agent_id, slug in slugs.items()}
        self.stored: dict[TableKey, pa.Schema] = {}
        self.versions: dict[TableKey, int] = {}
        for table in tables:
            key = self.key(table)
            if key is None:
                continue
            current = store.schema_records.read(table)
            schema = store.table_schema(table) if current is None else current.schema
            if current is not None:
                self.versions[key] = current.version
            if schema is not None:
                self.stored[key] = schema
        self.grown: dict[TableKey, pa.Schema] = dict(self.stored)
        self.written: dict[tuple[str, date], pa.Schema] = {}

    def key(self, table: str) -> TableKey | None:
        """``(agent ID, table name)`` of one of the group's own tables, else None."""
        prefix, _, name = table.rpartition("/")
        agent_id = self._by_prefix.get(prefix + "/")
        return None if agent_id is None else (agent_id, name)

    def table(self, key: TableKey) -> str:
        """The table path of ``(agent ID, table name)``."""
        return agent_table(self.slugs[key[0]], key[1])

    def record(self, day: date, written: Sequence[WrittenPartition]) -> None:
        """Take note of a day's files: each table's schema is merged into its record, and kept per day."""
        for grown in self.grown:  # a table with no rows that day lost its file
            self.written.pop((self.table(grown), day), None)
        for w in written:
            key = self.key(w.table)
            if key is None:
                continue
            # Interned: one path per table, not one per day (every day's entry stays till the end).
            self.written[(sys.intern(w.table), day)] = w.schema
            if key in self.versions and w.schema.equals(self.grown[key], check_metadata=True):
                continue  # the record holds this schema already
            self._publish(key, w.table, w.schema)

    def widen(self, table: str, schema: pa.Schema) -> bool:
        """Merge a stored day's schema into its table's record when the record lacks some of it.

        A landing publishes a day's schema just after writing the day, so another landing may
        meet the day first; and one that failed in between never publishes it. Either way the
        record must grow to cover every file. True when it grew.
        """
        key = self.key(table)
        assert key is not None
        grown = self.grown[key]
        if schema.equals(grown, check_metadata=True):
            return False  # most days: written in the record's schema (no union to build)
        if union_schemas(grown, schema)[0].equals(grown, check_metadata=True):
            return False
        self._publish(key, table, schema)
        return True

    def _publish(self, key: TableKey, table: str, schema: pa.Schema) -> None:
        """Merge ``schema`` into the table's record (compare-and-swap) and take the record as grown."""
        current = self._store.schema_records.update(table, _merge_with(schema))
        self.grown[key], self.versions[key] = current.schema, current.version

    def refresh(self) -> list[TableKey]:
        """Read the records of the landing's tables again; the tables whose record moved (other writers)."""
        moved = []
        for key in sorted(self.grown):
            current = self._store.schema_records.read(self.table(key))
            if current is not None and current.version != self.versions.get(key):
                self.grown[key], self.versions[key] = current.schema, current.version
                moved.append(key)
        return moved


def _merge_with(written: pa.Schema) -> Callable[[pa.Schema | None], pa.Schema]:
    """The merge of a day's schema into a table's record: the record's schema first, then the day's."""

    def merge(current: pa.Schema | None) -> pa.Schema:
        return written if current is None else union_schemas(current, written)[0]

    return merge


@dataclass
class Conformed:
    """What conforming did: partitions rewritten, and those left in an earlier schema (with why)."""

    rewritten: int = 0
    unconformed: list[str] = field(default_factory=list)


def conform(
    store: ParquetStore, schemas: TableSchemas, results: MutableMapping[date, DayResult]
) -> Conformed:
    """Rewrite each agent table's days whose schema is not its record's, until no record moves.

    Days written before their table's schema last grew are rewritten; and when the table's schema
    is not the one it had when the landing began, or other landings may have written it, its days
    outside the landing are checked too (one footer each) and rewritten if need be. Then the
    records are read again: if another landing published a new version meanwhile, another pass
    follows (at most :data:`MAX_PASSES`). A day that cannot take the grown schema without loss (an
    integer beyond 2**53 in a column another version made float64) keeps its own schema and is
    reported in :attr:`Conformed.unconformed`. The results of rewritten days get the new files.
    """
    done = Conformed()
    for _ in range(MAX_PASSES):
        unconformed: list[str] = []
        todo = sorted(_todo(store, schemas).items())
        widened = [schemas.widen(table, schema) for (table, _), schema in todo]
        for (table, day), schema in todo:
            _conform_day(store, schemas, results, table, day, schema, done, unconformed)
        if not schemas.refresh() and not any(widened):
            done.unconformed = unconformed
            return done
    logger.warning("schema records kept moving; the tables are conformed to the versions last read")
    done.unconformed = unconformed
    return done


def _conform_day(
    store: ParquetStore,
    schemas: TableSchemas,
    results: MutableMapping[date, DayResult],
    table: str,
    day: date,
    schema: pa.Schema,
    done: Conformed,
    unconformed: list[str],
) -> None:
    """Rewrite one day of a table in the table's grown schema, unless it has it already.

    The write is conditional on the day's file being the one read (:meth:`ParquetStore.replace_day_if`):
    when the day's owner wrote it again meanwhile, the newer file is read and conformed instead,
    so its rows are never overwritten by an older copy.
    """
    key = schemas.key(table)
    assert key is not None
    grown = schemas.grown[key]
    if schema.equals(grown, check_metadata=True):
        return
    for _ in range(MAX_ATTEMPTS):
        stored_day, version = store.read_day_versioned(table, day)
        if version is None or arrow_schema(stored_day.schema).equals(grown, check_metadata=True):
            return  # the day's file is gone (no rows any more), or already in the grown schema
        try:
            data = conform_table(stored_day, grown)
        except ValueError as exc:
            logger.warning("%s of %s keeps its earlier schema: %s", table, day, exc)
            unconformed.append(f"{table} run_date={day}: {exc}")
            return
        rewritten = store.replace_day_if(day, table, data, version)
        if rewritten is not None:
            break
    else:
        logger.warning("%s of %s kept being rewritten; left to its writers to conform", table, day)
        unconformed.append(f"{table} run_date={day}: rewritten by other writers {MAX_ATTEMPTS} times")
        return
    done.rewritten += 1
    if (table, day) in schemas.written:
        schemas.written[(table, day)] = rewritten.schema
        result = results[day]
        result.written = WrittenFiles(rewritten if w.table == table else w for w in result.written)


def _todo(store: ParquetStore, schemas: TableSchemas) -> dict[tuple[str, date], pa.Schema]:
    """Every (table, day) to look at, with the schema it has now."""
    todo = dict(schemas.written)
    for key, grown in schemas.grown.items():
        stored = schemas.stored.get(key)
        if stored is not None and stored.equals(grown, check_metadata=True):
            continue
        table = schemas.table(key)
        for day in store.list_days(table):
            if (table, day) not in todo:
                todo[(table, day)] = store.day_schema(table, day) or grown
    return todo
