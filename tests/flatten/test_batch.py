"""flatten_batch and flatten_run: outcomes, failures, duplicates, the full table set, pandas output."""

from __future__ import annotations

import gc
from typing import Any
from unittest import mock

import pandas as pd
import pytest

from llamacloud_etl.errors import RunNotReadyError
from llamacloud_etl.flatten import FlattenError, flatten_batch, flatten_run
from llamacloud_etl.flatten.records import RecordWalker

from .payloads import (
    EXAMPLE_A,
    EXAMPLE_B,
    EXAMPLE_C,
    EXAMPLE_D,
    FETCHED_AT,
    INVOICE_AGENT,
    all_examples,
    data_of,
    make_run,
    obj,
    run_from,
)

STR: dict[str, Any] = {"type": "string"}


def test_statuses_are_counted() -> None:
    """SUCCESS and ERROR runs get rows; CREATED and PENDING runs are only counted as pending."""
    runs = [
        make_run(obj(a=STR), {"a": "x"}),
        make_run(obj(a=STR), None, status="ERROR", error="boom"),
        make_run(obj(a=STR), None, status="PENDING"),
        make_run(obj(a=STR), None, status="CREATED"),
    ]
    batch = flatten_batch(runs, fetched_at=FETCHED_AT)
    stats = batch.stats
    assert (stats.runs_success, stats.runs_error, stats.runs_pending, stats.records) == (1, 1, 2, 1)
    assert batch.runs.column("status").to_pylist() == ["SUCCESS", "ERROR"]
    assert batch.runs.column("record_count").to_pylist() == [1, 0]


def test_error_run_with_data_lands_no_records() -> None:
    """An ERROR run's data, if any, is not flattened: record_count 0 and no rows."""
    run = make_run(obj(a=STR), {"a": "partial"}, status="ERROR", error="boom")
    batch = flatten_batch([run], fetched_at=FETCHED_AT)
    assert batch.agents[run.agent_id].tables["records"].num_rows == 0
    assert batch.runs.column("error").to_pylist() == ["boom"]


def test_failed_run_keeps_its_runs_row_and_batch_goes_on() -> None:
    """A SUCCESS run that cannot be flattened gets flatten_error and no rows; others land."""
    bad = make_run(obj(a=STR), {"a": "x"}, run_id="bad")
    data_of(bad)[7] = "non-string key"
    good = make_run(obj(a=STR), {"a": "y"}, run_id="good", field_metadata={"a": {"confidence": 1}})
    bad_meta = make_run(obj(a=STR), {"a": "z"}, run_id="bad2", field_metadata={"a": {"confidence": 1}})
    data_of(bad_meta)["b"] = {1, 2}
    batch = flatten_batch([bad, good, bad_meta], fetched_at=FETCHED_AT)
    runs = {r["run_id"]: r for r in batch.runs.to_pylist()}
    assert runs["bad"]["flatten_error"].startswith("cannot flatten run bad at $")
    assert runs["bad2"]["flatten_error"] is not None
    assert runs["good"]["flatten_error"] is None
    assert batch.agents[good.agent_id].tables["records"].column("run_id").to_pylist() == ["good"]
    assert batch.field_metadata.column("run_id").to_pylist() == ["good"]
    assert [e.run_id for e in batch.stats.flatten_errors] == ["bad", "bad2"]
    assert batch.stats.runs_success == 3


def test_a_schema_that_is_not_json_fails_only_its_run() -> None:
    """A data_schema holding a non-JSON value (an object, a set) cannot be digested: flatten_error."""
    objects = make_run(obj(a={"type": "string", "default": object()}), {"a": "x"}, run_id="object")
    sets = make_run(obj(a={"type": "string", "enum": {"x"}}), {"a": "x"}, run_id="set")
    good = make_run(obj(a=STR), {"a": "y"}, run_id="good")
    runs = {
        r["run_id"]: r for r in flatten_batch([objects, sets, good], fetched_at=FETCHED_AT).runs.to_pylist()
    }
    for failed in ("object", "set"):
        assert "data_schema cannot be encoded as JSON" in runs[failed]["flatten_error"]
    assert runs["good"]["flatten_error"] is None


def test_unexpected_bug_costs_one_run_only() -> None:
    """An unexpected exception while walking a run becomes that run's FlattenError."""
    run = make_run(obj(a=STR), {"a": "x"}, run_id="r")
    with mock.patch.object(RecordWalker, "walk", side_effect=KeyError("boom")):
        batch = flatten_batch([run], fetched_at=FETCHED_AT)
        with pytest.raises(FlattenError, match="internal error: KeyError"):
            flatten_run(run)
    assert "internal error" in str(batch.runs.column("flatten_error").to_pylist()[0])


def test_flatten_run_refuses_unfinished_runs() -> None:
    """flatten_run raises RunNotReadyError for a PENDING run."""
    with pytest.raises(RunNotReadyError):
        flatten_run(make_run(obj(a=STR), None, status="PENDING"))


def test_every_agent_gets_its_full_table_set() -> None:
    """Child tables appear, empty with their schema, even when no run of the batch fills them."""
    run = run_from({**EXAMPLE_A, "data": {"invoice_number": "X", "line_items": []}})
    tables = flatten_batch([run], fetched_at=FETCHED_AT).agents[INVOICE_AGENT].tables
    assert set(tables) == {"records", "records__line_items"}
    assert tables["records__line_items"].num_rows == 0
    assert "amount" in tables["records__line_items"].schema.names


def test_error_only_agent_gets_its_tables() -> None:
    """An agent whose runs all failed still gets its (empty) tables."""
    batch = flatten_batch([run_from(EXAMPLE_D)], fetched_at=FETCHED_AT)
    assert list(batch.agents[INVOICE_AGENT].tables) == ["records"]


def test_duplicate_run_ids_keep_the_last_copy() -> None:
    """A run ID given twice lands once, from its last copy."""
    first = make_run(obj(a=STR), {"a": "old"}, run_id="dup")
    second = make_run(obj(a=STR), {"a": "new"}, run_id="dup")
    batch = flatten_batch([first, second], fetched_at=FETCHED_AT)
    assert batch.runs.num_rows == 1
    assert batch.agents[first.agent_id].tables["records"].column("a").to_pylist() == ["new"]


def test_agents_are_kept_apart() -> None:
    """Each agent gets its own tables, and field_metadata carries each row's agent."""
    batch = flatten_batch(all_examples(), fetched_at=FETCHED_AT)
    assert len(batch.agents) == 3
    assert set(batch.field_metadata.column("extraction_agent_id").to_pylist()) == {
        EXAMPLE_A["extraction_agent_id"],
        EXAMPLE_B["extraction_agent_id"],
        EXAMPLE_C["extraction_agent_id"],
    }


def test_to_pandas_uses_arrow_dtypes() -> None:
    """to_pandas gives DataFrames with ArrowDtype columns for every table."""
    frames = flatten_batch(all_examples(), fetched_at=FETCHED_AT).to_pandas()
    assert isinstance(frames.runs.dtypes["file_size"], pd.ArrowDtype)
    assert str(frames.runs.dtypes["created_at"].pyarrow_dtype) == "timestamp[us, tz=UTC]"
    records = frames.agents[INVOICE_AGENT]["records"]
    assert all(isinstance(t, pd.ArrowDtype) for t in records.dtypes)
    assert isinstance(frames.field_metadata.dtypes["bounding_boxes"], pd.ArrowDtype)


def test_garbage_collector_is_restored() -> None:
    """flatten_batch leaves the cyclic garbage collector as it found it, also when it raises."""
    assert gc.isenabled()
    flatten_batch(all_examples(), fetched_at=FETCHED_AT)
    assert gc.isenabled()
    gc.disable()
    try:
        flatten_batch([], fetched_at=FETCHED_AT)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(AttributeError):
        flatten_batch([object()], fetched_at=FETCHED_AT)  # type: ignore[list-item]
    assert gc.isenabled()
