"""Unit tests of llamacloud_etl.landing.report: per-day results, merged across groups, summed in a report."""

from __future__ import annotations

from datetime import date

from landing_fakes import FIRST, LAST, Straggling, landed_run_ids, paged, success_on

from llamacloud_etl.emulator import Dataset
from llamacloud_etl.landing import land_days
from llamacloud_etl.sources import V1Source
from llamacloud_etl.storage import ParquetStore


def test_land_days_counts_a_day_landed_again_once(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """After a day is landed again, the report's record count is what storage holds, not more."""
    day = date(2026, 10, 3)
    straggling = Straggling(paged(source, 5), store, success_on(dataset, day))
    report = land_days(straggling, store, FIRST, LAST)
    records = sum(
        store.read_table(t, days=[d.day for d in report.days]).num_rows
        for t in store.list_tables()
        if t.endswith("/records")
    )
    assert report.records == records and report.fetched == len(landed_run_ids(store))
