"""v2 round trip: a job's extract_result and extract_metadata.field_metadata come back exactly."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from llamacloud_etl.flatten import flatten_batch, rebuild_data, rebuild_field_metadata
from llamacloud_etl.run import Run

from .payloads import EXAMPLE_A, FETCHED_AT, run_from, same_json
from .strategies import FLATTEN_SETTINGS
from .v2runs import FIELD_METADATA_A, job_a, make_v2_run, v2_jobs


def _round_trip(run: Run) -> tuple[Any, Any]:
    batch = flatten_batch([run], fetched_at=FETCHED_AT)
    assert batch.stats.flatten_errors == []
    tables = {**batch.agents[run.agent_id].tables, "runs": batch.runs, "field_metadata": batch.field_metadata}
    data = rebuild_data(run.id, tables, run.data_schema, run.config.target)
    return data, rebuild_field_metadata(run.id, tables)


@FLATTEN_SETTINGS
@given(run=v2_jobs())
def test_generated_v2_jobs_round_trip_exactly(run: Run) -> None:
    """Any generated v2 job (nested reasoning, arrays, empty citations, root notes) rebuilds exactly."""
    data, field_metadata = _round_trip(run)
    assert same_json(data, run.data)
    assert same_json(field_metadata, run.field_metadata)


def test_the_sheet_example_round_trips() -> None:
    """The sheet's example job rebuilds to its extract_result and field_metadata."""
    run = job_a()
    assert all(same_json(a, b) for a, b in zip(_round_trip(run), (run.data, FIELD_METADATA_A), strict=True))


@pytest.mark.parametrize(
    ("target", "member"),
    [
        pytest.param("PER_PAGE", "page_metadata", id="per-page"),
        pytest.param("PER_TABLE_ROW", "row_metadata", id="rows"),
    ],
)
def test_list_items_without_rows_come_back_empty(target: str, member: str) -> None:
    """Items of a list member that gave no rows come back as empty objects, up to the record count."""
    meta = {"document_metadata": None, "page_metadata": None, "row_metadata": None}
    meta[member] = [{}, {"a": {"confidence": 0.5}, "error": "two\nlines"}, {}]
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    run = make_v2_run(schema, [{}, {"a": "x"}, {}], target=target, field_metadata=meta, cite_sources=False)
    assert same_json(_round_trip(run)[1], meta)


def test_a_v1_run_rebuilds_its_own_root() -> None:
    """A v1 run rebuilds as v1's field_metadata itself, not a v2 container."""
    run = run_from(EXAMPLE_A)
    assert same_json(_round_trip(run)[1], EXAMPLE_A["extraction_metadata"]["field_metadata"])


def test_a_run_not_in_runs_rebuilds_as_none() -> None:
    """An unknown run ID gives None."""
    batch = flatten_batch([job_a()], fetched_at=FETCHED_AT)
    assert (
        rebuild_field_metadata("ext-none", {"runs": batch.runs, "field_metadata": batch.field_metadata})
        is None
    )
