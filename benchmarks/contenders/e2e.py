"""End-to-end contenders: every run of the emulator's history landed as Parquet under ``output``.

Each contender lists the agents, lists each agent's runs, fetches every SUCCESS run by id and writes
Parquet; only that is timed (imports and the interpreter's start are not). The count a rate is based on
is read back from what was landed, after timing.
"""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks._child import Probe

# The SDK's default page is 25 runs; a user who writes a backfill script or a dlt source would raise it.
PAGE_SIZE = 100


def ours(
    probe: Probe, *, base_url: str, output: str, start: str, days: int, api_version: str | None = None
) -> dict[str, Any]:
    """Our Dagster job: ``run_range`` over every day of the history, as ``llamacloud-etl backfill`` does.

    ``api_version`` is the resource's (None: its default). ``runs`` counts the landed runs that
    succeeded: ``SUCCESS`` v1 runs and ``COMPLETED`` v2 jobs.
    """
    from llamacloud_etl.defs import JOB_NAME, build_defs
    from llamacloud_etl.defs.resources import LlamaCloudResource
    from llamacloud_etl.defs.runner import dagster_instance, run_range
    from llamacloud_etl.settings import DEFAULT_API_VERSION

    first = date.fromisoformat(start)
    last = first + timedelta(days=days - 1)
    resource = LlamaCloudResource(
        api_key=os.environ["LLAMA_CLOUD_API_KEY"],
        base_url=base_url,
        api_version=api_version or DEFAULT_API_VERSION,
    )
    with probe.timed():
        defs = build_defs(start_date=first, output=output, llamacloud=resource)
        with dagster_instance() as instance:
            outcome = run_range(defs, JOB_NAME, first, last, instance=instance)
    if not outcome.success:
        raise RuntimeError(f"the Dagster run failed: {outcome.error}")
    statuses = _landed_statuses(Path(output, "runs"))
    return {
        "runs": statuses.get("SUCCESS", 0) + statuses.get("COMPLETED", 0),
        "runs_error": statuses.get("ERROR", 0) + statuses.get("FAILED", 0) + statuses.get("CANCELLED", 0),
        "runs_landed": sum(statuses.values()),
        "failed_checks": outcome.failed_checks,
        "files": _parquet_files(output),
    }


def naive_sdk(probe: Probe, *, base_url: str, output: str, max_runs: int | None = None) -> dict[str, Any]:
    """The script a user would write with the official SDK and pandas, one request at a time.

    List the agents; per agent, walk ``runs.list`` (the SDK auto-paginates) and ``runs.get`` each SUCCESS
    run; ``json_normalize`` its data; then write one Parquet file per agent and day. With ``max_runs``
    it lands about that many runs, an equal share from each agent (a measured subset whose rate is
    extrapolated).
    """
    import pandas as pd
    from llama_cloud import LlamaCloud

    root = Path(output)
    landed = requests = 0
    with probe.timed():
        client = LlamaCloud(api_key=os.environ["LLAMA_CLOUD_API_KEY"], base_url=base_url)
        agents = client.extraction.extraction_agents.list()
        quota = None if max_runs is None else -(-max_runs // max(1, len(agents)))
        for agent in agents:
            by_day: dict[date, list[pd.DataFrame]] = defaultdict(list)
            for listed in client.extraction.runs.list(extraction_agent_id=agent.id, limit=PAGE_SIZE):
                if quota is not None and sum(len(frames) for frames in by_day.values()) >= quota:
                    break
                if listed.status != "SUCCESS":
                    continue
                run = client.extraction.runs.get(listed.id)
                requests += 1
                records: Any = run.data if isinstance(run.data, list) else [run.data]
                frame = pd.json_normalize(records, sep="__")
                frame.insert(0, "extraction_run_id", run.id)
                day = run.created_at.date() if run.created_at else date(1970, 1, 1)
                by_day[day].append(frame)
                landed += 1
            for day, frames in by_day.items():
                folder = root / agent.name.replace("/", "_") / f"run_date={day.isoformat()}"
                folder.mkdir(parents=True, exist_ok=True)
                pd.concat(frames, ignore_index=True).to_parquet(folder / "part-0.parquet", index=False)
        client.close()
    return {"runs": landed, "get_requests": requests, "files": _parquet_files(output)}


def dlt_rest_api(probe: Probe, *, base_url: str, output: str, pipelines_dir: str) -> dict[str, Any]:
    """dlt's declarative ``rest_api`` source with parallelized resources, to the filesystem as Parquet.

    agents -> runs per agent (offset paginator over skip/limit with ``total``; only SUCCESS runs pass;
    not loaded itself) -> each run by id, both dependent resources ``parallelized``. dlt's defaults
    otherwise: 5 extract workers, nested data normalized into child tables.
    """
    listing = _dlt_listing(loaded=False)
    by_id = {
        "name": "runs",
        "parallelized": True,
        # "$": the run object itself (dlt would otherwise guess, and pick the run's "data" list).
        "endpoint": {
            "path": "runs/{resources.agent_runs.id}",
            "paginator": "single_page",
            "data_selector": "$",
        },
    }
    return _dlt_run(probe, base_url, output, pipelines_dir, [*listing, by_id], "runs")


def dlt_rest_api_listing(probe: Probe, *, base_url: str, output: str, pipelines_dir: str) -> dict[str, Any]:
    """dlt's ``rest_api`` source loading the listing itself: ``GET /runs`` items are whole runs.

    The dlt setup a user who noticed that would write: agents -> runs per agent (offset paginator,
    SUCCESS runs only, ``parallelized``), loaded as they are; no request per run. Otherwise as
    :func:`dlt_rest_api`.
    """
    return _dlt_run(probe, base_url, output, pipelines_dir, _dlt_listing(loaded=True), "agent_runs")


def _dlt_listing(*, loaded: bool) -> list[dict[str, Any]]:
    return [
        {
            "name": "agents",
            "endpoint": {"path": "extraction-agents", "paginator": "single_page", "data_selector": "$"},
        },
        {
            "name": "agent_runs",
            "selected": loaded,
            "parallelized": True,
            "endpoint": {
                "path": "runs",
                "params": {"extraction_agent_id": "{resources.agents.id}"},
                "paginator": {
                    "type": "offset",
                    "limit": PAGE_SIZE,
                    "offset_param": "skip",
                    "limit_param": "limit",
                    "total_path": "total",
                },
                "data_selector": "items",
            },
            "processing_steps": [{"filter": lambda run: run["status"] == "SUCCESS"}],
        },
    ]


def _dlt_run(
    probe: Probe, base_url: str, output: str, pipelines_dir: str, resources: list[dict[str, Any]], table: str
) -> dict[str, Any]:
    import dlt
    from dlt.sources.rest_api import rest_api_source

    config: Any = {
        "client": {
            "base_url": base_url + "/api/v1/extraction/",
            "auth": {"type": "bearer", "token": os.environ["LLAMA_CLOUD_API_KEY"]},
        },
        "resource_defaults": {"write_disposition": "append"},
        "resources": resources,
    }
    with probe.timed():
        pipeline = dlt.pipeline(
            pipeline_name="llamacloud_bench",
            pipelines_dir=pipelines_dir,
            destination=dlt.destinations.filesystem(bucket_url=Path(output).as_uri()),
            dataset_name="llamacloud",
        )
        pipeline.run(rest_api_source(config), loader_file_format="parquet")
    trace = pipeline.last_trace
    normalized = trace.last_normalize_info if trace is not None else None
    if trace is None or normalized is None:
        raise RuntimeError("dlt left no trace of the run")
    row_counts = dict(normalized.row_counts)
    steps = {
        step.step: round((step.finished_at - step.started_at).total_seconds(), 2)
        for step in trace.steps
        if step.finished_at is not None
    }
    return {
        "runs": int(row_counts.get(table, 0)),
        "step_seconds": steps,
        "tables": len(row_counts),
        "rows": int(sum(row_counts.values())),
        "files": _parquet_files(output),
    }


def _landed_statuses(runs_root: Path) -> dict[str, int]:
    """How many rows of each status the landed ``runs`` table holds (read after timing)."""
    import pyarrow.parquet as pq

    counts: dict[str, int] = defaultdict(int)
    for path in runs_root.rglob("*.parquet"):
        for status in pq.read_table(path, columns=["status"]).column("status").to_pylist():
            counts[str(status)] += 1
    return dict(counts)


def _parquet_files(output: str) -> int:
    return sum(1 for _ in Path(output).rglob("*.parquet"))
