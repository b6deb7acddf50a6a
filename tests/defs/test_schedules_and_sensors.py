"""The schedule and the sensor request the right days; a late completion lands on the next tick."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
from loopback import Land

from llamacloud_etl.defs import build_defs
from llamacloud_etl.defs.resources import LlamaCloudResource
from llamacloud_etl.defs.runner import dagster_instance, run_range
from llamacloud_etl.defs.schedules import RANGE_END_TAG, RANGE_START_TAG
from llamacloud_etl.defs.sensors import build_completion_sensor
from llamacloud_etl.emulator import Dataset, EmulatorApp
from llamacloud_etl.query import run_query


def _sensor(defs: dg.Definitions) -> dg.SensorDefinition:
    job = defs.resolve_job_def("land_llamacloud")
    partitions = job.partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition)
    return build_completion_sensor(job, partitions, lookback=400)  # type: ignore[arg-type]


def _tick(defs: dg.Definitions, resource: LlamaCloudResource, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(cursor=cursor, resources={"llamacloud": resource})
    return _sensor(defs).evaluate_tick(context)  # type: ignore[return-value]


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
    dataset: Dataset, lake: Path, resource: LlamaCloudResource
) -> None:
    """With no cursor, the sensor asks for one run spanning the days of all finished runs."""
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    result = _tick(defs, resource, None)
    days = sorted(r["created_at"][:10] for r in dataset.runs if r["status"] in ("SUCCESS", "ERROR"))
    assert len(result.run_requests) == 1
    tags = result.run_requests[0].tags
    assert (tags[RANGE_START_TAG], tags[RANGE_END_TAG]) == (days[0], days[-1])


def test_a_sensor_tick_with_nothing_new_requests_nothing(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource
) -> None:
    """A second tick with the first tick's cursor skips: no run completed since."""
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    first = _tick(defs, resource, None)
    second = _tick(defs, resource, first.cursor)
    assert second.run_requests == [] and second.cursor == first.cursor


def test_a_late_completion_lands_on_the_next_sensor_tick(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource, app: EmulatorApp, land: Land
) -> None:
    """A run that was PENDING when its day landed is requested, and landed once, after it completes."""
    late = _pending(dataset)
    day = date.fromisoformat(late["created_at"][:10])
    land()
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    cursor = _tick(defs, resource, None).cursor
    assert (
        run_query(str(lake), f"SELECT count(*) AS n FROM runs WHERE run_id = '{late['id']}'")["n"][0].as_py()
        == 0
    )

    app.complete_run(late["id"])
    result = _tick(defs, resource, cursor)
    assert len(result.run_requests) == 1
    tags = result.run_requests[0].tags
    assert (tags[RANGE_START_TAG], tags[RANGE_END_TAG]) == (day.isoformat(), day.isoformat())
    with dagster_instance() as instance:
        outcome = run_range(defs, "land_llamacloud", day, day, instance=instance)
    assert outcome.ok
    landed = run_query(str(lake), f"SELECT status FROM runs WHERE run_id = '{late['id']}'")
    assert landed["status"].to_pylist() == ["SUCCESS"]
    assert (
        run_query(str(lake), "SELECT count(*) - count(DISTINCT run_id) AS d FROM runs")["d"][0].as_py() == 0
    )
