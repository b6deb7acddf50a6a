"""The schedule and the sensor request the right days; a late completion lands on the next tick;
the sensor's days stay owed until a run lands them successfully."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from loopback import Land

from llamacloud_etl.defs import build_defs
from llamacloud_etl.defs.resources import LlamaCloudResource
from llamacloud_etl.defs.runner import dagster_instance, run_range
from llamacloud_etl.defs.schedules import RANGE_END_TAG, RANGE_START_TAG
from llamacloud_etl.defs.sensors import RUN_KEY_TAG, build_completion_sensor, settle
from llamacloud_etl.emulator import Dataset, EmulatorApp
from llamacloud_etl.landing import Owed, Watermark
from llamacloud_etl.query import run_query


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """A temporary Dagster instance: where the sensor looks up the runs it requested."""
    with dagster_instance() as running:
        yield running


def _sensor(defs: dg.Definitions, lookback: int) -> dg.SensorDefinition:
    job = defs.resolve_job_def("land_llamacloud")
    partitions = job.partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition)
    return build_completion_sensor(job, partitions, lookback=lookback)  # type: ignore[arg-type]


def _tick(
    defs: dg.Definitions,
    resource: LlamaCloudResource,
    cursor: str | None,
    instance: dg.DagsterInstance,
    lookback: int = 400,
) -> dg.SensorResult:
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"llamacloud": resource})
    return _sensor(defs, lookback).evaluate_tick(context)  # type: ignore[return-value]


def _launch(defs: dg.Definitions, instance: dg.DagsterInstance, request: dg.RunRequest) -> bool:
    """Execute a requested run as the daemon would launch it (tags, run key); True if it succeeded."""
    tags = {**request.tags, RUN_KEY_TAG: str(request.run_key)}
    job = defs.resolve_job_def("land_llamacloud")
    return job.execute_in_process(instance=instance, tags=tags, raise_on_error=False).success


def _range(request: dg.RunRequest) -> tuple[str, str]:
    return request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]


def _pending(dataset: Dataset) -> dict[str, str]:
    return next(r for r in dataset.runs if r["status"] == "PENDING")


def test_the_schedule_requests_today_and_the_lookback_days_in_one_run(dataset: Dataset, lake: Path) -> None:
    """A tick on 2026-10-12 at 00:15 UTC asks for 2026-10-09..2026-10-12 as one ranged run."""
    defs = build_defs(start_date=dataset.start, output=str(lake))
    schedule = defs.resolve_schedule_def("llamacloud_daily")
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 10, 12, 0, 15, tzinfo=UTC))
    data = schedule.evaluate_tick(context)
    assert data.run_requests is not None and len(data.run_requests) == 1
    tags = data.run_requests[0].tags
    assert (tags[RANGE_START_TAG], tags[RANGE_END_TAG]) == ("2026-10-09", "2026-10-12")


def test_the_schedule_never_asks_before_the_first_partition(dataset: Dataset, lake: Path) -> None:
    """On the second day of the partitions the lookback is clipped to the first day."""
    defs = build_defs(start_date=dataset.start, output=str(lake))
    schedule = defs.resolve_schedule_def("llamacloud_daily")
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 9, 2, 0, 15, tzinfo=UTC))
    tags = schedule.evaluate_tick(context).run_requests[0].tags  # type: ignore[index]
    assert (tags[RANGE_START_TAG], tags[RANGE_END_TAG]) == ("2026-09-01", "2026-09-02")


def test_the_first_sensor_tick_requests_every_day_with_finished_runs(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource, instance: dg.DagsterInstance
) -> None:
    """With no cursor, the sensor asks for one run spanning the days of all finished runs."""
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    result = _tick(defs, resource, None, instance)
    days = sorted(r["created_at"][:10] for r in dataset.runs if r["status"] in ("SUCCESS", "ERROR"))
    assert len(result.run_requests) == 1
    tags = result.run_requests[0].tags
    assert (tags[RANGE_START_TAG], tags[RANGE_END_TAG]) == (days[0], days[-1])


def test_a_sensor_tick_with_nothing_new_requests_nothing(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource, instance: dg.DagsterInstance
) -> None:
    """A second tick with the first tick's cursor skips: no run completed since."""
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    first = _tick(defs, resource, None, instance)
    second = _tick(defs, resource, first.cursor, instance)
    assert second.run_requests == [] and second.cursor == first.cursor


def test_a_late_completion_lands_on_the_next_sensor_tick(
    dataset: Dataset,
    lake: Path,
    resource: LlamaCloudResource,
    app: EmulatorApp,
    land: Land,
    instance: dg.DagsterInstance,
) -> None:
    """A run that was PENDING when its day landed is requested, and landed once, after it completes."""
    late = _pending(dataset)
    day = date.fromisoformat(late["created_at"][:10])
    land()
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    cursor = _tick(defs, resource, None, instance).cursor
    assert (
        run_query(str(lake), f"SELECT count(*) AS n FROM runs WHERE run_id = '{late['id']}'")["n"][0].as_py()
        == 0
    )

    app.complete_run(late["id"])
    result = _tick(defs, resource, cursor, instance)
    assert len(result.run_requests) == 1
    tags = result.run_requests[0].tags
    assert (tags[RANGE_START_TAG], tags[RANGE_END_TAG]) == (day.isoformat(), day.isoformat())
    outcome = run_range(defs, "land_llamacloud", day, day, instance=instance)
    assert outcome.ok
    landed = run_query(str(lake), f"SELECT status FROM runs WHERE run_id = '{late['id']}'")
    assert landed["status"].to_pylist() == ["SUCCESS"]
    assert (
        run_query(str(lake), "SELECT count(*) - count(DISTINCT run_id) AS d FROM runs")["d"][0].as_py() == 0
    )


def test_the_days_of_a_failed_run_are_requested_again(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource, instance: dg.DagsterInstance
) -> None:
    """When the run a tick requested fails, the next tick requests its days again under a new run key."""
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    first = _tick(defs, resource, None, instance)
    refused = LlamaCloudResource(api_key="llx-not-the-emulator-key-000000000", base_url=resource.base_url)
    assert not _launch(
        build_defs(start_date=dataset.start, output=str(lake), llamacloud=refused),
        instance,
        first.run_requests[0],
    )
    second = _tick(defs, resource, first.cursor, instance)
    assert len(second.run_requests) == 1
    assert _range(second.run_requests[0]) == _range(first.run_requests[0])
    assert second.run_requests[0].run_key != first.run_requests[0].run_key
    assert [o.key for o in Watermark.from_cursor(second.cursor).owed] == [second.run_requests[0].run_key]


def test_the_cursor_keeps_a_day_owed_until_a_run_lands_it(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource, instance: dg.DagsterInstance
) -> None:
    """While the requested run runs its days stay owed and are not asked again; its success settles them."""
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    first = _tick(defs, resource, None, instance)
    request = first.run_requests[0]
    started = instance.create_run_for_job(
        defs.resolve_job_def("land_llamacloud"),
        status=dg.DagsterRunStatus.STARTED,
        tags={**request.tags, RUN_KEY_TAG: str(request.run_key)},
    )
    second = _tick(defs, resource, first.cursor, instance)
    assert second.run_requests == []
    assert Watermark.from_cursor(second.cursor).owed == Watermark.from_cursor(first.cursor).owed
    instance.delete_run(started.run_id)  # it is launched again, for real
    assert _launch(defs, instance, request)
    third = _tick(defs, resource, second.cursor, instance)
    assert third.run_requests == [] and Watermark.from_cursor(third.cursor).owed == ()


def test_a_requested_run_that_never_appears_is_requested_again(instance: dg.DagsterInstance) -> None:
    """A request with no Dagster run an hour and more later (deleted, never launched) is owed again."""
    now = datetime.now(UTC)
    lost = Owed("completed:lost", ("2026-10-01",), now - timedelta(hours=2))
    fresh = Owed("completed:fresh", ("2026-10-02",), now - timedelta(minutes=5))
    assert settle(instance, [lost, fresh], now) == ((fresh,), {"2026-10-01"})


def test_a_run_that_completes_after_the_lookback_window_still_gets_its_day_requested(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource, app: EmulatorApp, instance: dg.DagsterInstance
) -> None:
    """A run seen unfinished is checked by ID once out of the window; its day is requested when it ends."""
    late = app.add_run(
        dataset.agent_named("Invoices")["id"], created_at=datetime.now(UTC) - timedelta(days=10)
    )
    day = late["created_at"][:10]
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    first = _tick(defs, resource, None, instance)
    assert late["id"] in Watermark.from_cursor(first.cursor).pending
    still = _tick(defs, resource, first.cursor, instance, lookback=3)
    assert still.run_requests == [] and late["id"] in Watermark.from_cursor(still.cursor).pending
    app.complete_run(late["id"])
    result = _tick(defs, resource, still.cursor, instance, lookback=3)
    assert [_range(r) for r in result.run_requests] == [(day, day)]
    assert late["id"] not in Watermark.from_cursor(result.cursor).pending
