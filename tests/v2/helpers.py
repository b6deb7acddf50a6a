"""The v2 proof tests' histories, landings over loopback, and a v2 API that misbehaves in one way.

The emulator runs as :class:`EmulatorServer` on 127.0.0.1; landings write real Parquet that
DuckDB reads. Ground truth is what the emulator serves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from loopback import API_KEY, PAGE_SIZE

from llamacloud_etl.emulator import Dataset, EmulatorApp, build_dataset
from llamacloud_etl.landing import LandingReport, land_days
from llamacloud_etl.settings import ApiSettings
from llamacloud_etl.sources import BothSources, Source, V1Source, V2Source, open_source
from llamacloud_etl.storage import ParquetStore

START = date(2026, 9, 1)
DAYS = 42
LAST = START + timedelta(days=DAYS - 1)
CUTOVER = START + timedelta(days=21)
LANDED = ("COMPLETED", "FAILED", "CANCELLED")
UNFINISHED = ("PENDING", "RUNNING", "THROTTLED")
INVOICES = "Invoices"
CONTRACTS = "Contracts"

V2_ONLY = build_dataset(60, seed=23, start=START, days=DAYS, v2_from=START)
"""Every extraction a v2 job: saved configurations, and the Contracts agent's inline schema."""
BOTH = build_dataset(80, seed=29, start=START, days=DAYS, v2_from=CUTOVER)
"""Three weeks of v1 runs, then three weeks of v2 jobs."""


def settings_for(url: str) -> ApiSettings:
    """The API settings of a landing against the emulator at ``url``."""
    return ApiSettings(api_key=API_KEY, base_url=url, max_concurrency=8, page_size=PAGE_SIZE)


def agent_id(dataset: Dataset, name: str) -> str:
    """The ID of the data set's agent called ``name``."""
    return str(dataset.agent_named(name)["id"])


def served_v2_jobs(app: EmulatorApp) -> dict[str, dict[str, Any]]:
    """Every v2 job the app serves now, full (every expandable key), by ID."""
    return {entry.job["id"]: app.v2_job(entry.job["id"]) for entry in app.state.v2.entries()}


def add_unfinished_and_cancelled(app: EmulatorApp, dataset: Dataset, day: date) -> dict[str, str]:
    """A THROTTLED job and a CANCELLED inline job on ``day``, the statuses the seed may not draw."""
    at = datetime.combine(day, time(10), tzinfo=UTC)
    throttled = app.add_v2_job(agent_id(dataset, INVOICES), status="THROTTLED", created_at=at)
    doomed = app.add_v2_job(agent_id(dataset, CONTRACTS), created_at=at + timedelta(hours=1), inline=True)
    app.fail_v2_job(doomed["id"], cancelled=True)
    return {"THROTTLED": throttled["id"], "CANCELLED": doomed["id"]}


def land(
    url: str, lake: Path, api_version: str, first: date = START, last: date = LAST, **kw: Any
) -> LandingReport:
    """Land ``first``..``last`` from the emulator at ``url`` into ``lake``, one process."""
    with open_source(settings_for(url), api_version) as source:
        return land_days(source, ParquetStore(str(lake)), first, last, **kw)


def land_with(source: Source, lake: Path, first: date = START, last: date = LAST) -> LandingReport:
    """Land ``first``..``last`` with ``source`` (closed after) into ``lake``."""
    with source:
        return land_days(source, ParquetStore(str(lake)), first, last)


@dataclass
class Landed:
    """A history landed over loopback: the app (still serving), the lake, the report, the truth."""

    dataset: Dataset
    app: EmulatorApp
    lake: Path
    report: LandingReport
    jobs: dict[str, dict[str, Any]]


# -- a v2 API that misbehaves in one way: the emulator's answers, edited --------------------------

Edit = Callable[[httpx.Request, dict[str, Any]], dict[str, Any]]
"""Changes the JSON body of one ``GET /api/v2/extract`` listing page (request, body) -> body."""


class EditedV2Listing(httpx.BaseTransport):
    """Forwards every request to the emulator over loopback; edits the v2 job listing's pages."""

    def __init__(self, edit: Edit) -> None:
        self.inner = httpx.HTTPTransport()
        self.edit = edit

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path != "/api/v2/extract" or response.status_code != 200:
            return response
        body = json.loads(response.read())
        response.close()
        return httpx.Response(200, json=self.edit(request, body))

    def close(self) -> None:
        self.inner.close()


def edited_v2(url: str, edit: Edit) -> V2Source:
    """A v2 source over loopback whose job listing pages pass through ``edit``."""
    return V2Source.connect(settings_for(url), transport=EditedV2Listing(edit))


def edited_both(url: str, edit: Edit) -> BothSources:
    """Both sources over loopback, the v2 job listing's pages passing through ``edit``."""
    return BothSources(V1Source.connect(settings_for(url)), edited_v2(url, edit))
