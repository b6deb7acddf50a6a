"""A landing that fails inside Dagster carries the command line's message as the step's failure."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from loopback import first_last

from llamacloud_etl.defs import JOB_NAME, build_defs
from llamacloud_etl.defs.resources import LlamaCloudResource
from llamacloud_etl.defs.runner import dagster_instance, run_range
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
