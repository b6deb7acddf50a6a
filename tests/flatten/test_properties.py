"""Properties: conforming documents round-trip exactly; arbitrary input never escapes FlattenError."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from llamacloud_etl.flatten import FlattenError, flatten_batch, flatten_run, rebuild_data
from llamacloud_etl.flatten.naming import MAX_NAME_LENGTH, render_path

from .payloads import FETCHED_AT, make_run, same_json
from .strategies import FLATTEN_SETTINGS, any_metadata, fuzz_cases, schemas_with_documents

SQL_SAFE = re.compile(r"^[a-z_][a-z0-9_]*$")


def _rebuild(batch: Any, run: Any) -> Any:
    tables = {**batch.agents[run.agent_id].tables, "runs": batch.runs}
    return rebuild_data(run.id, tables, run.data_schema, run.config.target)


@FLATTEN_SETTINGS
@given(case=schemas_with_documents())
def test_conforming_documents_round_trip_exactly(case: tuple[dict[str, Any], str, Any]) -> None:
    """A document that conforms to its schema flattens with nothing off-schema and rebuilds exactly."""
    schema, target, data = case
    run = make_run(schema, data, target=target)
    batch = flatten_batch([run], fetched_at=FETCHED_AT)
    assert batch.stats.flatten_errors == []
    assert batch.stats.off_schema_values == 0
    assert same_json(_rebuild(batch, run), data)


@FLATTEN_SETTINGS
@given(case=schemas_with_documents())
def test_generated_names_are_sql_safe(case: tuple[dict[str, Any], str, Any]) -> None:
    """Every table and column name a generated schema yields is short, unique and SQL-safe."""
    schema, target, data = case
    batch = flatten_batch([make_run(schema, data, target=target)], fetched_at=FETCHED_AT)
    for agent in batch.agents.values():
        for name, table in agent.tables.items():
            assert SQL_SAFE.match(name), name
            assert len(name) <= MAX_NAME_LENGTH
            assert len(set(table.column_names)) == table.num_columns
            for column in table.column_names:
                assert SQL_SAFE.match(column), column
                assert len(column) <= MAX_NAME_LENGTH


@FLATTEN_SETTINGS
@given(case=fuzz_cases(), field_metadata=any_metadata)
def test_arbitrary_input_flattens_or_raises_flatten_error(
    case: tuple[Any, Any, str], field_metadata: Any
) -> None:
    """Any JSON schema, data and metadata either flatten (and rebuild exactly) or raise one FlattenError."""
    schema, data, target = case
    run = make_run(schema, data, target=target, field_metadata=field_metadata, run_id="fuzz")
    try:
        flat = flatten_run(run)
    except FlattenError as exc:
        error = exc
    else:
        assert same_json(rebuild_data("fuzz", flat.tables, schema, target), _expected(data, target))
        return
    assert error.run_id == "fuzz"
    assert isinstance(error.path, str)
    assert not error.reason.startswith("internal error"), error.reason


def _expected(data: Any, target: str) -> Any:
    """What rebuild_data gives without the runs table (see its docstring)."""
    if target in ("PER_PAGE", "PER_TABLE_ROW"):
        return [data] if isinstance(data, dict) else data if data is not None else []
    if isinstance(data, list) and len(data) == 1:
        return data[0]
    return None if data == [] else data


@FLATTEN_SETTINGS
@given(
    runs=st.lists(st.tuples(fuzz_cases(), any_metadata), min_size=1, max_size=4),
    statuses=st.lists(st.sampled_from(["SUCCESS", "SUCCESS", "ERROR", "PENDING"]), min_size=4, max_size=4),
)
def test_batch_of_arbitrary_runs_never_raises(
    runs: list[tuple[tuple[Any, Any, str], Any]], statuses: list[str]
) -> None:
    """A batch of arbitrary runs of one agent never raises; every landed run rebuilds exactly."""
    models = [
        make_run(schema, data, target=target, field_metadata=fm, status=status)
        for ((schema, data, target), fm), status in zip(runs, statuses, strict=False)
    ]
    batch = flatten_batch(models, fetched_at=FETCHED_AT)
    assert batch.stats.runs_success + batch.stats.runs_error + batch.stats.runs_pending == len(models)
    failed = {e.run_id for e in batch.stats.flatten_errors}
    assert not any(e.reason.startswith("internal error") for e in batch.stats.flatten_errors)
    for run in models:
        if run.status == "SUCCESS" and run.id not in failed:
            assert same_json(_rebuild(batch, run), run.data)


def _mirror(value: Any, parts: list[str | int], leaves: list[list[str | int]]) -> Any:
    """field_metadata mirroring a document: a confidence leaf for every scalar, null or empty list."""
    if isinstance(value, dict):
        return {k: _mirror(v, [*parts, k], leaves) for k, v in value.items()}
    if isinstance(value, list) and value:
        return [_mirror(v, [*parts, i], leaves) for i, v in enumerate(value)]
    leaves.append(parts)
    return {"confidence": 0.5}


def _holder_candidates(base: str, parts: list[str | int]) -> list[str]:
    """Row IDs that could hold a field: the record, then each array item on its path, outermost first."""
    candidates, row = [base], base
    keys: list[str] = []
    for part in parts:
        if isinstance(part, int):
            row = f"{row}/{render_path(keys)}[{part}]"
            candidates.append(row)
            keys = []
        else:
            keys.append(part)
    return candidates


@FLATTEN_SETTINGS
@given(case=schemas_with_documents())
def test_every_leaf_with_metadata_is_linked_to_its_row(case: tuple[dict[str, Any], str, Any]) -> None:
    """Each metadata leaf gives one row whose data_row_id is the innermost landed row on its path."""
    schema, target, data = case
    records = data if isinstance(data, list) else [data]
    expected: list[tuple[int, list[str | int]]] = []
    field_metadata = []
    for index, record in enumerate(records):
        leaves: list[list[str | int]] = []
        field_metadata.append(_mirror(record, [], leaves))
        expected += [(index, parts) for parts in leaves]
    run = make_run(
        schema,
        data,
        target=target,
        field_metadata=field_metadata if isinstance(data, list) else field_metadata[0],
    )
    batch = flatten_batch([run], fetched_at=FETCHED_AT)
    row_ids = {r for t in batch.agents[run.agent_id].tables.values() for r in t.column("_row_id").to_pylist()}
    rows = batch.field_metadata.to_pylist()
    assert [(r["record_index"], r["field_path"]) for r in rows] == [(i, render_path(p)) for i, p in expected]
    for row, (index, parts) in zip(rows, expected, strict=True):
        landed = [c for c in _holder_candidates(f"{run.id}/{index}", parts) if c in row_ids]
        assert row["data_row_id"] == landed[-1]
