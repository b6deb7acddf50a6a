"""Unit tests of llamacloud_etl.landing.watermark: the completion sensor's cursor and what finished since."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from landing_fakes import FINISHED, Retimed, created, success_on

from llamacloud_etl.emulator import Dataset, EmulatorApp
from llamacloud_etl.landing import Owed, Watermark, find_completed
from llamacloud_etl.run import Agent, day_bounds
from llamacloud_etl.sources import V1Source

# -- Watermark -------------------------------------------------------------------------------


def test_watermark_survives_a_cursor_round_trip() -> None:
    """``from_cursor(to_cursor())`` gives back the same instant (microseconds, offset) and IDs."""
    mark = Watermark(
        created=datetime(2026, 10, 11, 14, 42, 58, 442001, tzinfo=UTC),
        ids=frozenset({"853e122f-e48f-4123-9f38-c478c9c6b5ca"}),
        pending=frozenset({"1743f660-356c-4601-ac7d-52df11d71157"}),
    )
    again = Watermark.from_cursor(mark.to_cursor())
    assert again == mark and again.created is not None and again.created.utcoffset() == timedelta(0)


@pytest.mark.parametrize("cursor", [None, "", Watermark().to_cursor()], ids=["none", "empty", "blank-mark"])
def test_watermark_from_an_empty_cursor_has_seen_nothing(cursor: str | None) -> None:
    """No cursor, an empty one, or one of an empty watermark all mean nothing has been seen."""
    assert Watermark.from_cursor(cursor) == Watermark()


# -- find_completed --------------------------------------------------------------------------

WINDOW_START = day_bounds(date(2026, 10, 8), date(2026, 10, 8))[0]


def _finished_since(dataset: Dataset, moment: datetime) -> dict[str, date]:
    return {
        r["id"]: created(r).date() for r in dataset.runs if r["status"] in FINISHED and created(r) >= moment
    }


def test_find_completed_first_sees_every_finished_run_of_the_window(
    source: V1Source, agents: list[Agent], dataset: Dataset
) -> None:
    """With an empty watermark, every finished run created in the window is new, with its days."""
    expected = _finished_since(dataset, WINDOW_START)
    found = find_completed(source, agents, created_after=WINDOW_START, watermark=Watermark())
    assert (found.run_ids, found.days) == (sorted(expected), set(expected.values()))


def test_find_completed_with_the_returned_watermark_sees_nothing_new(
    source: V1Source, agents: list[Agent]
) -> None:
    """A second call with the first call's watermark finds no run and keeps the watermark."""
    first = find_completed(source, agents, created_after=WINDOW_START, watermark=Watermark())
    second = find_completed(source, agents, created_after=WINDOW_START, watermark=first.watermark)
    assert (second.run_ids, second.days, second.watermark) == ([], set(), first.watermark)


def test_find_completed_sees_a_run_that_completed_since_the_watermark(
    source: V1Source, app: EmulatorApp, agents: list[Agent], dataset: Dataset
) -> None:
    """After a PENDING run completes, the next call returns exactly that run and its day."""
    late = next(r for r in dataset.runs if r["status"] == "PENDING")  # the newest unfinished run
    first = find_completed(source, agents, created_after=WINDOW_START, watermark=Watermark())
    app.complete_run(late["id"])
    second = find_completed(source, agents, created_after=WINDOW_START, watermark=first.watermark)
    assert (second.run_ids, second.days) == ([late["id"]], {created(late).date()})


def test_find_completed_sees_an_older_run_that_completes_after_a_newer_one(
    source: V1Source, app: EmulatorApp, agents: list[Agent], dataset: Dataset
) -> None:
    """The oldest PENDING run, completed after a newer one, is still returned."""
    pending = [r for r in dataset.runs if r["status"] == "PENDING" and created(r) >= WINDOW_START]
    oldest, newest = pending[-1]["id"], pending[0]["id"]
    assert oldest != newest
    first = find_completed(source, agents, created_after=WINDOW_START, watermark=Watermark())
    app.complete_run(newest)
    second = find_completed(source, agents, created_after=WINDOW_START, watermark=first.watermark)
    app.complete_run(oldest)
    third = find_completed(source, agents, created_after=WINDOW_START, watermark=second.watermark)
    assert (second.run_ids, third.run_ids) == ([newest], [oldest])


def test_find_completed_sees_a_run_created_at_the_watermark_instant_once(
    source: V1Source, agents: list[Agent], dataset: Dataset
) -> None:
    """A run created in the same millisecond as the newest one seen is returned once, then never again."""
    retimed = Retimed(source)
    tie = datetime(2026, 10, 13, 0, 0, 0, 1000, tzinfo=UTC)  # later than every run in the data set
    seen = success_on(dataset, date(2026, 10, 10))["id"]
    retimed.created_at[seen] = tie
    first = find_completed(retimed, agents, created_after=WINDOW_START, watermark=Watermark())
    assert (first.watermark.created, first.watermark.ids) == (tie, frozenset({seen}))
    late = success_on(dataset, date(2026, 10, 9))["id"]
    retimed.created_at[late] = tie
    second = find_completed(retimed, agents, created_after=WINDOW_START, watermark=first.watermark)
    third = find_completed(retimed, agents, created_after=WINDOW_START, watermark=second.watermark)
    assert (second.run_ids, third.run_ids) == ([late], [])


def test_watermark_reads_a_cursor_written_before_owed_days_existed() -> None:
    """A cursor of the old shape (``created``, ``ids``, ``pending``) parses, with nothing owed."""
    old = '{"created": "2026-10-11T14:42:58.442001+00:00", "ids": ["r1"], "pending": ["r2"]}'
    mark = Watermark.from_cursor(old)
    assert (mark.ids, mark.pending, mark.owed) == (frozenset({"r1"}), frozenset({"r2"}), ())


def test_watermark_keeps_owed_days_through_a_cursor_round_trip() -> None:
    """The requests owed (run key, days, when) come back from the cursor as they went in."""
    owed = Owed("completed:2026-10-01..2026-10-03:abc", ("2026-10-01", "2026-10-03"), datetime.now(UTC))
    mark = Watermark(pending=frozenset({"r2"}), owed=(owed,))
    assert Watermark.from_cursor(mark.to_cursor()) == mark


def test_find_completed_checks_by_id_a_run_that_left_the_window(
    source: V1Source, app: EmulatorApp, agents: list[Agent], dataset: Dataset
) -> None:
    """A run seen unfinished, completed once the window has moved past it, is fetched by ID and returned."""
    late = next(r for r in dataset.runs if r["status"] == "PENDING")
    first = find_completed(source, agents, created_after=WINDOW_START, watermark=Watermark())
    app.complete_run(late["id"])
    moved = created(late) + timedelta(days=1)
    second = find_completed(
        source, agents, created_after=moved, watermark=first.watermark, remember_after=WINDOW_START
    )
    assert (second.run_ids, second.days) == ([late["id"]], {created(late).date()})
    assert late["id"] not in second.watermark.pending


def test_find_completed_forgets_a_run_unfinished_past_remember_after(
    source: V1Source, agents: list[Agent], dataset: Dataset
) -> None:
    """An unfinished run out of the window stays pending until it was created before ``remember_after``."""
    late = next(r for r in dataset.runs if r["status"] == "PENDING")
    first = find_completed(source, agents, created_after=WINDOW_START, watermark=Watermark())
    moved = created(late) + timedelta(days=1)
    kept = find_completed(
        source, agents, created_after=moved, watermark=first.watermark, remember_after=WINDOW_START
    )
    gone = find_completed(source, agents, created_after=moved, watermark=kept.watermark, remember_after=moved)
    assert late["id"] in kept.watermark.pending and late["id"] not in gone.watermark.pending
