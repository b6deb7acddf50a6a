"""Unit tests of llamacloud_etl.landing.report: per-day results, merged across groups, summed in a report."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

import pyarrow as pa
from landing_fakes import FIRST, LAST, Straggling, landed_run_ids, paged, success_on

from llamacloud_etl.emulator import Dataset
from llamacloud_etl.flatten import SchemaConflict
from llamacloud_etl.landing import DayResult, LandingReport, land_days
from llamacloud_etl.landing.report import merge_days
from llamacloud_etl.sources import V1Source
from llamacloud_etl.storage import ParquetStore, WrittenPartition

D1, D2, D3 = date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)


def _written(table: str, day: date, part: str | None = None) -> WrittenPartition:
    return WrittenPartition(table, day, f"memory://{table}/{day}/{part}", 1, 1, pa.schema([]), part)


def _result(
    day: date,
    landed: Collection[str],
    success: Collection[str],
    *,
    pending: Collection[str] = (),
    vanished: Sequence[str] = (),
    records: int = 0,
    off_schema: int = 0,
    errors: Sequence[str] = (),
    conflicts: Sequence[SchemaConflict] = (),
    written: Sequence[WrittenPartition] = (),
) -> DayResult:
    return DayResult(
        day=day,
        written=list(written),
        runs_landed=set(landed),
        success_listed=set(success),
        pending_ids=set(pending),
        vanished=list(vanished),
        flatten_failed=set(),
        low_confidence_fields=0,
        scored_fields=0,
        records=records,
        off_schema_values=off_schema,
        flatten_errors=list(errors),
        schema_conflicts=list(conflicts),
    )


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


def test_merge_days_folds_the_days_of_two_groups_into_one_result_per_day_oldest_first() -> None:
    """Each day two groups both landed becomes one result holding both groups' runs, files and counts."""
    first = [
        _result(D2, {"a2"}, {"a2"}, records=2, written=[_written("runs", D2, "agent-a")]),
        _result(D1, {"a1"}, set(), pending={"p1"}),
    ]
    second = [
        _result(D3, {"b3"}, {"b3"}, records=5),
        _result(
            D2, {"b2", "c2"}, {"b2"}, records=3, vanished=("v2",), written=[_written("runs", D2, "agent-b")]
        ),
    ]
    merged = merge_days(first, second)
    assert [d.day for d in merged] == [D1, D2, D3]
    day = merged[1]
    assert (day.runs_landed, day.success_listed, day.vanished, day.records) == (
        {"a2", "b2", "c2"},
        {"a2", "b2"},
        ["v2"],
        5,
    )
    assert [w.part for w in day.written] == ["agent-a", "agent-b"]
    assert (merged[0].pending_ids, merged[2].runs_landed) == ({"p1"}, {"b3"})


def test_landing_report_totals_are_sums_over_its_days() -> None:
    """Every count of the report is the sum of its days' counts, and its files are its days' files."""
    widened = SchemaConflict("total", "int64", "double", "widened", "records", "a")
    days = [
        _result(D1, {"r1", "r2"}, {"r1"}, pending={"p1"}, records=4, off_schema=1, errors=("bad r2",)),
        _result(
            D2,
            {"r3"},
            {"r3"},
            vanished=("r9",),
            records=2,
            conflicts=(widened,),
            written=[_written("runs", D2, "a")],
        ),
        _result(D3, set(), set(), pending={"p2", "p3"}, conflicts=(widened,)),
    ]
    report = LandingReport(days=days)
    assert (report.fetched, report.success, report.errored) == (3, 2, 1)
    assert (report.pending, report.vanished) == (3, 1)
    assert (report.records, report.off_schema_values, report.flatten_errors) == (6, 1, ["bad r2"])
    assert report.written == days[1].written and list(report.schema_conflicts.values()) == [widened]


def test_landing_report_counts_a_day_whose_result_is_replaced_once() -> None:
    """A day's result replaced by the result of landing it again counts once, with its new numbers."""
    report = LandingReport(
        days=[_result(D1, {"r1"}, {"r1"}, records=3), _result(D2, {"r2"}, set(), records=1)]
    )
    report.days[1] = _result(D2, {"r2", "r3"}, {"r3"}, records=4)
    assert (report.fetched, report.success, report.errored, report.records) == (3, 2, 1, 7)
