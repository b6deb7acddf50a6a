"""Landing: list the runs of a range of days, flatten them, write each day.

This is the one code path behind the Dagster assets (and so behind ``demo``, ``backfill`` and
``fetch``). It knows the client, the flattener and the store, and nothing of Dagster.

How a range of days lands:

1. **List.** Each selected agent's runs are listed once, newest first, stopping below the first
   day, all agents side by side. ``GET /runs`` returns whole ``ExtractRun`` objects, the same as
   ``GET /runs/{id}`` (spec §3), so the listing *is* the fetch: each run crosses the wire once.
   Runs named by ID (``llamacloud-etl fetch``) are fetched by ID instead.
2. **Cut into days.** A UTC day is complete once every agent's listing has passed below it (the
   listing is newest first, spec §10.1) or ended. SUCCESS and ERROR runs land; CREATED and PENDING
   runs are only counted: they land when they finish (the schedule's lookback and the sensor
   re-land their day). An agent more than :data:`LEAD_DAYS` ahead of the slowest one waits, so
   memory holds a few days of runs, whatever the range.
3. **Flatten** each complete day as a batch, unified with the schemas already on disk and those
   of the days before it, while the listings go on with the next day.
4. **Write** each day's tables with :meth:`ParquetStore.replace_day`, which swaps every table's
   partition for that day atomically and removes leftovers of the previous version of the day.
   Shared tables (``runs``, ``field_metadata``) hold one file per agent and day, so landing one
   agent never touches another agent's rows.
5. **Conform.** Days are written newest first, so an older schema version can grow a table after
   newer days were written; those days' files are then rewritten in the grown schema (columns
   added as nulls, integers widened to float64), so every partition of a table has one schema.

**Worker processes.** Steps 1 to 5 are CPU-bound, and Python threads share one core. With
``processes`` above 1 and two agents or more, the agents are shared out between ``processes``
groups, each agent weighed first by its run count times the size of its newest runs, heaviest
first to the lightest group. The heaviest group lands in the calling process, the others in
spawned worker processes (:mod:`llamacloud_etl.fanout`). Each group runs the steps above for its
agents with its own client; agents write disjoint files, so the groups never meet on a file.

A listing error fails the landing: days already written stay written (each is whole), the day
being listed keeps its previous version, and nothing is half-written. If the listing shows a run
of a day already written (it was not newest first), that day is landed again at the end, its
other runs fetched by ID.
"""

from __future__ import annotations

import gc
import json
import logging
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from llamacloud_etl.client import ClientSettings, RetrySwitches, RunsSize
from llamacloud_etl.errors import (
    ConfigurationError,
    LlamaCloudError,
    NotFoundError,
    StorageError,
)
from llamacloud_etl.fanout import Emit, run_in_processes
from llamacloud_etl.flatten import (
    FlattenedBatch,
    SchemaConflict,
    conform_table,
    flatten_batch,
)
from llamacloud_etl.flatten.batch import gc_paused
from llamacloud_etl.models import ExtractAgent, ExtractRun, ExtractRunSummary, ExtractState, validate_id
from llamacloud_etl.sources.v1 import run_from_v1
from llamacloud_etl.storage import ParquetStore, WrittenPartition, agent_slug, split_slug

logger = logging.getLogger(__name__)

AHEAD_DAYS = 1
"""Days the listings may run ahead of the day being written: while one day is flattened and
written, the next one is listed."""

LEAD_DAYS = 0
"""How many days an agent's listing may run ahead of the slowest agent's before it waits.

0: an agent that reaches a day older than the slowest agent's waits there. The agents still list
side by side, and memory holds about two days of runs (one written, one listed) plus a page per agent.
"""

SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits, during a landing (Python's default: 0.005)."""

COLLECT_EVERY_DAYS = 7
"""Days written between two collections of reference cycles during a landing.

A landing holds about two days of parsed runs at a time, hundreds of thousands of dicts and lists.
The automatic collector would traverse the young ones every 700 allocations, and, turned back on
after each batch, traverse all the batch's survivors: together about a tenth of a landing's CPU.
So it is paused for the whole landing (``gc_paused``); reference counting frees the runs as their
days are written, and what it cannot free (reference cycles, about a thousand small objects a day,
from the libraries) is collected every this many days by :func:`_write_days`. Each collection
still traverses the runs listed ahead (about 20 ms), hence not after every day.
"""

PAGE_SIZE = 25
"""Runs per ``GET /runs`` page (the API's default is 25). Each page holds whole runs, and each
agent's listing keeps its current page in memory, so this trades requests against memory."""

SUMMARY_PAGE_SIZE = 100
"""Runs per page when only summaries are kept (the completion sensor): each is boiled down to a few
fields as its page arrives, so :data:`PAGE_SIZE`'s memory reason does not apply."""

RUNS_TABLE = "runs"
FIELD_METADATA_TABLE = "field_metadata"


class RunsClient(Protocol):
    """What landing needs of :class:`llamacloud_etl.client.LlamaCloudClient`."""

    @property
    def max_concurrency(self) -> int: ...

    def list_agents(self, include_default: bool = False) -> list[ExtractAgent]: ...

    def list_runs(
        self, agent_id: str, *, page_size: int = ..., created_after: datetime | None = ...
    ) -> Iterator[ExtractRun]: ...

    def list_run_summaries(
        self, agent_id: str, *, page_size: int = ..., created_after: datetime | None = ...
    ) -> Iterator[ExtractRunSummary]: ...

    def size_runs(self, agent_id: str) -> RunsSize: ...

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


@dataclass(frozen=True, slots=True)
class ListedRun:
    """What the completion sensor keeps of a listed run: a few fields, not its schema or data."""

    id: str
    agent_id: str
    status: ExtractState
    created_at: datetime | None


def list_window(
    client: RunsClient,
    agents: Sequence[ExtractAgent],
    created_after: datetime,
    *,
    page_size: int = SUMMARY_PAGE_SIZE,
) -> list[ListedRun]:
    """Every run of the agents created after ``created_after``, the agents listed concurrently.

    Each agent's pages are sequential (offset paging must be), so listing the agents side by side
    hides the round trips. Only summaries are parsed, and each is boiled down as its page arrives.
    """

    def one(agent: ExtractAgent) -> list[ListedRun]:
        return [
            ListedRun(run.id, run.extraction_agent_id, run.status, run.created_at)
            for run in client.list_run_summaries(agent.id, page_size=page_size, created_after=created_after)
        ]

    if not agents:
        return []
    with ThreadPoolExecutor(max_workers=min(len(agents), 8), thread_name_prefix="llamacloud-list") as pool:
        return [run for runs in pool.map(one, agents) for run in runs]


class _Listings:
    """The listings of a group of agents, side by side, handed out as complete days, newest first.

    Each agent is listed on its own thread (offset paging is sequential within an agent). An
    agent has *reached* the day of the oldest run it has listed; every later day is complete for
    it. A day is complete when it is complete for every agent whose listing has not ended, so the
    slowest agent (the newest day reached) decides. To bound memory, an agent waits while it is
    more than :data:`LEAD_DAYS` ahead of the slowest one, or more than :data:`AHEAD_DAYS` ahead of
    the last day handed out (which is being written).

    A run of a day already handed out (the listing was not newest first) is kept in ``late``.
    """

    def __init__(
        self,
        client: RunsClient,
        agents: Sequence[ExtractAgent],
        first: date,
        last: date,
        *,
        page_size: int,
        by_id: Collection[str],
    ) -> None:
        self._client = client
        self._agents = agents
        self._first, self._last = first, last
        self._start = day_bounds(first, last)[0]
        self._page_size = page_size
        self._by_id = by_id
        self._cond = threading.Condition()
        self._reached = {a.id: last + timedelta(days=1) for a in agents}
        self._active = {a.id for a in agents}
        self._taken = last + timedelta(days=1)  # every day from here on has been handed out
        self._buckets: dict[date, list[ExtractRun]] = defaultdict(list)
        self._error: Exception | None = None
        self._stop = False
        self.late: list[ExtractRun] = []
        self.listed = 0

    def days(self) -> Generator[tuple[date, list[ExtractRun]], None, None]:
        """Every day of the range, newest first, with its listed runs, as soon as it is complete.

        Raises:
            LlamaCloudError: an agent's listing failed (the other listings are stopped).
        """
        threads = [
            threading.Thread(target=self._list, args=(a,), name=f"llamacloud-list-{i}", daemon=True)
            for i, a in enumerate(self._agents)
        ]
        for thread in threads:
            thread.start()
        try:
            while self._taken > self._first:
                with self._cond:
                    while self._error is None and self._active and self._frontier() >= self._taken - _DAY:
                        self._cond.wait()
                    if self._error is not None:
                        raise self._error
                    ready = []
                    while self._taken > self._first and self._taken - _DAY > self._frontier():
                        self._taken -= _DAY
                        ready.append((self._taken, self._buckets.pop(self._taken, [])))
                    self._cond.notify_all()
                yield from ready
        finally:
            with self._cond:
                self._stop = True
                self._cond.notify_all()
            for thread in threads:
                thread.join()

    def _frontier(self) -> date:
        """The newest day not yet complete (the day before the range once every listing ended)."""
        return max((self._reached[a] for a in self._active), default=self._first - _DAY)

    def _list(self, agent: ExtractAgent) -> None:
        listing: Iterator[ExtractRun] = iter(())
        try:
            listing = self._client.list_runs(agent.id, page_size=self._page_size, created_after=self._start)
            for run in listing:
                with self._cond:
                    if self._stop:
                        return
                    if self._take(agent.id, run):
                        self._cond.notify_all()
                    while not self._stop and self._must_wait(agent.id):
                        self._cond.wait()
                    if self._stop:
                        return  # before the next item, which may cost a page request
        except Exception as exc:  # handed to the consumer, which raises it
            with self._cond:
                self._error = self._error or exc
        finally:
            with self._cond:
                self._active.discard(agent.id)
                self._cond.notify_all()
            close = getattr(listing, "close", None)
            if close is not None:
                close()  # a generator stopped early: no further page is requested

    def _take(self, agent_id: str, run: ExtractRun) -> bool:
        """Put a listed run in its day; True when the agent reached an older day (waiters look)."""
        self.listed += 1
        if run.created_at is None:
            logger.warning("run %s has no created_at; it cannot be placed in a day and is skipped", run.id)
            return False
        day = day_of(run.created_at)
        moved = day < self._reached[agent_id]
        if moved:
            self._reached[agent_id] = day
        if day > self._last or run.id in self._by_id:
            return moved
        if day >= self._taken:
            logger.warning(
                "run %s of %s was listed after its day was written; the day lands again", run.id, day
            )
            self.late.append(run)
        else:
            self._buckets[day].append(run)
        return moved

    def _must_wait(self, agent_id: str) -> bool:
        reached = self._reached[agent_id]
        ahead = timedelta(days=AHEAD_DAYS)
        return reached < self._frontier() - timedelta(days=LEAD_DAYS) or reached < self._taken - ahead


_DAY = timedelta(days=1)


@dataclass
class DayResult:
    """What landing one day did."""

    day: date
    written: list[WrittenPartition]
    runs_landed: set[str]
    success_listed: set[str]
    pending_ids: set[str]
    vanished: list[str]
    flatten_failed: set[str]
    low_confidence_fields: int
    scored_fields: int
    records: int = 0
    off_schema_values: int = 0
    flatten_errors: list[str] = field(default_factory=list)

    @property
    def pending(self) -> int:
        """CREATED or PENDING runs of the day: counted, not landed."""
        return len(self.pending_ids)


@dataclass
class LandingReport:
    """What a landing did, for metadata, checks and the CLI."""

    days: list[DayResult] = field(default_factory=list)
    agents: list[ExtractAgent] = field(default_factory=list)
    listed: int = 0  # runs the listings returned, of the range or newer
    fetched: int = 0  # finished runs of the range received, listed or fetched by ID
    success: int = 0
    errored: int = 0
    pending: int = 0
    vanished: int = 0
    records: int = 0
    off_schema_values: int = 0
    flatten_errors: list[str] = field(default_factory=list)
    schema_conflicts: dict[str, SchemaConflict] = field(default_factory=dict)
    unconformed: list[str] = field(default_factory=list)
    conformed: int = 0
    api_requests: int = 0  # made by the groups' own clients (the caller's client counts its own)
    api_retries: int = 0
    read_back: ReadBack = field(default_factory=lambda: ReadBack())

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
    page_size: int = PAGE_SIZE,
    fetched_at: datetime | None = None,
    progress: ProgressCallback | None = None,
    processes: int = 1,
    settings: ClientSettings | None = None,
) -> LandingReport:
    """Land every finished run created from ``first`` to ``last`` (UTC, inclusive), day by day.

    Args:
        client: the runs client (usually ``LlamaCloudResource.get_client()``).
        store: where the Parquet dataset lives.
        first: the first day to land.
        last: the last day to land (inclusive).
        agents_allow: agent IDs or names to land; all of the project's agents when empty.
        extra_run_ids: runs to fetch by ID and land even if the listing does not show them
            (``llamacloud-etl fetch``); they must belong to a day in the range.
        low_confidence_threshold: a field whose ``confidence`` is below this counts as low-confidence.
        max_concurrency: agents listed at once, and fetches by ID in flight; the client's
            ``max_concurrency`` (its connection pool) when None. More agents are landed in groups.
        page_size: runs per listing page.
        fetched_at: the ``fetched_at`` of runs that are new or changed since they last landed (now
            when None); unchanged runs keep the one they landed with.
        progress: called after each day of each group of agents is written, newest day first, with
            (result, days done, days total).
        processes: processes to share the agents out between, this one included (see
            :func:`_land_in_processes`), when ``settings`` is given, there are two agents or more
            and no ``extra_run_ids``; otherwise everything runs in this process. Landing is
            CPU-bound, so up to one per core helps. Each group, the local one too, builds its own
            client from ``settings``; their requests and retries are counted in the report's
            ``api_requests`` and ``api_retries``.
        settings: how the groups build their clients (see ``processes``).

    Returns:
        A report with counts, the partitions written and per-day details (oldest day first) for
        the asset checks.
    """
    if last < first:
        raise ConfigurationError(f"the range ends ({last}) before it starts ({first})")
    if processes < 1:
        raise ConfigurationError(f"processes must be at least 1, got {processes}")
    extra = list(dict.fromkeys(validate_id(run_id) for run_id in extra_run_ids))
    agents = select_agents(client.list_agents(), agents_allow)
    width = max(1, client.max_concurrency if max_concurrency is None else max_concurrency)
    options = _Options(
        first=first,
        last=last,
        fetched_at=fetched_at or datetime.now(UTC),
        threshold=low_confidence_threshold,
        width=width,
        page_size=page_size,
    )
    if processes > 1 and settings is not None and len(agents) > 1 and not extra:
        return _land_in_processes(client, settings, store, agents, options, processes, progress)
    by_id = _fetch_extra(client, extra, {a.id for a in agents}, first, last, width)
    report = LandingReport(agents=agents)
    _land_groups(client, store, agents, by_id, options, report, _counted(progress, options.days(len(agents))))
    return report


def _land_groups(
    client: RunsClient,
    store: ParquetStore,
    agents: Sequence[ExtractAgent],
    by_id: Sequence[ExtractRun],
    options: _Options,
    report: LandingReport,
    done: Callable[[DayResult], None],
) -> None:
    """Land the agents in groups of ``options.width`` listed side by side; ``report.days`` gets every day."""
    merged: dict[date, DayResult] = {}
    for i in range(0, max(1, len(agents)), options.width):
        group = agents[i : i + options.width]
        _add_days(merged, _land_group(client, store, group, by_id, options, report, done).values())
    report.days = [merged[d] for d in sorted(merged)]


def _add_days(merged: dict[date, DayResult], results: Iterable[DayResult]) -> None:
    """Fold day results of disjoint agents into ``merged``, one result per day."""
    for result in results:
        before = merged.get(result.day)
        merged[result.day] = result if before is None else _combine(before, result)


def _counted(progress: ProgressCallback | None, total: int) -> Callable[[DayResult], None]:
    """A per-day callback that numbers the days done and passes them to ``progress``."""
    count = 0

    def done(result: DayResult) -> None:
        nonlocal count
        count += 1
        if progress is not None:
            progress(result, count, total)

    return done


@dataclass(frozen=True)
class _Options:
    """How a landing runs, the same in every group of agents and every worker process."""

    first: date
    last: date
    fetched_at: datetime
    threshold: float
    width: int
    page_size: int

    def days(self, agents: int) -> int:
        """How many (day, group of agents) landings ``agents`` agents in groups of ``width`` make."""
        groups = max(1, -(-agents // self.width))
        return ((self.last - self.first).days + 1) * groups


def _land_group(
    client: RunsClient,
    store: ParquetStore,
    group: Sequence[ExtractAgent],
    by_id: Sequence[ExtractRun],
    options: _Options,
    report: LandingReport,
    done: Callable[[DayResult], None],
) -> dict[date, DayResult]:
    """Land the range for one group of agents listed side by side; the days it wrote, by day."""
    mine = {a.id for a in group}
    writer = _DayWriter(store, group, options.fetched_at, options.threshold, report)
    extras: dict[date, list[ExtractRun]] = defaultdict(list)
    for run in by_id:
        if run.extraction_agent_id in mine and run.created_at is not None:
            extras[day_of(run.created_at)].append(run)
    listings = _Listings(
        client, group, options.first, options.last, page_size=options.page_size, by_id={r.id for r in by_id}
    )
    results: dict[date, DayResult] = {}
    # Flattening holds the GIL in slices; shorter slices hand it to a listing
    # thread whose page has arrived sooner, which keeps every connection busy (measured: +12%).
    with _switch_interval(SWITCH_INTERVAL), gc_paused():  # see COLLECT_EVERY_DAYS
        try:
            # closing(): a failed write stops the listing threads now, not when the
            # generator is collected (the exception's traceback keeps it alive).
            with closing(listings.days()) as days:
                _write_days(writer, days, extras, done, results)
            report.listed += listings.listed
            if listings.late:
                results.update(_land_late(client, writer, results, listings.late, options.width))
        except BaseException:
            _conform_after_failure(writer, results)
            raise
        writer.conform(results)
    report.read_back.add(read_back(store, results.values(), parts=mine))
    return results


@dataclass(frozen=True)
class _GroupTask:
    """The landing of a group of agents, run in a worker process."""

    settings: ClientSettings
    switches: RetrySwitches
    store: ParquetStore
    agents: list[ExtractAgent]
    options: _Options


def _land_group_task(task: _GroupTask, emit: Emit) -> LandingReport:
    """In a worker process: land a group of agents side by side, with a client of its own."""
    report = LandingReport(agents=task.agents)
    task.switches.apply()
    with task.settings.connect() as client:
        _land_groups(client, task.store, task.agents, [], task.options, report, emit)
        report.api_requests, report.api_retries = client.stats.requests, client.stats.retries
    return report


def _land_in_processes(
    client: RunsClient,
    settings: ClientSettings,
    store: ParquetStore,
    agents: Sequence[ExtractAgent],
    options: _Options,
    processes: int,
    progress: ProgressCallback | None,
) -> LandingReport:
    """Share the agents out between up to ``processes`` groups, and land them side by side.

    Agents write disjoint files (their own tables, and their own part of each shared table's
    day), so their landings are independent, as groups of agents are in one process. Each
    group gets about the same expected work: agents are weighed by their run count times the
    size of their newest runs (one small request each) and dealt out heaviest first, each to the
    lightest group so far. The heaviest group lands in this process, which has everything
    imported and would otherwise only wait; each other group gets a spawned worker process,
    whose start takes about half a second.
    """
    sizes = _sizes(client, agents, options.width)
    bins: list[list[ExtractAgent]] = [[] for _ in range(min(processes, len(agents)))]
    loads = [0.0] * len(bins)
    for agent in sorted(agents, key=lambda a: -sizes[a.id]):
        lightest = loads.index(min(loads))
        bins[lightest].append(agent)
        loads[lightest] += sizes[agent.id]
    heaviest_first = sorted(range(len(bins)), key=lambda i: -loads[i])
    groups = [sorted(bins[i], key=lambda a: (a.name, a.id)) for i in heaviest_first if bins[i]]
    on_progress = _counted(progress, sum(options.days(len(g)) for g in groups))
    switches = RetrySwitches.current()
    tasks = [_GroupTask(settings, switches, store, group, options) for group in groups]
    reports = run_in_processes(
        _land_group_task, tasks, processes=len(tasks) - 1, on_progress=on_progress, here=True
    )
    logger.info(
        "landed %d agents in %d processes (this one and %d workers): %s",
        len(agents),
        len(groups),
        len(groups) - 1,
        "; ".join(", ".join(a.name for a in g) for g in groups),
    )
    return _merge_reports(agents, reports)


def _sizes(client: RunsClient, agents: Sequence[ExtractAgent], width: int) -> dict[str, float]:
    """Expected bytes of each agent's listing (its run count times its newest runs' mean size)."""
    workers = min(len(agents), width)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llamacloud-size") as pool:
        sizes = list(pool.map(lambda a: client.size_runs(a.id).bytes, agents))
    return {agent.id: size for agent, size in zip(agents, sizes, strict=True)}


def _merge_reports(agents: Sequence[ExtractAgent], reports: Iterable[LandingReport]) -> LandingReport:
    """One report of landings of disjoint agents."""
    merged = LandingReport(agents=list(agents))
    days: dict[date, DayResult] = {}
    for part in reports:
        _add_days(days, part.days)
        merged.listed += part.listed
        merged.fetched += part.fetched
        merged.success += part.success
        merged.errored += part.errored
        merged.pending += part.pending
        merged.vanished += part.vanished
        merged.records += part.records
        merged.off_schema_values += part.off_schema_values
        merged.flatten_errors.extend(part.flatten_errors)
        merged.add_conflicts(part.schema_conflicts.values())
        merged.unconformed.extend(part.unconformed)
        merged.conformed += part.conformed
        merged.api_requests += part.api_requests
        merged.api_retries += part.api_retries
        merged.read_back.add(part.read_back)
    merged.days = [days[d] for d in sorted(days)]
    return merged


@contextmanager
def _switch_interval(seconds: float) -> Iterator[None]:
    """Lower the interpreter's thread switch interval for the block (never raise it), then restore it."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, seconds))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _write_days(
    writer: _DayWriter,
    days: Iterator[tuple[date, list[ExtractRun]]],
    extras: Mapping[date, list[ExtractRun]],
    done: Callable[[DayResult], None],
    results: dict[date, DayResult],
) -> None:
    """Write each day as it comes, into ``results``. The listings go on meanwhile, at most
    :data:`AHEAD_DAYS` ahead."""
    for day, runs in days:
        runs.extend(extras.get(day, ()))
        result = writer.write(day, runs)
        del runs  # emptied by the writer
        if len(results) % COLLECT_EVERY_DAYS == COLLECT_EVERY_DAYS - 1:
            gc.collect(1)  # see COLLECT_EVERY_DAYS
        results[day] = result
        done(result)


def _conform_after_failure(writer: _DayWriter, results: Mapping[date, DayResult]) -> None:
    """Give the days a failed landing wrote one schema per table, without hiding its error.

    Days are written newest first with a growing schema, so a landing that stops halfway leaves
    wider days behind narrower ones; the next landing, which reads the schema of the newest day,
    would not see them.
    """
    try:
        writer.conform(results)
    except Exception:
        logger.exception("could not conform the days written before the landing failed")


def _land_late(
    client: RunsClient,
    writer: _DayWriter,
    results: Mapping[date, DayResult],
    late: Sequence[ExtractRun],
    width: int,
) -> dict[date, DayResult]:
    """Land again each day that runs were listed for after it was written.

    The day's other runs are fetched by ID (they are no longer in memory); one that is gone by
    now (404) is counted as vanished.
    """
    latest = {run.id: run for run in late}
    dirty: dict[date, list[ExtractRun]] = defaultdict(list)
    for run in latest.values():
        assert run.created_at is not None
        dirty[day_of(run.created_at)].append(run)
    redone: dict[date, DayResult] = {}
    for day, runs in sorted(dirty.items()):
        before = results[day]
        ids = sorted((before.runs_landed | before.pending_ids) - set(latest))
        vanished: list[str] = []
        for fetch in client.fetch_runs(ids, max_concurrency=width):
            if fetch.error is None:
                assert fetch.run is not None
                runs.append(fetch.run)
            elif isinstance(fetch.error, NotFoundError):
                vanished.append(fetch.run_id)
            else:
                raise fetch.error
        writer.report.vanished += len(vanished)
        writer.forget(before)
        redone[day] = writer.write(day, runs, vanished=sorted(vanished))
    return redone


def _fetch_extra(
    client: RunsClient,
    run_ids: Sequence[str],
    agent_ids: Collection[str],
    first: date,
    last: date,
    width: int,
) -> list[ExtractRun]:
    """Fetch runs asked for by ID and check that they belong to the range and the agents."""
    runs: list[ExtractRun] = []
    for fetch in client.fetch_runs(run_ids, max_concurrency=width):
        if fetch.error is not None:
            raise fetch.error
        run = fetch.run
        assert run is not None
        when = day_of(run.created_at) if run.created_at else None
        if when is None or not first <= when <= last:
            raise ConfigurationError(f"run {run.id} was created on {when}, outside the range {first}..{last}")
        if run.extraction_agent_id not in agent_ids:
            raise ConfigurationError(
                f"run {run.id} belongs to agent {run.extraction_agent_id}, which is not selected"
            )
        runs.append(run)
    return runs


def _combine(a: DayResult, b: DayResult) -> DayResult:
    """One day's results of two groups of agents (they write disjoint files)."""
    return DayResult(
        day=a.day,
        written=sorted([*a.written, *b.written], key=lambda w: (w.table, w.part or "")),
        runs_landed=a.runs_landed | b.runs_landed,
        success_listed=a.success_listed | b.success_listed,
        pending_ids=a.pending_ids | b.pending_ids,
        vanished=sorted([*a.vanished, *b.vanished]),
        flatten_failed=a.flatten_failed | b.flatten_failed,
        low_confidence_fields=a.low_confidence_fields + b.low_confidence_fields,
        scored_fields=a.scored_fields + b.scored_fields,
        records=a.records + b.records,
        off_schema_values=a.off_schema_values + b.off_schema_values,
        flatten_errors=[*a.flatten_errors, *b.flatten_errors],
    )


class _DayWriter:
    """Flattens and writes one day at a time for a group of agents, then conforms what it wrote.

    Where an agent's files go: shared tables (``runs``, ``field_metadata``) get one part per agent
    and day named by the agent's ID, which never changes; the agent's own tables live under
    ``agents/<slug>/``. The slug holds the agent's name, so after a rename the day is also removed
    from the folders of the agent's earlier names: re-landing a day never leaves a copy behind.

    Each agent table's schema starts as the one on disk and grows with every day written (see
    :func:`llamacloud_etl.flatten.union_schemas`); :meth:`conform` rewrites the days written before
    it last grew.
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
        self.by_table = {f"agents/{slug}/": agent_id for agent_id, slug in self.slugs.items()}
        tables = store.list_tables()
        folders = {t.split("/")[1] for t in tables if t.startswith("agents/")}
        self.scope = sorted(
            f"agents/{folder}/"
            for folder in folders | set(self.slugs.values())
            if any(_same_agent(folder, agent.id) for agent in agents)
        )
        self.stored = self._stored_schemas(tables)
        self.schemas = dict(self.stored)  # grows with every day written
        self.written: dict[tuple[str, date], pa.Schema] = {}  # agent table, day -> schema written

    def _stored_schemas(self, tables: Sequence[str]) -> dict[tuple[str, str], pa.Schema]:
        found: dict[tuple[str, str], pa.Schema] = {}
        for table in tables:
            key = self._key(table)
            if key is not None:
                schema = self.store.table_schema(table)
                if schema is not None:
                    found[key] = schema
        return found

    def _key(self, table: str) -> tuple[str, str] | None:
        """``(agent ID, table name)`` of one of these agents' own tables, else None."""
        prefix, _, name = table.rpartition("/")
        agent_id = self.by_table.get(prefix + "/")
        return None if agent_id is None else (agent_id, name)

    def write(self, day: date, runs: list[ExtractRun], *, vanished: Sequence[str] = ()) -> DayResult:
        """Flatten the day's runs and replace the day's files of every agent of the group.

        ``runs`` is emptied once flattened, so the runs are freed before the files are written.
        """
        pending = {r.id for r in runs if not r.status.finished}
        # Runs arrive in listing order; sorting makes every rewrite of a day byte-identical.
        finished = sorted(
            (r for r in runs if r.status.finished), key=lambda r: (r.created_at or self.fetched_at, r.id)
        )
        runs.clear()
        batch = flatten_batch(
            [run_from_v1(r) for r in finished],
            agent_names=self.names,
            fetched_at=self.fetched_at,
            table_schemas=self.schemas,
        )
        success = {r.id for r in finished if r.status is ExtractState.SUCCESS}
        received = len(finished)
        del finished
        runs_table = self._keep_fetched_at(day, batch.runs)
        written = self.store.replace_day(day, self._tables(batch, runs_table), scope=self.scope)
        for table, when in [k for k in self.written if k[1] == day]:
            del self.written[(table, when)]  # a table with no rows that day lost its file
        for w in written:
            key = self._key(w.table)
            if key is not None:
                self.schemas[key] = w.schema
                self.written[(w.table, day)] = w.schema

        stats, report = batch.stats, self.report
        report.fetched += received
        report.success += stats.runs_success
        report.errored += stats.runs_error
        report.pending += len(pending)
        report.records += stats.records
        report.off_schema_values += stats.off_schema_values
        errors = [str(e) for e in stats.flatten_errors]
        report.flatten_errors.extend(errors)
        report.add_conflicts(stats.schema_conflicts)
        scores = [c for c in batch.field_metadata.column("confidence").to_pylist() if c is not None]
        return DayResult(
            day=day,
            written=written,
            runs_landed={str(v) for v in batch.runs.column("run_id").to_pylist()},
            success_listed=success,
            pending_ids=pending,
            vanished=list(vanished),
            flatten_failed={e.run_id for e in stats.flatten_errors},
            low_confidence_fields=sum(1 for c in scores if c < self.threshold),
            scored_fields=len(scores),
            records=stats.records,
            off_schema_values=stats.off_schema_values,
            flatten_errors=errors,
        )

    def forget(self, result: DayResult) -> None:
        """Take back the counts of a day that is about to be written again."""
        report = self.report
        report.fetched -= len(result.runs_landed)
        report.success -= len(result.success_listed)
        report.errored -= len(result.runs_landed) - len(result.success_listed)
        report.pending -= len(result.pending_ids)
        report.records -= result.records
        report.off_schema_values -= result.off_schema_values
        for error in result.flatten_errors:
            report.flatten_errors.remove(error)

    def conform(self, results: Mapping[date, DayResult]) -> None:
        """Rewrite each agent table's days whose schema is not the table's final one.

        Days written by this landing before their table's schema last grew are rewritten; and when
        this landing grew a table that was already on disk, its days outside the landing are
        checked too (one footer each) and rewritten if need be, so every day of the table keeps
        one schema. A day that cannot take the grown schema without loss (an integer beyond 2**53
        in a column another version made float64) keeps its own schema and is reported in
        ``report.unconformed``.
        """
        todo = dict(self.written)
        for (agent_id, name), grown in self.schemas.items():
            stored = self.stored.get((agent_id, name))
            if stored is None or stored.equals(grown, check_metadata=True):
                continue
            table = f"agents/{self.slugs[agent_id]}/{name}"
            for day in self.store.list_days(table):
                if (table, day) not in todo:
                    todo[(table, day)] = self.store.day_schema(table, day) or grown
        for (table, day), schema in sorted(todo.items()):
            key = self._key(table)
            assert key is not None
            grown = self.schemas[key]
            if schema.equals(grown, check_metadata=True):
                continue
            stored_day = self.store.read_table(table, days=[day])
            if stored_day.num_rows == 0:
                continue  # the day's file is gone (no rows any more): nothing to conform
            try:
                data = conform_table(stored_day, grown)
            except ValueError as exc:
                logger.warning("%s of %s keeps its earlier schema: %s", table, day, exc)
                self.report.unconformed.append(f"{table} run_date={day}: {exc}")
                continue
            (rewritten,) = self.store.replace_day(day, {table: data})
            self.report.conformed += 1
            if (table, day) in self.written:
                self.written[(table, day)] = rewritten.schema
                result = results[day]
                result.written[:] = [rewritten if w.table == table else w for w in result.written]

    def _keep_fetched_at(self, day: date, runs: pa.Table) -> pa.Table:
        """A run landed before in the same state keeps its first ``fetched_at``.

        ``fetched_at`` is when this version of the run (same ``updated_at`` and status) was first
        fetched, so re-landing a day whose runs did not change writes byte-identical files.
        """
        if runs.num_rows == 0 or not self.store.has_day(RUNS_TABLE, day):
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


@dataclass
class ReadBack:
    """What reading days a landing wrote back from storage shows: duplicate IDs, missing runs.

    Attributes:
        runs_read: ``runs`` rows read back.
        duplicate_run_ids: ``run_id`` values found more than once in a day of ``runs``.
        duplicate_row_ids: per agent table, ``_row_id`` values found more than once in a day.
        missing_success: SUCCESS runs the listing showed (that did not vanish since) that no
            ``runs`` file of their day holds.
    """

    runs_read: int = 0
    duplicate_run_ids: int = 0
    duplicate_row_ids: dict[str, int] = field(default_factory=dict)
    missing_success: list[str] = field(default_factory=list)

    def add(self, other: ReadBack) -> None:
        """Fold in the read-back of other days, or of other agents' files of the same days."""
        self.runs_read += other.runs_read
        self.duplicate_run_ids += other.duplicate_run_ids
        for table, count in other.duplicate_row_ids.items():
            self.duplicate_row_ids[table] = self.duplicate_row_ids.get(table, 0) + count
        self.missing_success = sorted([*self.missing_success, *other.missing_success])


def read_back(
    store: ParquetStore, days: Iterable[DayResult], parts: Collection[str] | None = None
) -> ReadBack:
    """Read the ID columns of ``days`` back from storage and check them.

    Duplicates are counted per day partition (a run belongs to exactly one day). With ``parts``
    (agent IDs), only those agents' parts of the shared ``runs`` table are read: each worker
    process reads back its own agents, and the sums are the whole landing's.
    """
    found = ReadBack()
    for day in days:
        tables = sorted({w.table for w in day.written})
        landed: set[str] = set()
        if RUNS_TABLE in tables:
            ids = store.read_table(RUNS_TABLE, days=[day.day], columns=["run_id"], parts=parts)
            column = ids.column("run_id")
            found.runs_read += len(column)
            found.duplicate_run_ids += len(column) - pc.count_distinct(column).as_py()
            landed = {str(v) for v in column.to_pylist()}
        found.missing_success.extend(sorted(day.success_listed - landed))
        for table in tables:
            if table.startswith("agents/"):
                rows = store.read_table(table, days=[day.day], columns=["_row_id"]).column("_row_id")
                dup = len(rows) - pc.count_distinct(rows).as_py()
                if dup:
                    found.duplicate_row_ids[table] = found.duplicate_row_ids.get(table, 0) + dup
    found.missing_success.sort()
    return found


@dataclass(frozen=True)
class Verification:
    """The asset checks' evidence: what reading the landed days back showed, and what the landing counted.

    A run whose data could not be flattened has its ``runs`` row but no records: it is reported
    apart, in ``flatten_failed``, not as missing.
    """

    runs_read: int
    duplicate_run_ids: int
    duplicate_row_ids: dict[str, int]
    missing_success: list[str]
    flatten_failed: list[str]
    low_confidence: int
    scored: int

    @classmethod
    def of(cls, report: LandingReport, found: ReadBack | None = None) -> Verification:
        """The verification of ``report``, from ``found`` or else the read-back the landing did."""
        found = report.read_back if found is None else found
        return cls(
            runs_read=found.runs_read,
            duplicate_run_ids=found.duplicate_run_ids,
            duplicate_row_ids=dict(found.duplicate_row_ids),
            missing_success=list(found.missing_success),
            flatten_failed=sorted(r for d in report.days for r in d.flatten_failed),
            low_confidence=sum(d.low_confidence_fields for d in report.days),
            scored=sum(d.scored_fields for d in report.days),
        )


def verify(report: LandingReport, store: ParquetStore) -> Verification:
    """Read every day of ``report`` back from storage now, and check it (see :func:`read_back`).

    A landing already reads back what it wrote, each group of agents right after its days
    (``report.read_back``, in the worker process that wrote them); this reads it all again.
    """
    return Verification.of(report, read_back(store, report.days))


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
    for run in list_window(client, agents, created_after):
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
