"""Landing: discover the runs of a range of days, fetch them by ID, flatten them, write each day.

This is the one code path behind the Dagster assets (and so behind ``demo``, ``backfill`` and
``fetch``). It knows the client, the flattener and the store, and nothing of Dagster.

How a range of days lands:

1. **Discover.** List each selected agent's runs once (newest first, stopping below the first day)
   and sort them into UTC days by ``created_at``. SUCCESS and ERROR runs are to be fetched;
   CREATED and PENDING runs are only counted: they land when they finish (the schedule's lookback
   and the sensor re-land their day).
2. **Fetch by ID**, concurrently, over one connection pool, for all days in one stream, so the
   pipeline stays full across day boundaries while memory holds about one day at a time.
3. **Flatten** each day's runs as a batch, unified with the schemas already on disk.
4. **Write** each day's tables with :meth:`ParquetStore.replace_day`, which swaps every table's
   partition for that day atomically and removes leftovers of the previous version of the day.
   Shared tables (``runs``, ``field_metadata``) hold one file per agent and day, so landing one
   agent never touches another agent's rows.

A run the listing showed but that is gone by the time it is fetched (404) is counted as vanished
and skipped. Any other fetch error fails the landing before the day is written: the previous
version of the day stays as it was, and nothing is half-written.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from llamacloud_etl.errors import (
    ConfigurationError,
    FlattenError,
    LlamaCloudError,
    NotFoundError,
    StorageError,
)
from llamacloud_etl.flatten import (
    FlattenedBatch,
    SchemaConflict,
    flatten_batch,
    table_schemas_for,
    union_schemas,
)
from llamacloud_etl.flatten.schema import schema_hash
from llamacloud_etl.models import ExtractAgent, ExtractRun, ExtractRunSummary, ExtractState, validate_id
from llamacloud_etl.storage import ParquetStore, WrittenPartition, agent_slug, split_slug

logger = logging.getLogger(__name__)

WRITE_QUEUE = 2
"""Complete days that may wait for the writer thread before fetching pauses."""

RUNS_TABLE = "runs"
FIELD_METADATA_TABLE = "field_metadata"


class RunsClient(Protocol):
    """What landing needs of :class:`llamacloud_etl.client.LlamaCloudClient`."""

    def list_agents(self, include_default: bool = False) -> list[ExtractAgent]: ...

    def list_run_summaries(
        self, agent_id: str, *, page_size: int = ..., created_after: datetime | None = ...
    ) -> Iterator[ExtractRunSummary]: ...

    def fetch_runs(
        self, run_ids: Iterable[str], *, max_concurrency: int | None = ...
    ) -> Iterator[RunFetchLike]: ...


class RunFetchLike(Protocol):
    """One result of ``fetch_runs``."""

    @property
    def run_id(self) -> str: ...

    @property
    def run(self) -> ExtractRun | None: ...

    @property
    def error(self) -> LlamaCloudError | None: ...


def day_of(moment: datetime) -> date:
    """The UTC calendar day of a timestamp: the ``run_date`` partition a run belongs to."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC covering the days ``first`` to ``last``, both inclusive."""
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    return start, end


def select_agents(agents: Sequence[ExtractAgent], allow: Collection[str] | None) -> list[ExtractAgent]:
    """The agents to land: all of them, or those whose ID or name is in ``allow``.

    Names match case-insensitively. An entry that matches no agent is a configuration error, not
    a silent empty landing.
    """
    if not allow:
        return sorted(agents, key=lambda a: (a.name, a.id))
    wanted = {entry.strip() for entry in allow if entry.strip()}
    chosen: dict[str, ExtractAgent] = {}
    unmatched = []
    for entry in sorted(wanted):
        hits = [a for a in agents if a.id == entry.lower() or a.name.casefold() == entry.casefold()]
        if not hits:
            unmatched.append(entry)
        for agent in hits:
            chosen[agent.id] = agent
    if unmatched:
        known = ", ".join(sorted(f"{a.name!r} ({a.id})" for a in agents)) or "none"
        raise ConfigurationError(
            f"no agent matches {', '.join(map(repr, unmatched))}; the project has: {known}"
        )
    return sorted(chosen.values(), key=lambda a: (a.name, a.id))


@dataclass
class DayPlan:
    """What the listing showed for one day."""

    day: date
    finished: dict[str, str] = field(default_factory=dict)  # run_id -> agent_id (SUCCESS or ERROR)
    success: set[str] = field(default_factory=set)
    pending: dict[str, str] = field(default_factory=dict)  # run_id -> agent_id (CREATED or PENDING)


@dataclass
class Discovery:
    """The runs found for a range of days, by day."""

    days: dict[date, DayPlan]
    listed: int = 0
    undated: int = 0
    schemas: dict[str, SchemaVersions] = field(default_factory=dict)  # by agent ID


@dataclass(frozen=True, slots=True)
class ListedRun:
    """What discovery keeps of a listed run: a few fields, not the run's schema or data."""

    id: str
    agent_id: str
    status: ExtractState
    created_at: datetime | None


# data_schema_hash -> (first created_at, data_schema, extraction_target): each schema version once.
SchemaVersions = dict[str, tuple[datetime, dict[str, Any], str]]


@dataclass
class Listing:
    """One listing of the window: every run, and each agent's schema versions among SUCCESS runs."""

    runs: list[ListedRun] = field(default_factory=list)
    schemas: dict[str, SchemaVersions] = field(default_factory=dict)


def list_window(
    client: RunsClient, agents: Sequence[ExtractAgent], created_after: datetime, *, page_size: int = 100
) -> Listing:
    """Every run of the agents created after ``created_after``, the agents listed concurrently.

    Each agent's pages are sequential (offset paging must be), so listing the agents side by side
    hides the round trips. Each summary is boiled down as its page arrives, and a schema is kept
    once per version, so memory grows by a few dozen bytes per run, not by a schema per run.
    """

    def one(agent: ExtractAgent) -> tuple[list[ListedRun], SchemaVersions]:
        runs: list[ListedRun] = []
        versions: SchemaVersions = {}
        for run in client.list_run_summaries(agent.id, page_size=page_size, created_after=created_after):
            runs.append(ListedRun(run.id, run.extraction_agent_id, run.status, run.created_at))
            if run.status is ExtractState.SUCCESS and run.created_at is not None:
                digest = schema_hash(run.data_schema)
                seen = versions.get(digest)
                if seen is None or run.created_at < seen[0]:
                    versions[digest] = (run.created_at, run.data_schema, run.config.extraction_target)
        return runs, versions

    listing = Listing()
    if not agents:
        return listing
    with ThreadPoolExecutor(max_workers=min(len(agents), 8), thread_name_prefix="llamacloud-list") as pool:
        for agent, (runs, versions) in zip(agents, pool.map(one, agents), strict=True):
            listing.runs.extend(runs)
            if versions:
                listing.schemas[agent.id] = versions
    return listing


def discover(
    client: RunsClient, agents: Sequence[ExtractAgent], first: date, last: date, *, page_size: int = 100
) -> Discovery:
    """List each agent once and sort its runs of ``first``..``last`` (inclusive) into days."""
    start, end = day_bounds(first, last)
    listing = list_window(client, agents, start, page_size=page_size)
    found = Discovery(days={}, listed=len(listing.runs), schemas=listing.schemas)
    for run in listing.runs:
        if run.created_at is None:
            found.undated += 1
            logger.warning("run %s has no created_at; it cannot be placed in a day and is skipped", run.id)
            continue
        if not start <= run.created_at < end:
            continue
        plan = found.days.setdefault(day_of(run.created_at), DayPlan(day_of(run.created_at)))
        if run.status.finished:
            plan.finished[run.id] = run.agent_id
            if run.status is ExtractState.SUCCESS:
                plan.success.add(run.id)
        else:
            plan.pending[run.id] = run.agent_id
    return found


@dataclass
class DayResult:
    """What landing one day did."""

    day: date
    written: list[WrittenPartition]
    runs_landed: set[str]
    success_listed: set[str]
    pending: int
    vanished: list[str]
    flatten_failed: set[str]
    low_confidence_fields: int
    scored_fields: int


@dataclass
class LandingReport:
    """What a landing did, for metadata, checks and the CLI."""

    days: list[DayResult] = field(default_factory=list)
    agents: list[ExtractAgent] = field(default_factory=list)
    listed: int = 0
    fetched: int = 0
    success: int = 0
    errored: int = 0
    pending: int = 0
    vanished: int = 0
    records: int = 0
    off_schema_values: int = 0
    flatten_errors: list[str] = field(default_factory=list)
    schema_conflicts: dict[str, SchemaConflict] = field(default_factory=dict)

    @property
    def written(self) -> list[WrittenPartition]:
        """Every partition file written, in order."""
        return [w for d in self.days for w in d.written]

    @property
    def incompatible_conflicts(self) -> list[SchemaConflict]:
        """Type clashes that could not be reconciled (off-type values went to ``_extra``)."""
        return [c for c in self.schema_conflicts.values() if c.resolution != "widened"]

    def add_conflicts(self, conflicts: Iterable[SchemaConflict]) -> None:
        """Record schema conflicts once each, however many days report them."""
        for conflict in conflicts:
            self.schema_conflicts.setdefault(str(conflict), conflict)


ProgressCallback = Callable[[DayResult, int, int], None]


def land_days(
    client: RunsClient,
    store: ParquetStore,
    first: date,
    last: date,
    *,
    agents_allow: Collection[str] | None = None,
    extra_run_ids: Collection[str] = (),
    low_confidence_threshold: float = 0.5,
    max_concurrency: int | None = None,
    fetched_at: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> LandingReport:
    """Land every finished run created from ``first`` to ``last`` (UTC, inclusive), day by day.

    Args:
        client: the runs client (usually ``LlamaCloudResource.get_client()``).
        store: where the Parquet dataset lives.
        first: the first day to land.
        last: the last day to land (inclusive).
        agents_allow: agent IDs or names to land; all of the project's agents when empty.
        extra_run_ids: runs to land even if the listing does not show them (``llamacloud-etl fetch``);
            they must belong to a day in the range.
        low_confidence_threshold: a field whose ``confidence`` is below this counts as low-confidence.
        max_concurrency: in-flight fetches; the client's default when None.
        fetched_at: the ``fetched_at`` of runs that are new or changed since they last landed (now
            when None); unchanged runs keep the one they landed with.
        progress: called after each day is written with (result, days done, days total).

    Returns:
        A report with counts, the partitions written and per-day details for the asset checks.
    """
    if last < first:
        raise ConfigurationError(f"the range ends ({last}) before it starts ({first})")
    extra = list(dict.fromkeys(validate_id(run_id) for run_id in extra_run_ids))
    agents = select_agents(client.list_agents(), agents_allow)
    report = LandingReport(agents=agents)
    found = discover(client, agents, first, last)
    report.listed = found.listed
    writer = _DayWriter(store, agents, fetched_at or datetime.now(UTC), low_confidence_threshold, report)
    writer.fix_schemas(found)

    all_days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    plans = {d: found.days.get(d, DayPlan(d)) for d in all_days}
    arrived: dict[date, list[ExtractRun]] = defaultdict(list)
    vanished: dict[date, list[str]] = defaultdict(list)
    names = {a.id: a.name for a in agents}
    for run in _fetch_extra(client, extra, plans, names, first, last, max_concurrency):
        report.fetched += 1
        arrived[day_of(run.created_at or writer.fetched_at)].append(run)

    expected = {run_id: d for d in all_days for run_id in plans[d].finished if run_id not in extra}
    # A day is written once all of its runs have arrived. Runs are requested in day order, so with
    # a bounded number in flight only about one day's runs are held in memory at a time.
    remaining = dict.fromkeys(all_days, 0)
    for d in expected.values():
        remaining[d] += 1
    # Complete days are flattened and written on one writer thread while this thread keeps
    # fetching, so the network stays busy; at most WRITE_QUEUE days wait, which bounds memory.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="llamacloud-write") as writes:
        queued: deque[Future[DayResult]] = deque()
        next_day = 0

        def collect(*, wait_for: int) -> None:
            while queued and (len(queued) > wait_for or queued[0].done()):
                result = queued.popleft().result()
                report.days.append(result)
                if progress is not None:
                    progress(result, len(report.days), len(all_days))

        def flush_ready() -> None:
            nonlocal next_day
            while next_day < len(all_days) and remaining[all_days[next_day]] == 0:
                d = all_days[next_day]
                queued.append(
                    writes.submit(writer.write, d, arrived.pop(d, []), plans[d], vanished.pop(d, []))
                )
                next_day += 1
                collect(wait_for=WRITE_QUEUE)
            collect(wait_for=len(queued))

        flush_ready()
        for fetch in client.fetch_runs(list(expected), max_concurrency=max_concurrency):
            d = expected[fetch.run_id]
            if fetch.error is not None:
                if not isinstance(fetch.error, NotFoundError):
                    raise fetch.error
                logger.warning("run %s was listed but is gone now (404); skipped", fetch.run_id)
                vanished[d].append(fetch.run_id)
                report.vanished += 1
            else:
                assert fetch.run is not None
                report.fetched += 1
                arrived[d].append(fetch.run)
            remaining[d] -= 1
            flush_ready()
        collect(wait_for=0)
    return report


def _fetch_extra(
    client: RunsClient,
    run_ids: Sequence[str],
    plans: Mapping[date, DayPlan],
    names: Mapping[str, str],
    first: date,
    last: date,
    max_concurrency: int | None,
) -> list[ExtractRun]:
    """Fetch runs asked for by ID and check that they belong to the range and the agents."""
    runs: list[ExtractRun] = []
    for fetch in client.fetch_runs(run_ids, max_concurrency=max_concurrency):
        if fetch.error is not None:
            raise fetch.error
        run = fetch.run
        assert run is not None
        when = day_of(run.created_at) if run.created_at else None
        if when is None or not first <= when <= last:
            raise ConfigurationError(f"run {run.id} was created on {when}, outside the range {first}..{last}")
        if run.extraction_agent_id not in names:
            raise ConfigurationError(
                f"run {run.id} belongs to agent {run.extraction_agent_id}, which is not selected"
            )
        plan = plans[when]
        plan.finished.pop(run.id, None)
        plan.pending.pop(run.id, None)
        plan.success.discard(run.id)
        if run.status.finished:
            plan.finished[run.id] = run.extraction_agent_id
            if run.status is ExtractState.SUCCESS:
                plan.success.add(run.id)
        else:
            plan.pending[run.id] = run.extraction_agent_id
        runs.append(run)
    return runs


class _DayWriter:
    """Flattens and writes one day at a time, keeping every table's schema fixed across the landing.

    Where an agent's files go: shared tables (``runs``, ``field_metadata``) get one part per agent
    and day named by the agent's ID, which never changes; the agent's own tables live under
    ``agents/<slug>/``. The slug holds the agent's name, so after a rename the day is also removed
    from the folders of the agent's earlier names: re-landing a day never leaves a copy behind.
    """

    def __init__(
        self,
        store: ParquetStore,
        agents: Sequence[ExtractAgent],
        fetched_at: datetime,
        low_confidence_threshold: float,
        report: LandingReport,
    ) -> None:
        self.store = store
        self.agents = agents
        self.fetched_at = fetched_at
        self.threshold = low_confidence_threshold
        self.report = report
        self.names = {a.id: a.name for a in agents}
        self.slugs = {a.id: agent_slug(a.name, a.id) for a in agents}
        tables = store.list_tables()
        folders = {t.split("/")[1] for t in tables if t.startswith("agents/")}
        self.scope = sorted(
            f"agents/{folder}/"
            for folder in folders | set(self.slugs.values())
            if any(_same_agent(folder, agent.id) for agent in agents)
        )
        self.schemas = self._stored_schemas(tables)

    def _stored_schemas(self, tables: Sequence[str]) -> dict[tuple[str, str], pa.Schema]:
        found: dict[tuple[str, str], pa.Schema] = {}
        for agent_id, slug in self.slugs.items():
            prefix = f"agents/{slug}/"
            for table in tables:
                if table.startswith(prefix):
                    schema = self.store.table_schema(table)
                    if schema is not None:
                        found[(agent_id, table[len(prefix) :])] = schema
        return found

    def fix_schemas(self, found: Discovery) -> None:
        """Union what is on disk with every schema version the listing showed, before any write.

        Fixing the schemas before the first day is written gives every partition of a landing the
        same columns in the same order, even when an agent's schema changed halfway through, so a
        second landing rewrites identical files.
        """
        for agent_id, versions in sorted(found.schemas.items()):
            for _, data_schema, target in sorted(versions.values(), key=lambda v: v[0]):
                try:
                    tables = table_schemas_for(data_schema, target)
                except FlattenError:
                    continue  # the flattener reports it on each run of this schema
                for table, schema in tables.items():
                    key = (agent_id, table)
                    if key not in self.schemas:
                        self.schemas[key] = schema
                        continue
                    merged, conflicts = union_schemas(
                        self.schemas[key], schema, table=table, agent_id=agent_id
                    )
                    self.schemas[key] = merged
                    self.report.add_conflicts(conflicts)

    def write(self, day: date, runs: list[ExtractRun], plan: DayPlan, vanished: list[str]) -> DayResult:
        """Flatten the day's runs and replace the day's files of every selected agent."""
        pending = set(plan.pending) | {r.id for r in runs if not r.status.finished}
        # Runs arrive in completion order; sorting makes every rewrite of a day byte-identical.
        finished = sorted(
            (r for r in runs if r.status.finished), key=lambda r: (r.created_at or self.fetched_at, r.id)
        )
        batch = flatten_batch(
            finished, agent_names=self.names, fetched_at=self.fetched_at, table_schemas=self.schemas
        )
        runs_table = self._keep_fetched_at(day, batch.runs)
        written = self.store.replace_day(day, self._tables(batch, runs_table), scope=self.scope)
        by_slug = {slug: agent_id for agent_id, slug in self.slugs.items()}
        for w in written:
            parts = w.table.split("/")
            if parts[0] == "agents" and parts[1] in by_slug:
                self.schemas[(by_slug[parts[1]], parts[2])] = w.schema

        stats, report = batch.stats, self.report
        report.success += stats.runs_success
        report.errored += stats.runs_error
        report.pending += len(pending)
        report.records += stats.records
        report.off_schema_values += stats.off_schema_values
        report.flatten_errors.extend(str(e) for e in stats.flatten_errors)
        report.add_conflicts(stats.schema_conflicts)
        scores = [c for c in batch.field_metadata.column("confidence").to_pylist() if c is not None]
        return DayResult(
            day=day,
            written=written,
            runs_landed={str(v) for v in batch.runs.column("run_id").to_pylist()},
            success_listed=set(plan.success) - set(vanished),
            pending=len(pending),
            vanished=vanished,
            flatten_failed={e.run_id for e in stats.flatten_errors},
            low_confidence_fields=sum(1 for c in scores if c < self.threshold),
            scored_fields=len(scores),
        )

    def _keep_fetched_at(self, day: date, runs: pa.Table) -> pa.Table:
        """A run landed before in the same state keeps its first ``fetched_at``.

        ``fetched_at`` is when this version of the run (same ``updated_at`` and status) was first
        fetched, so re-landing a day whose runs did not change writes byte-identical files.
        """
        if runs.num_rows == 0:
            return runs
        columns = ["run_id", "updated_at", "status", "fetched_at"]
        try:
            before = self.store.read_table(RUNS_TABLE, days=[day], columns=columns)
        except StorageError:
            return runs  # files written before these columns existed: nothing to keep
        previous = {row["run_id"]: row for row in before.to_pylist()}
        if not previous:
            return runs
        kept = []
        for row in runs.select(columns).to_pylist():
            old = previous.get(row["run_id"])
            same = old is not None and (old["updated_at"], old["status"]) == (
                row["updated_at"],
                row["status"],
            )
            kept.append(old["fetched_at"] if same and old is not None else row["fetched_at"])
        index = runs.schema.get_field_index("fetched_at")
        field_ = runs.schema.field(index)
        return runs.set_column(index, field_, pa.array(kept, type=field_.type))

    def _tables(self, batch: FlattenedBatch, runs: pa.Table) -> dict[str | tuple[str, str], pa.Table]:
        """Key every table of the batch by where it goes: shared tables get one part per agent."""
        tables: dict[str | tuple[str, str], pa.Table] = {}
        for agent in self.agents:
            for shared in (RUNS_TABLE, FIELD_METADATA_TABLE):
                whole: pa.Table = runs if shared == RUNS_TABLE else batch.field_metadata
                mine = pc.equal(whole.column("extraction_agent_id"), pa.scalar(agent.id))
                tables[(shared, agent.id)] = whole.filter(mine)
            agent_tables = batch.agents.get(agent.id)
            if agent_tables is not None:
                for name, table in agent_tables.tables.items():
                    tables[f"agents/{self.slugs[agent.id]}/{name}"] = table
        return tables


def _same_agent(folder: str, agent_id: str) -> bool:
    """True when an ``agents/`` folder belongs to the agent (its slug ends in the ID's first 8 hex)."""
    try:
        return split_slug(folder)[1] == agent_id.replace("-", "")[:8]
    except ValueError:
        return False


@dataclass(frozen=True)
class Verification:
    """What reading the landed days back from storage shows (the asset checks' evidence)."""

    duplicate_run_ids: int
    duplicate_row_ids: dict[str, int]
    missing_success: list[str]
    flatten_failed: list[str]
    low_confidence: int
    scored: int


def verify(report: LandingReport, store: ParquetStore) -> Verification:
    """Read the ID columns of every day just landed back from storage and check them.

    Duplicates are counted per day partition (a run belongs to exactly one day); a SUCCESS run
    the listing showed (and that did not vanish since) is missing when no ``runs`` file of its day
    holds it. A run whose data could not be flattened has its ``runs`` row but no records: it is
    reported apart, in ``flatten_failed``.
    """
    duplicate_runs = 0
    duplicate_rows: dict[str, int] = {}
    missing: list[str] = []
    for day in report.days:
        tables = sorted({w.table for w in day.written})
        landed: set[str] = set()
        if RUNS_TABLE in tables:
            ids = store.read_table(RUNS_TABLE, days=[day.day], columns=["run_id"]).column("run_id")
            duplicate_runs += len(ids) - pc.count_distinct(ids).as_py()
            landed = {str(v) for v in ids.to_pylist()}
        missing.extend(sorted(day.success_listed - landed))
        for table in tables:
            if table.startswith("agents/"):
                rows = store.read_table(table, days=[day.day], columns=["_row_id"]).column("_row_id")
                dup = len(rows) - pc.count_distinct(rows).as_py()
                if dup:
                    duplicate_rows[table] = duplicate_rows.get(table, 0) + dup
    return Verification(
        duplicate_run_ids=duplicate_runs,
        duplicate_row_ids=duplicate_rows,
        missing_success=missing,
        flatten_failed=sorted(r for d in report.days for r in d.flatten_failed),
        low_confidence=sum(d.low_confidence_fields for d in report.days),
        scored=sum(d.scored_fields for d in report.days),
    )


@dataclass(frozen=True)
class Watermark:
    """The completion sensor's cursor: what it has already seen of the lookback window.

    A run needs landing when it is finished and either the sensor saw it unfinished before
    (``pending``), or it is newer than anything seen (created after ``created``, or at ``created``
    but not among ``ids``). Completion times are not used: they need not be monotonic across a
    listing, which is no snapshot, so a watermark on them can skip a run that finished "in the
    past". Runs created before the lookback window are forgotten; the schedule has the same horizon.
    """

    created: datetime | None = None
    ids: frozenset[str] = frozenset()
    pending: frozenset[str] = frozenset()

    def to_cursor(self) -> str:
        """Serialise for a Dagster sensor cursor."""
        return json.dumps(
            {
                "created": self.created.isoformat() if self.created else None,
                "ids": sorted(self.ids),
                "pending": sorted(self.pending),
            }
        )

    @classmethod
    def from_cursor(cls, cursor: str | None) -> Watermark:
        """Parse a cursor written by :meth:`to_cursor`; ``None`` or empty means nothing seen yet."""
        if not cursor:
            return cls()
        raw = json.loads(cursor)
        created = datetime.fromisoformat(raw["created"]) if raw.get("created") else None
        return cls(
            created=created, ids=frozenset(raw.get("ids", ())), pending=frozenset(raw.get("pending", ()))
        )

    def is_new(self, run: ListedRun) -> bool:
        """True when the sensor has never seen this run, finished or not."""
        if self.created is None or run.created_at is None:
            return self.created is None
        return run.created_at > self.created or (run.created_at == self.created and run.id not in self.ids)


@dataclass(frozen=True)
class Completed:
    """Runs that finished since the sensor's last look."""

    run_ids: list[str]
    days: set[date]
    watermark: Watermark


def find_completed(
    client: RunsClient, agents: Sequence[ExtractAgent], *, created_after: datetime, watermark: Watermark
) -> Completed:
    """Finished runs created after ``created_after`` that the watermark has not seen finished."""
    completed: list[ListedRun] = []
    pending: set[str] = set()
    newest = watermark.created
    seen: list[ListedRun] = []
    for run in list_window(client, agents, created_after).runs:
        if run.created_at is None:
            continue
        seen.append(run)
        if not run.status.finished:
            pending.add(run.id)
        elif watermark.is_new(run) or run.id in watermark.pending:
            completed.append(run)
        if newest is None or run.created_at > newest:
            newest = run.created_at
    ids = {r.id for r in seen if r.created_at == newest}
    if newest == watermark.created:
        ids |= watermark.ids
    return Completed(
        run_ids=sorted(r.id for r in completed),
        days={day_of(r.created_at) for r in completed if r.created_at is not None},
        watermark=Watermark(created=newest, ids=frozenset(ids), pending=frozenset(pending)),
    )
