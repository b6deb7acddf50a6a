"""Unit tests of llamacloud_etl.landing: discovery, landing, verification and the completion watermark.

The client talks to the emulator in-process (``httpx.WSGITransport``), so nothing opens a socket;
the store is a temporary folder. The data set's wire JSON is the ground truth.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import httpx
import pytest
import stamina

from llamacloud_etl.client import LlamaCloudClient
from llamacloud_etl.emulator import Dataset, EmulatorApp, build_dataset
from llamacloud_etl.errors import ConfigurationError
from llamacloud_etl.landing import (
    DayResult,
    RunFetchLike,
    Watermark,
    day_bounds,
    day_of,
    discover,
    find_completed,
    land_days,
    select_agents,
    verify,
)
from llamacloud_etl.models import ExtractAgent, ExtractRunSummary
from llamacloud_etl.storage import ParquetStore

KEY = "llx-landing-unit-test-key-4242"

# 2026-10-02..2026-10-12 holds SUCCESS and ERROR runs, the data set's three unfinished runs
# (2026-10-11 and 2026-10-12) and two days without any run (2026-10-05, 2026-10-08).
FIRST = date(2026, 10, 2)
LAST = date(2026, 10, 12)
FINISHED = ("SUCCESS", "ERROR")
UNFINISHED = ("CREATED", "PENDING")


@pytest.fixture(autouse=True)
def _no_real_backoff() -> Iterator[None]:
    """Retries, should any happen, never wait for real."""
    with stamina.set_testing(True, attempts=3):
        yield


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
    """A runs client that passes every call to the real one; subclasses change one thing."""

    def __init__(self, inner: LlamaCloudClient) -> None:
        self.inner = inner

    def list_agents(self, include_default: bool = False) -> list[ExtractAgent]:
        return self.inner.list_agents(include_default)

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

    def list_run_summaries(
        self, agent_id: str, *, page_size: int = 100, created_after: datetime | None = None
    ) -> Iterator[ExtractRunSummary]:
        listed = super().list_run_summaries(agent_id, page_size=page_size, created_after=created_after)
        return (run for run in listed if run.id != self.hidden)


class _Deleting(_Delegating):
    """A run is deleted after the listing showed it and before it is fetched."""

    def __init__(self, inner: LlamaCloudClient, app: EmulatorApp, doomed: str) -> None:
        super().__init__(inner)
        self.app = app
        self.doomed = doomed

    def fetch_runs(
        self, run_ids: Iterable[str], *, max_concurrency: int | None = None
    ) -> Iterator[RunFetchLike]:
        ids = list(run_ids)
        if self.doomed in ids:
            self.app.delete_run(self.doomed)
        return super().fetch_runs(ids, max_concurrency=max_concurrency)


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


# -- discover --------------------------------------------------------------------------------


def test_discover_sorts_finished_runs_into_their_utc_days(
    client: LlamaCloudClient, agents: list[ExtractAgent], dataset: Dataset
) -> None:
    """Every SUCCESS or ERROR run of the range is under its UTC creation day, with its agent."""
    found = discover(client, agents, FIRST, LAST)
    expected = {
        rid: (day, dataset.run(rid)["extraction_agent_id"])
        for rid, day in _runs_between(dataset, FIRST, LAST, FINISHED).items()
    }
    got = {rid: (plan.day, agent) for plan in found.days.values() for rid, agent in plan.finished.items()}
    assert got == expected and all(day == plan.day for day, plan in found.days.items())


def test_discover_marks_the_success_runs_of_each_day(
    client: LlamaCloudClient, agents: list[ExtractAgent], dataset: Dataset
) -> None:
    """Each day's ``success`` holds exactly its SUCCESS runs (not its ERROR runs)."""
    found = discover(client, agents, FIRST, LAST)
    got = {rid: plan.day for plan in found.days.values() for rid in plan.success}
    assert got == _runs_between(dataset, FIRST, LAST, ("SUCCESS",))


def test_discover_counts_unfinished_runs_as_pending_not_finished(
    client: LlamaCloudClient, agents: list[ExtractAgent], dataset: Dataset
) -> None:
    """CREATED and PENDING runs are under ``pending`` of their day, never under ``finished``."""
    found = discover(client, agents, FIRST, LAST)
    pending = {rid: plan.day for plan in found.days.values() for rid in plan.pending}
    finished = {rid for plan in found.days.values() for rid in plan.finished}
    expected = _runs_between(dataset, FIRST, LAST, UNFINISHED)
    assert expected and pending == expected and not finished & set(expected)


def test_discover_ignores_runs_outside_the_range(
    client: LlamaCloudClient, agents: list[ExtractAgent], dataset: Dataset
) -> None:
    """Runs created before the first or after the last day appear in no day."""
    first, last = date(2026, 9, 26), date(2026, 9, 28)
    found = discover(client, agents, first, last)
    seen = {rid for plan in found.days.values() for rid in (*plan.finished, *plan.pending)}
    assert seen == set(_runs_between(dataset, first, last, (*FINISHED, *UNFINISHED)))
    assert set(found.days) <= {first, first + timedelta(days=1), last}


# -- land_days -------------------------------------------------------------------------------


def test_land_days_lands_every_finished_run_of_the_range(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """After landing, the ``runs`` table holds each SUCCESS and ERROR run of the range exactly once."""
    land_days(client, store, FIRST, LAST)
    assert sorted(_landed_run_ids(store)) == sorted(_runs_between(dataset, FIRST, LAST, FINISHED))


def test_land_days_reports_progress_once_per_day_in_order(
    client: LlamaCloudClient, store: ParquetStore
) -> None:
    """``progress`` is called once per day of the range, oldest first, with running and total counts."""
    calls: list[tuple[date, int, int]] = []

    def progress(result: DayResult, done: int, total: int) -> None:
        calls.append((result.day, done, total))

    land_days(client, store, FIRST, LAST, progress=progress)
    days = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
    assert calls == [(day, n, len(days)) for n, day in enumerate(days, start=1)]


def test_land_days_lands_an_extra_run_the_listing_does_not_show(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """A run asked for by ID lands in its day even though the listing missed it."""
    hidden = _success_on(dataset, date(2026, 10, 10))["id"]
    report = land_days(_Hiding(client, hidden), store, FIRST, LAST, extra_run_ids=[hidden.upper()])
    landed_on = {rid: d.day for d in report.days for rid in d.runs_landed}
    assert landed_on[hidden] == date(2026, 10, 10) and _landed_run_ids(store).count(hidden) == 1


def test_land_days_rejects_an_extra_run_outside_the_range(
    client: LlamaCloudClient, store: ParquetStore, dataset: Dataset
) -> None:
    """A run asked for by ID but created outside the range is a ConfigurationError, and nothing is written."""
    outside = _success_on(dataset, date(2026, 9, 15))["id"]
    with pytest.raises(ConfigurationError, match=f"run {outside} was created on 2026-09-15, outside"):
        land_days(client, store, FIRST, LAST, extra_run_ids=[outside])
    assert store.list_tables() == []


def test_land_days_skips_and_counts_a_run_that_vanished_before_its_fetch(
    client: LlamaCloudClient, app: EmulatorApp, store: ParquetStore, dataset: Dataset
) -> None:
    """A listed run that answers 404 when fetched is counted as vanished; the rest of its day lands."""
    day = date(2026, 10, 10)
    doomed = _success_on(dataset, day)["id"]
    report = land_days(_Deleting(client, app, doomed), store, FIRST, LAST)
    result = next(d for d in report.days if d.day == day)
    others = set(_runs_between(dataset, day, day, FINISHED)) - {doomed}
    assert (report.vanished, result.vanished, result.runs_landed) == (1, [doomed], others)


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
    """A SUCCESS run deleted upstream before its fetch is vanished, not missing."""
    doomed = _success_on(dataset, date(2026, 10, 10))["id"]
    report = land_days(_Deleting(client, app, doomed), store, FIRST, LAST)
    assert verify(report, store).missing_success == []


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
