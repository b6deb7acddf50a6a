"""The day writer: flatten one day's runs for a group of agents and replace the day's files.

Where an agent's files go: the shared tables (``runs``, ``field_metadata``) get one part per
agent and day, named by the agent's ID, which never changes; the agent's own tables live under
``agents/<slug>/``. The slug holds the agent's name, so after a rename the day is also removed
from the folders of the agent's earlier names: re-landing a day never leaves a copy behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from llamacloud_etl.errors import StorageError
from llamacloud_etl.flatten import FlattenedBatch, flatten_batch
from llamacloud_etl.landing.chunks import DaySpill
from llamacloud_etl.landing.conform import TableSchemas
from llamacloud_etl.landing.quality import day_quality
from llamacloud_etl.landing.report import DayResult
from llamacloud_etl.run import Agent, Outcome, Run
from llamacloud_etl.storage import (
    FIELD_METADATA_TABLE,
    RUNS_TABLE,
    ParquetStore,
    WrittenPartition,
    agent_prefix,
    agent_slug,
    agent_table,
    slug_of_agent,
    split_agent_table,
)

_PREVIOUS_COLUMNS = ["run_id", "updated_at", "status", "fetched_at"]
"""What a re-landed day keeps of its runs as landed before: a run's ``fetched_at`` while it is unchanged."""


class DayWriter:
    """Flattens and writes one day at a time for a group of agents.

    Each agent table's schema starts as the one on disk and grows with every day written (see
    :func:`llamacloud_etl.flatten.union_schemas`); :attr:`schemas` tracks it for conforming.
    A day too big for memory comes in pieces: :meth:`write_chunk` for each but the last, then
    :meth:`write` (see :mod:`llamacloud_etl.landing.chunks`).
    """

    def __init__(
        self,
        store: ParquetStore,
        agents: Sequence[Agent],
        fetched_at: datetime,
        low_confidence_threshold: float,
    ) -> None:
        self.store = store
        self.agents = agents
        self.fetched_at = fetched_at
        self.threshold = low_confidence_threshold
        self.names = {a.id: a.name for a in agents}
        self.slugs = {a.id: agent_slug(a.name, a.id) for a in agents}
        tables = store.list_tables()
        folders = {parts[0] for parts in map(split_agent_table, tables) if parts is not None}
        self.scope = sorted(
            agent_prefix(folder)
            for folder in folders | set(self.slugs.values())
            if any(slug_of_agent(folder, agent.id) for agent in agents)
        )
        self.schemas = TableSchemas(store, self.slugs, tables)
        self.known_tables = set(tables)
        """Tables that may hold a day this writer lands: those listed at its start, and those it
        wrote since (so a day need not walk the agents' folders to find what to remove)."""
        self._spill: DaySpill | None = None

    def write(self, day: date, runs: list[Run], *, vanished: Sequence[str] = ()) -> DayResult:
        """Flatten the day's runs and replace the day's files of every agent of the group.

        ``runs`` is emptied once flattened, so the runs are freed before the files are written.
        After :meth:`write_chunk` of the same day, ``runs`` is its last piece (see :meth:`_write_chunked`).
        """
        if self._spill is not None:
            return self._write_chunked(day, runs, vanished)
        batch, runs_table, success, pending = self._flatten(day, runs, self.schemas.grown)
        written = self._replace(day, self._tables(batch, runs_table))
        return self._result(day, batch, success, pending, written, vanished)

    def _replace(self, day: date, tables: Mapping[Any, Any]) -> list[WrittenPartition]:
        """Replace the day's files of the agents' tables (in scope: removed where not given)."""
        written = self.store.replace_day(day, tables, scope=self.scope, known_tables=self.known_tables)
        self.known_tables.update(w.table for w in written)
        self.schemas.record(day, written)
        return written

    def write_chunk(self, day: date, runs: list[Run]) -> None:
        """Flatten a piece of a day not complete yet and spill its tables to local temporary files.

        Nothing reaches the store: :meth:`write` of the same day writes every piece at once. On a
        failure the spilled pieces are dropped.
        """
        spill = self._spill = self._spill or DaySpill(day, self.schemas.grown)
        try:
            if spill.day != day:
                raise ValueError(f"a piece of {day} while {spill.day} is not written yet")
            batch, runs_table, success, pending = self._flatten(day, runs, spill.grown)
            for agent_id, agent_tables in batch.agents.items():
                for name, table in agent_tables.tables.items():
                    spill.grown[(agent_id, name)] = table.schema
            spill.add(self._tables(batch, runs_table), self._result(day, batch, success, pending, (), ()))
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Drop the spilled pieces of a day not written (a failed landing)."""
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    def _write_chunked(self, day: date, runs: list[Run], vanished: Sequence[str]) -> DayResult:
        """Spill the day's last piece, then stream every piece into the day's files, one per table."""
        spill = self._spill
        assert spill is not None
        try:
            if spill.day != day:
                raise ValueError(f"the last piece of {day} while {spill.day} is not written yet")
            if runs:
                self.write_chunk(day, runs)
            written = self._replace(day, spill.streams())
        finally:
            self.discard()
        assert spill.result is not None  # one chunk at least
        return replace(
            spill.result, written=written, vanished=list(vanished), agent_runs=self._agent_runs(written)
        )

    def _flatten(
        self, day: date, runs: list[Run], schemas: Mapping[tuple[str, str], pa.Schema]
    ) -> tuple[FlattenedBatch, pa.Table, set[str], set[str]]:
        """Flatten the finished runs (``runs`` is emptied): batch, runs table, succeeded and pending IDs."""
        pending = {r.id for r in runs if not r.outcome.finished}
        # Runs arrive in listing order; sorting makes every rewrite of a day byte-identical.
        finished = sorted(
            (r for r in runs if r.outcome.finished), key=lambda r: (r.created_at or self.fetched_at, r.id)
        )
        runs.clear()
        batch = flatten_batch(
            finished, agent_names=self.names, fetched_at=self.fetched_at, table_schemas=schemas
        )
        success = {r.id for r in finished if r.outcome is Outcome.SUCCEEDED}
        del finished
        return batch, self._keep_fetched_at(day, batch.runs), success, pending

    def _result(
        self,
        day: date,
        batch: FlattenedBatch,
        success: set[str],
        pending: set[str],
        written: Sequence[WrittenPartition],
        vanished: Sequence[str],
    ) -> DayResult:
        stats = batch.stats
        quality = day_quality(batch, [a.id for a in self.agents], self.threshold, success)
        return DayResult(
            day=day,
            written=written,
            runs_landed={str(v) for v in batch.runs.column("run_id").to_pylist()},
            success_listed=success,
            pending_ids=pending,
            vanished=list(vanished),
            flatten_failed={e.run_id for e in stats.flatten_errors},
            low_confidence_fields=sum(q.low for q in quality.values()),
            scored_fields=sum(q.scored for q in quality.values()),
            records=stats.records,
            off_schema_values=stats.off_schema_values,
            flatten_errors=[str(e) for e in stats.flatten_errors],
            schema_conflicts=list(stats.schema_conflicts),
            quality=quality,
            agent_runs=self._agent_runs(written),
        )

    def _keep_fetched_at(self, day: date, runs: pa.Table) -> pa.Table:
        """A run landed before in the same state keeps its first ``fetched_at``.

        ``fetched_at`` is when this version of the run (same ``updated_at`` and status) was first
        fetched, so re-landing a day whose runs did not change writes byte-identical files.
        """
        if runs.num_rows == 0:
            return runs
        previous = self._previous_runs(day)
        if not previous:
            return runs
        kept = []
        for row in runs.select(_PREVIOUS_COLUMNS).to_pylist():
            old = previous.get(row["run_id"])
            same = old is not None and (old["updated_at"], old["status"]) == (
                row["updated_at"],
                row["status"],
            )
            kept.append(old["fetched_at"] if same and old is not None else row["fetched_at"])
        index = runs.schema.get_field_index("fetched_at")
        field_ = runs.schema.field(index)
        return runs.set_column(index, field_, pa.array(kept, type=field_.type))

    def _previous_runs(self, day: date) -> dict[str, dict[str, Any]]:
        """The day's runs as landed before (ID, ``updated_at``, status, ``fetched_at``), by run ID.

        Read once per day: the pieces of a day landed in chunks share it (kept on the day's spill).
        """
        if self._spill is not None and self._spill.previous is not None:
            return self._spill.previous
        previous: dict[str, dict[str, Any]] = {}
        if self.store.has_day(RUNS_TABLE, day):
            try:
                before = self.store.read_table(RUNS_TABLE, days=[day], columns=_PREVIOUS_COLUMNS)
                previous = {row["run_id"]: row for row in before.to_pylist()}
            except StorageError:
                pass  # files written before these columns existed: nothing to keep
        if self._spill is not None:
            self._spill.previous = previous
        return previous

    def _agent_runs(self, written: Sequence[WrittenPartition]) -> dict[str, int]:
        """Runs landed per agent name: the rows of each agent's part of the runs table."""
        rows = {w.part: w.row_count for w in written if w.table == RUNS_TABLE}
        return {a.name: rows.get(a.id, 0) for a in self.agents}

    def _tables(self, batch: FlattenedBatch, runs: pa.Table) -> dict[str | tuple[str, str], pa.Table]:
        """Key every table of the batch by where it goes: shared tables get one part per agent."""
        tables: dict[str | tuple[str, str], pa.Table] = {}
        for agent in self.agents:
            for shared, whole in ((RUNS_TABLE, runs), (FIELD_METADATA_TABLE, batch.field_metadata)):
                mine = pc.equal(whole.column("extraction_agent_id"), pa.scalar(agent.id))
                tables[(shared, agent.id)] = whole.filter(mine)
            agent_tables = batch.agents.get(agent.id)
            if agent_tables is not None:
                for name, table in agent_tables.tables.items():
                    tables[agent_table(self.slugs[agent.id], name)] = table
        return tables
