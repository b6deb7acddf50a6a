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

from .payloads import EXAMPLE_A, FETCHED_AT, INVOICE_AGENT, all_examples, make_run, obj, run_from

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
    with _columns(runs_module.RUNS_COLUMNS[:-1]), pytest.raises(ValueError, match="'data_shape'"):
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
