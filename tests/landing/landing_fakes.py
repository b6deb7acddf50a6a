"""Ground truth and fake sources shared by the landing tests.

Imported by the test modules as ``landing_fakes`` (pytest puts this folder on ``sys.path``). The
data set's wire JSON is the ground truth; each fake source wraps a real
:class:`~llamacloud_etl.sources.v1.V1Source` (over the in-process emulator) and changes one thing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from llamacloud_etl.emulator import Dataset, EmulatorApp
from llamacloud_etl.errors import ServerError
from llamacloud_etl.landing import LEAD_DAYS
from llamacloud_etl.run import Agent, Run, RunHeader, day_bounds
from llamacloud_etl.settings import DEFAULT_PAGE_SIZE
from llamacloud_etl.sources import Fetched, V1Source
from llamacloud_etl.storage import ParquetStore

KEY = "llx-landing-unit-test-key-4242"

# 2026-10-02..2026-10-12 holds SUCCESS and ERROR runs, the data set's three unfinished runs
# (2026-10-11 and 2026-10-12) and two days without any run (2026-10-05, 2026-10-08).
FIRST = date(2026, 10, 2)
LAST = date(2026, 10, 12)
FINISHED = ("SUCCESS", "ERROR")
UNFINISHED = ("CREATED", "PENDING")


def paged(source: V1Source, page_size: int = DEFAULT_PAGE_SIZE) -> V1Source:
    """The same client's source, listing ``page_size`` runs per page."""
    return V1Source(source.client, page_size=page_size)


# -- ground truth ----------------------------------------------------------------------------


def created(run: dict[str, Any]) -> datetime:
    """A wire run's ``created_at``."""
    return datetime.fromisoformat(run["created_at"].replace("Z", "+00:00"))


def runs_between(dataset: Dataset, first: date, last: date, statuses: Collection[str]) -> dict[str, date]:
    """Ground truth: run id -> UTC day, for runs of ``first``..``last`` with one of ``statuses``."""
    start, end = day_bounds(first, last)
    return {
        r["id"]: created(r).date()
        for r in dataset.runs
        if r["status"] in statuses and start <= created(r) < end
    }


def landed_run_ids(store: ParquetStore) -> list[str]:
    """Every ``run_id`` of the stored ``runs`` table, one per row."""
    return [str(v) for v in store.read_table("runs", columns=["run_id"]).column("run_id").to_pylist()]


def success_on(dataset: Dataset, day: date) -> dict[str, Any]:
    """The newest SUCCESS run of a day."""
    return next(r for r in dataset.runs_on(day) if r["status"] == "SUCCESS")


# -- fake sources ----------------------------------------------------------------------------


class Delegating:
    """A source that passes every call to a real one; subclasses change one thing.

    A subclass that changes what a listing yields overrides :meth:`listed`.
    """

    def __init__(self, inner: V1Source) -> None:
        self.inner = inner

    @property
    def api_version(self) -> str:
        return self.inner.api_version

    @property
    def max_concurrency(self) -> int:
        return self.inner.max_concurrency

    @property
    def requests(self) -> int:
        return self.inner.requests

    @property
    def retries(self) -> int:
        return self.inner.retries

    def list_agents(self, since: datetime | None = None, until: datetime | None = None) -> list[Agent]:
        return self.inner.list_agents(since, until)

    def list_runs(self, agent: Agent, since: datetime, until: datetime | None = None) -> Iterator[list[Run]]:
        return self.listed(agent, self.inner.list_runs(agent, since, until))

    def listed(self, agent: Agent, pages: Iterator[list[Run]]) -> Iterator[list[Run]]:
        """What ``list_runs(agent)`` yields, given the pages the real listing yields."""
        return pages

    def list_headers(
        self, agent: Agent, since: datetime, until: datetime | None = None
    ) -> Iterator[list[RunHeader]]:
        return self.inner.list_headers(agent, since, until)

    def fetch_runs(self, run_ids: Iterable[str]) -> Iterator[Fetched]:
        return self.inner.fetch_runs(run_ids)

    def check_run_id(self, run_id: str) -> str:
        return self.inner.check_run_id(run_id)

    def weigh(self, agent: Agent, since: datetime | None = None, until: datetime | None = None) -> float:
        return self.inner.weigh(agent, since, until)

    def run_day(self, run: Run | RunHeader) -> date | None:
        return self.inner.run_day(run)

    def hints(self) -> dict[str, Any]:
        return self.inner.hints()

    def take_hints(self, hints: Mapping[str, Any]) -> None:
        self.inner.take_hints(hints)

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Hiding(Delegating):
    """The listing lags: one run is not listed yet, although it can be fetched by ID."""

    def __init__(self, inner: V1Source, hidden: str) -> None:
        super().__init__(inner)
        self.hidden = hidden

    def listed(self, agent: Agent, pages: Iterator[list[Run]]) -> Iterator[list[Run]]:
        return ([run for run in page if run.id != self.hidden] for page in pages)


class Straggling(Delegating):
    """The listing is not newest first: one run is listed last, once its day has been written.

    With ``doomed``, that run is deleted upstream just before the straggler is listed.
    """

    def __init__(
        self,
        inner: V1Source,
        store: ParquetStore,
        straggler: dict[str, Any],
        app: EmulatorApp | None = None,
        doomed: str = "",
    ) -> None:
        super().__init__(inner)
        self.store = store
        self.straggler = straggler["id"]
        self.day = created(straggler).date()
        self.app = app
        self.doomed = doomed

    def listed(self, agent: Agent, pages: Iterator[list[Run]]) -> Iterator[list[Run]]:
        held = None
        for page in pages:
            held = next((run for run in page if run.id == self.straggler), held)
            yield [run for run in page if run.id != self.straggler]
        if held is not None:
            deadline = time.monotonic() + 30
            while self.day not in self.store.list_days("runs") and time.monotonic() < deadline:
                time.sleep(0.01)  # the other agents' listings complete the day, and it is written
            if self.app is not None and self.doomed:
                self.app.delete_run(self.doomed)
            yield [held]


class Evolving(Delegating):
    """The Invoices agent's schema changed on ``MID``: older runs have ``legacy_ref`` and a float
    ``page_count``; newer runs have no ``legacy_ref`` and an integer ``page_count``.
    """

    MID = datetime(2026, 10, 7, tzinfo=UTC)

    def __init__(self, inner: V1Source, agent_id: str) -> None:
        super().__init__(inner)
        self.agent_id = agent_id

    def listed(self, agent: Agent, pages: Iterator[list[Run]]) -> Iterator[list[Run]]:
        return ([self.evolved(run) for run in page] for page in pages)

    def evolved(self, run: Run) -> Run:
        """The run in the schema version of its time."""
        if run.agent_id != self.agent_id or not isinstance(run.data, dict):
            return run
        assert run.created_at is not None
        schema = json.loads(json.dumps(run.data_schema))
        if run.created_at < self.MID:
            schema["properties"] |= {"legacy_ref": {"type": "string"}, "page_count": {"type": "number"}}
            data = run.data | {"legacy_ref": f"L-{run.id[:4]}", "page_count": 2.5}
        else:
            schema["properties"] |= {"page_count": {"type": "integer"}}
            data = run.data | {"page_count": 3}
        return replace(run, data_schema=schema, data=data)


class Pacing(Delegating):
    """One agent lists slowly; records when another agent asks for a page far ahead of it.

    An agent asks for its next page when its listing thread goes on after its last page; by then
    that page is in the landing's days, so the agent has reached the oldest day it listed.
    """

    def __init__(self, inner: V1Source, slow: str) -> None:
        super().__init__(inner)
        self.slow = slow
        self.reached: dict[str, date] = {}
        self.slow_done = False
        self.too_far: list[tuple[date, date]] = []
        self.asked = 0

    def listed(self, agent: Agent, pages: Iterator[list[Run]]) -> Iterator[list[Run]]:
        while True:
            if agent.id != self.slow and self.slow in self.reached and not self.slow_done:
                self.asked += 1
                mine, slow = self.reached.get(agent.id), self.reached[self.slow]
                if mine is not None and mine < slow - timedelta(days=LEAD_DAYS):
                    self.too_far.append((mine, slow))
            page = next(pages, None)
            if page is None:
                break
            if agent.id == self.slow:
                time.sleep(0.01 * len(page))
            for run in page:
                assert run.created_at is not None
                self.reached[agent.id] = min(self.reached.get(agent.id, date.max), run.created_at.date())
            yield page
        if agent.id == self.slow:
            self.slow_done = True


class Breaking(Delegating):
    """One agent's listing fails after a few runs, as after exhausted retries."""

    def __init__(self, inner: V1Source, agent_id: str) -> None:
        super().__init__(inner)
        self.agent_id = agent_id

    def listed(self, agent: Agent, pages: Iterator[list[Run]]) -> Iterator[list[Run]]:
        listed = 0
        for page in pages:
            listed += len(page)
            if agent.id == self.agent_id and listed > 3:
                raise ServerError("503 Service Unavailable", method="GET", url="/api/v1/extraction/runs")
            yield page


class Retimed(Delegating):
    """Listed runs get the given ``created_at``, to stage runs created in the same millisecond."""

    def __init__(self, inner: V1Source) -> None:
        super().__init__(inner)
        self.created_at: dict[str, datetime] = {}

    def list_headers(
        self, agent: Agent, since: datetime, until: datetime | None = None
    ) -> Iterator[list[RunHeader]]:
        for page in super().list_headers(agent, since, until):
            yield [
                run if (when := self.created_at.get(run.id)) is None else replace(run, created_at=when)
                for run in page
            ]


class Growing(Delegating):
    """One agent's runs gain a field on some ranges of days: ``{(first, last): (name, JSON type, value)}``.

    With a ``barrier``, the first listing waits for the other landings sharing it to start listing
    too, so each has read the tables' schemas before any of them writes a day.
    """

    def __init__(
        self,
        inner: V1Source,
        agent_id: str,
        fields: dict[tuple[date, date], tuple[str, str, Any]],
        barrier: Any = None,
    ) -> None:
        super().__init__(inner)
        self.agent_id = agent_id
        self.fields = fields
        self.barrier = barrier

    def listed(self, agent: Agent, pages: Iterator[list[Run]]) -> Iterator[list[Run]]:
        if self.barrier is not None:
            self.barrier.wait(timeout=30)
            self.barrier = None
        return ([self.grown(run) for run in page] for page in pages)

    def grown(self, run: Run) -> Run:
        """The run with the field of its day's range, if any."""
        if run.agent_id != self.agent_id or not isinstance(run.data, dict) or run.created_at is None:
            return run
        day = run.created_at.date()
        for (first, last), (name, json_type, value) in self.fields.items():
            if first <= day <= last:
                schema = json.loads(json.dumps(run.data_schema))
                schema["properties"] |= {name: {"type": json_type}}
                return replace(run, data_schema=schema, data=run.data | {name: value})
        return run
