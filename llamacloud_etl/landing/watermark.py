"""The completion watermark: which runs finished since the completion sensor last looked.

The sensor lists the lookback window (run headers only), compares it with its cursor (a
:class:`Watermark`) and asks for the days of runs that finished since. Runs it saw unfinished
are remembered after they leave the window and fetched by ID, up to :data:`MAX_PENDING` of them
(the newest) and for as long as the sensor's ``remember_after`` says. The cursor also keeps the
days it has requested and not yet seen landed (:class:`Owed`): the sensor settles them against
the Dagster runs it requested.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime

from llamacloud_etl.errors import NotFoundError
from llamacloud_etl.run import Agent, Run, RunHeader
from llamacloud_etl.sources.base import Source, listing_units

# Unfinished runs remembered outside the lookback window (the newest kept): about 50 bytes each
# in the cursor, and one fetch by ID each per tick while they stay unfinished.
MAX_PENDING = 1000


def list_window(source: Source, agents: Sequence[Agent], created_after: datetime) -> list[RunHeader]:
    """Every run of the agents created after ``created_after``, the listings run concurrently.

    Each listing's pages are sequential, so listing side by side hides the round trips. Agents
    listed together (v2 inline-schema groups) are listed once; their runs of other agents are left
    out. Only headers are kept, each boiled down as its page arrives.
    """
    wanted = {agent.id for agent in agents}

    def one(unit: list[Agent]) -> list[RunHeader]:
        pages = source.list_headers(unit[0], created_after)
        return [run for page in pages for run in page if run.agent_id in wanted]

    units = listing_units(agents)
    if not units:
        return []
    with ThreadPoolExecutor(max_workers=min(len(units), 8), thread_name_prefix="llamacloud-list") as pool:
        return [run for runs in pool.map(one, units) for run in runs]


@dataclass(frozen=True)
class Owed:
    """Days the sensor requested in one Dagster run (its run key) and has not yet seen landed.

    ``days`` are the days that needed landing (ISO dates), not every day of the requested range;
    ``at`` is when the request was made.
    """

    key: str
    days: tuple[str, ...]
    at: datetime

    def to_json(self) -> dict[str, object]:
        """The cursor's form: ``{"key", "days", "at"}``."""
        return {"key": self.key, "days": list(self.days), "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> Owed:
        """Parse :meth:`to_json`'s form."""
        days = raw["days"]
        assert isinstance(days, list)
        return cls(key=str(raw["key"]), days=tuple(map(str, days)), at=datetime.fromisoformat(str(raw["at"])))


@dataclass(frozen=True)
class Watermark:
    """The completion sensor's cursor: what it has seen of the runs, and what it still owes.

    A run needs landing when it is finished and either the sensor saw it unfinished before
    (``pending``), or it is newer than anything seen (created after ``created``, or at ``created``
    but not among ``ids``). Completion times are not used: they need not be monotonic across a
    listing, which is no snapshot, so a watermark on them can skip a run that finished "in the
    past". Finished runs created before the lookback window are not looked at (the schedule has
    the same horizon); unfinished ones stay in ``pending`` after they leave it, checked by ID.
    ``owed`` lists the requests whose days no successful Dagster run has landed yet.

    Examples:
        >>> Watermark.from_cursor(Watermark(ids=frozenset({"r1"})).to_cursor()).ids
        frozenset({'r1'})
    """

    created: datetime | None = None
    ids: frozenset[str] = frozenset()
    pending: frozenset[str] = frozenset()
    owed: tuple[Owed, ...] = ()

    def to_cursor(self) -> str:
        """Serialise for a Dagster sensor cursor: compact JSON."""
        return json.dumps(
            {
                "created": self.created.isoformat() if self.created else None,
                "ids": sorted(self.ids),
                "pending": sorted(self.pending),
                "owed": [entry.to_json() for entry in self.owed],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_cursor(cls, cursor: str | None) -> Watermark:
        """Parse a cursor written by :meth:`to_cursor` (or before ``owed`` existed); empty: nothing seen."""
        if not cursor:
            return cls()
        raw = json.loads(cursor)
        created = datetime.fromisoformat(raw["created"]) if raw.get("created") else None
        return cls(
            created=created,
            ids=frozenset(raw.get("ids", ())),
            pending=frozenset(raw.get("pending", ())),
            owed=tuple(Owed.from_json(entry) for entry in raw.get("owed", ())),
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
    source: Source,
    agents: Sequence[Agent],
    *,
    created_after: datetime,
    watermark: Watermark,
    remember_after: datetime | None = None,
) -> Completed:
    """Finished runs created after ``created_after`` that the watermark has not seen finished.

    Runs of ``watermark.pending`` the window no longer lists are fetched by ID: finished, they
    count as completed; unfinished, they stay pending unless created before ``remember_after``
    (default ``created_after``); gone (404), they are dropped. ``owed`` is carried over as is.
    """
    completed: list[RunHeader | Run] = []
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
    left = watermark.pending - {r.id for r in seen}
    done, still = _check_left(source, left, remember_after or created_after)
    completed += done
    ids = {r.id for r in seen if r.created_at == newest}
    if newest == watermark.created:
        ids |= watermark.ids
    days = {source.run_day(r) for r in completed}
    mark = Watermark(created=newest, ids=frozenset(ids), pending=frozenset(pending | still))
    return Completed(
        run_ids=sorted(r.id for r in completed),
        days={d for d in days if d is not None},
        watermark=replace(mark, owed=watermark.owed),
    )


def _check_left(
    source: Source, run_ids: frozenset[str], remember_after: datetime
) -> tuple[list[Run], set[str]]:
    """Runs seen unfinished that the window no longer lists: those finished, and those to keep.

    A run whose fetch failed other than with a 404 is kept (it is checked again next tick). Of
    the unfinished, at most :data:`MAX_PENDING` are kept, the newest, fetch failures last.
    """
    if not run_ids:
        return [], set()
    done: list[Run] = []
    kept: dict[str, datetime | None] = {}
    for fetch in source.fetch_runs(sorted(run_ids)):
        if fetch.run is not None and fetch.run.outcome.finished:
            done.append(fetch.run)
        elif fetch.run is not None:
            created = fetch.run.created_at
            if created is None or created >= remember_after:
                kept[fetch.run_id] = created
        elif not isinstance(fetch.error, NotFoundError):
            kept[fetch.run_id] = None
    newest = sorted(kept, key=lambda i: (kept[i] is not None, kept[i] or remember_after, i), reverse=True)
    return done, set(newest[:MAX_PENDING])
