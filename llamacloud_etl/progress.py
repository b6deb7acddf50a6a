"""How far a landing is, shown to the operator: one live display on a terminal, a few lines otherwise.

The command line installs one process-wide sink (:func:`showing`); the landing asset hands it
every day written (:func:`report`), on the run's own thread, days of worker processes included.
Nothing is shown when no sink is installed (Dagster UI runs, schedules, sensors).

    Tally          the counts: days landed of total, runs landed, per agent, rate, time left
    LiveDisplay    a rich progress display (overall and one row per agent), a summary table at the end
    LineDisplay    plain lines: start, about every 10 % or 10 s, end
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from llamacloud_etl.landing.report import DayResult


@dataclass
class Tally:
    """What a landing over ``first``..``last`` has done so far."""

    first: date
    last: date
    started: float = field(default_factory=time.monotonic)
    units_done: int = 0
    units_total: int = 0
    runs_of: dict[tuple[date, str], int] = field(default_factory=dict)
    days_of: dict[str, set[date]] = field(default_factory=dict)
    reports_of: dict[date, int] = field(default_factory=dict)

    @property
    def days_total(self) -> int:
        """Days in the range."""
        return (self.last - self.first).days + 1

    @property
    def groups(self) -> int:
        """Groups of agents that each land every day (worker processes, or groups of one process)."""
        return max(1, self.units_total // self.days_total)

    @property
    def days_done(self) -> int:
        """Days every group of agents has landed."""
        return sum(1 for n in self.reports_of.values() if n >= self.groups)

    @property
    def runs(self) -> int:
        """Runs landed (a day landed again counts once)."""
        return sum(self.runs_of.values())

    @property
    def elapsed(self) -> float:
        """Seconds since the landing started."""
        return max(time.monotonic() - self.started, 1e-6)

    @property
    def rate(self) -> float:
        """Runs landed per second."""
        return self.runs / self.elapsed

    @property
    def left(self) -> float | None:
        """Seconds left at the pace so far; None before the first day."""
        if not self.units_done or not self.units_total:
            return None
        return self.elapsed * max(self.units_total - self.units_done, 0) / self.units_done

    def add(self, result: DayResult, done: int, total: int) -> None:
        """Count one day of one group of agents."""
        self.units_done, self.units_total = done, total
        self.reports_of[result.day] = self.reports_of.get(result.day, 0) + 1
        for agent, runs in result.agent_runs.items():
            self.runs_of[(result.day, agent)] = runs
            self.days_of.setdefault(agent, set()).add(result.day)

    def agent_runs(self, agent: str) -> int:
        """Runs landed of one agent."""
        return sum(n for (_, name), n in self.runs_of.items() if name == agent)


class Sink(Protocol):
    """Where the days of a landing go while it runs."""

    def start(self, first: date, last: date) -> None:
        """A landing of ``first``..``last`` begins."""

    def day(self, result: DayResult, done: int, total: int) -> None:
        """One day of one group of agents was written: ``done`` of ``total`` such landings."""

    def finish(self) -> None:
        """The landing ended (landed or failed)."""


_sink: Sink | None = None


@contextmanager
def showing(sink: Sink) -> Iterator[Sink]:
    """Install ``sink`` as the process's progress sink for the block."""
    global _sink
    before, _sink = _sink, sink
    try:
        yield sink
    finally:
        _sink = before


def report(result: DayResult, done: int, total: int) -> None:
    """Hand one day to the installed sink, if any (the landing asset's progress callback)."""
    if _sink is not None:
        _sink.day(result, done, total)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    return str(timedelta(seconds=round(seconds)))


class LineDisplay:
    """A few plain lines: the start, about every 10 % or 10 s, and the end."""

    def __init__(self, echo: Callable[[str], None], *, every: float = 10.0) -> None:
        self.echo = echo
        self.every = every
        self.tally: Tally | None = None
        self.shown_at = 0.0
        self.shown_share = 0.0

    def start(self, first: date, last: date) -> None:
        """Print the range."""
        self.tally = Tally(first, last)
        self.shown_at = time.monotonic()
        self.echo(f"landing {first}..{last}: {self.tally.days_total} days")

    def day(self, result: DayResult, done: int, total: int) -> None:
        """Count the day; print a line when 10 % or 10 s passed since the last."""
        if self.tally is None:
            return
        self.tally.add(result, done, total)
        share = done / total if total else 1.0
        if done < total and (
            share - self.shown_share >= 0.1 or time.monotonic() - self.shown_at >= self.every
        ):
            self.shown_at, self.shown_share = time.monotonic(), share
            t = self.tally
            self.echo(
                f"days {t.days_done}/{t.days_total}, {t.runs} runs, "
                f"{t.rate:.1f} runs/s, {_duration(t.left)} left"
            )

    def finish(self) -> None:
        """Print the totals."""
        if self.tally is None:
            return
        t = self.tally
        state = "done" if t.days_done == t.days_total else "stopped"
        self.echo(
            f"{state}: days {t.days_done}/{t.days_total}, {t.runs} runs in {_duration(t.elapsed)} "
            f"({t.rate:.1f} runs/s)"
        )
        self.tally = None


class LiveDisplay:
    """A rich live display on the terminal (overall, and a row per agent when there are several),
    then one summary table."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.tally: Tally | None = None
        self.progress: Any = None
        self.overall: Any = None
        self.rows: dict[str, Any] = {}

    def start(self, first: date, last: date) -> None:
        """Open the display."""
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.tally = Tally(first, last)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("days {task.completed:.0f}/{task.total:.0f}"),
            TextColumn("{task.fields[runs]} runs"),
            TextColumn("{task.fields[rate]:.1f} runs/s"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.overall = self.progress.add_task(
            f"{first}..{last}", total=self.tally.days_total, runs=0, rate=0.0
        )
        self.progress.start()

    def day(self, result: DayResult, done: int, total: int) -> None:
        """Move the bars."""
        if self.tally is None:
            return
        t = self.tally
        t.add(result, done, total)
        self.progress.update(self.overall, completed=t.days_done, runs=t.runs, rate=t.rate)
        if len(t.days_of) < 2:
            return
        for agent, days in t.days_of.items():
            if agent not in self.rows:
                self.rows[agent] = self.progress.add_task(f"  {agent}", total=t.days_total, runs=0, rate=0.0)
            runs = t.agent_runs(agent)
            self.progress.update(self.rows[agent], completed=len(days), runs=runs, rate=runs / t.elapsed)

    def finish(self) -> None:
        """Close the display and print the summary table."""
        from rich.table import Table

        if self.tally is None:
            return
        self.progress.stop()
        t = self.tally
        table = Table(title=f"Landed {t.first}..{t.last} in {_duration(t.elapsed)}")
        for column in ("agent", "days", "runs", "runs/s"):
            table.add_column(column, justify="left" if column == "agent" else "right")
        for agent, days in sorted(t.days_of.items()):
            runs = t.agent_runs(agent)
            table.add_row(agent, f"{len(days)}/{t.days_total}", str(runs), f"{runs / t.elapsed:.1f}")
        table.add_row("total", f"{t.days_done}/{t.days_total}", str(t.runs), f"{t.rate:.1f}", style="bold")
        self.console.print(table)
        self.tally = None
