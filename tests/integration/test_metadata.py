"""Materialization metadata of a ranged run, read back from the Dagster instance."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from llamacloud_etl.defs import JOB_NAME, build_defs
from llamacloud_etl.defs.assets import FIELD_METADATA_KEY, RECORDS_KEY, RUNS_KEY
from llamacloud_etl.defs.resources import LlamaCloudResource
from llamacloud_etl.defs.runner import dagster_instance, run_range
from llamacloud_etl.emulator import Dataset
from llamacloud_etl.query import open_dataset

from .conftest import first_last


def _per_partition(instance: dg.DagsterInstance, key: dg.AssetKey) -> dict[str, int]:
    records = instance.fetch_materializations(key, limit=1000).records
    out = {}
    for record in records:
        event = record.asset_materialization
        assert event is not None and event.partition is not None
        out[event.partition] = int(event.metadata["dagster/partition_row_count"].value)  # type: ignore[arg-type]
    return out


def _rows_by_day(lake: Path, view: str) -> dict[str, int]:
    con = open_dataset(str(lake))
    try:
        rows = con.sql(f"SELECT CAST(run_date AS VARCHAR), count(*) FROM {view} GROUP BY 1").fetchall()
    finally:
        con.close()
    return {day: int(n) for day, n in rows}


def test_a_ranged_run_gives_each_day_partition_its_own_row_count(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource
) -> None:
    """``dagster/partition_row_count`` of each day is that day's rows, not the run's total."""
    first, last = first_last(dataset)
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    with dagster_instance() as instance:
        outcome = run_range(defs, JOB_NAME, first, last, instance=instance)
        runs = _per_partition(instance, RUNS_KEY)
        field_metadata = _per_partition(instance, FIELD_METADATA_KEY)
        records = _per_partition(instance, RECORDS_KEY)
    assert outcome.success, outcome.error
    assert len(runs) == len(field_metadata) == len(records) == dataset.days
    landed = _rows_by_day(lake, "runs")
    assert {d: n for d, n in runs.items() if n} == landed and len(set(landed.values())) > 1
    assert {d: n for d, n in field_metadata.items() if n} == _rows_by_day(lake, "field_metadata")
    assert sum(records.values()) == outcome.metadata["llamacloud/records"]["dagster/row_count"]
