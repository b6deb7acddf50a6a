"""Unit tests of llamacloud_etl.landing.readback: the landed days read back and checked."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import pyarrow as pa
from landing_fakes import FINISHED, FIRST, LAST, Straggling, paged

from llamacloud_etl.emulator import Dataset, EmulatorApp
from llamacloud_etl.landing import ReadBack, Verification, land_days, verify
from llamacloud_etl.sources import V1Source
from llamacloud_etl.storage import ParquetStore


def test_verify_finds_nothing_wrong_after_a_clean_landing(source: V1Source, store: ParquetStore) -> None:
    """A fresh landing has no duplicate run or row IDs and no missing SUCCESS run."""
    checked = verify(land_days(source, store, FIRST, LAST), store)
    assert (checked.duplicate_run_ids, checked.duplicate_row_ids, checked.missing_success) == (0, {}, [])


def test_verify_reports_a_success_run_whose_runs_file_was_removed(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """Deleting one agent's ``runs`` file of a day makes that agent's SUCCESS runs of the day missing."""
    day = date(2026, 10, 10)
    agent = dataset.agent_named("Supplier price list rows")
    gone = sorted(
        r["id"]
        for r in dataset.runs_on(day)
        if r["status"] == "SUCCESS" and r["extraction_agent_id"] == agent["id"]
    )
    report = land_days(source, store, FIRST, LAST)
    written = next(
        w
        for w in report.written
        if w.table == "runs" and w.run_date == day and w.uri.endswith(f"{agent['id']}.parquet")
    )
    Path(url2pathname(urlparse(written.uri).path)).unlink()
    assert gone and verify(report, store).missing_success == gone


def test_verify_does_not_report_a_vanished_run_as_missing(
    source: V1Source, app: EmulatorApp, store: ParquetStore, dataset: Dataset
) -> None:
    """A SUCCESS run deleted upstream before its day was fetched again is vanished, not missing."""
    day = date(2026, 10, 3)
    straggler, doomed = (r for r in dataset.runs_on(day) if r["status"] in FINISHED)
    straggling = Straggling(paged(source, 5), store, straggler, app, doomed["id"])
    report = land_days(straggling, store, FIRST, LAST)
    assert verify(report, store).missing_success == []


class _DoublingStore(ParquetStore):
    """Writes every ``runs`` part twice over: each run of the part lands in two rows."""

    def replace_day(self, run_date: date, tables: Any, **kwargs: Any) -> Any:
        doubled = {
            key: pa.concat_tables([table, table]) if isinstance(key, tuple) and key[0] == "runs" else table
            for key, table in tables.items()
        }
        return super().replace_day(run_date, doubled, **kwargs)


def test_land_days_reads_back_each_group_of_agents_it_wrote(source: V1Source, tmp_path: Path) -> None:
    """The landing's own read-back, group by group, finds what reading everything back finds."""
    store = _DoublingStore(str(tmp_path))
    report = land_days(source, store, FIRST, LAST, max_concurrency=2)
    assert report.read_back.duplicate_run_ids == report.success + report.errored > 0
    assert Verification.of(report) == verify(report, store)


def test_land_days_reads_back_nothing_wrong_after_a_clean_landing(
    source: V1Source, store: ParquetStore
) -> None:
    """A clean landing's read-back is empty, and equal to a verify run afterwards."""
    report = land_days(source, store, FIRST, LAST)
    assert report.read_back == ReadBack(runs_read=report.success + report.errored)
    assert Verification.of(report) == verify(report, store)
