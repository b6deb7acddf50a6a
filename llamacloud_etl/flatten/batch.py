"""Flatten many runs at once: :func:`flatten_batch` -> :class:`FlattenedBatch`; one run: :func:`flatten_run`.

A batch works in two passes. First, per agent, the table schemas of every schema version in the
batch (succeeded runs first, then failed runs, each in input order) are unioned with the schemas
already stored (``table_schemas``), so one Arrow schema per table covers the whole batch. Then
every run walks its own compiled plan laid out in those unified columns, and each table is built
once per batch, one ``pa.array`` per column.

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
import marshal
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa

from llamacloud_etl.errors import FlattenError, RunNotReadyError
from llamacloud_etl.flatten.evolution import SchemaConflict, union_schemas
from llamacloud_etl.flatten.metadata import MetadataRow, metadata_rows, root_notes
from llamacloud_etl.flatten.plan import CHILD_KEYS, SYSTEM_FIELDS, Plan, compile_plan, plan_for
from llamacloud_etl.flatten.records import RecordWalker
from llamacloud_etl.flatten.runs import FIELD_METADATA_SCHEMA, RUNS_SCHEMA, runs_row
from llamacloud_etl.flatten.schema import schema_hash
from llamacloud_etl.flatten.values import clean_str
from llamacloud_etl.run import Outcome, Run

PARTITION_COLUMN = "run_date"  # the storage layer's Hive partition key: never one of our columns

KEY_NAMES = tuple(f.name for f in CHILD_KEYS)

Layout = dict[str, pa.Schema]


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

    A batch allocates hundreds of thousands of long-lived rows, which the collector would rescan
    again and again (about a third of the run time). Reference counting still frees everything
    meanwhile, and collection resumes (if it was on) when the block ends, even on error. Landing
    pauses it for a whole landing too (see ``landing._land_group``).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _stored_layout(
    agent_id: str, table_schemas: Mapping[tuple[str, str], pa.Schema]
) -> tuple[Layout, list[SchemaConflict]]:
    """The agent's stored table schemas, without the partition column and with our bookkeeping types."""
    layout: Layout = {}
    conflicts: list[SchemaConflict] = []
    for (agent, table), schema in table_schemas.items():
        if agent != agent_id:
            continue
        fields = []
        for stored_field in schema:
            if stored_field.name == PARTITION_COLUMN:
                continue
            ours = SYSTEM_FIELDS.get(stored_field.name)
            if ours is not None and not ours.type.equals(stored_field.type):
                # Our bookkeeping columns always keep our types: the walker fills them.
                found = SchemaConflict(
                    ours.name, str(stored_field.type), str(ours.type), "replaced", table, agent_id
                )
                conflicts.append(found)
                fields.append(ours)
            else:
                fields.append(stored_field)
        cleaned = pa.schema(fields)
        layout[table] = cleaned.with_metadata(schema.metadata) if schema.metadata else cleaned
    return layout, conflicts


def _keys_first(schema: pa.Schema) -> pa.Schema:
    """Put our key columns first, in our order (a stored schema may list them elsewhere)."""
    keys = [name for name in KEY_NAMES if name in schema.names]
    if schema.names[: len(keys)] == keys:
        return schema
    ordered = [schema.field(name) for name in keys] + [f for f in schema if f.name not in KEY_NAMES]
    reordered = pa.schema(ordered)
    return reordered.with_metadata(schema.metadata) if schema.metadata else reordered


def unify(layout: Layout, plan: Plan, agent_id: str | None = None) -> list[SchemaConflict]:
    """Union ``plan``'s table schemas into ``layout`` in place; returns the conflicts."""
    conflicts: list[SchemaConflict] = []
    for name, schema in plan.schemas().items():
        if name in layout:
            merged, found = union_schemas(layout[name], schema, table=name, agent_id=agent_id)
            layout[name] = _keys_first(merged)
            conflicts.extend(found)
        else:
            layout[name] = schema
    return conflicts


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
        meta_rows.extend(metadata_rows(walker.plan, run_id, agent_id, run.data, run.field_metadata))
    except Exception as exc:
        walker.rollback(marks)
        del meta_rows[meta_mark:]
        if isinstance(exc, FlattenError):
            raise
        # A bug must cost one run, not the batch.
        raise FlattenError(run_id, "", f"internal error: {type(exc).__name__}: {exc}") from exc
    return counts


def _digest(run: Run) -> str | None:
    try:
        return schema_hash(run.data_schema)
    except (TypeError, ValueError, RecursionError):
        return None


def _digests(runs: Sequence[Run]) -> dict[str, str | None]:
    """Each run's schema digest, by run ID; a schema seen before in the batch is not encoded again.

    Runs of an agent nearly always share one schema. Seen schemas are looked up by their
    ``marshal`` bytes, several times cheaper than canonical JSON: the bytes decode back to one
    value, types included, so equal bytes mean the same JSON value (``==`` would confuse ``1``,
    ``1.0`` and ``true``). Equal schemas that marshal differently (key order, shared objects)
    only miss the lookup.
    """
    seen: dict[bytes, str | None] = {}
    digests: dict[str, str | None] = {}
    for run in runs:
        try:
            key = marshal.dumps(run.data_schema)
        except ValueError:  # not plain JSON values: no lookup
            digests[run.id] = _digest(run)
            continue
        if key not in seen:
            seen[key] = _digest(run)
        digests[run.id] = seen[key]
    return digests


def _layouts(
    finished: list[Run],
    digests: Mapping[str, str | None],
    stored: Mapping[tuple[str, str], pa.Schema],
) -> tuple[dict[str, Layout], list[SchemaConflict]]:
    """Pass 1: one unified layout per agent, over its stored schemas and every schema version."""
    conflicts: list[SchemaConflict] = []
    layouts: dict[str, Layout] = {}
    seen: set[tuple[str, str | None, str]] = set()
    success = [r for r in finished if r.outcome is Outcome.SUCCEEDED]
    for run in success + [r for r in finished if r.outcome is not Outcome.SUCCEEDED]:
        agent_id = run.agent_id
        if agent_id not in layouts:
            layouts[agent_id], found = _stored_layout(agent_id, stored)
            conflicts.extend(found)
        version = (agent_id, digests[run.id], run.config.target)
        if version[1] is not None and version not in seen:
            seen.add(version)
            plan = plan_for(run.data_schema, version[2], version[1])
            conflicts.extend(unify(layouts[agent_id], plan, agent_id))
    return layouts, conflicts


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
    digests = _digests(finished)
    layouts, conflicts = _layouts(finished, digests, table_schemas)

    # Pass 2: every run walks its plan laid out in its agent's layout, into the agent's row lists.
    agent_rows: dict[str, dict[str, list[list[Any]]]] = {
        a: {t: [] for t in lay} for a, lay in layouts.items()
    }
    walkers: dict[tuple[str, str, str], RecordWalker] = {}
    meta_rows: list[MetadataRow] = []
    run_rows: list[tuple[Any, ...]] = []
    errors: list[FlattenError] = []
    totals = [0, 0]  # records, off-schema values
    for run in finished:
        run_id = clean_str(run.id) or ""
        agent_id, digest, target = run.agent_id, digests[run.id], run.config.target
        records = off = 0
        failure: FlattenError | None = None
        if run.outcome is Outcome.SUCCEEDED and digest is None:
            failure = FlattenError(run_id, "", "data_schema cannot be encoded as JSON")
        elif run.outcome is Outcome.SUCCEEDED and digest is not None:
            walker = walkers.get((agent_id, digest, target))
            if walker is None:
                plan = compile_plan(run.data_schema, target, layouts[agent_id])
                walker = walkers[agent_id, digest, target] = RecordWalker(plan, agent_rows[agent_id])
            try:
                records, off = _flatten_rows(run, run_id, walker, meta_rows)
            except FlattenError as exc:
                failure = exc
        if failure is not None:
            errors.append(failure)
        totals[0] += records
        totals[1] += off
        run_rows.append(
            runs_row(
                run,
                agent_name=names.get(agent_id),
                fetched_at=fetched_at,
                schema_digest=digest,
                record_count=records,
                off_schema=off,
                metadata_notes=root_notes(run.field_metadata),
                flatten_error=str(failure) if failure is not None else None,
            )
        )

    runs_table = build_table(RUNS_SCHEMA, run_rows)
    agents = {
        agent_id: AgentTables(
            agent_id=agent_id,
            agent_name=names.get(agent_id),
            tables={name: build_table(schema, agent_rows[agent_id][name]) for name, schema in layout.items()},
        )
        for agent_id, layout in layouts.items()
    }
    success = sum(r.outcome is Outcome.SUCCEEDED for r in finished)
    return FlattenedBatch(
        runs=runs_table,
        field_metadata=build_table(FIELD_METADATA_SCHEMA, meta_rows),
        agents=agents,
        stats=FlattenStats(
            runs_success=success,
            runs_error=len(finished) - success,
            runs_pending=len(latest) - len(finished),
            records=totals[0],
            off_schema_values=totals[1],
            flatten_errors=errors,
            schema_conflicts=conflicts,
        ),
    )


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
    digest = _digest(run)
    if digest is None:
        raise FlattenError(run.id, "", "data_schema cannot be encoded as JSON")
    target = run.config.target
    stored = {(run.agent_id, name): schema for name, schema in (table_schemas or {}).items()}
    layout, _ = _stored_layout(run.agent_id, stored)
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
