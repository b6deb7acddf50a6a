"""The llamacloud-etl commands, run as a user would, against the emulator over loopback."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from loopback import API_KEY, first_last

from llamacloud_etl.cli import main
from llamacloud_etl.emulator import Dataset, EmulatorServer
from llamacloud_etl.query import run_query


@pytest.fixture
def api_env(monkeypatch: pytest.MonkeyPatch, server: EmulatorServer, lake: Path) -> None:
    """The environment a user sets to point the commands at an API (here the emulator)."""
    monkeypatch.setenv("LLAMA_CLOUD_API_KEY", API_KEY)
    monkeypatch.setenv("LLAMA_CLOUD_BASE_URL", server.url)
    monkeypatch.setenv("LLAMACLOUD_ETL_OUTPUT", str(lake))


def test_demo_lands_the_emulator_and_prints_a_summary(tmp_path: Path) -> None:
    """`demo` backfills the bundled emulator through Dagster and prints its summary."""
    result = CliRunner().invoke(main, ["demo", "--runs", "60", "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Runs per agent" in result.output
    assert "Lowest-confidence fields" in result.output
    assert list((tmp_path / "out" / "runs").glob("run_date=*/*.parquet"))


def test_backfill_lands_the_range_and_exits_zero(api_env: None, dataset: Dataset, lake: Path) -> None:
    """`backfill --start --end` lands every finished run of those days."""
    first, last = first_last(dataset)
    result = CliRunner().invoke(main, ["backfill", "--start", str(first), "--end", str(last)])
    assert result.exit_code == 0, result.output
    finished = sum(1 for r in dataset.runs if r["status"] in ("SUCCESS", "ERROR"))
    assert run_query(str(lake), "SELECT count(*) AS n FROM runs")["n"][0].as_py() == finished


def test_backfill_with_one_agent_lands_only_that_agent(api_env: None, dataset: Dataset, lake: Path) -> None:
    """`--agent NAME` restricts the landing to that agent."""
    first, last = first_last(dataset)
    result = CliRunner().invoke(
        main, ["backfill", "--start", str(first), "--end", str(last), "--agent", "invoices"]
    )
    assert result.exit_code == 0, result.output
    agents = run_query(str(lake), "SELECT DISTINCT agent_name FROM runs")["agent_name"].to_pylist()
    assert agents == ["Invoices"]


def test_backfill_rejects_an_end_before_the_start(api_env: None) -> None:
    """An inverted range is a usage error, before anything is fetched."""
    result = CliRunner().invoke(main, ["backfill", "--start", "2026-09-10", "--end", "2026-09-01"])
    assert result.exit_code == 2
    assert "before --start" in result.output


def test_backfill_with_a_wrong_key_exits_nonzero_without_printing_it(
    api_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rejected key fails the command with the 401 and exit code 4, and the key is not in the output."""
    monkeypatch.setenv("LLAMA_CLOUD_API_KEY", "llx-not-the-right-key-42")
    result = CliRunner().invoke(main, ["backfill", "--start", "2026-09-01", "--end", "2026-09-02"])
    assert result.exit_code == 4
    assert "401" in result.output
    assert "llx-not-the-right-key-42" not in result.output


def test_fetch_lands_the_day_of_the_run(api_env: None, dataset: Dataset, lake: Path) -> None:
    """`fetch RUN_ID` lands that run, with the rest of its day."""
    run = next(r for r in dataset.runs if r["status"] == "SUCCESS")
    result = CliRunner().invoke(main, ["fetch", run["id"]])
    assert result.exit_code == 0, result.output
    days = run_query(str(lake), "SELECT DISTINCT CAST(run_date AS VARCHAR) AS d FROM runs")["d"].to_pylist()
    assert days == [run["created_at"][:10]]
    ids = run_query(str(lake), "SELECT run_id FROM runs")["run_id"].to_pylist()
    assert run["id"] in ids


def test_fetch_rejects_a_malformed_id_before_any_request(api_env: None) -> None:
    """A malformed run ID is refused with a clear message, as bad usage (exit code 2)."""
    result = CliRunner().invoke(main, ["fetch", "../../etc/passwd"])
    assert result.exit_code == 2
    assert "malformed run ID" in result.output


def test_fetch_of_an_unknown_run_says_not_found(api_env: None) -> None:
    """A run the API does not know is reported as not found, as bad usage (exit code 2)."""
    result = CliRunner().invoke(main, ["fetch", "00000000-0000-4000-8000-000000000000"])
    assert result.exit_code == 2
    assert "404" in result.output


def test_fetch_of_a_pending_run_explains_it_lands_later(api_env: None, dataset: Dataset) -> None:
    """A PENDING run is not landed (exit code 6, data); the message says it lands once it completes."""
    run = next(r for r in dataset.runs if r["status"] == "PENDING")
    result = CliRunner().invoke(main, ["fetch", run["id"]])
    assert result.exit_code == 6
    assert "PENDING" in result.output and "once it completes" in result.output


def test_query_prints_the_result(api_env: None, dataset: Dataset) -> None:
    """`query` runs SQL over the views and prints the rows."""
    first, _ = first_last(dataset)
    CliRunner().invoke(main, ["backfill", "--start", str(first), "--end", str(first + timedelta(days=6))])
    result = CliRunner().invoke(main, ["query", "--format", "csv", "SELECT count(*) AS n FROM runs"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "n"


def test_query_with_bad_sql_names_the_views(api_env: None, dataset: Dataset) -> None:
    """Bad SQL fails with DuckDB's message and the list of views, as bad usage (exit code 2)."""
    first, _ = first_last(dataset)
    CliRunner().invoke(main, ["backfill", "--start", str(first), "--end", str(first + timedelta(days=6))])
    result = CliRunner().invoke(main, ["query", "SELECT * FROM no_such_table"])
    assert result.exit_code == 2
    assert "runs" in result.output


def test_emulator_command_serves_the_api_on_loopback() -> None:
    """`llamacloud-etl emulator --port 0` prints its URL and answers authenticated requests there."""
    command = [sys.executable, "-m", "llamacloud_etl.cli", "emulator", "--port", "0", "--runs", "30"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        _check_emulator(proc)


def _check_emulator(proc: subprocess.Popen[str]) -> None:
    try:
        assert proc.stdout is not None
        url = next(
            line.split("=", 1)[1].strip() for line in proc.stdout if line.startswith("LLAMA_CLOUD_BASE_URL=")
        )
        agents = httpx.get(
            f"{url}/api/v1/extraction/extraction-agents",
            headers={"Authorization": "Bearer llx-emulator-key"},
            timeout=10,
        )
        assert agents.status_code == 200
        assert len(agents.json()) == 4
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # SIGTERM ignored (inherited from a nohup'd parent)
            proc.kill()
            proc.wait(timeout=10)


def test_backfill_writes_the_key_to_no_file(
    api_env: None, dataset: Dataset, lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a persistent Dagster instance, neither the instance's files nor the dataset contain the key."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    first, _ = first_last(dataset)
    result = CliRunner().invoke(
        main, ["backfill", "--start", str(first), "--end", str(first + timedelta(days=6))]
    )
    assert result.exit_code == 0, result.output
    files = [p for p in [*home.rglob("*"), *lake.rglob("*")] if p.is_file()]
    assert files
    assert not [p for p in files if API_KEY.encode() in p.read_bytes()]


def test_agents_refresh_caches_the_agent_list(api_env: None, dataset: Dataset, tmp_path: Path) -> None:
    """`agents refresh` writes the listed agents to the state file and prints each one's asset key."""
    from llamacloud_etl.agent_state import read_agent_state, state_path

    result = CliRunner().invoke(main, ["agents", "refresh", "--state-dir", str(tmp_path / "state")])
    assert result.exit_code == 0, result.output
    state = read_agent_state(state_path(tmp_path / "state"))
    assert state is not None and {a["id"] for a in dataset.agents} <= {a.id for a in state.agents}
    assert (
        "llamacloud/invoices-" in result.output and API_KEY not in state_path(tmp_path / "state").read_text()
    )
