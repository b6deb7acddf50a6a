"""Bad input around v2: each has a clear error before anything starts, or a counted, lossless landing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from click.testing import CliRunner, Result
from flatten.payloads import same_json

from llamacloud_etl.cli import main
from llamacloud_etl.emulator import EmulatorApp, EmulatorServer
from llamacloud_etl.errors import InvalidIdError, PaginationError
from llamacloud_etl.flatten import rebuild_data
from llamacloud_etl.query import open_dataset
from llamacloud_etl.storage import ParquetStore

from .helpers import API_KEY, V2_ONLY, edited_v2, land_with, served_v2_jobs

BAD_CONFIGURATION = "cfg-../../projects/other"


@pytest.fixture
def v2_app() -> EmulatorApp:
    """A fresh emulator over the v2-only history."""
    return EmulatorApp(V2_ONLY, api_key=API_KEY)


@pytest.fixture
def v2_server(v2_app: EmulatorApp) -> Any:
    """The v2-only emulator on loopback."""
    with EmulatorServer(v2_app) as running:
        yield running


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, v2_server: EmulatorServer, lake: Path) -> pytest.MonkeyPatch:
    """The environment of a user pointing the commands at the v2-only emulator."""
    monkeypatch.setenv("LLAMA_CLOUD_API_KEY", API_KEY)
    monkeypatch.setenv("LLAMA_CLOUD_BASE_URL", v2_server.url)
    monkeypatch.setenv("LLAMACLOUD_ETL_OUTPUT", str(lake))
    return monkeypatch


def _short_error(result: Result, code: int, *words: str) -> None:
    """Exit ``code`` with one ``Error:`` line holding every word, and no traceback."""
    assert result.exit_code == code, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and all(w in errors[0] for w in words), result.output
    assert "Traceback" not in result.output


def test_fetch_of_a_malformed_id_in_v2_mode_names_the_job_shape(
    env: pytest.MonkeyPatch, v2_app: EmulatorApp
) -> None:
    """With api_version v2, a malformed ID exits 2 naming the ext- shape, before any request."""
    env.setenv("LLAMACLOUD_ETL_API_VERSION", "v2")
    _short_error(CliRunner().invoke(main, ["fetch", "ext-../../x"]), 2, "malformed job ID", "'ext-'")
    assert v2_app.request_count == 0


def test_fetch_of_a_malformed_id_in_both_mode_names_both_shapes(
    env: pytest.MonkeyPatch, v2_app: EmulatorApp
) -> None:
    """With api_version both, a malformed ID among good ones exits 2 naming a UUID and ext-; nothing sent."""
    env.setenv("LLAMACLOUD_ETL_API_VERSION", "both")
    good = V2_ONLY.v2_jobs_with_status("COMPLETED")[0]["id"]
    result = CliRunner().invoke(main, ["fetch", good, "run/../42"])
    _short_error(result, 2, "malformed run ID", "UUID", "ext-")
    assert v2_app.request_count == 0


def test_fetch_of_a_v2_job_lands_its_day(env: pytest.MonkeyPatch, lake: Path) -> None:
    """`fetch ext-...` with api_version v2 lands the job as a v2 row, with the rest of its day."""
    env.setenv("LLAMACLOUD_ETL_API_VERSION", "v2")
    job = V2_ONLY.v2_jobs_with_status("COMPLETED")[0]
    result = CliRunner().invoke(main, ["fetch", job["id"]])
    assert result.exit_code == 0, result.output
    con = open_dataset(str(lake))
    try:
        rows = con.sql(
            f"SELECT api_version, CAST(run_date AS VARCHAR) FROM runs WHERE run_id = '{job['id']}'"
        )
        assert rows.fetchall() == [("v2", job["created_at"][:10])]
    finally:
        con.close()


@pytest.mark.parametrize(
    "command", [["backfill", "--start", "2026-09-01", "--end", "2026-09-01"], ["fetch", "ext-1"]]
)
def test_an_unknown_api_version_is_a_configuration_error_before_anything_starts(
    env: pytest.MonkeyPatch, v2_app: EmulatorApp, lake: Path, command: list[str]
) -> None:
    """LLAMACLOUD_ETL_API_VERSION=v3 exits 3 naming the known versions; nothing is sent or written."""
    env.setenv("LLAMACLOUD_ETL_API_VERSION", "v3")
    _short_error(CliRunner().invoke(main, command), 3, "'v3'", "v1, v2, both", "LLAMACLOUD_ETL_API_VERSION")
    assert v2_app.request_count == 0 and not lake.exists()


def _with_bad_configuration(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
    """Every job listed as made from a configuration whose ID climbs out of its path."""
    for job in body["items"]:
        job["configuration_id"] = BAD_CONFIGURATION
    return body


def test_a_listed_configuration_id_with_path_characters_never_reaches_a_url(
    v2_app: EmulatorApp, v2_server: EmulatorServer, tmp_path: Path
) -> None:
    """A job naming configuration 'cfg-../..' fails the landing with InvalidIdError; no request carries it."""
    with pytest.raises(InvalidIdError, match=r"malformed configuration ID 'cfg-\.\./"):
        land_with(edited_v2(v2_server.url, _with_bad_configuration), tmp_path)
    assert v2_app.request_count > 0
    assert not [r for r in v2_app.request_log if "cfg-.." in unquote(r.path + "?" + r.query)]


def _repeating_token(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
    """From the second page on, each page hands out the token it was asked with: the same page forever."""
    token = request.url.params.get("page_token")
    if token:
        body["next_page_token"] = token
    return body


def test_a_v2_page_whose_token_repeats_ends_the_landing_with_a_pagination_error(
    v2_server: EmulatorServer, tmp_path: Path
) -> None:
    """A listing whose next_page_token repeats stops with PaginationError saying so, instead of looping."""
    with pytest.raises(PaginationError, match="already gave"):
        land_with(edited_v2(v2_server.url, _repeating_token), tmp_path)


def _off_schema_job(app: EmulatorApp) -> dict[str, Any]:
    """A COMPLETED PER_DOC job with a saved configuration and a string ``invoice_number``."""
    return next(
        j
        for j in served_v2_jobs(app).values()
        if j["status"] == "COMPLETED"
        and j["configuration"]["extraction_target"] == "per_doc"
        and j["configuration_id"] is not None
        and "invoice_number" in (j["extract_result"] or {})
    )


def test_a_job_off_its_schema_lands_counted_and_lossless(
    v2_app: EmulatorApp, v2_server: EmulatorServer, tmp_path: Path
) -> None:
    """Values that do not match the schema are counted in runs.off_schema_count and rebuild as sent."""
    job = _off_schema_job(v2_app)
    odd = {"invoice_number": {"not": "a string"}, "unknown_field": [1, "two", None]}

    def off_schema(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
        for item in body["items"]:
            if item["id"] == job["id"]:
                item["extract_result"] = {**item["extract_result"], **odd}
        return body

    day = date.fromisoformat(job["created_at"][:10])
    land_with(edited_v2(v2_server.url, off_schema), tmp_path, day, day)
    store = ParquetStore(str(tmp_path))
    runs = store.read_table("runs")
    row = [r for r in runs.to_pylist() if r["run_id"] == job["id"]]
    assert [(r["off_schema_count"], r["flatten_error"], r["created_at"].date()) for r in row] == [
        (2, None, day)
    ]
    agent = next(
        t for t in store.list_tables() if t.startswith("agents/invoices-") and t.endswith("/records")
    )
    prefix = agent.removesuffix("records")
    tables = {
        t.removeprefix(prefix): store.read_table(t) for t in store.list_tables() if t.startswith(prefix)
    }
    config = job["configuration"]
    rebuilt = rebuild_data(job["id"], {**tables, "runs": runs}, config["data_schema"], "PER_DOC")
    assert same_json(rebuilt, {**job["extract_result"], **odd})
