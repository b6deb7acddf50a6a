"""One process's landing: groups of agents listed side by side, each day written as it completes.

For each group of :attr:`LandingOptions.width` agents: the :class:`DayScheduler` hands out
complete days newest first, the :class:`DayWriter` flattens and writes each while the next is
listed, days that runs were listed for late are landed again, the group's tables are conformed
to one schema, and the days written are read back. The group's :class:`LandingReport` is built
from its day results at the end.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain

from llamacloud_etl.flatten.batch import gc_paused
from llamacloud_etl.landing.byid import land_late
from llamacloud_etl.landing.conform import Conformed, conform
from llamacloud_etl.landing.readback import read_back
from llamacloud_etl.landing.report import DayResult, LandingReport, merge_reports
from llamacloud_etl.landing.scheduler import DayScheduler
from llamacloud_etl.landing.writer import DayWriter
from llamacloud_etl.run import Agent, Run
from llamacloud_etl.sources.base import Source, listing_units
from llamacloud_etl.storage import ParquetStore

logger = logging.getLogger(__name__)

SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits, during a landing (Python's default: 0.005).

Flattening holds the GIL in slices; shorter slices hand it sooner to a listing thread whose page
has arrived, which keeps every connection busy."""

COLLECT_EVERY_DAYS = 7
"""Days written between two collections of reference cycles during a landing.

A landing holds about two days of parsed runs at a time, hundreds of thousands of dicts and lists.
The automatic collector would traverse the young ones every 700 allocations, and, turned back on
after each batch, traverse all the batch's survivors. So it is paused for the whole landing
(``gc_paused``); reference counting frees the runs as their days are written, and what it cannot
free (reference cycles, about a thousand small objects a day, from the libraries) is collected
every this many days by :func:`write_days`, and after every chunk of a day landed in chunks (a
chunk holds the runs of several ordinary days; without it, a day of 20,000 runs kept some 200 MiB
of cycles until its end). Each collection still traverses the runs listed ahead, hence not after
every day.
"""


ProgressCallback = Callable[[DayResult, int, int], None]
"""Called after each day of each group of agents is written: (result, days done, days total)."""


def counted(progress: ProgressCallback | None, total: int) -> Callable[[DayResult], None]:
    """A per-day callback that numbers the days done and passes them to ``progress``."""
    count = 0

    def done(result: DayResult) -> None:
        nonlocal count
        count += 1
        if progress is not None:
            progress(result, count, total)

    return done


@dataclass(frozen=True)
class LandingOptions:
    """How a landing runs, the same in every group of agents and every worker process."""

    first: date
    last: date
    fetched_at: datetime
    threshold: float
    width: int
    chunk_runs: int | None = None
    """Runs of a day flattened at once; a bigger day lands in chunks (see
    :mod:`llamacloud_etl.landing.chunks`). None: every day at once."""

    def days(self, agents: Sequence[Agent]) -> int:
        """How many (day, group of agents) landings ``agents`` in :meth:`groups` make."""
        return ((self.last - self.first).days + 1) * max(1, len(self.groups(agents)))

    def groups(self, agents: Sequence[Agent]) -> list[list[Agent]]:
        """The agents in groups of ``width`` listings side by side; agents listed together stay together.

        Examples:
            >>> options = LandingOptions(date(2026, 6, 1), date(2026, 6, 1), datetime.now(), 0.5, width=2)
            >>> inline = [Agent("i1", "I1", listing="i"), Agent("i2", "I2", listing="i")]
            >>> agents = [Agent("a", "A"), *inline, Agent("b", "B")]
            >>> [[a.id for a in group] for group in options.groups(agents)]
            [['a', 'i1', 'i2'], ['b']]
        """
        units = listing_units(agents)
        starts = range(0, len(units), self.width)
        return [list(chain.from_iterable(units[i : i + self.width])) for i in starts]


def land_groups(
    source: Source,
    store: ParquetStore,
    agents: Sequence[Agent],
    by_id: Sequence[Run],
    options: LandingOptions,
    done: Callable[[DayResult], None],
) -> LandingReport:
    """Land the agents in groups of ``options.width`` listed side by side; ``done`` gets every day."""
    reports = [
        land_group(source, store, group, by_id, options, done) for group in options.groups(agents) or [[]]
    ]
    return merge_reports(agents, reports)


def land_group(
    source: Source,
    store: ParquetStore,
    group: Sequence[Agent],
    by_id: Sequence[Run],
    options: LandingOptions,
    done: Callable[[DayResult], None],
) -> LandingReport:
    """Land the range for one group of agents listed side by side."""
    mine = {a.id for a in group}
    writer = DayWriter(store, group, options.fetched_at, options.threshold)
    extras: dict[date, list[Run]] = defaultdict(list)
    for run in by_id:
        day = source.run_day(run)
        if run.agent_id in mine and day is not None:
            extras[day].append(run)
    scheduler = DayScheduler(
        source, group, options.first, options.last, by_id={r.id for r in by_id}, chunk_runs=options.chunk_runs
    )
    results: dict[date, DayResult] = {}
    with switch_interval(SWITCH_INTERVAL), gc_paused():  # see COLLECT_EVERY_DAYS
        try:
            # closing(): a failed write stops the listing threads now, not when the
            # generator is collected (the exception's traceback keeps it alive).
            with closing(scheduler.pieces()) as pieces:
                write_days(writer, pieces, extras, done, results)
            if scheduler.late:
                results.update(land_late(source, writer, results, scheduler.late))
        except BaseException:
            writer.discard()
            _conform_after_failure(store, writer, results)
            raise
        conformed = conform(store, writer.schemas, results)
    return LandingReport(
        agents=list(group),
        days=[results[d] for d in sorted(results)],
        listed=scheduler.listed,
        unconformed=conformed.unconformed,
        conformed=conformed.rewritten,
        read_back=read_back(store, results.values(), parts=mine),
    )


def write_days(
    writer: DayWriter,
    pieces: Iterator[tuple[date, list[Run], bool]],
    extras: Mapping[date, list[Run]],
    done: Callable[[DayResult], None],
    results: dict[date, DayResult],
) -> None:
    """Write each day as it comes, into ``results``; the listings go on meanwhile.

    A day comes in one piece, or in several (``last`` set on the final one) when it is bigger
    than a chunk: the others are spilled (:meth:`DayWriter.write_chunk`) until the day is complete.
    """
    for day, runs, last in pieces:
        if not last:
            writer.write_chunk(day, runs)
            del runs
            gc.collect(1)  # a chunk is a few days' worth of runs (see COLLECT_EVERY_DAYS)
            continue
        runs.extend(extras.get(day, ()))
        result = writer.write(day, runs)
        del runs  # emptied by the writer
        if len(results) % COLLECT_EVERY_DAYS == COLLECT_EVERY_DAYS - 1:
            gc.collect(1)  # see COLLECT_EVERY_DAYS
        results[day] = result
        done(result)


def _conform_after_failure(
    store: ParquetStore, writer: DayWriter, results: dict[date, DayResult]
) -> Conformed:
    """Give the days a failed landing wrote one schema per table, without hiding its error.

    Days are written newest first with a growing schema, so a landing that stops halfway leaves
    wider days behind narrower ones; the next landing, which reads the schema of the newest day,
    would not see them.
    """
    try:
        return conform(store, writer.schemas, results)
    except Exception:
        logger.exception("could not conform the days written before the landing failed")
        return Conformed()


@contextmanager
def switch_interval(seconds: float) -> Iterator[None]:
    """Lower the interpreter's thread switch interval for the block (never raise it), then restore it."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, seconds))
    try:
        yield
    finally:
        sys.setswitchinterval(before)
