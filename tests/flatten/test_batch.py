"""flatten_batch: the runs table, statuses, failures, the full table set, pandas output."""

from __future__ import annotations

import gc
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest import mock

import pandas as pd
import pyarrow as pa
import pytest

from llamacloud_etl.errors import RunNotReadyError
from llamacloud_etl.flatten import (
    FIELD_METADATA_SCHEMA,
    RUNS_SCHEMA,
    FlattenError,
    flatten_batch,
    flatten_run,
    rebuild_data,
)
from llamacloud_etl.flatten import runs as runs_module
from llamacloud_etl.flatten.records import RecordWalker
from llamacloud_etl.flatten.schema import schema_hash

from .payloads import (
    EXAMPLE_A,
    EXAMPLE_B,
    EXAMPLE_C,
    EXAMPLE_D,
    FETCHED_AT,
    INVOICE_AGENT,
    data_of,
    make_run,
    obj,
    run_from,
)

STR: dict[str, Any] = {"type": "string"}


def _all_examples() -> list[Any]:
    return [run_from(p) for p in (EXAMPLE_A, EXAMPLE_B, EXAMPLE_C, EXAMPLE_D)]


def test_tables_have_the_fixed_schemas() -> None:
    """runs and field_metadata always have RUNS_SCHEMA and FIELD_METADATA_SCHEMA."""
    for runs in ([], _all_examples()):
        batch = flatten_batch(runs, fetched_at=FETCHED_AT)
        assert batch.runs.schema.equals(RUNS_SCHEMA)
        assert batch.field_metadata.schema.equals(FIELD_METADATA_SCHEMA)


def test_runs_row_of_example_a() -> None:
    """The runs row carries ids, file, config, usage, counts and the schema hash."""
    run = run_from(EXAMPLE_A)
    row = flatten_batch(
        [run], agent_names={INVOICE_AGENT: "Invoices"}, fetched_at=FETCHED_AT
    ).runs.to_pylist()[0]
    assert row["agent_name"] == "Invoices"
    assert (row["file_name"], row["file_type"], row["file_size"]) == ("INV-2025-0412.pdf", "pdf", 184213)
    assert (row["extraction_target"], row["extraction_mode"], row["cite_sources"], row["use_reasoning"]) == (
        "PER_DOC",
        "PREMIUM",
        True,
        False,
    )
    assert (row["num_pages_extracted"], row["num_document_tokens"], row["num_output_tokens"]) == (
        1,
        1187,
        214,
    )
    assert (row["record_count"], row["off_schema_count"], row["flatten_error"], row["data_shape"]) == (
        1,
        0,
        None,
        "object",
    )
    assert row["data_schema_hash"] == schema_hash(EXAMPLE_A["data_schema"])
    assert len(row["data_schema_hash"]) == 16
    assert row["created_at"] == datetime(2025, 6, 12, 14, 3, 27, 481000, tzinfo=UTC)
    assert row["fetched_at"] == FETCHED_AT


def test_runs_row_must_name_exactly_the_schema_columns() -> None:
    """A runs row naming a column that RUNS_SCHEMA lacks is refused, naming the column."""
    run = make_run(obj(a=STR), {"a": "x"})
    with (
        mock.patch.object(runs_module, "RUNS_COLUMNS", runs_module.RUNS_COLUMNS[:-1]),
        pytest.raises(ValueError, match="'data_shape'"),
    ):
        flatten_batch([run], fetched_at=FETCHED_AT)


def test_config_json_is_computed_once_per_run_config() -> None:
    """Runs sharing one RunConfig share its runs.config text, computed once."""
    first, second = make_run(obj(a=STR), {"a": "x"}), make_run(obj(a=STR), {"a": "y"})
    assert first.config is second.config
    runs_module.config_json.cache_clear()
    configs = flatten_batch([first, second], fetched_at=FETCHED_AT).runs.column("config").to_pylist()
    assert configs[0] is not None and configs[0] == configs[1]
    assert json.loads(configs[0])["extraction_target"] == "PER_DOC"
    assert runs_module.config_json.cache_info().misses == 1


def test_config_is_sorted_json_with_unknown_keys() -> None:
    """runs.config is the whole config as JSON with sorted keys, unknown keys included."""
    run = make_run(obj(a=STR), {"a": "x"}, config={"extraction_target": "PER_DOC", "zz_new_flag": True})
    config = flatten_batch([run], fetched_at=FETCHED_AT).runs.column("config").to_pylist()[0]
    assert isinstance(config, str)
    parsed = json.loads(config)
    assert parsed["zz_new_flag"] is True
    assert list(parsed) == sorted(parsed)


def test_schema_hash_ignores_key_order() -> None:
    """The data_schema_hash is the same for the same schema written in another key order."""
    assert schema_hash({"type": "object", "properties": {"a": STR}}) == schema_hash(
        {"properties": {"a": STR}, "type": "object"}
    )


def test_schemas_equal_in_python_but_not_in_json_get_their_own_hashes() -> None:
    """``1`` and ``true`` compare equal in Python; in one batch, their schemas still hash apart."""
    one = obj(a={"type": "integer", "default": 1})
    true = obj(a={"type": "integer", "default": True})
    assert one == true
    runs = [make_run(one, {"a": 1}), make_run(true, {"a": 1}), make_run(one, {"a": 2})]
    hashes = flatten_batch(runs, fetched_at=FETCHED_AT).runs.column("data_schema_hash").to_pylist()
    assert hashes == [schema_hash(one), schema_hash(true), schema_hash(one)]
    assert hashes[0] != hashes[1]


def test_timestamps_are_utc_microseconds() -> None:
    """Timestamps are timestamp[us, UTC]; other offsets and naive values are converted."""
    plus_two = timezone(timedelta(hours=2))
    run = make_run(
        obj(a=STR),
        None,
        created_at=datetime(2025, 1, 1, 12, tzinfo=plus_two),
        updated_at=datetime(2025, 1, 1, 12),
    )
    row = flatten_batch([run], fetched_at=datetime(2025, 1, 2)).runs.to_pylist()[0]
    assert row["created_at"] == datetime(2025, 1, 1, 10, tzinfo=UTC)
    assert row["updated_at"] == datetime(2025, 1, 1, 12, tzinfo=UTC)
    assert RUNS_SCHEMA.field("created_at").type == pa.timestamp("us", tz="UTC")


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


def test_stored_tables_missing_from_the_batch_schemas_appear() -> None:
    """Tables known only from stored schemas still appear for the agent, empty."""
    run = make_run(obj(a=STR), {"a": "x"})
    old = pa.schema([pa.field(name, pa.string()) for name in ("run_id", "_row_id", "gone")])
    batch = flatten_batch([run], fetched_at=FETCHED_AT, table_schemas={(run.agent_id, "records__old"): old})
    assert batch.agents[run.agent_id].tables["records__old"].num_rows == 0


def test_partition_column_in_stored_schema_is_ignored() -> None:
    """A run_date column in a stored schema (the partition key) never becomes a column of ours."""
    run = make_run(obj(a=STR), {"a": "x"})
    fields: list[pa.Field[Any]] = [pa.field("run_id", pa.string()), pa.field("run_date", pa.date32())]
    stored = pa.schema(fields)
    batch = flatten_batch([run], fetched_at=FETCHED_AT, table_schemas={(run.agent_id, "records"): stored})
    assert "run_date" not in batch.agents[run.agent_id].tables["records"].schema.names


def test_stored_bookkeeping_column_with_foreign_type_is_replaced() -> None:
    """A stored schema giving _row_id another type is overridden by ours and reported."""
    run = make_run(obj(a=STR), {"a": "x"})
    stored = pa.schema([("_row_id", pa.int64())])
    batch = flatten_batch([run], fetched_at=FETCHED_AT, table_schemas={(run.agent_id, "records"): stored})
    assert batch.agents[run.agent_id].tables["records"].schema.field("_row_id").type == pa.string()
    assert [c.resolution for c in batch.stats.schema_conflicts] == ["replaced"]


def test_duplicate_run_ids_keep_the_last_copy() -> None:
    """A run ID given twice lands once, from its last copy."""
    first = make_run(obj(a=STR), {"a": "old"}, run_id="dup")
    second = make_run(obj(a=STR), {"a": "new"}, run_id="dup")
    batch = flatten_batch([first, second], fetched_at=FETCHED_AT)
    assert batch.runs.num_rows == 1
    assert batch.agents[first.agent_id].tables["records"].column("a").to_pylist() == ["new"]


def test_agents_are_kept_apart() -> None:
    """Each agent gets its own tables, and field_metadata carries each row's agent."""
    batch = flatten_batch(_all_examples(), fetched_at=FETCHED_AT)
    assert len(batch.agents) == 3
    assert set(batch.field_metadata.column("extraction_agent_id").to_pylist()) == {
        EXAMPLE_A["extraction_agent_id"],
        EXAMPLE_B["extraction_agent_id"],
        EXAMPLE_C["extraction_agent_id"],
    }


def test_to_pandas_uses_arrow_dtypes() -> None:
    """to_pandas gives DataFrames with ArrowDtype columns for every table."""
    frames = flatten_batch(_all_examples(), fetched_at=FETCHED_AT).to_pandas()
    assert isinstance(frames.runs.dtypes["file_size"], pd.ArrowDtype)
    assert str(frames.runs.dtypes["created_at"].pyarrow_dtype) == "timestamp[us, tz=UTC]"
    records = frames.agents[INVOICE_AGENT]["records"]
    assert all(isinstance(t, pd.ArrowDtype) for t in records.dtypes)
    assert isinstance(frames.field_metadata.dtypes["bounding_boxes"], pd.ArrowDtype)


def test_rebuild_from_dataframes() -> None:
    """rebuild_data accepts the batch's DataFrames as well as its Arrow tables."""
    runs = _all_examples()
    frames = flatten_batch(runs, fetched_at=FETCHED_AT).to_pandas()
    for run in runs:
        tables = {**frames.agents[run.agent_id], "runs": frames.runs}
        assert rebuild_data(run.id, tables, run.data_schema, run.config.target) == run.data


def test_rebuild_without_runs_table_uses_the_target() -> None:
    """Without the runs table, no records rebuild as None for PER_DOC and [] for list targets."""
    doc = make_run(obj(a=STR), None)
    rows = make_run(obj(a=STR), [], target="PER_TABLE_ROW")
    batch = flatten_batch([doc, rows], fetched_at=FETCHED_AT)
    tables = batch.agents[doc.agent_id].tables
    assert rebuild_data(doc.id, tables, doc.data_schema, "PER_DOC") is None
    assert rebuild_data(rows.id, tables, rows.data_schema, "PER_TABLE_ROW") == []


@pytest.mark.parametrize(
    ("target", "data"),
    [
        pytest.param("PER_DOC", [{"a": "x"}], id="per-doc-one-item-list"),
        pytest.param("PER_DOC", [], id="per-doc-empty-list"),
        pytest.param("PER_PAGE", {"a": "x"}, id="per-page-object"),
        pytest.param("PER_PAGE", None, id="per-page-null"),
    ],
)
def test_rebuild_with_runs_table_is_exact_for_odd_shapes(target: str, data: Any) -> None:
    """With the runs table, data whose shape does not match the target rebuilds exactly."""
    run = make_run(obj(a=STR), data, target=target)
    batch = flatten_batch([run], fetched_at=FETCHED_AT)
    tables = {**batch.agents[run.agent_id].tables, "runs": batch.runs}
    assert rebuild_data(run.id, tables, run.data_schema, target) == data


def test_garbage_collector_is_restored() -> None:
    """flatten_batch leaves the cyclic garbage collector as it found it, also when it raises."""
    assert gc.isenabled()
    flatten_batch(_all_examples(), fetched_at=FETCHED_AT)
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
