"""End to end: the Dagster job lands the emulator's runs over loopback; DuckDB checks them."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from loopback import Land, RangeOutcome, first_last

from llamacloud_etl.emulator import Dataset, EmulatorApp
from llamacloud_etl.query import open_dataset

Landed = tuple[RangeOutcome, Path]


def _sql(lake: Path, query: str) -> list[tuple[Any, ...]]:
    con = open_dataset(str(lake))
    try:
        return con.sql(query).fetchall()
    finally:
        con.close()


def _snapshot(lake: Path) -> dict[str, Any]:
    """Every Parquet file's table, without runs.fetched_at (the one column that honestly moves)."""
    out = {}
    for path in sorted(lake.rglob("*.parquet")):
        table = pq.read_table(path)
        if "fetched_at" in table.column_names:
            table = table.drop_columns(["fetched_at"])
        out[str(path.relative_to(lake))] = table
    return out


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(a[k].equals(b[k], check_metadata=True) for k in a)


def _success(dataset: Dataset) -> list[dict[str, Any]]:
    return [r for r in dataset.runs if r["status"] == "SUCCESS"]


def _records_view(dataset: Dataset, agent_id: str) -> str:
    from llamacloud_etl.query import view_names
    from llamacloud_etl.storage import agent_slug

    paths = [f"agents/{agent_slug(a['name'], a['id'])}/records" for a in dataset.agents]
    names = view_names(paths)
    mine = f"agents/{agent_slug(dataset.agent(agent_id)['name'], agent_id)}/records"
    return names[mine]


def test_the_backfill_succeeds_with_every_blocking_check_passing(landed: Landed) -> None:
    """One run over the whole history lands every day and every ERROR-severity check passes."""
    outcome, _ = landed
    assert outcome.success, outcome.error
    assert outcome.failed_checks == []


def test_every_success_run_lands_exactly_once(landed: Landed, dataset: Dataset) -> None:
    """Each SUCCESS run of the emulator is one row of runs, none twice."""
    _, lake = landed
    rows = _sql(lake, "SELECT run_id, count(*) FROM runs WHERE status = 'SUCCESS' GROUP BY run_id")
    assert {r[0] for r in rows} == {r["id"] for r in _success(dataset)}
    assert all(n == 1 for _, n in rows)


def test_error_runs_land_with_their_error_text(landed: Landed, dataset: Dataset) -> None:
    """ERROR runs are in runs with the API's error text and no records."""
    _, lake = landed
    got = dict(_sql(lake, "SELECT run_id, error FROM runs WHERE status = 'ERROR'"))
    expected = {r["id"]: r["error"] for r in dataset.runs if r["status"] == "ERROR"}
    assert expected and got == expected
    assert _sql(lake, "SELECT count(*) FROM runs WHERE status = 'ERROR' AND record_count <> 0") == [(0,)]


def test_unfinished_runs_are_not_landed(landed: Landed, dataset: Dataset) -> None:
    """CREATED and PENDING runs are counted, not landed."""
    outcome, lake = landed
    unfinished = {r["id"] for r in dataset.runs if r["status"] in ("CREATED", "PENDING")}
    present = {r[0] for r in _sql(lake, "SELECT run_id FROM runs")}
    assert unfinished and not unfinished & present
    assert outcome.metadata["llamacloud/runs"]["runs_pending"] == len(unfinished)


def test_record_counts_follow_the_extraction_target(landed: Landed, dataset: Dataset) -> None:
    """PER_DOC lands one record per run; PER_PAGE one per page; PER_TABLE_ROW one per row."""
    _, lake = landed
    for agent in dataset.agents:
        runs = [r for r in _success(dataset) if r["extraction_agent_id"] == agent["id"]]
        target = agent["config"]["extraction_target"]
        expected = Counter(
            {r["id"]: (1 if target == "PER_DOC" else len(r["data"])) for r in runs if r["data"] is not None}
        )
        view = _records_view(dataset, agent["id"])
        got = Counter(dict(_sql(lake, f'SELECT run_id, count(*) FROM "{view}" GROUP BY run_id')))
        assert +got == +expected, agent["name"]


def test_record_index_is_the_position_in_the_data_list(landed: Landed, dataset: Dataset) -> None:
    """record_index runs 0..n-1 within each run of a list-shaped target."""
    _, lake = landed
    agent = next(a for a in dataset.agents if a["config"]["extraction_target"] == "PER_PAGE")
    view = _records_view(dataset, agent["id"])
    rows = _sql(
        lake, f'SELECT run_id, list(record_index ORDER BY record_index) FROM "{view}" GROUP BY run_id'
    )
    assert rows and all(indexes == list(range(len(indexes))) for _, indexes in rows)


def test_child_rows_join_to_their_parents(landed: Landed, dataset: Dataset) -> None:
    """Every line item joins its invoice record, and every tax joins its line item."""
    _, lake = landed
    invoices = dataset.agent_named("Invoices")["id"]
    view = _records_view(dataset, invoices)
    orphans = _sql(
        lake,
        f'SELECT count(*) FROM "{view}__line_items" c LEFT JOIN "{view}" p ON c._parent_row_id = p._row_id '
        "WHERE p._row_id IS NULL",
    )
    assert orphans == [(0,)]
    orphans = _sql(
        lake,
        f'SELECT count(*) FROM "{view}__line_items__taxes" t LEFT JOIN "{view}__line_items" c '
        "ON t._parent_row_id = c._row_id WHERE c._row_id IS NULL",
    )
    assert orphans == [(0,)]
    expected = sum(
        len(r["data"]["line_items"] or []) for r in _success(dataset) if r["extraction_agent_id"] == invoices
    )
    assert _sql(lake, f'SELECT count(*) FROM "{view}__line_items"') == [(expected,)]


def test_field_metadata_rows_point_at_landed_rows(landed: Landed, dataset: Dataset) -> None:
    """Every field_metadata row's data_row_id is the _row_id of a landed record or child row."""
    _, lake = landed
    con = open_dataset(str(lake))
    try:
        views = [v for (v,) in con.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
        union = " UNION ALL ".join(f'SELECT _row_id FROM "{v}"' for v in views if "_records" in v)
        dangling = con.sql(
            f"SELECT count(*) FROM field_metadata f WHERE f.data_row_id NOT IN ({union})"
        ).fetchall()
        total = con.sql("SELECT count(*) FROM field_metadata").fetchall()
    finally:
        con.close()
    assert total[0][0] > 0
    assert dangling == [(0,)]


def test_second_backfill_leaves_byte_identical_files(land: Land, lake: Path) -> None:
    """Landing the same history again rewrites every file byte for byte (fetched_at included)."""
    land()
    before = {p.relative_to(lake): p.read_bytes() for p in sorted(lake.rglob("*.parquet"))}
    land()
    after = {p.relative_to(lake): p.read_bytes() for p in sorted(lake.rglob("*.parquet"))}
    assert before and before == after


def test_a_run_that_changed_gets_a_new_fetched_at(
    land: Land, lake: Path, app: EmulatorApp, dataset: Dataset
) -> None:
    """A run completed since the last landing gets the new fetch time; unchanged runs keep theirs."""
    late = next(r for r in dataset.runs if r["status"] == "PENDING")
    land()
    before = dict(_sql(lake, "SELECT run_id, fetched_at FROM runs"))
    app.complete_run(late["id"])
    land()
    after = dict(_sql(lake, "SELECT run_id, fetched_at FROM runs"))
    assert after.pop(late["id"]) > max(before.values())
    assert after == before


def test_faults_in_the_emulator_change_nothing_in_the_output(
    land: Land, lake: Path, app: EmulatorApp
) -> None:
    """With 429s, 5xx and dropped connections injected, the landed tables equal a fault-free landing."""
    land()
    clean = _snapshot(lake)
    for path in lake.rglob("*.parquet"):
        path.unlink()
    app.script_faults("GET", "/api/v1/extraction/runs", [429, 500, "drop", 503])  # surely some
    app.fault_rate = 0.15
    outcome = land()
    assert outcome.success, outcome.error
    assert outcome.metadata["llamacloud/runs"]["api_retries"] > 0
    assert _same(clean, _snapshot(lake))


def test_a_failing_day_leaves_the_previous_version_in_place(
    land: Land, lake: Path, app: EmulatorApp, dataset: Dataset
) -> None:
    """When listing keeps failing, the run fails and that day's landed files stay as they were."""
    land()
    victim = _success(dataset)[len(_success(dataset)) // 2]
    day = date.fromisoformat(victim["created_at"][:10])
    before = {p: p.read_bytes() for p in lake.rglob(f"run_date={day}/*.parquet")}
    app.script_faults("GET", "/api/v1/extraction/runs", [500] * 200)
    outcome = land(day, day)
    assert not outcome.success
    assert outcome.error and "/api/v1/extraction/runs" in outcome.error and "500" in outcome.error
    after = {p: p.read_bytes() for p in lake.rglob(f"run_date={day}/*.parquet")}
    assert before and after == before


def test_an_agent_allowlist_leaves_other_agents_untouched(land: Land, lake: Path, dataset: Dataset) -> None:
    """Landing one agent replaces only that agent's files; the others' rows stay."""
    land()
    before = _sql(lake, "SELECT agent_name, count(*) FROM runs GROUP BY ALL ORDER BY ALL")
    outcome = land(run_config={"ops": {"land_extraction_runs": {"config": {"agents": ["Invoices"]}}}})
    assert outcome.success, outcome.error
    assert _sql(lake, "SELECT agent_name, count(*) FROM runs GROUP BY ALL ORDER BY ALL") == before


def test_an_unknown_agent_in_the_allowlist_fails_clearly(land: Land) -> None:
    """An allowlist entry that names no agent fails the run with the agents that do exist."""
    outcome = land(run_config={"ops": {"land_extraction_runs": {"config": {"agents": ["Nope"]}}}})
    assert not outcome.success
    assert outcome.error and "'Nope'" in outcome.error and "Invoices" in outcome.error


def test_a_wrong_api_key_fails_without_showing_the_key(
    dataset: Dataset, lake: Path, server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A bad key fails the run with an authentication error that never contains the key."""
    from llamacloud_etl.defs import JOB_NAME, build_defs
    from llamacloud_etl.defs.resources import LlamaCloudResource
    from llamacloud_etl.defs.runner import dagster_instance, run_range

    secret = "llx-wrong-key-which-must-never-be-printed"
    resource = LlamaCloudResource(api_key=secret, base_url=server.url)
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
    first, last = first_last(dataset)
    with dagster_instance() as instance:
        outcome = run_range(defs, JOB_NAME, first, last, instance=instance)
    assert not outcome.success
    assert outcome.error and "401" in outcome.error
    assert secret not in outcome.error
    assert secret not in caplog.text
    assert not list(lake.rglob("*.parquet"))


def test_the_low_confidence_check_only_warns(land: Land) -> None:
    """A low-confidence share above the limit shows as a WARN check, not a failed run."""
    outcome = land(
        run_config={"ops": {"land_extraction_runs": {"config": {"low_confidence_max_share": 0.0}}}}
    )
    assert outcome.success
    assert "llamacloud/field_metadata:low_confidence_share" in outcome.warned_checks
    assert outcome.failed_checks == []


def test_duckdb_sees_run_date_as_a_date_partition(landed: Landed, dataset: Dataset) -> None:
    """run_date is a DATE column from the hive path and filters by day."""
    _, lake = landed
    day = date.fromisoformat(_success(dataset)[0]["created_at"][:10])
    rows = _sql(lake, f"SELECT DISTINCT run_date FROM runs WHERE run_date = DATE '{day}'")
    assert rows == [(day,)]
