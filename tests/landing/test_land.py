"""Unit tests of llamacloud_etl.landing.land: what ``land_days`` lands of a range of days and reports."""

from __future__ import annotations

from datetime import date, timedelta

from landing_fakes import FINISHED, FIRST, LAST, UNFINISHED, landed_run_ids, paged, runs_between

from llamacloud_etl.emulator import Dataset
from llamacloud_etl.landing import DayResult, land_days
from llamacloud_etl.sources import V1Source
from llamacloud_etl.storage import ParquetStore


def test_land_days_puts_each_finished_run_in_its_utc_day(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """Every SUCCESS or ERROR run of the range lands under its UTC creation day, and only there."""
    report = land_days(paged(source, 5), store, FIRST, LAST)
    got = {rid: d.day for d in report.days for rid in d.runs_landed}
    assert got == runs_between(dataset, FIRST, LAST, FINISHED)


def test_land_days_reports_the_success_runs_of_each_day(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """Each day's ``success_listed`` holds exactly its SUCCESS runs (not its ERROR runs)."""
    report = land_days(paged(source, 5), store, FIRST, LAST)
    got = {rid: d.day for d in report.days for rid in d.success_listed}
    assert got == runs_between(dataset, FIRST, LAST, ("SUCCESS",))


def test_land_days_counts_unfinished_runs_as_pending_and_does_not_land_them(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """CREATED and PENDING runs are counted under their day's ``pending_ids``, never landed."""
    report = land_days(paged(source, 5), store, FIRST, LAST)
    pending = {rid: d.day for d in report.days for rid in d.pending_ids}
    expected = runs_between(dataset, FIRST, LAST, UNFINISHED)
    assert expected and pending == expected and not set(expected) & set(landed_run_ids(store))
    assert report.pending == len(expected)


def test_land_days_lands_nothing_from_outside_the_range(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """Runs created before the first or after the last day land in no day, and no other day is written."""
    first, last = date(2026, 9, 26), date(2026, 9, 28)
    report = land_days(paged(source, 5), store, first, last)
    assert sorted(landed_run_ids(store)) == sorted(runs_between(dataset, first, last, FINISHED))
    assert [d.day for d in report.days] == [first, first + timedelta(days=1), last]


def test_land_days_counts_each_finished_run_of_the_range_as_fetched_once(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """``fetched`` counts the range's finished runs; ``listed`` every run the listings returned."""
    report = land_days(paged(source, 5), store, FIRST, LAST)
    in_range = runs_between(dataset, FIRST, LAST, (*FINISHED, *UNFINISHED))
    assert report.fetched == len(runs_between(dataset, FIRST, LAST, FINISHED))
    assert report.listed >= len(in_range)


def test_land_days_lands_every_finished_run_of_the_range(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """After landing, the ``runs`` table holds each SUCCESS and ERROR run of the range exactly once."""
    land_days(source, store, FIRST, LAST)
    assert sorted(landed_run_ids(store)) == sorted(runs_between(dataset, FIRST, LAST, FINISHED))


def test_land_days_reports_progress_once_per_day_newest_first(source: V1Source, store: ParquetStore) -> None:
    """``progress`` is called once per day of the range, newest first, with running and total counts."""
    calls: list[tuple[date, int, int]] = []

    def progress(result: DayResult, done: int, total: int) -> None:
        calls.append((result.day, done, total))

    land_days(paged(source, 5), store, FIRST, LAST, progress=progress)
    days = [LAST - timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
    assert calls == [(day, n, len(days)) for n, day in enumerate(days, start=1)]


def test_land_days_reports_days_oldest_first(source: V1Source, store: ParquetStore) -> None:
    """The report lists every day of the range once, oldest first, whatever order they were written in."""
    report = land_days(paged(source, 5), store, FIRST, LAST)
    assert [d.day for d in report.days] == [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]


def test_land_days_lists_agents_in_groups_of_max_concurrency(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """With fewer connections than agents, agents land in groups, and every day merges all groups."""
    report = land_days(paged(source, 5), store, FIRST, LAST, max_concurrency=1)
    assert sorted(landed_run_ids(store)) == sorted(runs_between(dataset, FIRST, LAST, FINISHED))
    assert len(report.days) == (LAST - FIRST).days + 1
