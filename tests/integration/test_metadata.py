"""Materialization metadata of a ranged run, read back from the Dagster instance."""

from __future__ import annotations

from datetime import UTC, date, datetime
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


def test_column_schemas_and_previews_go_on_the_newest_day_only(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource
) -> None:
    """Heavy run-wide entries are on the newest partition; every runs partition has its day's counts."""
    first, last = first_last(dataset)
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    with dagster_instance() as instance:
        run_range(defs, JOB_NAME, first, last, instance=instance)
        by_key = {
            key: {
                r.asset_materialization.partition: r.asset_materialization.metadata
                for r in instance.fetch_materializations(key, limit=1000).records
                if r.asset_materialization is not None
            }
            for key in (RUNS_KEY, FIELD_METADATA_KEY, RECORDS_KEY)
        }
    newest, older = last.isoformat(), first.isoformat()
    for key in (RUNS_KEY, FIELD_METADATA_KEY):
        assert {"dagster/column_schema", "preview"} <= by_key[key][newest].keys()
        assert not {"dagster/column_schema", "preview"} & by_key[key][older].keys()
    assert any(name.startswith("columns: ") for name in by_key[RECORDS_KEY][newest])
    assert not any(name.startswith("columns: ") for name in by_key[RECORDS_KEY][older])
    landed = {
        day: meta["day_runs_landed"].value + meta["day_runs_pending"].value
        for day, meta in by_key[RUNS_KEY].items()
    }
    assert sum(landed.values()) == len([r for r in dataset.runs if first <= _day(r) <= last])


def _day(run: dict[str, object]) -> date:
    return datetime.fromisoformat(str(run["created_at"]).replace("Z", "+00:00")).astimezone(UTC).date()
