"""A landing that fails inside Dagster carries the command line's message as the step's failure."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from loopback import first_last

from llamacloud_etl.defs import JOB_NAME, build_defs
from llamacloud_etl.defs.resources import LlamaCloudResource
from llamacloud_etl.defs.runner import dagster_instance, run_range
from llamacloud_etl.defs.sensors import SensorTickError
from llamacloud_etl.emulator import Dataset, EmulatorServer

SECRET = "llx-wrong-key-which-must-never-be-printed"


def test_a_rejected_key_fails_the_step_with_the_operators_message(
    dataset: Dataset, lake: Path, server: EmulatorServer
) -> None:
    """The step failure's description is the one-paragraph message (exit code 4 in its metadata), the
    trace stays in the event log, and neither holds the key."""
    resource = LlamaCloudResource(api_key=SECRET, base_url=server.url)
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    first, _ = first_last(dataset)
    with dagster_instance() as instance:
        outcome = run_range(defs, JOB_NAME, first, first, instance=instance)
        records = instance.get_records_for_run(outcome.run_id).records
    assert outcome.exit_code == 4
    assert outcome.error and outcome.error.startswith("the API rejected the key (401 on GET ")
    failure = next(
        r.event_log_entry.dagster_event
        for r in records
        if r.event_log_entry.is_dagster_event
        and r.event_log_entry.dagster_event.event_type == dg.DagsterEventType.STEP_FAILURE
    )
    data = failure.step_failure_data
    assert data.user_failure_data.description == outcome.error
    assert data.user_failure_data.metadata["error_class"].value == "AuthenticationError"
    assert data.error is not None and data.error.stack
    assert SECRET not in str(failure)


def test_a_run_without_a_key_fails_the_step_with_the_configuration_message(
    dataset: Dataset, lake: Path, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Definitions loaded without LLAMA_CLOUD_API_KEY still launch; the run fails with the landing's
    configuration message (exit code 3) naming the variable, not a Dagster config error."""
    monkeypatch.delenv("LLAMA_CLOUD_API_KEY", raising=False)
    monkeypatch.delenv("LLAMA_PARSE_API_KEY", raising=False)
    monkeypatch.setenv("LLAMA_CLOUD_BASE_URL", server.url)
    defs = build_defs(start_date=dataset.start, output=str(lake))
    first, _ = first_last(dataset)
    with dagster_instance() as instance:
        outcome = run_range(defs, JOB_NAME, first, first, instance=instance)
    assert outcome.exit_code == 3
    assert outcome.error and outcome.error.startswith("configuration error: no LlamaCloud API key")
    assert "LLAMA_CLOUD_API_KEY" in outcome.error


def test_a_sensor_tick_with_a_rejected_key_fails_with_the_operators_message(
    dataset: Dataset, lake: Path, server: EmulatorServer
) -> None:
    """The completion sensor's tick fails with the same one message as the CLI, without the key."""
    resource = LlamaCloudResource(api_key=SECRET, base_url=server.url)
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    sensor = defs.resolve_sensor_def("llamacloud_completed_runs")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources={"llamacloud": resource})
        with pytest.raises(SensorTickError) as caught:
            sensor.evaluate_tick(context)
    message = str(caught.value)
    assert message.startswith("the API rejected the key (401 on GET ")
    assert SECRET not in message
