"""Flatten many runs at once: :func:`flatten_batch` -> :class:`FlattenedBatch`; one run: :func:`flatten_run`.

A batch works in two passes. First, per agent, the table schemas of every schema version in the
batch are unioned with the schemas already stored (``table_schemas``), so one Arrow schema per
table covers the whole batch (:mod:`llamacloud_etl.flatten.layout`). Then every run walks its own
compiled plan laid out in those unified columns, and each table is built once per batch.

What a run gives depends on its :class:`~llamacloud_etl.run.Outcome`. A succeeded run gives its
runs row, records and field metadata; one that cannot be flattened gets its runs row with
``flatten_error`` set and nothing else, and never aborts the batch. A failed run gives a runs row
and nothing else. An unfinished run gives nothing and is counted in ``stats.runs_pending``.
When a run ID appears twice, the last copy wins. Every agent with a finished run gets every table
its schemas (and its stored tables) define, empty ones included. CPython's cyclic garbage
collector is paused while a batch is built (see :func:`gc_paused`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa

from llamacloud_etl.errors import FlattenError, RunNotReadyError
from llamacloud_etl.flatten.evolution import SchemaConflict
from llamacloud_etl.flatten.layout import Layout, agent_layouts, digest_of, digests_of, stored_layout, unify
from llamacloud_etl.flatten.metadata import MetadataRow, metadata_rows, root_notes, run_metadata
from llamacloud_etl.flatten.plan import compile_plan, plan_for
from llamacloud_etl.flatten.records import RecordWalker
from llamacloud_etl.flatten.runs import FIELD_METADATA_SCHEMA, RUNS_SCHEMA, runs_row
from llamacloud_etl.flatten.values import clean_str
from llamacloud_etl.run import Outcome, Run

if TYPE_CHECKING:  # pandas is imported when frames are asked for: landing never needs it
    import pandas as pd


@dataclass(frozen=True)
class AgentTables:
    """The records table and child tables of one agent, by table name."""

    agent_id: str
    agent_name: str | None
    tables: dict[str, pa.Table]


@dataclass(frozen=True)
class FlattenStats:
    """Counts of one batch."""

    runs_success: int = 0
    runs_error: int = 0
    runs_pending: int = 0
    records: int = 0
    off_schema_values: int = 0
    flatten_errors: list[FlattenError] = field(default_factory=list)
    schema_conflicts: list[SchemaConflict] = field(default_factory=list)


@dataclass(frozen=True)
class FlattenedFrames:
    """A :class:`FlattenedBatch` as pandas DataFrames with Arrow-backed dtypes."""

    runs: pd.DataFrame
    field_metadata: pd.DataFrame
    agents: dict[str, dict[str, pd.DataFrame]]


def _frame(table: pa.Table) -> pd.DataFrame:
    import pandas as pd

    return table.to_pandas(types_mapper=pd.ArrowDtype)


@dataclass(frozen=True)
class FlattenedBatch:
    """The tables of a batch of runs: ``runs``, ``field_metadata`` and each agent's tables."""

    runs: pa.Table
    field_metadata: pa.Table
    agents: dict[str, AgentTables]
    stats: FlattenStats

    def to_pandas(self) -> FlattenedFrames:
        """Every table as a DataFrame with ``pd.ArrowDtype`` columns (types survive, nulls stay nulls)."""
        return FlattenedFrames(
            runs=_frame(self.runs),
            field_metadata=_frame(self.field_metadata),
            agents={a: {n: _frame(t) for n, t in agent.tables.items()} for a, agent in self.agents.items()},
        )


@dataclass(frozen=True)
class FlattenedRun:
    """The tables of one run (see :func:`flatten_run`)."""

    run_id: str
    extraction_agent_id: str
    tables: dict[str, pa.Table]
    field_metadata: pa.Table
    record_count: int
    off_schema_values: int


def build_table(schema: pa.Schema, rows: Sequence[Sequence[Any]]) -> pa.Table:
    """One Arrow table from rows laid out in ``schema`` order, converted column-wise in one go.

    Tuples are converted as one struct array (the transposition then happens in Arrow's C++);
    lists are transposed with ``zip`` and converted one ``pa.array`` per column.
    """
    if not rows:
        return schema.empty_table()
    if type(rows[0]) is tuple:
        struct = cast(pa.StructArray, pa.array(rows, type=pa.struct(list(schema))))
        return pa.Table.from_struct_array(struct)
    columns = zip(*rows, strict=True)
    arrays = [pa.array(column, type=f.type) for column, f in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause CPython's automatic cyclic garbage collection for the block, then resume it if it was on.

    A batch allocates hundreds of thousands of long-lived rows, which the collector would otherwise
    rescan again and again. Reference counting still frees everything meanwhile, and collection
    resumes (if it was on) when the block ends, even on error. Landing pauses it for a whole
    landing too.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _flatten_rows(
    run: Run, run_id: str, walker: RecordWalker, meta_rows: list[MetadataRow]
) -> tuple[int, int]:
    """Append a succeeded run's rows; returns (records, off-schema values). Only FlattenError escapes.

    On failure nothing of the run is left in the walker's tables or in ``meta_rows``.
    """
    marks, meta_mark = walker.mark(), len(meta_rows)
    try:
        counts = walker.walk(run_id, run.data)
        agent_id = clean_str(run.agent_id) or ""
        meta_rows.extend(metadata_rows(walker.plan, run_id, agent_id, run.data, run_metadata(run)))
    except Exception as exc:
        walker.rollback(marks)
        del meta_rows[meta_mark:]
        if isinstance(exc, FlattenError):
            raise
        # A bug must cost one run, not the batch.
        raise FlattenError(run_id, "", f"internal error: {type(exc).__name__}: {exc}") from exc
    return counts


def flatten_batch(
    runs: Iterable[Run],
    *,
    agent_names: Mapping[str, str] | None = None,
    fetched_at: datetime,
    table_schemas: Mapping[tuple[str, str], pa.Schema] | None = None,
) -> FlattenedBatch:
    """Flatten runs into the runs, field_metadata and per-agent tables.

    Args:
        runs: runs of any agents and statuses.
        agent_names: agent ID -> name, for ``runs.agent_name`` and :class:`AgentTables`.
        fetched_at: when the runs were fetched (``runs.fetched_at``).
        table_schemas: schemas already stored, by ``(agent_id, table_name)``; the batch's tables are
            unified with them (see :func:`union_schemas`). A ``run_date`` column is ignored.

    Examples:
        >>> from datetime import UTC, datetime
        >>> batch = flatten_batch([], fetched_at=datetime(2025, 6, 12, tzinfo=UTC))
        >>> batch.runs.num_rows, batch.stats.runs_pending
        (0, 0)
    """
    with gc_paused():
        return _flatten_batch(list(runs), agent_names or {}, fetched_at, table_schemas or {})


def _flatten_batch(
    runs: list[Run],
    names: Mapping[str, str],
    fetched_at: datetime,
    table_schemas: Mapping[tuple[str, str], pa.Schema],
) -> FlattenedBatch:
    latest: dict[str, Run] = {}
    for run in runs:
        latest[run.id] = run
    finished = [r for r in latest.values() if r.outcome.finished]
    digests = digests_of(finished)
    layouts, conflicts = agent_layouts(finished, digests, table_schemas)
    rows = _BatchRows(layouts)
    for run in finished:
        rows.add(run, digests[run.id], names.get(run.agent_id), fetched_at)
    success = sum(r.outcome is Outcome.SUCCEEDED for r in finished)
    return FlattenedBatch(
        runs=build_table(RUNS_SCHEMA, rows.run_rows),
        field_metadata=build_table(FIELD_METADATA_SCHEMA, rows.meta_rows),
        agents={
            agent_id: AgentTables(
                agent_id=agent_id, agent_name=names.get(agent_id), tables=rows.tables(agent_id)
            )
            for agent_id in layouts
        },
        stats=FlattenStats(
            runs_success=success,
            runs_error=len(finished) - success,
            runs_pending=len(latest) - len(finished),
            records=rows.records,
            off_schema_values=rows.off_schema,
            flatten_errors=rows.errors,
            schema_conflicts=conflicts,
        ),
    )


class _BatchRows:
    """Pass 2: every run walks its plan laid out in its agent's layout, into the agent's row lists."""

    def __init__(self, layouts: Mapping[str, Layout]) -> None:
        self.layouts = layouts
        self.agent_rows: dict[str, dict[str, list[list[Any]]]] = {
            a: {t: [] for t in layout} for a, layout in layouts.items()
        }
        self.walkers: dict[tuple[str, str, str], RecordWalker] = {}  # by agent, digest and target
        self.meta_rows: list[MetadataRow] = []
        self.run_rows: list[tuple[Any, ...]] = []
        self.errors: list[FlattenError] = []
        self.records = 0
        self.off_schema = 0

    def add(self, run: Run, digest: str | None, agent_name: str | None, fetched_at: datetime) -> None:
        """Append a finished run's runs row and, for a succeeded run, its records and field metadata."""
        run_id = clean_str(run.id) or ""
        records = off = 0
        failure: FlattenError | None = None
        if run.outcome is Outcome.SUCCEEDED:
            try:
                records, off = self.walk(run, run_id, digest)
            except FlattenError as exc:
                failure = exc
                self.errors.append(exc)
        self.records += records
        self.off_schema += off
        row = runs_row(
            run,
            agent_name=agent_name,
            fetched_at=fetched_at,
            schema_digest=digest,
            record_count=records,
            off_schema=off,
            metadata_notes=root_notes(run_metadata(run)),
            flatten_error=str(failure) if failure is not None else None,
        )
        self.run_rows.append(row)

    def walk(self, run: Run, run_id: str, digest: str | None) -> tuple[int, int]:
        """Append a succeeded run's rows with its schema version's walker; see :func:`_flatten_rows`."""
        if digest is None:
            raise FlattenError(run_id, "", "data_schema cannot be encoded as JSON")
        agent_id, target = run.agent_id, run.config.target
        walker = self.walkers.get((agent_id, digest, target))
        if walker is None:
            plan = compile_plan(run.data_schema, target, self.layouts[agent_id])
            walker = self.walkers[agent_id, digest, target] = RecordWalker(plan, self.agent_rows[agent_id])
        return _flatten_rows(run, run_id, walker, self.meta_rows)

    def tables(self, agent_id: str) -> dict[str, pa.Table]:
        """The agent's tables, each built once from all its rows."""
        rows = self.agent_rows[agent_id]
        return {name: build_table(schema, rows[name]) for name, schema in self.layouts[agent_id].items()}


def flatten_run(run: Run, *, table_schemas: Mapping[str, pa.Schema] | None = None) -> FlattenedRun:
    """Flatten one finished run into its own tables (no runs row); strict where the batch is lenient.

    Args:
        run: a finished run (a failed one gives empty tables).
        table_schemas: stored schemas of this agent's tables, by table name, to unify with.

    Raises:
        FlattenError: the run's data cannot be flattened; names the run and the JSON path. Nothing
            else escapes for a finished run.
        RunNotReadyError: the run is not finished yet.
    """
    if not run.outcome.finished:
        raise RunNotReadyError(run.id, run.status)
    digest = digest_of(run)
    if digest is None:
        raise FlattenError(run.id, "", "data_schema cannot be encoded as JSON")
    target = run.config.target
    stored = {(run.agent_id, name): schema for name, schema in (table_schemas or {}).items()}
    layout, _ = stored_layout(run.agent_id, stored)
    unify(layout, plan_for(run.data_schema, target, digest))
    walker = RecordWalker(compile_plan(run.data_schema, target, layout))
    meta: list[MetadataRow] = []
    records = off = 0
    if run.outcome is Outcome.SUCCEEDED:
        records, off = _flatten_rows(run, run.id, walker, meta)
    return FlattenedRun(
        run_id=run.id,
        extraction_agent_id=run.agent_id,
        tables={name: build_table(schema, walker.out.get(name, [])) for name, schema in layout.items()},
        field_metadata=build_table(FIELD_METADATA_SCHEMA, meta),
        record_count=records,
        off_schema_values=off,
    )
