"""The completion watermark: which runs finished since the completion sensor last looked.

The sensor lists the lookback window (run headers only), compares it with its cursor (a
:class:`Watermark`) and asks for the days of runs that finished since.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime

from llamacloud_etl.run import Agent, RunHeader
from llamacloud_etl.sources.base import Source


def list_window(source: Source, agents: Sequence[Agent], created_after: datetime) -> list[RunHeader]:
    """Every run of the agents created after ``created_after``, the agents listed concurrently.

    Each agent's pages are sequential, so listing the agents side by side hides the round trips.
    Only headers are kept, each boiled down as its page arrives.
    """

    def one(agent: Agent) -> list[RunHeader]:
        return [run for page in source.list_headers(agent, created_after) for run in page]

    if not agents:
        return []
    with ThreadPoolExecutor(max_workers=min(len(agents), 8), thread_name_prefix="llamacloud-list") as pool:
        return [run for runs in pool.map(one, agents) for run in runs]


@dataclass(frozen=True)
class Watermark:
    """The completion sensor's cursor: what it has already seen of the lookback window.

    A run needs landing when it is finished and either the sensor saw it unfinished before
    (``pending``), or it is newer than anything seen (created after ``created``, or at ``created``
    but not among ``ids``). Completion times are not used: they need not be monotonic across a
    listing, which is no snapshot, so a watermark on them can skip a run that finished "in the
    past". Runs created before the lookback window are forgotten; the schedule has the same horizon.

    Examples:
        >>> Watermark.from_cursor(Watermark(ids=frozenset({"r1"})).to_cursor()).ids
        frozenset({'r1'})
    """

    created: datetime | None = None
    ids: frozenset[str] = frozenset()
    pending: frozenset[str] = frozenset()

    def to_cursor(self) -> str:
        """Serialise for a Dagster sensor cursor."""
        return json.dumps(
            {
                "created": self.created.isoformat() if self.created else None,
                "ids": sorted(self.ids),
                "pending": sorted(self.pending),
            }
        )

    @classmethod
    def from_cursor(cls, cursor: str | None) -> Watermark:
        """Parse a cursor written by :meth:`to_cursor`; ``None`` or empty means nothing seen yet."""
        if not cursor:
            return cls()
        raw = json.loads(cursor)
        created = datetime.fromisoformat(raw["created"]) if raw.get("created") else None
        return cls(
            created=created, ids=frozenset(raw.get("ids", ())), pending=frozenset(raw.get("pending", ()))
        )

    def is_new(self, run: RunHeader) -> bool:
        """True when the sensor has never seen this run, finished or not."""
        if self.created is None or run.created_at is None:
            return self.created is None
        return run.created_at > self.created or (run.created_at == self.created and run.id not in self.ids)


@dataclass(frozen=True)
class Completed:
    """Runs that finished since the sensor's last look."""

    run_ids: list[str]
    days: set[date]
    watermark: Watermark


def find_completed(
    source: Source, agents: Sequence[Agent], *, created_after: datetime, watermark: Watermark
) -> Completed:
    """Finished runs created after ``created_after`` that the watermark has not seen finished."""
    completed: list[RunHeader] = []
    pending: set[str] = set()
    newest = watermark.created
    seen: list[RunHeader] = []
    for run in list_window(source, agents, created_after):
        if run.created_at is None:
            continue
        seen.append(run)
        if not run.outcome.finished:
            pending.add(run.id)
        elif watermark.is_new(run) or run.id in watermark.pending:
            completed.append(run)
        if newest is None or run.created_at > newest:
            newest = run.created_at
    ids = {r.id for r in seen if r.created_at == newest}
    if newest == watermark.created:
        ids |= watermark.ids
    days = {source.run_day(r) for r in completed}
    return Completed(
        run_ids=sorted(r.id for r in completed),
        days={d for d in days if d is not None},
        watermark=Watermark(created=newest, ids=frozenset(ids), pending=frozenset(pending)),
    )
