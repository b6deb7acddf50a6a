"""Scale-out contenders: a landing over 1 or 2 processes, and one backfill as concurrent Dagster runs.

``land_agents`` calls :func:`land_days` with ``processes`` and the settings its worker processes build
their sources from (with 1, everything stays in this process: the memory benchmark's landing).
``concurrent_runs`` makes Dagster cut a backfill into runs (its own multi-run chunking, as a
backfill launched from the UI is cut), starts one spawned process per run, lets them import
everything, and times them from the moment they are all told to go until the last one finished:
runs launched at once on as many machines.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from datetime import date, timedelta
from math import ceil
from pathlib import Path
from typing import Any

from benchmarks._child import Probe


def land_agents(
    probe: Probe,
    *,
    base_url: str,
    output: str,
    first: str,
    last: str,
    processes: int,
    agents: list[str] | None = None,
    day_budget_mb: int | None = None,
) -> dict[str, Any]:
    """``land_days`` over ``first``..``last`` (ISO dates) of ``agents`` (names; all when None), with a
    day budget of ``day_budget_mb`` (``land_days``' own default when None)."""
    from llamacloud_etl.landing import land_days
    from llamacloud_etl.settings import DEFAULT_DAY_BUDGET_MB, ApiSettings
    from llamacloud_etl.sources import open_source
    from llamacloud_etl.storage import ParquetStore

    settings = ApiSettings(api_key=os.environ["LLAMA_CLOUD_API_KEY"], base_url=base_url)
    with open_source(settings, "v1") as source:
        store = ParquetStore(output)
        with probe.timed():
            report = land_days(
                source,
                store,
                date.fromisoformat(first),
                date.fromisoformat(last),
                agents_allow=agents,
                processes=processes,
                settings=settings,
                day_budget_mb=DEFAULT_DAY_BUDGET_MB if day_budget_mb is None else day_budget_mb,
            )
        requests = source.requests + report.api_requests
    return {
        "runs": report.fetched,
        "success": report.success,
        "listed": report.listed,
        "days": len(report.days),
        "agents": len(report.agents),
        "processes": processes,
        "requests": requests,
        "day_budget_mb": day_budget_mb,
    }


def backfill_ranges(base_url: str, output: str, start: str, days: int, runs: int) -> list[tuple[str, str]]:
    """The (first, last) day of each run Dagster makes of a backfill of ``days`` days from ``start``,
    with ``max_partitions_per_run`` = ceil(days / runs)."""
    import dagster as dg
    from dagster._core.definitions.automation_tick_evaluation_context import (
        build_run_requests_with_backfill_policies,
    )
    from dagster._core.definitions.events import AssetKeyPartitionKey

    from llamacloud_etl.defs import build_defs
    from llamacloud_etl.defs.keys import RUNS_KEY
    from llamacloud_etl.defs.resources import LlamaCloudResource
    from llamacloud_etl.defs.runner import dagster_instance
    from llamacloud_etl.defs.schedules import RANGE_END_TAG, RANGE_START_TAG

    resource = LlamaCloudResource(api_key=os.environ["LLAMA_CLOUD_API_KEY"], base_url=base_url)
    defs = build_defs(
        start_date=start, output=output, llamacloud=resource, max_partitions_per_run=ceil(days / runs)
    )
    landing = defs.resolve_assets_def(RUNS_KEY)
    assert landing.partitions_def is not None
    last = date.fromisoformat(start) + timedelta(days=days - 1)
    keys = landing.partitions_def.get_partition_keys_in_range(dg.PartitionKeyRange(start, last.isoformat()))
    wanted = [AssetKeyPartitionKey(key, partition) for key in landing.keys for partition in keys]
    with dagster_instance() as instance:
        requests = build_run_requests_with_backfill_policies(wanted, defs.resolve_asset_graph(), instance)
    return sorted((r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG]) for r in requests)


def _one_run(job: dict[str, Any], ready: Any, go: Any, done: Any) -> None:
    """In a spawned process: import and wait for ``go``, then land ``first``..``last`` as one Dagster run."""
    from llamacloud_etl.defs import JOB_NAME, build_defs
    from llamacloud_etl.defs.resources import LlamaCloudResource
    from llamacloud_etl.defs.runner import dagster_instance, run_range

    resource = LlamaCloudResource(api_key=os.environ["LLAMA_CLOUD_API_KEY"], base_url=job["base_url"])
    ready.put(job["first"])
    go.wait()
    started = time.perf_counter()
    result: dict[str, Any] = {
        "first": job["first"],
        "last": job["last"],
        "success": False,
        "failed_checks": [],
    }
    try:
        defs = build_defs(
            start_date=job["start"],
            output=job["output"],
            llamacloud=resource,
            max_partitions_per_run=job["max_partitions_per_run"],
        )
        with dagster_instance() as instance:
            days = (date.fromisoformat(job["first"]), date.fromisoformat(job["last"]))
            outcome = run_range(defs, JOB_NAME, *days, instance=instance, log_level="CRITICAL")
        result |= {"success": outcome.success, "error": outcome.error, "failed_checks": outcome.failed_checks}
    except Exception as exc:  # reported to the parent, which fails the contender
        result["error"] = f"{type(exc).__name__}: {exc}"[:500]
    result["seconds"] = time.perf_counter() - started
    done.put(result)


def concurrent_runs(
    probe: Probe, *, base_url: str, output: str, start: str, days: int, runs: int
) -> dict[str, Any]:
    """A backfill of ``days`` days cut by Dagster into ``runs`` runs, landed at once in spawned processes."""
    from benchmarks.contenders.e2e import _landed_statuses

    ranges = backfill_ranges(base_url, output, start, days, runs)
    context = multiprocessing.get_context("spawn")
    ready, done, go = context.Queue(), context.Queue(), context.Event()
    jobs = [
        {"base_url": base_url, "output": output, "start": start, "first": first, "last": last}
        | {"max_partitions_per_run": ceil(days / runs)}
        for first, last in ranges
    ]
    workers = [context.Process(target=_one_run, args=(job, ready, go, done)) for job in jobs]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=300)
    with probe.timed():
        go.set()
        started = time.perf_counter()
        outcomes = [done.get(timeout=1800) for _ in workers]
        last_result = time.perf_counter() - started
        for worker in workers:
            worker.join()
    failed = [o for o in outcomes if not o["success"]]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(outcomes)} Dagster runs failed: {failed[0]['error']}")
    statuses = _landed_statuses(Path(output, "runs"))
    return {
        "runs": statuses.get("SUCCESS", 0),
        "runs_landed": sum(statuses.values()),
        "dagster_runs": sorted(outcomes, key=lambda o: o["first"]),
        # The wall time includes the processes' exit; this is until the last run had returned.
        "seconds_to_last_result": last_result,
        "failed_checks": sorted({c for o in outcomes for c in o["failed_checks"]}),
    }
