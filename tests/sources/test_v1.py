"""Unit tests of llamacloud_etl.sources.v1: the v1 runs API listed as pages of the product's runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from llamacloud_etl.client import LlamaCloudClient
from llamacloud_etl.emulator import Dataset, EmulatorApp
from llamacloud_etl.models import ExtractRun
from llamacloud_etl.run import Agent
from llamacloud_etl.sources.v1 import V1Source, run_from_v1

KEY = "llx-sources-unit-test-key-4242"
PAGE_SIZE = 4


@pytest.fixture
def app(dataset: Dataset) -> EmulatorApp:
    """A fresh emulator per test."""
    return EmulatorApp(dataset, api_key=KEY)


@pytest.fixture
def source(app: EmulatorApp) -> Iterator[V1Source]:
    """The v1 source over the emulator in-process, with small pages."""
    transport = httpx.WSGITransport(app=app)
    client = LlamaCloudClient(api_key=KEY, base_url="http://127.0.0.1", transport=transport)
    with V1Source(client, page_size=PAGE_SIZE) as running:
        yield running


def _created(run: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(run["created_at"].replace("Z", "+00:00"))


def _busiest(dataset: Dataset) -> tuple[Agent, list[dict[str, Any]]]:
    """The agent with the most runs, and its runs newest first (the API's order)."""
    wire = max(dataset.agents, key=lambda a: len(dataset.runs_for_agent(a["id"])))
    return Agent(wire["id"], wire["name"]), dataset.runs_for_agent(wire["id"])


def test_list_runs_yields_pages_of_runs_newest_first_from_since_on(
    source: V1Source, dataset: Dataset
) -> None:
    """Pages of at most ``page_size`` runs hold the agent's runs from ``since`` on, newest first."""
    agent, wire = _busiest(dataset)
    since = _created(wire[9])
    pages = list(source.list_runs(agent, since))
    expected = [run_from_v1(ExtractRun.model_validate(r)) for r in wire if _created(r) >= since]
    listed = [run for page in pages for run in page]
    assert len(pages) > 1 and all(len(page) <= PAGE_SIZE for page in pages)
    assert [(r.id, r.created_at, r.outcome, r.status, r.data) for r in listed] == [
        (r.id, r.created_at, r.outcome, r.status, r.data) for r in expected
    ]


def test_list_runs_stops_paging_at_since(source: V1Source, app: EmulatorApp, dataset: Dataset) -> None:
    """No page is asked for past the first one whose runs are all older than ``since``."""
    agent, wire = _busiest(dataset)
    since = _created(wire[9])
    app.reset_request_log()
    for _ in source.list_runs(agent, since):
        pass
    skips = [
        int(parse_qs(r.query)["skip"][0]) for r in app.request_log if r.path.endswith("/extraction/runs")
    ]
    served = [wire[skip : skip + PAGE_SIZE] for skip in skips]
    assert all(_created(r) < since for r in served[-1]) and skips[-1] + PAGE_SIZE < len(wire)
    assert not any(all(_created(r) < since for r in page) for page in served[:-1])


def test_list_runs_until_yields_only_the_range_after_seeking_past_newer_runs(
    source: V1Source, app: EmulatorApp, dataset: Dataset
) -> None:
    """With ``until``, the listing yields exactly the runs of ``[since, until)``, and reaches an old range by
    one-run probes (``limit=1``) rather than paging through every newer run."""
    agent, wire = _busiest(dataset)
    since, until = _created(wire[-1]), _created(wire[-4])
    app.reset_request_log()
    listed = [run.id for page in source.list_runs(agent, since, until) for run in page]
    assert listed == [r["id"] for r in wire if since <= _created(r) < until]
    limits = [
        int(parse_qs(r.query)["limit"][0]) for r in app.request_log if r.path.endswith("/extraction/runs")
    ]
    assert 1 in limits
    assert len(limits) < len(wire) // (PAGE_SIZE - 1)
