"""Through Dagster: the same job, partitions, checks and completion sensor serve v2 jobs over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import dagster as dg
import pytest

from llamacloud_etl.defs import JOB_NAME, build_defs
from llamacloud_etl.defs.resources import LlamaCloudResource
from llamacloud_etl.defs.runner import RangeOutcome, dagster_instance, run_range
from llamacloud_etl.defs.schedules import RANGE_END_TAG, RANGE_START_TAG
from llamacloud_etl.defs.sensors import build_completion_sensor
from llamacloud_etl.emulator import Dataset, EmulatorApp, EmulatorServer, build_dataset
from llamacloud_etl.emulator.agents import AGENT_SPECS
from llamacloud_etl.landing import list_window
from llamacloud_etl.query import run_query
from llamacloud_etl.sources import V2Source

from .helpers import API_KEY, BOTH, CUTOVER, DAYS, LANDED, LAST, PAGE_SIZE, START, V2_ONLY, settings_for

V2_FIRST = LAST - timedelta(days=9)
BOTH_FIRST, BOTH_LAST = CUTOVER - timedelta(days=4), CUTOVER + timedelta(days=3)


def _resource(url: str, api_version: str) -> LlamaCloudResource:
    return LlamaCloudResource(
        api_key=API_KEY, base_url=url, max_concurrency=8, page_size=PAGE_SIZE, api_version=api_version
    )


def _defs(lake: Path, resource: LlamaCloudResource) -> dg.Definitions:
    return build_defs(start_date=START, output=str(lake), llamacloud=resource)


def _run(
    dataset: Dataset, api_version: str, first: date, last: date, lake: Path
) -> Iterator[tuple[RangeOutcome, Path]]:
    with EmulatorServer(EmulatorApp(dataset, api_key=API_KEY)) as server, dagster_instance() as instance:
        defs = _defs(lake, _resource(server.url, api_version))
        yield run_range(defs, JOB_NAME, first, last, instance=instance), lake


@pytest.fixture(scope="module")
def v2_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RangeOutcome, Path]]:
    """The last ten days of the v2-only history, landed by the Dagster job with api_version v2."""
    yield from _run(V2_ONLY, "v2", V2_FIRST, LAST, tmp_path_factory.mktemp("dagster-v2") / "lake")


@pytest.fixture(scope="module")
def both_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RangeOutcome, Path]]:
    """Eight days around the cutover, landed by the Dagster job with api_version both."""
    yield from _run(BOTH, "both", BOTH_FIRST, BOTH_LAST, tmp_path_factory.mktemp("dagster-both") / "lake")


def _between(dataset: Dataset, first: date, last: date) -> dict[str, str]:
    """Finished runs and jobs created first..last: ID -> api_version."""
    days = {(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)}
    v1 = {
        r["id"]: "v1"
        for r in dataset.runs
        if r["status"] in ("SUCCESS", "ERROR") and r["created_at"][:10] in days
    }
    v2 = {j["id"]: "v2" for j in dataset.v2_jobs if j["status"] in LANDED and j["created_at"][:10] in days}
    return {**v1, **v2}


def _landed(lake: Path) -> dict[str, str]:
    table = run_query(str(lake), "SELECT run_id, api_version FROM runs")
    return dict(zip(table["run_id"].to_pylist(), table["api_version"].to_pylist(), strict=True))


def test_a_v2_range_lands_through_dagster_with_every_check_passing(v2_run: tuple[RangeOutcome, Path]) -> None:
    """With api_version v2 the Dagster job succeeds, every blocking check passes, each finished job lands."""
    outcome, lake = v2_run
    assert outcome.success and outcome.failed_checks == [], outcome.error
    expected = _between(V2_ONLY, V2_FIRST, LAST)
    assert expected and _landed(lake) == expected


def test_a_both_version_range_lands_through_dagster_with_every_check_passing(
    both_run: tuple[RangeOutcome, Path],
) -> None:
    """Over the cutover, api_version both lands v1 runs and v2 jobs once each; every blocking check passes."""
    outcome, lake = both_run
    assert outcome.success and outcome.failed_checks == [], outcome.error
    expected = _between(BOTH, BOTH_FIRST, BOTH_LAST)
    assert set(expected.values()) == {"v1", "v2"} and _landed(lake) == expected


def _tick(
    defs: dg.Definitions, resource: LlamaCloudResource, cursor: str | None, instance: dg.DagsterInstance
) -> dg.SensorResult:
    job = defs.resolve_job_def(JOB_NAME)
    partitions = job.partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition)
    sensor = build_completion_sensor(job, partitions, lookback=400)  # type: ignore[arg-type]
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"llamacloud": resource})
    return sensor.evaluate_tick(context)  # type: ignore[return-value]


def test_the_sensor_requests_the_day_of_a_v2_job_that_completes_after_its_landing(tmp_path: Path) -> None:
    """A PENDING v2 job completed after its day landed is requested by the next tick, then lands."""
    late = V2_ONLY.v2_jobs_with_status("PENDING")[0]
    day = date.fromisoformat(late["created_at"][:10])
    app = EmulatorApp(V2_ONLY, api_key=API_KEY)
    with EmulatorServer(app) as server, dagster_instance() as instance:
        resource = _resource(server.url, "v2")
        defs = _defs(tmp_path, resource)
        assert run_range(defs, JOB_NAME, day, day, instance=instance).ok
        cursor = _tick(defs, resource, None, instance).cursor
        app.complete_v2_job(late["id"])
        result = _tick(defs, resource, cursor, instance)
        assert [(r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG]) for r in result.run_requests] == [
            (day.isoformat(), day.isoformat())
        ]
        assert run_range(defs, JOB_NAME, day, day, instance=instance).ok
    assert _landed(tmp_path)[late["id"]] == "v2"


def test_the_sensors_v2_listings_use_the_server_side_date_filter(tmp_path: Path) -> None:
    """Every v2 job listing a sensor tick sends carries created_at_on_or_after (the window's start)."""
    app = EmulatorApp(V2_ONLY, api_key=API_KEY)
    with EmulatorServer(app) as server, dagster_instance() as instance:
        resource = _resource(server.url, "v2")
        _tick(_defs(tmp_path, resource), resource, None, instance)
    listings = [parse_qs(r.query) for r in app.request_log if r.path == "/api/v2/extract"]
    assert listings and all("created_at_on_or_after" in query for query in listings)


def test_the_window_lists_inline_schema_groups_once(tmp_path: Path) -> None:
    """With two inline-schema groups, the sensor's window holds each job once, from one inline listing."""
    inline = tuple(spec.id for spec in AGENT_SPECS[2:4])
    dataset = build_dataset(40, seed=31, start=START, days=DAYS, v2_from=START, v2_inline_agents=inline)
    app = EmulatorApp(dataset, api_key=API_KEY)
    with EmulatorServer(app) as server, V2Source.connect(settings_for(server.url)) as source:
        agents = source.list_agents()
        assert len([a for a in agents if a.id.startswith("inline-")]) == 2
        app.reset_request_log()
        headers = list_window(source, agents, datetime.combine(START, time(0), tzinfo=UTC))
    assert sorted(h.id for h in headers) == sorted(j["id"] for j in dataset.v2_jobs)
    unfiltered = [
        r for r in app.request_log if r.path == "/api/v2/extract" and "configuration_id" not in r.query
    ]
    assert len({parse_qs(r.query).get("page_token", [""])[0] for r in unfiltered}) == len(unfiltered)
