"""The runs table: one row per finished run, its columns, and the field_metadata schema."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone
from operator import itemgetter
from typing import Any
from unittest import mock

import pyarrow as pa
import pytest

from llamacloud_etl.flatten import FIELD_METADATA_SCHEMA, RUNS_SCHEMA, flatten_batch
from llamacloud_etl.flatten import runs as runs_module
from llamacloud_etl.flatten.schema import schema_hash
from llamacloud_etl.run import JobFacts

from .payloads import EXAMPLE_A, FETCHED_AT, INVOICE_AGENT, all_examples, make_run, obj, run_from
from .v2runs import job_a, make_v2_run

STR: dict[str, Any] = {"type": "string"}


def test_tables_have_the_fixed_schemas() -> None:
    """runs and field_metadata always have RUNS_SCHEMA and FIELD_METADATA_SCHEMA."""
    for runs in ([], all_examples()):
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


def _columns(names: tuple[str, ...]) -> contextlib.AbstractContextManager[object]:
    """Pretend the runs table has these columns (its names and the getter built from them)."""
    stack = contextlib.ExitStack()
    stack.enter_context(mock.patch.object(runs_module, "RUNS_COLUMNS", names))
    stack.enter_context(mock.patch.object(runs_module, "_in_schema_order", itemgetter(*names)))
    return stack


def test_runs_row_must_name_exactly_the_schema_columns() -> None:
    """A runs row naming a column that RUNS_SCHEMA lacks is refused, naming the column."""
    run = make_run(obj(a=STR), {"a": "x"})
    last = runs_module.RUNS_COLUMNS[-1]
    with _columns(runs_module.RUNS_COLUMNS[:-1]), pytest.raises(ValueError, match=f"'{last}'"):
        flatten_batch([run], fetched_at=FETCHED_AT)


def test_runs_row_must_give_every_schema_column() -> None:
    """A runs row missing a column of RUNS_SCHEMA is refused, naming the column."""
    run = make_run(obj(a=STR), {"a": "x"})
    with (
        _columns((*runs_module.RUNS_COLUMNS, "new_column")),
        pytest.raises(ValueError, match="'new_column'"),
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


V2_COLUMNS = (
    "api_version",
    "configuration_id",
    "file_input",
    "tier",
    "parse_tier",
    "parse_job_id",
    "credits",
    "extract_credits",
    "parse_credits",
    "num_pages_billed",
)
V1_ONLY_COLUMNS = (
    "job_id",
    "file_id",
    "file_name",
    "file_type",
    "file_size",
    "extraction_mode",
    "extract_model",
    "parse_model",
    "use_reasoning",
    "num_document_tokens",
    "num_output_tokens",
)


def test_v2_columns_come_last_in_order() -> None:
    """The columns added for v2 follow every earlier column, which keep their order."""
    assert RUNS_SCHEMA.names[-len(V2_COLUMNS) :] == list(V2_COLUMNS)
    assert RUNS_SCHEMA.names[: -len(V2_COLUMNS)][-1] == "data_shape"
    assert not RUNS_SCHEMA.field("api_version").nullable


def test_v1_rows_say_v1_and_leave_v2_columns_null() -> None:
    """A v1 run's row has api_version 'v1' and null in every v2-only column."""
    row = flatten_batch([run_from(EXAMPLE_A)], fetched_at=FETCHED_AT).runs.to_pylist()[0]
    assert row["api_version"] == "v1"
    assert [row[c] for c in V2_COLUMNS[1:]] == [None] * (len(V2_COLUMNS) - 1)


def test_v2_row_carries_job_facts_and_leaves_v1_columns_null() -> None:
    """A v2 job's row has its facts, usage and own status word; v1-only columns are null."""
    run = job_a()
    row = flatten_batch([run], fetched_at=FETCHED_AT).runs.to_pylist()[0]
    assert {c: row[c] for c in V2_COLUMNS} == {
        "api_version": "v2",
        "configuration_id": "cfg-7Q2M9X4KJ8",
        "file_input": "dfl-4f1e2a7c9b",
        "tier": "agentic",
        "parse_tier": "agentic",
        "parse_job_id": "pjb-8c2d4e6f1a",
        "credits": 30.0,
        "extract_credits": 15.0,
        "parse_credits": 15.0,
        "num_pages_billed": 2,
    }
    assert [row[c] for c in V1_ONLY_COLUMNS] == [None] * len(V1_ONLY_COLUMNS)
    assert (row["status"], row["extraction_target"], row["num_pages_extracted"]) == (
        "COMPLETED",
        "PER_DOC",
        1,
    )
    assert json.loads(row["config"])["extraction_target"] == "per_doc"
    assert (row["record_count"], row["data_shape"], row["metadata_error"]) == (1, "object", None)


def test_v2_failed_and_inline_jobs() -> None:
    """A failed v2 job lands with its error; an inline configuration and unbilled job leave nulls."""
    facts = JobFacts(file_input="pjb-0000000001")
    run = make_v2_run(obj(a=STR), None, status="FAILED", error="boom", facts=facts, usage={})
    row = flatten_batch([run], fetched_at=FETCHED_AT).runs.to_pylist()[0]
    assert (row["status"], row["error"], row["record_count"]) == ("FAILED", "boom", 0)
    assert (row["configuration_id"], row["file_input"], row["credits"], row["num_pages_billed"]) == (
        None,
        "pjb-0000000001",
        None,
        None,
    )
