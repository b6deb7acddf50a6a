"""rebuild_data: a run's data back from its tables, from Arrow or pandas, with or without runs."""

from __future__ import annotations

from typing import Any

import pytest

from llamacloud_etl.flatten import flatten_batch, rebuild_data

from .payloads import FETCHED_AT, all_examples, make_run, obj

STR: dict[str, Any] = {"type": "string"}


def test_rebuild_from_dataframes() -> None:
    """rebuild_data accepts the batch's DataFrames as well as its Arrow tables."""
    runs = all_examples()
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
