"""Golden tests: every table of a batch, as JSON, against tests/flatten/golden/<case>.json.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest tests/flatten`` and review the diff.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from llamacloud_etl.flatten import FlattenedBatch, flatten_batch, rebuild_data

from .cases import CASES
from .payloads import FETCHED_AT, same_json

GOLDEN = Path(__file__).parent / "golden"
NAMES = {"c47a1e90-58d3-4b2f-a6e1-09f3d7b2c814": "Invoices"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _dump(table: pa.Table) -> dict[str, Any]:
    return {"schema": [f"{f.name}: {f.type}" for f in table.schema], "rows": _plain(table.to_pylist())}


def snapshot(batch: FlattenedBatch) -> dict[str, Any]:
    """Everything a batch holds, as plain JSON."""
    stats = batch.stats
    return {
        "stats": {
            "runs_success": stats.runs_success,
            "runs_error": stats.runs_error,
            "runs_pending": stats.runs_pending,
            "records": stats.records,
            "off_schema_values": stats.off_schema_values,
            "flatten_errors": [str(e) for e in stats.flatten_errors],
            "schema_conflicts": [str(c) for c in stats.schema_conflicts],
        },
        "runs": _dump(batch.runs),
        "field_metadata": _dump(batch.field_metadata),
        "agents": {
            agent_id: {name: _dump(table) for name, table in agent.tables.items()}
            for agent_id, agent in batch.agents.items()
        },
    }


@pytest.mark.parametrize("case", list(CASES))
def test_golden(case: str) -> None:
    """The batch's tables equal the reviewed golden file."""
    batch = flatten_batch(CASES[case](), agent_names=NAMES, fetched_at=FETCHED_AT)
    got = json.loads(json.dumps(snapshot(batch), ensure_ascii=False))
    path = GOLDEN / f"{case}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run UPDATE_GOLDEN=1 pytest tests/flatten"
    assert got == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", list(CASES))
def test_golden_cases_round_trip(case: str) -> None:
    """Every SUCCESS run of the golden cases rebuilds to exactly its data."""
    runs = CASES[case]()
    batch = flatten_batch(runs, fetched_at=FETCHED_AT)
    for run in runs:
        tables = {**batch.agents[run.agent_id].tables, "runs": batch.runs}
        rebuilt = rebuild_data(run.id, tables, run.data_schema, run.config.target)
        assert same_json(rebuilt, run.data), run.id
