"""A backfill as several Dagster runs over disjoint day ranges, landing at once into one root."""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from math import ceil
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.automation_tick_evaluation_context import (
    build_run_requests_with_backfill_policies,
)
from dagster._core.definitions.events import AssetKeyPartitionKey
from loopback import API_KEY, PAGE_SIZE, first_last

from llamacloud_etl.defs import JOB_NAME, build_defs
from llamacloud_etl.defs.assets import backfill_policy
from llamacloud_etl.defs.keys import RUNS_KEY
from llamacloud_etl.defs.resources import LlamaCloudResource
from llamacloud_etl.defs.runner import RangeOutcome, dagster_instance, run_range
from llamacloud_etl.defs.schedules import RANGE_END_TAG, RANGE_START_TAG
from llamacloud_etl.emulator import Dataset
from llamacloud_etl.settings import MAX_PARTITIONS_PER_RUN_ENV
from llamacloud_etl.storage import ParquetStore


def backfill_runs(defs: dg.Definitions, dataset: Dataset) -> list[tuple[str, str]]:
    """The (first, last) day of each run Dagster makes of a backfill of the whole history."""
    landing = defs.resolve_assets_def(RUNS_KEY)
    partitions = landing.partitions_def
    assert partitions is not None
    keys = partitions.get_partition_keys_in_range(dg.PartitionKeyRange(*map(str, first_last(dataset))))
    wanted = [AssetKeyPartitionKey(key, partition) for key in landing.keys for partition in keys]
    with dagster_instance() as instance:
        requests = build_run_requests_with_backfill_policies(wanted, defs.resolve_asset_graph(), instance)
    return sorted((r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG]) for r in requests)


def table_rows(lake: Path) -> dict[str, list[str]]:
    """Every table's rows as sorted JSON lines, without ``runs.fetched_at`` (each landing's own clock)."""
    store = ParquetStore(str(lake))
    rows = {}
    for table in store.list_tables():
        data = store.read_table(table)
        if "fetched_at" in data.column_names:
            data = data.drop_columns(["fetched_at"])
        rows[table] = sorted(json.dumps(row, default=str, sort_keys=True) for row in data.to_pylist())
    return rows


def row_ids(lake: Path) -> dict[str, list[str]]:
    """The ``_row_id`` column of every agent table, one per row."""
    store = ParquetStore(str(lake))
    return {
        table: store.read_table(table, columns=["_row_id"]).column(0).to_pylist()
        for table in store.list_tables()
        if table.startswith("agents/")
    }


def land_range(job: tuple[str, str, str, str, str]) -> RangeOutcome:
    """One run of the backfill, over ``first``..``last``, in this (worker) process."""
    base_url, start, lake, first, last = job
    resource = LlamaCloudResource(api_key=API_KEY, base_url=base_url, page_size=PAGE_SIZE)
    defs = build_defs(start_date=start, output=lake, llamacloud=resource, max_partitions_per_run=1)
    with dagster_instance() as instance:
        days = (date.fromisoformat(first), date.fromisoformat(last))
        return run_range(defs, JOB_NAME, *days, instance=instance, log_level="CRITICAL")


def test_the_backfill_policy_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset, a backfill is one run; the env var, or build_defs' argument over it, makes runs of N days."""
    assert backfill_policy(0) == dg.BackfillPolicy.single_run()
    default = build_defs(start_date="2026-01-01", output="unused-lake", agent_assets=[])
    assert default.resolve_assets_def(RUNS_KEY).backfill_policy == dg.BackfillPolicy.single_run()
    monkeypatch.setenv(MAX_PARTITIONS_PER_RUN_ENV, "7")
    from_env = build_defs(start_date="2026-01-01", output="unused-lake", agent_assets=[])
    given = build_defs(start_date="2026-01-01", output="lake", agent_assets=[], max_partitions_per_run=3)
    assert from_env.resolve_assets_def(RUNS_KEY).backfill_policy == dg.BackfillPolicy.multi_run(7)
    assert given.resolve_assets_def(RUNS_KEY).backfill_policy == dg.BackfillPolicy.multi_run(3)


def test_a_two_run_backfill_landing_at_once_gives_the_rows_of_one_run(
    dataset: Dataset, resource: LlamaCloudResource, tmp_path: Path
) -> None:
    """The runs Dagster makes of a multi-run backfill, side by side, land the rows of one run."""
    first, last = first_last(dataset)
    half = ceil(((last - first).days + 1) / 2)
    split = build_defs(
        start_date=first, output=str(tmp_path / "split"), llamacloud=resource, max_partitions_per_run=half
    )
    ranges = backfill_runs(split, dataset)
    assert len(ranges) == 2 and ranges[0][1] < ranges[1][0]
    # Each run in a process of its own, as on its own machine (Dagster's in-process execution is
    # not thread-safe: it reconfigures logging globally).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(ranges), mp_context=context) as pool:
        outcomes = list(
            pool.map(
                land_range, [(resource.base_url, str(first), str(tmp_path / "split"), *r) for r in ranges]
            )
        )
    whole = build_defs(start_date=first, output=str(tmp_path / "whole"), llamacloud=resource)
    with dagster_instance() as instance:
        one = run_range(whole, JOB_NAME, first, last, instance=instance, log_level="CRITICAL")
    assert [o.success for o in outcomes] == [True, True] and one.success, [o.error for o in outcomes]
    assert all(o.failed_checks == [] for o in outcomes)
    split_rows = table_rows(tmp_path / "split")
    assert split_rows == table_rows(tmp_path / "whole") and len(split_rows["runs"]) > 50
    assert all(len(ids) == len(set(ids)) for ids in row_ids(tmp_path / "split").values())
    store = ParquetStore(str(tmp_path / "split"))
    for table in store.list_tables():
        assert len({str(store.day_schema(table, day)) for day in store.list_days(table)}) == 1, table
