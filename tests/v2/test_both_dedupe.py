"""Both mode's dedupe rule: a v2 job listed with a v1-shaped ID (a UUID) is left to the v1 landing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import httpx

from llamacloud_etl.emulator import EmulatorApp, EmulatorServer
from llamacloud_etl.landing import land_days
from llamacloud_etl.query import open_dataset
from llamacloud_etl.storage import ParquetStore

from .helpers import API_KEY, BOTH, CUTOVER, edited_both


def test_a_v2_job_listed_with_a_v1_run_id_lands_once_from_v1(tmp_path: Path) -> None:
    """When the v2 listing shows a job under a v1 run's UUID, that run lands once, as the v1 run."""
    twin = next(r for r in BOTH.runs if r["status"] == "SUCCESS")
    disguised = BOTH.v2_jobs_with_status("COMPLETED")[0]["id"]

    def as_v1_run(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
        for job in body["items"]:
            if job["id"] == disguised:
                job["id"] = twin["id"]
        return body

    first = date.fromisoformat(twin["created_at"][:10])
    last = date.fromisoformat(BOTH.v2_job(disguised)["created_at"][:10])
    assert first < CUTOVER <= last
    with (
        EmulatorServer(EmulatorApp(BOTH, api_key=API_KEY)) as server,
        edited_both(server.url, as_v1_run) as source,
    ):
        land_days(source, ParquetStore(str(tmp_path)), first, last)
        skipped = source.skipped
    con = open_dataset(str(tmp_path))
    try:
        rows = con.sql(f"SELECT api_version, status FROM runs WHERE run_id = '{twin['id']}'").fetchall()
        others = con.sql(f"SELECT count(*) FROM runs WHERE run_id = '{disguised}'").fetchall()
    finally:
        con.close()
    assert rows == [("v1", "SUCCESS")] and others == [(0,)]
    assert skipped == 1
