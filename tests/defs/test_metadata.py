"""Materialization metadata of a ranged run, read back from the Dagster instance."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from loopback import first_last

from llamacloud_etl.defs import JOB_NAME, build_defs
from llamacloud_etl.defs.assets import FIELD_METADATA_KEY, RECORDS_KEY, RUNS_KEY
from llamacloud_etl.defs.resources import LlamaCloudResource
from llamacloud_etl.defs.runner import RangeOutcome, dagster_instance, run_range
from llamacloud_etl.emulator import Dataset
from llamacloud_etl.query import open_dataset

Metadata = Mapping[str, Any]


def _ranged_run(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource
) -> tuple[RangeOutcome, dict[dg.AssetKey, dict[str, Metadata]]]:
    """Land the whole data set in one ranged run; its outcome, and each asset's metadata by day."""
    first, last = first_last(dataset)
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    by_key: dict[dg.AssetKey, dict[str, Metadata]] = {}
    with dagster_instance() as instance:
        outcome = run_range(defs, JOB_NAME, first, last, instance=instance)
        for key in (RUNS_KEY, FIELD_METADATA_KEY, RECORDS_KEY):
            by_key[key] = {}
            for record in instance.fetch_materializations(key, limit=1000).records:
                event = record.asset_materialization
                assert event is not None and event.partition is not None
                by_key[key][event.partition] = event.metadata
    return outcome, by_key


def _row_counts(by_day: dict[str, Metadata]) -> dict[str, int]:
    return {day: int(meta["dagster/partition_row_count"].value) for day, meta in by_day.items()}


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
    outcome, by_key = _ranged_run(dataset, lake, resource)
    runs, field_metadata, records = (
        _row_counts(by_key[key]) for key in (RUNS_KEY, FIELD_METADATA_KEY, RECORDS_KEY)
    )
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
    _, by_key = _ranged_run(dataset, lake, resource)
    first, last = first_last(dataset)
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
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    assert sum(landed.values()) == sum(len(dataset.runs_on(day)) for day in days)
