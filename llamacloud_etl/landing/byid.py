"""Runs fetched by ID: runs asked for by name (``llamacloud-etl fetch``), and days landed again.

A listing that is not newest first can show a run of a day already written; that day is landed
again at the end, its other runs fetched by ID (they are no longer in memory). A run that is gone
by then (404) is counted as vanished.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import date

from llamacloud_etl.errors import ConfigurationError, NotFoundError
from llamacloud_etl.landing.report import DayResult
from llamacloud_etl.landing.writer import DayWriter
from llamacloud_etl.run import Run
from llamacloud_etl.sources.base import Source


def fetch_named(
    source: Source, run_ids: Sequence[str], agent_ids: Collection[str], first: date, last: date
) -> list[Run]:
    """Fetch runs asked for by ID and check that they belong to the range and the agents.

    Raises:
        LlamaCloudError: a run could not be fetched (unknown, malformed, API fault).
        ConfigurationError: a run is outside the range or belongs to an agent not selected.
    """
    runs: list[Run] = []
    for fetch in source.fetch_runs(run_ids):
        if fetch.error is not None:
            raise fetch.error
        run = fetch.run
        assert run is not None
        when = source.run_day(run)
        if when is None or not first <= when <= last:
            raise ConfigurationError(f"run {run.id} was created on {when}, outside the range {first}..{last}")
        if run.agent_id not in agent_ids:
            raise ConfigurationError(f"run {run.id} belongs to agent {run.agent_id}, which is not selected")
        runs.append(run)
    return runs


def land_late(
    source: Source, writer: DayWriter, results: Mapping[date, DayResult], late: Sequence[Run]
) -> dict[date, DayResult]:
    """Land again each day that runs were listed for after it was written; the new results, by day.

    A day's new result replaces its first one; the schema conflicts the first one met are kept.
    """
    latest = {run.id: run for run in late}
    dirty: dict[date, list[Run]] = defaultdict(list)
    for run in latest.values():
        day = source.run_day(run)
        assert day is not None
        dirty[day].append(run)
    redone: dict[date, DayResult] = {}
    for day, runs in sorted(dirty.items()):
        before = results[day]
        ids = sorted((before.runs_landed | before.pending_ids) - set(latest))
        vanished: list[str] = []
        for fetch in source.fetch_runs(ids):
            if fetch.error is None:
                assert fetch.run is not None
                runs.append(fetch.run)
            elif isinstance(fetch.error, NotFoundError):
                vanished.append(fetch.run_id)
            else:
                raise fetch.error
        result = writer.write(day, runs, vanished=sorted(vanished))
        result.schema_conflicts[:0] = before.schema_conflicts
        redone[day] = result
    return redone
