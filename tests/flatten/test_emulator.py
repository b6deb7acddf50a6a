"""The flattener over the emulator's whole default data set: exact round trip, metadata coverage, goldens.

The data set is the one ``llamacloud-etl demo`` serves (400 runs, seed 0): four agents covering PER_DOC
with nested objects and arrays in arrays, PER_PAGE, PER_TABLE_ROW, nulls, empty arrays and unicode.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from llamacloud_etl.emulator import Dataset, build_dataset
from llamacloud_etl.flatten import FlattenedBatch, flatten_batch, rebuild_data
from llamacloud_etl.run import Run

from .payloads import FETCHED_AT, same_json, v1_run
from .test_golden import GOLDEN, snapshot

LEAF_KEYS = {"confidence", "extraction_confidence", "parsing_confidence", "citation"}


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    """The demo's data set."""
    return build_dataset()


@pytest.fixture(scope="module")
def runs(dataset: Dataset) -> list[Run]:
    """Every finished run of the data set, as the client would parse it and the v1 source normalise it."""
    return [v1_run(r) for r in dataset.runs if r["status"] in ("SUCCESS", "ERROR")]


@pytest.fixture(scope="module")
def batch(runs: list[Run], dataset: Dataset) -> FlattenedBatch:
    """The whole data set flattened as one batch."""
    names = {a["id"]: a["name"] for a in dataset.agents}
    return flatten_batch(runs, agent_names=names, fetched_at=FETCHED_AT)


def test_every_emulator_run_flattens_without_error(batch: FlattenedBatch, runs: list[Run]) -> None:
    """No run of the data set is a flatten error, and every finished run has its runs row."""
    assert batch.stats.flatten_errors == []
    assert batch.runs.num_rows == len(runs)


def test_every_success_run_rebuilds_exactly(batch: FlattenedBatch, runs: list[Run]) -> None:
    """rebuild_data gives back each SUCCESS run's data, with the same JSON types."""
    checked = 0
    for run in runs:
        if run.status != "SUCCESS":
            continue
        tables = {**batch.agents[run.agent_id].tables, "runs": batch.runs}
        rebuilt = rebuild_data(run.id, tables, run.data_schema, run.config.target)
        assert same_json(rebuilt, run.data), run.id
        checked += 1
    assert checked > 300


def _leaves(meta: Any, path: str, row: str, prefix: str) -> Iterator[tuple[str, str]]:
    """(field_path, data_row_id) of every leaf entry; ``prefix`` is the path since the row."""
    if isinstance(meta, dict):
        if LEAF_KEYS & meta.keys():
            yield path, row
            return
        for key, value in meta.items():
            if key == "reasoning" and isinstance(value, str):
                continue
            sub = f"{path}.{key}" if path else key
            yield from _leaves(value, sub, row, f"{prefix}.{key}" if prefix else key)
    elif isinstance(meta, list):
        for i, item in enumerate(meta):
            yield from _leaves(item, f"{path}[{i}]", f"{row}/{prefix}[{i}]", "")


def _expected_leaves(run: Run) -> set[tuple[int, str, str]]:
    fm = run.field_metadata
    per_record = fm if isinstance(fm, list) else [fm]
    out = set()
    for index, record in enumerate(per_record):
        if not isinstance(record, dict):
            continue
        body = {k: v for k, v in record.items() if k not in ("reasoning", "error")}
        for path, row in _leaves(body, "", f"{run.id}/{index}", ""):
            out.add((index, path, row))
    return out


def test_every_leaf_with_metadata_has_a_row_pointing_at_its_data_row(
    batch: FlattenedBatch, runs: list[Run]
) -> None:
    """Each leaf entry of field_metadata lands with its field_path and the _row_id holding the field."""
    rows = batch.field_metadata.select(["run_id", "record_index", "field_path", "data_row_id"]).to_pylist()
    landed: dict[str, set[tuple[int, str, str]]] = {}
    for r in rows:
        landed.setdefault(r["run_id"], set()).add((r["record_index"], r["field_path"], r["data_row_id"]))
    for run in runs:
        if run.status == "SUCCESS":
            expected = _expected_leaves(run)
            assert expected <= landed.get(run.id, set()), run.id


def test_every_data_row_id_is_a_landed_row(batch: FlattenedBatch) -> None:
    """field_metadata.data_row_id always names a row of a records or child table."""
    row_ids = {
        rid
        for agent in batch.agents.values()
        for t in agent.tables.values()
        for rid in t.column("_row_id").to_pylist()
    }
    targets = {r for r in batch.field_metadata.column("data_row_id").to_pylist() if r is not None}
    assert targets and targets <= row_ids


@pytest.mark.parametrize(
    "agent_name", ["Invoices", "Quarterly report pages", "Supplier price list rows", "Contracts"]
)
def test_emulator_golden(dataset: Dataset, agent_name: str) -> None:
    """Two SUCCESS runs of each agent flatten to the reviewed golden tables."""
    agent = dataset.agent_named(agent_name)
    picked = [r for r in dataset.runs_for_agent(agent["id"]) if r["status"] == "SUCCESS"][:2]
    runs = [v1_run(r) for r in picked]
    got = json.loads(
        json.dumps(
            snapshot(flatten_batch(runs, agent_names={agent["id"]: agent_name}, fetched_at=FETCHED_AT)),
            ensure_ascii=False,
        )
    )
    path = GOLDEN / f"emulator_{agent_name.lower().replace(' ', '_')}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run UPDATE_GOLDEN=1 pytest tests/flatten"
    assert got == json.loads(path.read_text(encoding="utf-8"))
