"""Pass 1 of a batch: schema digests and each agent's layout over its stored tables."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from llamacloud_etl.flatten import flatten_batch
from llamacloud_etl.flatten.schema import schema_hash

from .payloads import FETCHED_AT, make_run, obj

STR: dict[str, Any] = {"type": "string"}


def test_schemas_equal_in_python_but_not_in_json_get_their_own_hashes() -> None:
    """``1`` and ``true`` compare equal in Python; in one batch, their schemas still hash apart."""
    one = obj(a={"type": "integer", "default": 1})
    true = obj(a={"type": "integer", "default": True})
    assert one == true
    runs = [make_run(one, {"a": 1}), make_run(true, {"a": 1}), make_run(one, {"a": 2})]
    hashes = flatten_batch(runs, fetched_at=FETCHED_AT).runs.column("data_schema_hash").to_pylist()
    assert hashes == [schema_hash(one), schema_hash(true), schema_hash(one)]
    assert hashes[0] != hashes[1]


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
