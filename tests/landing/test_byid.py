"""Unit tests of llamacloud_etl.landing.byid: runs asked for by ID, and days landed again for late runs."""

from __future__ import annotations

from datetime import date

import pytest
from landing_fakes import (
    FINISHED,
    FIRST,
    LAST,
    Hiding,
    Straggling,
    landed_run_ids,
    paged,
    runs_between,
    success_on,
)

from llamacloud_etl.emulator import Dataset, EmulatorApp
from llamacloud_etl.errors import ConfigurationError
from llamacloud_etl.landing import land_days
from llamacloud_etl.sources import V1Source
from llamacloud_etl.storage import ParquetStore


def test_land_days_lands_an_extra_run_the_listing_does_not_show(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """A run asked for by ID lands in its day even though the listing missed it."""
    hidden = success_on(dataset, date(2026, 10, 10))["id"]
    report = land_days(Hiding(source, hidden), store, FIRST, LAST, extra_run_ids=[hidden.upper()])
    landed_on = {rid: d.day for d in report.days for rid in d.runs_landed}
    assert landed_on[hidden] == date(2026, 10, 10) and landed_run_ids(store).count(hidden) == 1


def test_land_days_lands_a_run_asked_for_by_id_once_although_the_listing_shows_it(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """The by-ID copy of a run replaces the listed one: one row, not two."""
    wanted = success_on(dataset, date(2026, 10, 10))["id"]
    land_days(source, store, FIRST, LAST, extra_run_ids=[wanted])
    assert landed_run_ids(store).count(wanted) == 1


def test_land_days_rejects_an_extra_run_outside_the_range(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """A run asked for by ID but created outside the range is a ConfigurationError, and nothing is written."""
    outside = success_on(dataset, date(2026, 9, 15))["id"]
    with pytest.raises(ConfigurationError, match=f"run {outside} was created on 2026-09-15, outside"):
        land_days(source, store, FIRST, LAST, extra_run_ids=[outside])
    assert store.list_tables() == []


def test_land_days_lands_again_a_day_whose_run_was_listed_after_the_day_was_written(
    source: V1Source, store: ParquetStore, dataset: Dataset
) -> None:
    """A listing that is not newest first still lands every run of the day, each once."""
    day = date(2026, 10, 3)
    straggling = Straggling(paged(source, 5), store, success_on(dataset, day))
    report = land_days(straggling, store, FIRST, LAST)
    result = next(d for d in report.days if d.day == day)
    assert result.runs_landed == set(runs_between(dataset, day, day, FINISHED))
    assert sorted(landed_run_ids(store)) == sorted(runs_between(dataset, FIRST, LAST, FINISHED))


def test_land_days_skips_and_counts_a_run_that_vanished_before_its_day_landed_again(
    source: V1Source, app: EmulatorApp, store: ParquetStore, dataset: Dataset
) -> None:
    """A run deleted before its day is fetched again by ID is counted as vanished; the rest lands."""
    day = date(2026, 10, 3)
    straggler, doomed = (r for r in dataset.runs_on(day) if r["status"] in FINISHED)
    straggling = Straggling(paged(source, 5), store, straggler, app, doomed["id"])
    report = land_days(straggling, store, FIRST, LAST)
    result = next(d for d in report.days if d.day == day)
    others = set(runs_between(dataset, day, day, FINISHED)) - {doomed["id"]}
    assert (report.vanished, result.vanished, result.runs_landed) == (1, [doomed["id"]], others)
