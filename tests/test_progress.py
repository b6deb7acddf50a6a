"""Progress of a landing: the tally of days and runs, and the plain lines shown when not on a terminal."""

from __future__ import annotations

from datetime import date, timedelta

from llamacloud_etl.landing import DayResult
from llamacloud_etl.progress import LineDisplay, Tally, report, showing

FIRST = date(2026, 9, 1)


def _day(day: date, **agent_runs: int) -> DayResult:
    return DayResult(
        day=day,
        written=[],
        runs_landed={f"{day}-{i}" for i in range(sum(agent_runs.values()))},
        success_listed=set(),
        pending_ids=set(),
        vanished=[],
        flatten_failed=set(),
        low_confidence_fields=0,
        scored_fields=0,
        agent_runs=agent_runs,
    )


def test_a_day_counts_once_every_group_of_agents_landed_it() -> None:
    """With two groups (two processes), a day is landed when both reported it; runs add up per agent."""
    tally = Tally(FIRST, FIRST + timedelta(days=1))
    tally.add(_day(FIRST, a=2), 1, 4)
    assert (tally.days_done, tally.days_total, tally.runs) == (0, 2, 2)
    tally.add(_day(FIRST, b=3), 2, 4)
    assert (tally.days_done, tally.runs, tally.agent_runs("b")) == (1, 5, 3)


def test_a_day_landed_again_replaces_its_runs() -> None:
    """A day re-landed (a late run) counts its runs once, with their new number."""
    tally = Tally(FIRST, FIRST)
    tally.add(_day(FIRST, a=2), 1, 1)
    tally.add(_day(FIRST, a=3), 2, 2)
    assert tally.runs == 3


def test_plain_lines_come_at_start_about_every_tenth_and_end() -> None:
    """Sixty days give the start line, at most ten progress lines and the end line."""
    lines: list[str] = []
    display = LineDisplay(lines.append)
    with showing(display):
        display.start(FIRST, FIRST + timedelta(days=59))
        for i in range(60):
            report(_day(FIRST + timedelta(days=i), a=1), i + 1, 60)
        display.finish()
    assert lines[0] == "landing 2026-09-01..2026-10-30: 60 days"
    assert 3 <= len(lines) <= 12
    assert lines[-1].startswith("done: days 60/60, 60 runs in ")


def test_nothing_is_shown_without_a_sink() -> None:
    """report is a no-op when no display is installed (Dagster UI runs, schedules, sensors)."""
    report(_day(FIRST, a=1), 1, 1)
