"""The state's mutators, through the app: complete, fail, start, add and delete runs, scheduled completion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from llamacloud_etl.emulator import Dataset, EmulatorApp, dumps
from llamacloud_etl.emulator.wire import parse_timestamp

from .conftest import API
from .helpers import conforms, mirror_problems


def _first(dataset: Dataset, status: str, agent: str | None = None) -> dict[str, Any]:
    runs = dataset.runs_with_status(status)
    if agent is not None:
        agent_id = dataset.agent_named(agent)["id"]
        runs = [r for r in runs if r["extraction_agent_id"] == agent_id]
    return runs[0]


@pytest.mark.parametrize("status", ["PENDING", "CREATED"])
def test_complete_run_gives_success_with_data(app: EmulatorApp, dataset: Dataset, status: str) -> None:
    """complete_run turns an unfinished run into SUCCESS with schema-conforming data and mirrored metadata."""
    before = _first(dataset, status)
    after = app.complete_run(before["id"])
    assert after["status"] == "SUCCESS"
    assert parse_timestamp(after["updated_at"]) > parse_timestamp(before["updated_at"])
    schema = after["data_schema"]
    items = after["data"] if isinstance(after["data"], list) else [after["data"]]
    assert all(conforms(item, schema, schema) == [] for item in items)
    if isinstance(after["data"], dict):
        assert mirror_problems(after["data"], after["extraction_metadata"]["field_metadata"]) == []
    assert app.run(before["id"]) == after
    assert app.job(before["job_id"])["status"] == "SUCCESS"


def test_completed_run_is_served_with_its_result(
    app: EmulatorApp, dataset: Dataset, http: httpx.Client
) -> None:
    """After complete_run the API serves the new run and the job's result set."""
    run = _first(dataset, "PENDING")
    done = app.complete_run(run["id"])
    assert http.get(f"{API}/runs/{run['id']}").content == dumps(done)
    result = http.get(f"{API}/jobs/{run['job_id']}/result").json()
    assert result["data"] == done["data"]


def test_complete_run_is_deterministic(dataset: Dataset) -> None:
    """Completing the same run in two apps with the same seed gives the same bytes."""
    run_id = _first(dataset, "PENDING")["id"]
    assert dumps(EmulatorApp(dataset).complete_run(run_id)) == dumps(
        EmulatorApp(dataset).complete_run(run_id)
    )


def test_partial_completion_marks_the_job(app: EmulatorApp, dataset: Dataset) -> None:
    """complete_run(partial=True) gives a PARTIAL_SUCCESS job and a root field_metadata error."""
    run = app.add_run(dataset.agent_named("Invoices")["id"])
    done = app.complete_run(run["id"], partial=True)
    assert app.job(run["job_id"])["status"] == "PARTIAL_SUCCESS"
    assert done["extraction_metadata"]["field_metadata"]["error"].startswith("extraction_error:")


def test_complete_finished_run_is_refused(app: EmulatorApp, dataset: Dataset) -> None:
    """complete_run and fail_run refuse runs that are already finished."""
    run_id = _first(dataset, "SUCCESS")["id"]
    with pytest.raises(ValueError, match="already SUCCESS"):
        app.complete_run(run_id)
    with pytest.raises(ValueError, match="already SUCCESS"):
        app.fail_run(run_id)


def test_fail_run_gives_error_and_null_results(app: EmulatorApp, dataset: Dataset) -> None:
    """fail_run sets ERROR with the given text, null data and metadata, and an ERROR job."""
    run = _first(dataset, "PENDING")
    failed = app.fail_run(run["id"], "parsing_error: boom")
    assert (failed["status"], failed["error"], failed["data"], failed["extraction_metadata"]) == (
        "ERROR",
        "parsing_error: boom",
        None,
        None,
    )
    assert app.job(run["job_id"])["status"] == "ERROR"
    assert app.job(run["job_id"])["error"] == "parsing_error: boom"


def test_fail_run_cancelled(app: EmulatorApp, dataset: Dataset) -> None:
    """fail_run(cancelled=True) gives a CANCELLED job and a generated 'cancelled:' error."""
    run = _first(dataset, "CREATED")
    failed = app.fail_run(run["id"], cancelled=True)
    assert failed["error"].startswith("cancelled: ")
    assert app.job(run["job_id"])["status"] == "CANCELLED"


def test_start_run_moves_created_to_pending(app: EmulatorApp, dataset: Dataset) -> None:
    """start_run moves a CREATED run to PENDING and refuses any other state."""
    run = _first(dataset, "CREATED")
    assert app.start_run(run["id"])["status"] == "PENDING"
    with pytest.raises(ValueError, match="not CREATED"):
        app.start_run(run["id"])


def test_add_run_appears_first_in_the_list(app: EmulatorApp, dataset: Dataset, http: httpx.Client) -> None:
    """add_run creates a newest run and job that the list shows first, with the total grown by one."""
    agent_id = dataset.agent_named("Contracts")["id"]
    added = app.add_run(agent_id)
    assert added["status"] == "PENDING"
    assert added["data"] is None
    page = http.get(f"{API}/runs", params={"extraction_agent_id": agent_id, "limit": 2}).json()
    assert page["items"][0] == added
    assert page["total"] == len(dataset.runs_for_agent(agent_id)) + 1
    assert http.get(f"{API}/jobs/{added['job_id']}").json()["status"] == "PENDING"


def test_add_run_with_status_and_time(app: EmulatorApp, dataset: Dataset) -> None:
    """add_run can create a finished run at a chosen time; SUCCESS has data, ERROR an error."""
    agent_id = dataset.agent_named("Quarterly report pages")["id"]
    when = datetime(2026, 9, 15, 12, 0, tzinfo=UTC)
    ok = app.add_run(agent_id, status="SUCCESS", created_at=when)
    assert ok["created_at"] == "2026-09-15T12:00:00.000Z"
    assert isinstance(ok["data"], list)
    assert ok["extraction_metadata"]["usage"]["num_pages_extracted"] >= 1
    bad = app.add_run(agent_id, status="ERROR")
    assert bad["error"]
    assert bad["data"] is None
    assert app.job(bad["job_id"])["status"] == "ERROR"


def test_add_run_rejects_unknown_agent(app: EmulatorApp, dataset: Dataset) -> None:
    """add_run refuses an agent that is not one of the data set's agents."""
    with pytest.raises(KeyError):
        app.add_run("00000000-0000-4000-8000-000000000000")
    with pytest.raises(KeyError):
        app.add_run(dataset.default_agents[0]["id"])


def test_delete_run_removes_it(app: EmulatorApp, dataset: Dataset) -> None:
    """delete_run removes the run from the app (KeyError when read), leaving the job."""
    run = dataset.runs[0]
    app.delete_run(run["id"])
    assert run["id"] not in app.run_ids
    with pytest.raises(KeyError):
        app.run(run["id"])
    with pytest.raises(KeyError):
        app.delete_run(run["id"])
    assert app.job(run["job_id"])["id"] == run["job_id"]


def test_app_changes_never_touch_the_dataset(dataset: Dataset) -> None:
    """Mutating the app leaves the data set's dicts unchanged."""
    before = dumps(dataset.runs)
    app = EmulatorApp(dataset)
    app.complete_run(_first(dataset, "PENDING")["id"])
    app.fail_run(_first(dataset, "CREATED")["id"])
    app.delete_run(dataset.runs[-1]["id"])
    assert dumps(dataset.runs) == before


def test_scheduled_completion_after_n_polls(app: EmulatorApp, dataset: Dataset, http: httpx.Client) -> None:
    """A run scheduled to finish after 3 polls is PENDING for 3 reads and SUCCESS on the 4th."""
    run = _first(dataset, "PENDING")
    app.schedule_completion(run["id"], after_polls=3)
    seen = [http.get(f"{API}/jobs/{run['job_id']}").json()["status"] for _ in range(4)]
    assert seen == ["PENDING", "PENDING", "PENDING", "SUCCESS"]
    assert http.get(f"{API}/runs/by-job/{run['job_id']}").json()["status"] == "SUCCESS"


def test_scheduled_failure(app: EmulatorApp, dataset: Dataset, http: httpx.Client) -> None:
    """A run scheduled to end CANCELLED after 0 polls is ERROR on the first read, its job CANCELLED."""
    run = _first(dataset, "CREATED")
    app.schedule_completion(run["id"], after_polls=0, outcome="CANCELLED")
    assert http.get(f"{API}/runs/{run['id']}").json()["status"] == "ERROR"
    assert app.job(run["job_id"])["status"] == "CANCELLED"


def test_schedule_completion_validates(app: EmulatorApp, dataset: Dataset) -> None:
    """schedule_completion refuses unknown outcomes, negative polls and finished runs."""
    pending, done = _first(dataset, "PENDING")["id"], _first(dataset, "SUCCESS")["id"]
    with pytest.raises(ValueError, match="outcome"):
        app.schedule_completion(pending, after_polls=1, outcome="DONE")
    with pytest.raises(ValueError, match="after_polls"):
        app.schedule_completion(pending, after_polls=-1)
    with pytest.raises(ValueError, match="finished"):
        app.schedule_completion(done, after_polls=1)
