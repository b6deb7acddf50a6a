"""The day scheduler: a group's agents listed side by side, in step, handed out as complete days.

Each agent's runs are listed on a thread of its own (a listing is one sequence of pages), newest
first. An agent has *reached* the day of the oldest run it has listed; every later day is complete
for it. A day is complete when it is complete for every agent whose listing has not ended, so the
slowest agent (the newest day reached) decides. To bound memory, an agent waits while it is more
than :data:`LEAD_DAYS` ahead of the slowest one, or more than :data:`AHEAD_DAYS` ahead of the
last day handed out (which is being written).

With ``chunk_runs``, a day's runs are also handed out in pieces (:meth:`DayScheduler.pieces`):
once the bucket of the next day to hand out holds ``chunk_runs`` runs, it goes out as a piece
before the day is complete, and a listing whose day's bucket is full waits until it is taken, so
a day of any size holds about one chunk (and a page per agent) in memory.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Collection, Generator, Iterator, Sequence
from datetime import date, timedelta

from llamacloud_etl.run import Agent, Run, day_bounds
from llamacloud_etl.sources.base import Source, listing_units

logger = logging.getLogger(__name__)

AHEAD_DAYS = 1
"""Days the listings may run ahead of the day being written: while one day is flattened and
written, the next one is listed."""

LEAD_DAYS = 0
"""How many days an agent's listing may run ahead of the slowest agent's before it waits.

0: an agent that reaches a day older than the slowest agent's waits there. The agents still list
side by side, and memory holds about two days of runs (one written, one listed) plus a page per agent.
"""

_DAY = timedelta(days=1)


class DayScheduler:
    """The listings of a group of agents over ``first``..``last``, handed out as complete days, newest first.

    Agents listed together (one :attr:`~llamacloud_etl.run.Agent.listing_key`) share one listing.
    A run of a day already handed out (the listing was not newest first) is kept in :attr:`late`;
    runs in ``by_id`` are left out (they are fetched by ID instead), and so are runs of agents not in
    ``agents`` (a shared listing's runs of another group, or of an agent found after the landing
    chose its agents: the next landing of their day takes them), counted in :attr:`foreign`.
    """

    def __init__(
        self,
        source: Source,
        agents: Sequence[Agent],
        first: date,
        last: date,
        *,
        by_id: Collection[str] = (),
        chunk_runs: int | None = None,
    ) -> None:
        self._source = source
        self._chunk = chunk_runs
        self._first, self._last = first, last
        self._by_id = by_id
        self._cond = threading.Condition()
        self._units = listing_units(agents)
        self._mine = {a.id for a in agents}
        self._reached = {unit[0].listing_key: last + _DAY for unit in self._units}
        self._active = set(self._reached)
        self._taken = last + _DAY  # every day from here on has been handed out
        self._buckets: dict[date, list[Run]] = defaultdict(list)
        self._error: Exception | None = None
        self._stop = False
        self.late: list[Run] = []
        """Runs listed after their day was handed out."""
        self.listed = 0
        """Runs the listings returned, of the range or newer."""
        self.foreign = 0
        """Runs listed for agents outside ``agents``, left out."""

    def pieces(self) -> Generator[tuple[date, list[Run], bool], None, None]:
        """Every day of the range, newest first, in pieces: ``(day, runs, last)``.

        A day's pieces come one after another; the one with ``last`` set comes once the day is
        complete (with the runs not handed out yet, perhaps none). Without ``chunk_runs`` every
        day is one piece.

        Raises:
            LlamaCloudError: an agent's listing failed (the other listings are stopped).
        """
        threads = [
            threading.Thread(target=self._list, args=(unit[0],), name=f"llamacloud-list-{i}", daemon=True)
            for i, unit in enumerate(self._units)
        ]
        for thread in threads:
            thread.start()
        try:
            while self._taken > self._first:
                with self._cond:
                    while (
                        self._error is None
                        and self._active
                        and self._frontier() >= self._taken - _DAY
                        and not self._full(self._taken - _DAY)
                    ):
                        self._cond.wait()
                    if self._error is not None:
                        raise self._error
                    ready = []
                    while self._taken > self._first and self._taken - _DAY > self._frontier():
                        self._taken -= _DAY
                        ready.append((self._taken, self._buckets.pop(self._taken, []), True))
                    if not ready and self._full(self._taken - _DAY):
                        ready.append((self._taken - _DAY, self._buckets.pop(self._taken - _DAY), False))
                    self._cond.notify_all()
                yield from ready
        finally:
            with self._cond:
                self._stop = True
                self._cond.notify_all()
            for thread in threads:
                thread.join()

    def _full(self, day: date) -> bool:
        """Whether ``day``'s bucket holds a chunk (never without ``chunk_runs``)."""
        return self._chunk is not None and len(self._buckets.get(day, ())) >= self._chunk

    def _frontier(self) -> date:
        """The newest day not yet complete (the day before the range once every listing ended)."""
        return max((self._reached[a] for a in self._active), default=self._first - _DAY)

    def _list(self, agent: Agent) -> None:
        """List ``agent``'s listing unit (the runs of every agent listed with it)."""
        key = agent.listing_key
        pages: Iterator[list[Run]] = iter(())
        since, until = day_bounds(self._first, self._last)
        try:
            pages = self._source.list_runs(agent, since, until)
            for page in pages:
                with self._cond:
                    if self._stop:
                        return
                    if self._take(key, page) or self._full(self._taken - _DAY):
                        self._cond.notify_all()  # a day complete, or a chunk to take
                    while not self._stop and self._must_wait(key):
                        self._cond.wait()
                    if self._stop:
                        return  # before the next page is requested
        except Exception as exc:  # handed to the consumer, which raises it
            with self._cond:
                self._error = self._error or exc
        finally:
            with self._cond:
                self._active.discard(key)
                self._cond.notify_all()
            close = getattr(pages, "close", None)
            if close is not None:
                close()  # a listing stopped early requests no further page

    def _take(self, key: str, page: list[Run]) -> bool:
        """Put a page's runs in their days; True when the listing reached an older day (waiters look)."""
        moved = False
        for run in page:
            self.listed += 1
            day = self._source.run_day(run)
            if day is None:
                logger.warning(
                    "run %s has no created_at; it cannot be placed in a day and is skipped", run.id
                )
                continue
            if day < self._reached[key]:
                self._reached[key] = day
                moved = True
            if run.agent_id not in self._mine:
                self.foreign += 1  # its day still tells how far the shared listing got
                continue
            if day > self._last or run.id in self._by_id:
                continue
            if day >= self._taken:
                logger.warning(
                    "run %s of %s was listed after its day was written; the day lands again", run.id, day
                )
                self.late.append(run)
            else:
                self._buckets[day].append(run)
        return moved

    def _must_wait(self, key: str) -> bool:
        reached = self._reached[key]
        return (
            reached < self._frontier() - timedelta(days=LEAD_DAYS)
            or reached < self._taken - timedelta(days=AHEAD_DAYS)
            or self._full(reached)
        )
