"""Unit tests of llamacloud_etl.landing: landing, verification and the completion watermark.

The client talks to the emulator in-process (``httpx.WSGITransport``), so nothing opens a socket;
the store is a temporary folder. The data set's wire JSON is the ground truth.
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
from collections.abc import Collection, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from llamacloud_etl import landing
from llamacloud_etl.client import LlamaCloudClient
from llamacloud_etl.emulator import Dataset, EmulatorApp, build_dataset
from llamacloud_etl.errors import ConfigurationError, ServerError, StorageError
from llamacloud_etl.landing import (
    LEAD_DAYS,
    DayResult,
    LandingReport,
    ReadBack,
    RunFetchLike,
    Verification,
    Watermark,
    _DayWriter,
    day_bounds,
    day_of,
    find_completed,
    land_days,
    select_agents,
    verify,
)
from llamacloud_etl.models import ExtractAgent, ExtractRun, ExtractRunSummary
from llamacloud_etl.storage import ParquetStore, agent_slug

KEY = "llx-landing-unit-test-key-4242"

# 2026-10-02..2026-10-12 holds SUCCESS and ERROR runs, the data set's three unfinished runs
# (2026-10-11 and 2026-10-12) and two days without any run (2026-10-05, 2026-10-08).
FIRST = date(2026, 10, 2)
LAST = date(2026, 10, 12)
FINISHED = ("SUCCESS", "ERROR")
UNFINISHED = ("CREATED", "PENDING")


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    """80 runs over six weeks: every agent and status, small enough to land in well under a second."""
    return build_dataset(80, seed=5)


@pytest.fixture
def app(dataset: Dataset) -> EmulatorApp:
    """A fresh emulator per test, so mutations never leak between tests."""
    return EmulatorApp(dataset, api_key=KEY)


@pytest.fixture
def client(app: EmulatorApp) -> Iterator[LlamaCloudClient]:
    """The real client, with the emulator mounted in-process."""
    transport = httpx.WSGITransport(app=app)
    with LlamaCloudClient(api_key=KEY, base_url="http://127.0.0.1", transport=transport) as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> ParquetStore:
    """An empty dataset root."""
    return ParquetStore(str(tmp_path))


@pytest.fixture
def agents(dataset: Dataset) -> list[ExtractAgent]:
    """The data set's listed agents as models, sorted as landing sorts them."""
    return select_agents([ExtractAgent.model_validate(a) for a in dataset.agents], None)


# -- helpers ---------------------------------------------------------------------------------


def _created(run: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(run["created_at"].replace("Z", "+00:00"))


def _runs_between(dataset: Dataset, first: date, last: date, statuses: Collection[str]) -> dict[str, date]:
    """Ground truth: run id -> UTC day, for runs of ``first``..``last`` with one of ``statuses``."""
    start, end = day_bounds(first, last)
    return {
        r["id"]: _created(r).date()
        for r in dataset.runs
        if r["status"] in statuses and start <= _created(r) < end
    }


def _landed_run_ids(store: ParquetStore) -> list[str]:
    return [str(v) for v in store.read_table("runs", columns=["run_id"]).column("run_id").to_pylist()]


def _success_on(dataset: Dataset, day: date) -> dict[str, Any]:
    return next(r for r in dataset.runs_on(day) if r["status"] == "SUCCESS")


class _Delegating:
    """A runs client that passes every call to the real one; subclasses change one thing.

    A subclass that changes what a listing yields overrides :meth:`listed`.
    """

    def __init__(self, inner: LlamaCloudClient) -> None:
        self.inner = inner

    @property
    def max_concurrency(self) -> int:
        return self.inner.max_concurrency

    def list_agents(self, include_default: bool = False) -> list[ExtractAgent]:
        return self.inner.list_agents(include_default)

    def list_runs(
        self, agent_id: str, *, page_size: int = 100, created_after: datetime | None = None
    ) -> Iterator[ExtractRun]:
        return self.listed(
            agent_id, self.inner.list_runs(agent_id, page_size=page_size, created_after=created_after)
        )

    def listed(self, agent_id: str, runs: Iterator[ExtractRun]) -> Iterator[ExtractRun]:
        """What ``list_runs(agent_id)`` yields, given what the real listing yields."""
        return runs

    def list_run_summaries(
        self, agent_id: str, *, page_size: int = 100, created_after: datetime | None = None
    ) -> Iterator[ExtractRunSummary]:
        return self.inner.list_run_summaries(agent_id, page_size=page_size, created_after=created_after)

    def fetch_runs(
        self, run_ids: Iterable[str], *, max_concurrency: int | None = None
    ) -> Iterator[RunFetchLike]:
        return self.inner.fetch_runs(run_ids, max_concurrency=max_concurrency)


class _Hiding(_Delegating):
    """The listing lags: one run is not listed yet, although it can be fetched by ID."""

    def __init__(self, inner: LlamaCloudClient, hidden: str) -> None:
        super().__init__(inner)
        self.hidden = hidden

    def listed(self, agent_id: str, runs: Iterator[ExtractRun]) -> Iterator[ExtractRun]:
        return (run for run in runs if run.id != self.hidden)


class _Straggling(_Delegating):
    """The listing is not newest first: one run is listed last, once its day has been written.

    With ``doomed``, that run is deleted upstream just before the straggler is listed.
    """

    def __init__(
        self,
        inner: LlamaCloudClient,
        store: ParquetStore,
        straggler: dict[str, Any],
        app: EmulatorApp | None = None,
        doomed: str = "",
    ) -> None:
        super().__init__(inner)
        self.store = store
        self.straggler = straggler["id"]
        self.day = _created(straggler).date()
        self.app = app
        self.doomed = doomed

    def listed(self, agent_id: str, runs: Iterator[ExtractRun]) -> Iterator[ExtractRun]:
        held = None
        for run in runs:
            if run.id == self.straggler:
                held = run
            else:
                yield run
        if held is not None:
            deadline = time.monotonic() + 30
            while self.day not in self.store.list_days("runs") and time.monotonic() < deadline:
                time.sleep(0.01)  # the other agents' listings complete the day, and it is written
            if self.app is not None and self.doomed:
                self.app.delete_run(self.doomed)
            yield held


class _Evolving(_Delegating):
    """The Invoices agent's schema changed on ``MID``: older runs have ``legacy_ref`` and a float
    ``page_count``; newer runs have no ``legacy_ref`` and an integer ``page_count``.
    """

    MID = datetime(2026, 10, 7, tzinfo=UTC)

    def __init__(self, inner: LlamaCloudClient, agent_id: str) -> None:
        super().__init__(inner)
        self.agent_id = agent_id

    def listed(self, agent_id: str, runs: Iterator[ExtractRun]) -> Iterator[ExtractRun]:
        for run in runs:
            if run.extraction_agent_id != self.agent_id or not isinstance(run.data, dict):
                yield run
                continue
            assert run.created_at is not None
            schema = json.loads(json.dumps(run.data_schema))
            if run.created_at < self.MID:
                schema["properties"] |= {"legacy_ref": {"type": "string"}, "page_count": {"type": "number"}}
                data = run.data | {"legacy_ref": f"L-{run.id[:4]}", "page_count": 2.5}
            else:
                schema["properties"] |= {"page_count": {"type": "integer"}}
                data = run.data | {"page_count": 3}
            yield run.model_copy(update={"data_schema": schema, "data": data})


class _Pacing(_Delegating):
    """One agent lists slowly; records when another agent is asked for a run far ahead of it."""

    def __init__(self, inner: LlamaCloudClient, slow: str) -> None:
        super().__init__(inner)
        self.slow = slow
        self.reached: dict[str, date] = {}
        self.slow_done = False
        self.too_far: list[tuple[date, date]] = []
        self.asked = 0

    def listed(self, agent_id: str, runs: Iterator[ExtractRun]) -> Iterator[ExtractRun]:
        for run in runs:
            assert run.created_at is not None
            if agent_id == self.slow:
                time.sleep(0.01)
            elif self.slow in self.reached and not self.slow_done:
                self.asked += 1
                mine, slow = self.reached.get(agent_id), self.reached[self.slow]
                if mine is not None and mine < slow - timedelta(days=LEAD_DAYS):
                    self.too_far.append((mine, slow))
            self.reached[agent_id] = min(self.reached.get(agent_id, date.max), run.created_at.date())
            yield run
        if agent_id == self.slow:
            self.slow_done = True


class _Retimed(_Delegating):
    """Listed runs get the given ``created_at``, to stage runs created in the same millisecond."""

    def __init__(self, inner: LlamaCloudClient) -> None:
        super().__init__(inner)
        self.created_at: dict[str, datetime] = {}

    def list_run_summaries(
        self, agent_id: str, *, page_size: int = 100, created_after: datetime | None = None
    ) -> Iterator[ExtractRunSummary]:
        for run in super().list_run_summaries(agent_id, page_size=page_size, created_after=created_after):
            when = self.created_at.get(run.id)
            yield run if when is None else run.model_copy(update={"created_at": when})


# -- day_of, day_bounds ----------------------------------------------------------------------


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


# -- select_agents ---------------------------------------------------------------------------


def test_select_agents_without_a_filter_returns_every_agent_sorted_by_name(dataset: Dataset) -> None:
    """No filter selects all agents, sorted by name."""
    models = [ExtractAgent.model_validate(a) for a in dataset.agents]
    assert [a.name for a in select_agents(models, None)] == sorted(a["name"] for a in dataset.agents)


def test_select_agents_matches_an_id_in_any_case(agents: list[ExtractAgent]) -> None:
    """An agent ID selects that agent only, whatever its case."""
    wanted = agents[2]
    assert select_agents(agents, [wanted.id.upper()]) == [wanted]


def test_select_agents_matches_names_case_insensitively(agents: list[ExtractAgent]) -> None:
    """Names match regardless of case and surrounding blanks."""
    chosen = select_agents(agents, ["  CONTRACTS ", "invoices"])
    assert [a.name for a in chosen] == ["Contracts", "Invoices"]


def test_select_agents_rejects_an_unknown_entry_listing_the_agents(agents: list[ExtractAgent]) -> None:
    """An entry matching no agent is a ConfigurationError naming it and every agent of the project."""
    with pytest.raises(ConfigurationError, match="no agent matches 'Receipts'") as caught:
        select_agents(agents, ["Invoices", "Receipts"])
    message = str(caught.value)
    assert all(a.name in message and a.id in message for a in agents)


# -- land_days -------------------------------------------------------------------------------


def test_land_days_puts_each_finished_run_in_its_utc_day(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """Every SUCCESS or ERROR run of the range lands under its UTC creation day, and only there."""
    report = land_days(client, store, FIRST, LAST, page_size=5)
    got = {rid: d.day for d in report.days for rid in d.runs_landed}
    assert got == _runs_between(dataset, FIRST, LAST, FINISHED)


def test_land_days_reports_the_success_runs_of_each_day(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """Each day's ``success_listed`` holds exactly its SUCCESS runs (not its ERROR runs)."""
    report = land_days(client, store, FIRST, LAST, page_size=5)
    got = {rid: d.day for d in report.days for rid in d.success_listed}
    assert got == _runs_between(dataset, FIRST, LAST, ("SUCCESS",))


def test_land_days_counts_unfinished_runs_as_pending_and_does_not_land_them(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """CREATED and PENDING runs are counted under their day's ``pending_ids``, never landed."""
    report = land_days(client, store, FIRST, LAST, page_size=5)
    pending = {rid: d.day for d in report.days for rid in d.pending_ids}
    expected = _runs_between(dataset, FIRST, LAST, UNFINISHED)
    assert expected and pending == expected and not set(expected) & set(_landed_run_ids(store))
    assert report.pending == len(expected)


def test_land_days_lands_nothing_from_outside_the_range(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """Runs created before the first or after the last day land in no day, and no other day is written."""
    first, last = date(2026, 9, 26), date(2026, 9, 28)
    report = land_days(client, store, first, last, page_size=5)
    assert sorted(_landed_run_ids(store)) == sorted(_runs_between(dataset, first, last, FINISHED))
    assert [d.day for d in report.days] == [first, first + timedelta(days=1), last]


def test_land_days_counts_each_finished_run_of_the_range_as_fetched_once(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """``fetched`` counts the range's finished runs; ``listed`` every run the listings returned."""
    report = land_days(client, store, FIRST, LAST, page_size=5)
    in_range = _runs_between(dataset, FIRST, LAST, (*FINISHED, *UNFINISHED))
    assert report.fetched == len(_runs_between(dataset, FIRST, LAST, FINISHED))
    assert report.listed >= len(in_range)


def test_land_days_lands_every_finished_run_of_the_range(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """After landing, the ``runs`` table holds each SUCCESS and ERROR run of the range exactly once."""
    land_days(client, store, FIRST, LAST)
    assert sorted(_landed_run_ids(store)) == sorted(_runs_between(dataset, FIRST, LAST, FINISHED))


def test_land_days_reports_progress_once_per_day_newest_first(
    client: LlamaCloudClient, store: ParquetStore
) -> None:
    """``progress`` is called once per day of the range, newest first, with running and total counts."""
    calls: list[tuple[date, int, int]] = []

    def progress(result: DayResult, done: int, total: int) -> None:
        calls.append((result.day, done, total))

    land_days(client, store, FIRST, LAST, progress=progress, page_size=5)
    days = [LAST - timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
    assert calls == [(day, n, len(days)) for n, day in enumerate(days, start=1)]


def test_land_days_reports_days_oldest_first(client: LlamaCloudClient, store: ParquetStore) -> None:
    """The report lists every day of the range once, oldest first, whatever order they were written in."""
    report = land_days(client, store, FIRST, LAST, page_size=5)
    assert [d.day for d in report.days] == [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]


def test_land_days_lists_agents_in_groups_of_max_concurrency(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """With fewer connections than agents, agents land in groups, and every day merges all groups."""
    report = land_days(client, store, FIRST, LAST, max_concurrency=1, page_size=5)
    assert sorted(_landed_run_ids(store)) == sorted(_runs_between(dataset, FIRST, LAST, FINISHED))
    assert len(report.days) == (LAST - FIRST).days + 1


def test_land_days_lands_an_extra_run_the_listing_does_not_show(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """A run asked for by ID lands in its day even though the listing missed it."""
    hidden = _success_on(dataset, date(2026, 10, 10))["id"]
    report = land_days(_Hiding(client, hidden), store, FIRST, LAST, extra_run_ids=[hidden.upper()])
    landed_on = {rid: d.day for d in report.days for rid in d.runs_landed}
    assert landed_on[hidden] == date(2026, 10, 10) and _landed_run_ids(store).count(hidden) == 1


def test_land_days_lands_a_run_asked_for_by_id_once_although_the_listing_shows_it(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """The by-ID copy of a run replaces the listed one: one row, not two."""
    wanted = _success_on(dataset, date(2026, 10, 10))["id"]
    land_days(client, store, FIRST, LAST, extra_run_ids=[wanted])
    assert _landed_run_ids(store).count(wanted) == 1


def test_land_days_rejects_an_extra_run_outside_the_range(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """A run asked for by ID but created outside the range is a ConfigurationError, and nothing is written."""
    outside = _success_on(dataset, date(2026, 9, 15))["id"]
    with pytest.raises(ConfigurationError, match=f"run {outside} was created on 2026-09-15, outside"):
        land_days(client, store, FIRST, LAST, extra_run_ids=[outside])
    assert store.list_tables() == []


def test_land_days_lands_again_a_day_whose_run_was_listed_after_the_day_was_written(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """A listing that is not newest first still lands every run of the day, each once."""
    day = date(2026, 10, 3)
    straggling = _Straggling(client, store, _success_on(dataset, day))
    report = land_days(straggling, store, FIRST, LAST, page_size=5)
    result = next(d for d in report.days if d.day == day)
    assert result.runs_landed == set(_runs_between(dataset, day, day, FINISHED))
    assert sorted(_landed_run_ids(store)) == sorted(_runs_between(dataset, FIRST, LAST, FINISHED))


def test_land_days_skips_and_counts_a_run_that_vanished_before_its_day_landed_again(
    client: LlamaCloudClient, app: EmulatorApp, store: ParquetStore, dataset: Dataset
) -> None:
    """A run deleted before its day is fetched again by ID is counted as vanished; the rest lands."""
    day = date(2026, 10, 3)
    straggler, doomed = (r for r in dataset.runs_on(day) if r["status"] in FINISHED)
    straggling = _Straggling(client, store, straggler, app, doomed["id"])
    report = land_days(straggling, store, FIRST, LAST, page_size=5)
    result = next(d for d in report.days if d.day == day)
    others = set(_runs_between(dataset, day, day, FINISHED)) - {doomed["id"]}
    assert (report.vanished, result.vanished, result.runs_landed) == (1, [doomed["id"]], others)


def test_land_days_gives_every_day_of_a_table_one_schema_when_an_older_version_grows_it(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset, tmp_path: Path
) -> None:
    """Days written newest first are rewritten once an older schema version adds and widens columns."""
    invoices = dataset.agent_named("Invoices")
    report = land_days(_Evolving(client, invoices["id"]), store, FIRST, LAST, page_size=5)
    files = sorted(tmp_path.glob("agents/invoices-*/records/run_date=*/*.parquet"))
    schemas = [pq.read_schema(f) for f in files]
    assert len(files) > 3 and all(s.equals(schemas[0], check_metadata=True) for s in schemas)
    assert report.unconformed == []
    rows = {
        r["run_id"]: r
        for r in store.read_table(files[0].parent.parent.relative_to(tmp_path).as_posix()).to_pylist()
    }
    new = [r for r in dataset.runs if r["extraction_agent_id"] == invoices["id"] and r["status"] == "SUCCESS"]
    for run in new:
        if FIRST <= _created(run).date() <= LAST:
            older = _created(run) < _Evolving.MID
            expected = (f"L-{run['id'][:4]}", 2.5) if older else (None, 3.0)
            assert (rows[run["id"]]["legacy_ref"], rows[run["id"]]["page_count"]) == expected


def test_land_days_rewrites_days_outside_its_range_when_it_grows_a_stored_table(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset, tmp_path: Path
) -> None:
    """Landing older days whose schema adds columns also rewrites the newer days already on disk."""
    evolving = _Evolving(client, dataset.agent_named("Invoices")["id"])
    newer = land_days(evolving, store, _Evolving.MID.date(), LAST, page_size=5)
    report = land_days(evolving, store, FIRST, _Evolving.MID.date() - timedelta(days=1), page_size=5)
    files = sorted(tmp_path.glob("agents/invoices-*/records/run_date=*/*.parquet"))
    schemas = [pq.read_schema(f) for f in files]
    earlier = {w.run_date for w in newer.written if w.table.startswith("agents/invoices-")}
    assert len(earlier) > 1 and report.conformed == len(earlier)
    assert (
        all(s.equals(schemas[0], check_metadata=True) for s in schemas) and "legacy_ref" in schemas[0].names
    )


def test_land_days_after_schema_growth_lands_the_same_bytes_again(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset, tmp_path: Path
) -> None:
    """A rewritten (conformed) day and the same day flattened in the grown schema are the same file."""
    evolving = _Evolving(client, dataset.agent_named("Invoices")["id"])
    land_days(evolving, store, FIRST, LAST, page_size=5)
    before = {p: p.read_bytes() for p in sorted(tmp_path.rglob("*.parquet"))}
    land_days(evolving, store, FIRST, LAST, page_size=5)
    assert before == {p: p.read_bytes() for p in sorted(tmp_path.rglob("*.parquet"))}


def test_land_days_keeps_every_listing_within_a_day_of_the_slowest(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """An agent never lists on while it is more than LEAD_DAYS ahead of the slowest agent (memory)."""
    pacing = _Pacing(client, dataset.agent_named("Invoices")["id"])
    land_days(pacing, store, FIRST - timedelta(days=20), LAST, page_size=2)
    assert pacing.asked > 5 and pacing.too_far == []


class _FailingStore(ParquetStore):
    """A store whose second day write fails, as a full disk would."""

    writes = 0

    def replace_day(self, *args: Any, **kwargs: Any) -> Any:
        self.writes += 1
        if self.writes == 2:
            raise StorageError("disk full")
        return super().replace_day(*args, **kwargs)


def test_land_days_stops_every_listing_when_a_write_fails(client: LlamaCloudClient, tmp_path: Path) -> None:
    """A failed write ends the landing with its error, and no listing thread is left running."""
    with pytest.raises(StorageError, match="disk full") as failure:
        land_days(client, _FailingStore(str(tmp_path)), FIRST, LAST, page_size=2)
    # The exception (and so its traceback) is still held here, as a caller's handler would hold it.
    assert failure.value is not None
    assert not [t for t in threading.enumerate() if t.name.startswith("llamacloud-list")]


class _Breaking(_Delegating):
    """One agent's listing fails after a few runs, as after exhausted retries."""

    def __init__(self, inner: LlamaCloudClient, agent_id: str) -> None:
        super().__init__(inner)
        self.agent_id = agent_id

    def listed(self, agent_id: str, runs: Iterator[ExtractRun]) -> Iterator[ExtractRun]:
        for n, run in enumerate(runs):
            if agent_id == self.agent_id and n == 3:
                raise ServerError("503 Service Unavailable", method="GET", url="/api/v1/extraction/runs")
            yield run


def test_land_days_fails_with_a_listing_error_and_stops_the_other_listings(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """An agent's listing error is the landing's error; the other listings stop with it."""
    breaking = _Breaking(client, dataset.agent_named("Invoices")["id"])
    with pytest.raises(ServerError):
        land_days(breaking, store, FIRST - timedelta(days=30), LAST, page_size=2)
    assert not [t for t in threading.enumerate() if t.name.startswith("llamacloud-list")]


def test_land_days_counts_a_day_landed_again_once(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """After a day is landed again, the report's record count is what storage holds, not more."""
    day = date(2026, 10, 3)
    straggling = _Straggling(client, store, _success_on(dataset, day))
    report = land_days(straggling, store, FIRST, LAST, page_size=5)
    records = sum(
        store.read_table(t, days=[d.day for d in report.days]).num_rows
        for t in store.list_tables()
        if t.endswith("/records")
    )
    assert report.records == records and report.fetched == len(_landed_run_ids(store))


def test_conform_skips_a_day_whose_table_file_is_gone(store: ParquetStore) -> None:
    """A day written earlier in the landing, whose file a later rewrite removed, is not conformed."""
    agent = ExtractAgent.model_validate(
        {
            "id": "11111111-2222-3333-4444-555555555555",
            "name": "Inv",
            "project_id": "p",
            "data_schema": {},
            "config": {},
        }
    )
    table = f"agents/{agent_slug(agent.name, agent.id)}/records"
    grown = pa.schema([("a", pa.float64()), ("b", pa.string())])
    store.replace_day(date(2026, 1, 2), {table: pa.table({"a": [1.0], "b": ["x"]}, schema=grown)})
    report = LandingReport()
    writer = _DayWriter(store, [agent], datetime.now(UTC), 0.5, report)
    writer.written[(table, date(2026, 1, 1))] = pa.schema([("a", pa.int64())])
    writer.conform({})
    assert (report.conformed, report.unconformed) == (0, [])


# -- verify ----------------------------------------------------------------------------------


def test_verify_finds_nothing_wrong_after_a_clean_landing(
    client: LlamaCloudClient, store: ParquetStore
) -> None:
    """A fresh landing has no duplicate run or row IDs and no missing SUCCESS run."""
    checked = verify(land_days(client, store, FIRST, LAST), store)
    assert (checked.duplicate_run_ids, checked.duplicate_row_ids, checked.missing_success) == (0, {}, [])


def test_verify_reports_a_success_run_whose_runs_file_was_removed(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """Deleting one agent's ``runs`` file of a day makes that agent's SUCCESS runs of the day missing."""
    day = date(2026, 10, 10)
    agent = dataset.agent_named("Supplier price list rows")
    gone = sorted(
        r["id"]
        for r in dataset.runs_on(day)
        if r["status"] == "SUCCESS" and r["extraction_agent_id"] == agent["id"]
    )
    report = land_days(client, store, FIRST, LAST)
    written = next(
        w
        for w in report.written
        if w.table == "runs" and w.run_date == day and w.uri.endswith(f"{agent['id']}.parquet")
    )
    Path(url2pathname(urlparse(written.uri).path)).unlink()
    assert gone and verify(report, store).missing_success == gone


def test_verify_does_not_report_a_vanished_run_as_missing(
    client: LlamaCloudClient, app: EmulatorApp, store: ParquetStore, dataset: Dataset
) -> None:
    """A SUCCESS run deleted upstream before its day was fetched again is vanished, not missing."""
    day = date(2026, 10, 3)
    straggler, doomed = (r for r in dataset.runs_on(day) if r["status"] in FINISHED)
    straggling = _Straggling(client, store, straggler, app, doomed["id"])
    report = land_days(straggling, store, FIRST, LAST, page_size=5)
    assert verify(report, store).missing_success == []


class _DoublingStore(ParquetStore):
    """Writes every ``runs`` part twice over: each run of the part lands in two rows."""

    def replace_day(self, run_date: date, tables: Any, **kwargs: Any) -> Any:
        doubled = {
            key: pa.concat_tables([table, table]) if isinstance(key, tuple) and key[0] == "runs" else table
            for key, table in tables.items()
        }
        return super().replace_day(run_date, doubled, **kwargs)


def test_land_days_reads_back_each_group_of_agents_it_wrote(client: LlamaCloudClient, tmp_path: Path) -> None:
    """The landing's own read-back, group by group, finds what reading everything back finds."""
    store = _DoublingStore(str(tmp_path))
    report = land_days(client, store, FIRST, LAST, max_concurrency=2)
    assert report.read_back.duplicate_run_ids == report.success + report.errored > 0
    assert Verification.of(report) == verify(report, store)


def test_land_days_reads_back_nothing_wrong_after_a_clean_landing(
    client: LlamaCloudClient, store: ParquetStore
) -> None:
    """A clean landing's read-back is empty, and equal to a verify run afterwards."""
    report = land_days(client, store, FIRST, LAST)
    assert report.read_back == ReadBack(runs_read=report.success + report.errored)
    assert Verification.of(report) == verify(report, store)


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
        r["id"]: _created(r).date() for r in dataset.runs if r["status"] in FINISHED and _created(r) >= moment
    }


def test_find_completed_first_sees_every_finished_run_of_the_window(
    client: LlamaCloudClient, agents: list[ExtractAgent], dataset: Dataset
) -> None:
    """With an empty watermark, every finished run created in the window is new, with its days."""
    expected = _finished_since(dataset, WINDOW_START)
    found = find_completed(client, agents, created_after=WINDOW_START, watermark=Watermark())
    assert (found.run_ids, found.days) == (sorted(expected), set(expected.values()))


def test_find_completed_with_the_returned_watermark_sees_nothing_new(
    client: LlamaCloudClient, agents: list[ExtractAgent]
) -> None:
    """A second call with the first call's watermark finds no run and keeps the watermark."""
    first = find_completed(client, agents, created_after=WINDOW_START, watermark=Watermark())
    second = find_completed(client, agents, created_after=WINDOW_START, watermark=first.watermark)
    assert (second.run_ids, second.days, second.watermark) == ([], set(), first.watermark)


def test_find_completed_sees_a_run_that_completed_since_the_watermark(
    client: LlamaCloudClient, app: EmulatorApp, agents: list[ExtractAgent], dataset: Dataset
) -> None:
    """After a PENDING run completes, the next call returns exactly that run and its day."""
    late = next(r for r in dataset.runs if r["status"] == "PENDING")  # the newest unfinished run
    first = find_completed(client, agents, created_after=WINDOW_START, watermark=Watermark())
    app.complete_run(late["id"])
    second = find_completed(client, agents, created_after=WINDOW_START, watermark=first.watermark)
    assert (second.run_ids, second.days) == ([late["id"]], {_created(late).date()})


def test_find_completed_sees_an_older_run_that_completes_after_a_newer_one(
    client: LlamaCloudClient, app: EmulatorApp, agents: list[ExtractAgent], dataset: Dataset
) -> None:
    """The oldest PENDING run, completed after a newer one, is still returned."""
    pending = [r for r in dataset.runs if r["status"] == "PENDING" and _created(r) >= WINDOW_START]
    oldest, newest = pending[-1]["id"], pending[0]["id"]
    assert oldest != newest
    first = find_completed(client, agents, created_after=WINDOW_START, watermark=Watermark())
    app.complete_run(newest)
    second = find_completed(client, agents, created_after=WINDOW_START, watermark=first.watermark)
    app.complete_run(oldest)
    third = find_completed(client, agents, created_after=WINDOW_START, watermark=second.watermark)
    assert (second.run_ids, third.run_ids) == ([newest], [oldest])


def test_find_completed_sees_a_run_created_at_the_watermark_instant_once(
    client: LlamaCloudClient, app: EmulatorApp, agents: list[ExtractAgent], dataset: Dataset
) -> None:
    """A run created in the same millisecond as the newest one seen is returned once, then never again."""
    retimed = _Retimed(client)
    tie = datetime(2026, 10, 13, 0, 0, 0, 1000, tzinfo=UTC)  # later than every run in the data set
    seen = _success_on(dataset, date(2026, 10, 10))["id"]
    retimed.created_at[seen] = tie
    first = find_completed(retimed, agents, created_after=WINDOW_START, watermark=Watermark())
    assert (first.watermark.created, first.watermark.ids) == (tie, frozenset({seen}))
    late = _success_on(dataset, date(2026, 10, 9))["id"]
    retimed.created_at[late] = tie
    second = find_completed(retimed, agents, created_after=WINDOW_START, watermark=first.watermark)
    third = find_completed(retimed, agents, created_after=WINDOW_START, watermark=second.watermark)
    assert (second.run_ids, third.run_ids) == ([late], [])


def test_land_days_restores_the_thread_switch_interval(client: LlamaCloudClient, store: ParquetStore) -> None:
    """The shorter switch interval is for the landing only; the process gets its own back."""
    before = sys.getswitchinterval()
    land_days(client, store, FIRST, LAST)
    assert sys.getswitchinterval() == before


def test_land_days_turns_automatic_garbage_collection_back_on(
    client: LlamaCloudClient, store: ParquetStore
) -> None:
    """Automatic collection is off for the landing only."""
    assert gc.isenabled()
    land_days(client, store, FIRST, LAST)
    assert gc.isenabled()


def test_land_days_leaves_automatic_garbage_collection_off_when_it_was(
    client: LlamaCloudClient, store: ParquetStore
) -> None:
    """A caller that turned the collector off keeps it off."""
    gc.disable()
    try:
        land_days(client, store, FIRST, LAST)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_land_days_collects_reference_cycles_every_few_days(
    client: LlamaCloudClient, store: ParquetStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With automatic collection off, the landing collects by itself, once per COLLECT_EVERY_DAYS days."""
    collections: list[bool] = []
    monkeypatch.setattr(landing.gc, "collect", lambda generation=2: collections.append(gc.isenabled()) or 0)
    report = land_days(client, store, FIRST, LAST)
    assert len(collections) == len(report.days) // landing.COLLECT_EVERY_DAYS > 0
    assert not any(collections)
