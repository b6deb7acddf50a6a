"""The entry point: land every finished run of a range of days (:func:`land_days`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime

from llamacloud_etl.errors import ConfigurationError
from llamacloud_etl.landing.byid import fetch_named
from llamacloud_etl.landing.chunks import chunk_runs
from llamacloud_etl.landing.group import LandingOptions, ProgressCallback, counted, land_groups
from llamacloud_etl.landing.processes import land_in_processes
from llamacloud_etl.landing.report import LandingReport
from llamacloud_etl.run import day_bounds
from llamacloud_etl.settings import DEFAULT_DAY_BUDGET_MB, ApiSettings, check_day_budget
from llamacloud_etl.sources.base import Source, listing_units, select_agents
from llamacloud_etl.storage import ParquetStore, check_slugs


def land_days(
    source: Source,
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
    processes: int = 1,
    settings: ApiSettings | None = None,
    day_budget_mb: int = DEFAULT_DAY_BUDGET_MB,
) -> LandingReport:
    """Land every finished run created from ``first`` to ``last`` (UTC, inclusive), day by day.

    Args:
        source: the API to land from (see :func:`llamacloud_etl.sources.open_source`).
        store: where the Parquet dataset lives.
        first: the first day to land.
        last: the last day to land (inclusive).
        agents_allow: agent IDs or names to land; all of the project's agents when empty.
        extra_run_ids: runs to fetch by ID and land even if the listing does not show them
            (``llamacloud-etl fetch``); they must belong to a day in the range.
        low_confidence_threshold: a field whose ``confidence`` is below this counts as low-confidence.
        max_concurrency: agents listed at once; the source's ``max_concurrency`` (its connection
            pool) when None. More agents are landed in groups.
        fetched_at: the ``fetched_at`` of runs that are new or changed since they last landed (now
            when None); unchanged runs keep the one they landed with.
        progress: called after each day of each group of agents is written, newest day first.
        processes: processes to share the agents out between, this one included (see
            :mod:`llamacloud_etl.landing.processes`), when ``settings`` is given, there are two
            agents or more and no ``extra_run_ids``; otherwise everything runs in this process.
            Each group builds its own source from ``settings``; their requests and retries are
            counted in the report's ``api_requests`` and ``api_retries``.
        settings: how the groups build their sources (see ``processes``).
        day_budget_mb: memory one day (of one group of agents) may take; a day with more runs
            than that allows lands in chunks, still one file per table and day (see
            :mod:`llamacloud_etl.landing.chunks`).

    Returns:
        A report with counts, the partitions written and per-day details (oldest day first) for
        the asset checks.

    Raises:
        ConfigurationError: a range that ends before it starts, ``processes`` below 1, agents
            that match none of the project's, runs by ID outside the range or the agents.
        LlamaCloudError: the API failed (after its retries) or a file could not be written.
    """
    if last < first:
        raise ConfigurationError(f"the range ends ({last}) before it starts ({first})")
    if processes < 1:
        raise ConfigurationError(f"processes must be at least 1, got {processes}")
    chunk = chunk_runs(check_day_budget(day_budget_mb))
    extra = list(dict.fromkeys(source.check_run_id(run_id) for run_id in extra_run_ids))
    agents = select_agents(source.list_agents(*day_bounds(first, last)), agents_allow)
    check_slugs((a.name, a.id) for a in agents)
    width = max(1, source.max_concurrency if max_concurrency is None else max_concurrency)
    options = LandingOptions(
        first=first,
        last=last,
        fetched_at=fetched_at or datetime.now(UTC),
        threshold=low_confidence_threshold,
        width=width,
        chunk_runs=chunk,
    )
    if (
        processes > 1
        and settings is not None
        and agents
        and not extra
        and (len(listing_units(agents)) > 1 or last > first)
    ):
        return land_in_processes(source, settings, store, agents, options, processes, progress)
    by_id = fetch_named(source, extra, {a.id for a in agents}, first, last)
    return land_groups(source, store, agents, by_id, options, counted(progress, options.days(agents)))
