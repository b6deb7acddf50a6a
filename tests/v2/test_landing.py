"""End to end over loopback: v2 jobs, alone and beside v1 runs, land in the same tables; DuckDB reads them."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from flatten.payloads import same_json

from llamacloud_etl.emulator import EmulatorApp, EmulatorServer
from llamacloud_etl.flatten import rebuild_data, rebuild_field_metadata
from llamacloud_etl.query import open_dataset
from llamacloud_etl.storage import ParquetStore, agent_slug

from .helpers import API_KEY, BOTH, LANDED, LAST, UNFINISHED, V2_ONLY, Landed, land, served_v2_jobs

V1_ONLY = (
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
V2_ONLY_COLUMNS = ("configuration_id", "file_input", "tier", "credits", "extract_credits", "num_pages_billed")


def _sql(lake: Path, query: str) -> list[tuple[Any, ...]]:
    con = open_dataset(str(lake))
    try:
        return con.sql(query).fetchall()
    finally:
        con.close()


def _ids(jobs: dict[str, dict[str, Any]], statuses: tuple[str, ...]) -> set[str]:
    return {job_id for job_id, job in jobs.items() if job["status"] in statuses}


def _landed_versions(lake: Path) -> dict[str, tuple[str, int]]:
    rows = _sql(lake, "SELECT run_id, any_value(api_version), count(*) FROM runs GROUP BY run_id")
    return {run_id: (version, n) for run_id, version, n in rows}


@pytest.fixture(params=["v2", "both"])
def landed(request: pytest.FixtureRequest) -> Landed:
    """The v2-only landing, then the both-version one."""
    return request.getfixturevalue(f"{request.param}_landed")  # type: ignore[no-any-return]


def test_every_finished_v2_job_lands_once_as_v2(landed: Landed) -> None:
    """Each COMPLETED, FAILED and CANCELLED job is one runs row with api_version 'v2' and its own status."""
    versions = _landed_versions(landed.lake)
    finished = _ids(landed.jobs, LANDED)
    assert {"COMPLETED", "FAILED", "CANCELLED"} <= {landed.jobs[i]["status"] for i in finished}
    assert {i: versions.get(i) for i in finished} == dict.fromkeys(finished, ("v2", 1))
    statuses = dict(_sql(landed.lake, "SELECT run_id, status FROM runs WHERE api_version = 'v2'"))
    assert statuses == {i: landed.jobs[i]["status"] for i in finished}


def test_every_v1_run_of_the_both_landing_lands_once_as_v1(both_landed: Landed) -> None:
    """Beside the v2 jobs, each SUCCESS and ERROR v1 run of the history is one row with api_version 'v1'."""
    versions = _landed_versions(both_landed.lake)
    finished = {r["id"] for r in BOTH.runs if r["status"] in ("SUCCESS", "ERROR")}
    assert finished and {i: versions.get(i) for i in finished} == dict.fromkeys(finished, ("v1", 1))
    assert len(versions) == len(finished) + len(_ids(both_landed.jobs, LANDED))


def test_unfinished_jobs_are_counted_pending_and_not_landed(landed: Landed) -> None:
    """PENDING, RUNNING and THROTTLED jobs are the report's pending IDs, and no runs row."""
    unfinished = _ids(landed.jobs, UNFINISHED)
    assert {landed.jobs[i]["status"] for i in unfinished} == set(UNFINISHED)
    pending = {i for day in landed.report.days for i in day.pending_ids}
    assert unfinished <= pending and not unfinished & _landed_versions(landed.lake).keys()


def test_v2_rows_carry_the_v2_facts(landed: Landed) -> None:
    """configuration_id (null for inline jobs), file_input, tier and credits (COMPLETED) are the job's own."""
    rows = _sql(
        landed.lake,
        "SELECT run_id, configuration_id, file_input, tier, credits FROM runs WHERE api_version = 'v2'",
    )
    got = {r[0]: r[1:] for r in rows}
    expected = {
        i: (j["configuration_id"], j["file_input"], j["configuration"]["tier"], j["usage"]["credits"])
        for i, j in landed.jobs.items()
        if i in got
    }
    assert got == expected
    assert any(c is None for c, *_ in got.values()) and any(c is not None for c, *_ in got.values())
    assert all(f is not None and t is not None for _, f, t, _ in got.values())
    assert all(got[i][3] is not None for i in _completed(landed))  # a finished job without usage has none


def test_v1_only_columns_are_null_for_v2_rows(landed: Landed) -> None:
    """No v2 row has a value in a column only v1 runs have."""
    filled = " + ".join(f"count({c})" for c in V1_ONLY)
    assert _sql(landed.lake, f"SELECT {filled} FROM runs WHERE api_version = 'v2'") == [(0,)]


def test_v2_only_columns_are_null_for_v1_rows(both_landed: Landed) -> None:
    """No v1 row has a value in a column only v2 jobs have, and v1 rows do fill their own."""
    filled = " + ".join(f"count({c})" for c in V2_ONLY_COLUMNS)
    assert _sql(both_landed.lake, f"SELECT {filled} FROM runs WHERE api_version = 'v1'") == [(0,)]
    assert _sql(both_landed.lake, "SELECT count(*) = count(job_id) FROM runs WHERE api_version = 'v1'") == [
        (True,)
    ]


def test_inline_jobs_land_in_the_inline_schema_agent_folder(landed: Landed) -> None:
    """Jobs run with an inline configuration have their records under agents/inline-schema-<8 hex>."""
    inline = {i for i, j in _completed(landed).items() if j["configuration_id"] is None}
    folders = _sql(
        landed.lake,
        "SELECT DISTINCT regexp_extract(filename, 'agents/([^/]+)/records/', 1) AS folder, run_id "
        "FROM read_parquet('" + str(landed.lake) + "/agents/*/records/**/*.parquet', filename=true)",
    )
    where = {run_id: folder for folder, run_id in folders if run_id in inline}
    assert inline and where.keys() == inline
    assert all(f.startswith("inline-schema-") and len(f) == len("inline-schema-") + 8 for f in where.values())


def _completed(landed: Landed) -> dict[str, dict[str, Any]]:
    return {i: j for i, j in landed.jobs.items() if j["status"] == "COMPLETED"}


def _record_count(data: Any) -> int:
    return len(data) if isinstance(data, list) else int(data is not None)


def test_records_join_runs_across_versions_in_duckdb(landed: Landed) -> None:
    """One query joining every agent's records to runs counts each version's records as the API holds them."""
    lake, options = landed.lake, "union_by_name=true, hive_partitioning=true"
    rows = _sql(
        lake,
        f"""
        SELECT r.api_version, count(*)
        FROM read_parquet('{lake}/agents/*/records/**/*.parquet', {options}) AS rec
        JOIN read_parquet('{lake}/runs/**/*.parquet', {options}) AS r
          ON rec.run_id = r.run_id AND rec.run_date = r.run_date
        GROUP BY r.api_version
        """,
    )
    expected = Counter({"v2": sum(_record_count(j["extract_result"]) for j in _completed(landed).values())})
    v1 = sum(_record_count(r["data"]) for r in landed.dataset.runs if r["status"] == "SUCCESS")
    if v1:
        expected["v1"] = v1
    assert dict(rows) == dict(expected)


def _agent_tables(store: ParquetStore) -> dict[str, dict[str, pa.Table]]:
    """Each agent's tables (records, records__...) by agent ID, read back from the lake."""
    runs = store.read_table("runs", columns=["extraction_agent_id", "agent_name"])
    names = dict(zip(runs["extraction_agent_id"].to_pylist(), runs["agent_name"].to_pylist(), strict=True))
    tables = store.list_tables()
    out = {}
    for agent, name in names.items():
        folder = f"agents/{agent_slug(name, agent)}/"
        out[agent] = {t.removeprefix(folder): store.read_table(t) for t in tables if t.startswith(folder)}
    return out


def _within_limits(meta: Any) -> Any:
    """The metadata as ``flatten.rebuild_metadata`` can rebuild it: empty nested arrays and objects
    (``"taxes": []`` for an empty array field) have no rows, so they are outside its stated limits."""
    if isinstance(meta, dict):
        return {k: _within_limits(v) for k, v in meta.items() if k == "citation" or v not in ([], {})}
    if isinstance(meta, list):
        return [_within_limits(item) for item in meta]
    return meta


def test_every_completed_job_rebuilds_exactly_from_the_lake(landed: Landed) -> None:
    """Each COMPLETED job's extract_result and extract_metadata.field_metadata come back from the tables."""
    store = ParquetStore(str(landed.lake))
    runs, field_metadata = store.read_table("runs"), store.read_table("field_metadata")
    agents = _agent_tables(store)
    agent_of = dict(zip(runs["run_id"].to_pylist(), runs["extraction_agent_id"].to_pylist(), strict=True))
    completed = _completed(landed)
    for job_id, job in completed.items():
        config = job["configuration"]
        tables = {**agents[agent_of[job_id]], "runs": runs}
        data = rebuild_data(job_id, tables, config["data_schema"], config["extraction_target"].upper())
        assert same_json(data, job["extract_result"]), job_id
        meta = rebuild_field_metadata(job_id, {"runs": runs, "field_metadata": field_metadata})
        assert same_json(meta, _within_limits(job["extract_metadata"]["field_metadata"])), job_id
    assert len(completed) > 30


def test_jobs_that_finish_later_land_on_the_next_landing(tmp_path: Path) -> None:
    """Unfinished jobs completed in the emulator land, as v2 COMPLETED rows, when their days land again."""
    app = EmulatorApp(V2_ONLY, api_key=API_KEY)
    unfinished = _ids(served_v2_jobs(app), UNFINISHED)
    first = min(V2_ONLY.v2_job(i)["created_at"][:10] for i in unfinished)
    with EmulatorServer(app) as server:
        since = date.fromisoformat(first)
        assert land(server.url, tmp_path, "v2", since, LAST).pending == len(unfinished)
        for job_id in unfinished:
            app.complete_v2_job(job_id)
        assert land(server.url, tmp_path, "v2", since, LAST).pending == 0
    versions = _landed_versions(tmp_path)
    assert {i: versions.get(i) for i in unfinished} == dict.fromkeys(unfinished, ("v2", 1))
