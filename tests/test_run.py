"""Unit tests of llamacloud_etl.run: the UTC day of a moment and the bounds of a range of days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from llamacloud_etl.run import day_bounds, day_of

# -- day_of ----------------------------------------------------------------------------------


def test_day_of_reads_a_naive_timestamp_as_utc() -> None:
    """A naive timestamp is taken as UTC, so its calendar day is unchanged."""
    assert day_of(datetime(2026, 9, 1, 23, 59, 59, 999999)) == date(2026, 9, 1)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(datetime(2026, 9, 1, 23, 0, tzinfo=UTC), date(2026, 9, 1), id="utc"),
        pytest.param(
            datetime(2026, 9, 1, 20, 30, tzinfo=timezone(timedelta(hours=-5))),
            date(2026, 9, 2),
            id="minus-5h",
        ),
        pytest.param(
            datetime(2026, 9, 2, 8, 0, tzinfo=timezone(timedelta(hours=9))), date(2026, 9, 1), id="plus-9h"
        ),
        pytest.param(
            datetime(2026, 9, 2, 5, 29, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            date(2026, 9, 1),
            id="plus-5h30",
        ),
        pytest.param(
            datetime(2026, 9, 2, 5, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            date(2026, 9, 2),
            id="plus-5h30-midnight",
        ),
    ],
)
def test_day_of_gives_the_utc_day_of_an_aware_timestamp(moment: datetime, expected: date) -> None:
    """An aware timestamp belongs to the UTC day it falls on, whatever its offset."""
    assert day_of(moment) == expected


# -- day_bounds ------------------------------------------------------------------------------


def test_day_bounds_span_from_the_first_midnight_to_the_midnight_after_the_last_day() -> None:
    """The bounds are UTC midnights, the end exclusive and one day past ``last``."""
    assert day_bounds(date(2026, 9, 1), date(2026, 9, 3)) == (
        datetime(2026, 9, 1, tzinfo=UTC),
        datetime(2026, 9, 4, tzinfo=UTC),
    )


def test_day_bounds_of_a_single_day_cover_exactly_24_hours() -> None:
    """One day's bounds are its own midnight and the next."""
    start, end = day_bounds(date(2026, 12, 31), date(2026, 12, 31))
    assert (start, end - start) == (datetime(2026, 12, 31, tzinfo=UTC), timedelta(days=1))
