"""A root holding runs files written before the v2 columns existed still reads, queries and re-lands."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from flatten.payloads import OWN_AGENT, make_run, obj
from flatten.v2runs import job_a

from llamacloud_etl.flatten import RUNS_SCHEMA, flatten_batch
from llamacloud_etl.landing.readback import read_back
from llamacloud_etl.landing.writer import DayWriter
from llamacloud_etl.query import demo_summary, run_query
from llamacloud_etl.run import Agent, Run
from llamacloud_etl.storage import RUNS_TABLE, ParquetStore

V2_COLUMNS = RUNS_SCHEMA.names[RUNS_SCHEMA.get_field_index("api_version") :]
OLD_DAY, NEW_DAY = date(2025, 6, 12), date(2026, 4, 14)
FIRST_FETCH, LATER_FETCH = datetime(2025, 6, 13, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
# Storage slugs still take UUIDs only; the v2 source's agent IDs are another change's business.
V2_AGENT = "a0a0a0a0-1111-4222-8333-444455556666"
AGENTS = [Agent(OWN_AGENT, "Own"), Agent(V2_AGENT, "Invoices v2", api_version="v2")]


@pytest.fixture
def old_run() -> Run:
    """A v1 run of the old day."""
    return make_run(obj(a={"type": "string"}), {"a": "x"}, run_id="r-old")


@pytest.fixture
def store(tmp_path: Path, old_run: Run) -> ParquetStore:
    """A root whose old day's runs file lacks the v2 columns, and whose new day holds a v2 job."""
    store = ParquetStore(str(tmp_path / "lake"))
    old = flatten_batch([old_run], fetched_at=FIRST_FETCH).runs.drop_columns(V2_COLUMNS)
    store.replace_day(OLD_DAY, {(RUNS_TABLE, OWN_AGENT): old})
    DayWriter(store, AGENTS, LATER_FETCH, 0.5).write(NEW_DAY, [job_a(agent_id=V2_AGENT)])
    assert "api_version" not in (store.day_schema(RUNS_TABLE, OLD_DAY) or RUNS_SCHEMA).names
    return store


def test_reading_old_and_new_days_fills_new_columns_with_nulls(store: ParquetStore) -> None:
    """Reading both days gives every column; the old day's v2 columns (api_version too) are null."""
    table = store.read_table(RUNS_TABLE)
    assert table.column_names == RUNS_SCHEMA.names
    rows = {r["run_id"]: r for r in table.to_pylist()}
    assert rows["r-old"]["api_version"] is None and rows["r-old"]["credits"] is None
    assert (rows["ext-a1b2c3d4e5"]["api_version"], rows["ext-a1b2c3d4e5"]["credits"]) == ("v2", 30.0)
    picked = store.read_table(RUNS_TABLE, columns=["run_id", "api_version"])
    assert picked.column("api_version").to_pylist().count(None) == 1


def test_duckdb_views_union_old_and_new_days_by_name(store: ParquetStore) -> None:
    """The runs view reads both days; the old day's new columns are NULL; the summary works."""
    rows = run_query(
        store.path, "SELECT run_id, api_version, num_pages_billed FROM runs ORDER BY run_date"
    ).to_pylist()
    assert rows == [
        {"run_id": "r-old", "api_version": None, "num_pages_billed": None},
        {"run_id": "ext-a1b2c3d4e5", "api_version": "v2", "num_pages_billed": 2},
    ]
    assert "runs" in demo_summary(store.path)


def test_relanding_the_old_day_keeps_fetched_at_and_reads_back(store: ParquetStore, old_run: Run) -> None:
    """Re-landing an unchanged run of an old-schema day keeps its first fetched_at; read-back counts it."""
    result = DayWriter(store, AGENTS, LATER_FETCH, 0.5).write(OLD_DAY, [old_run])
    row = store.read_table(RUNS_TABLE, days=[OLD_DAY]).to_pylist()[0]
    assert (row["fetched_at"], row["api_version"]) == (FIRST_FETCH, "v1")
    found = read_back(store, [result])
    assert (found.runs_read, found.duplicate_run_ids, found.missing_success) == (1, 0, [])
    assert pa.types.is_string(store.read_table(RUNS_TABLE).schema.field("api_version").type)
