"""V2Source listings over the emulator in-process: what is asked of the API, and what comes back."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest

from llamacloud_etl.client import ExtractV2Client
from llamacloud_etl.emulator import Dataset, EmulatorApp, build_dataset
from llamacloud_etl.run import day_bounds
from llamacloud_etl.sources.v2 import EXPAND, INLINE_LISTING, JOB_IDS_PER_REQUEST, V2Source

KEY = "llx-v2-listing-test-key-2468"


@pytest.fixture(scope="module")
def v2_dataset() -> Dataset:
    """A small all-v2 history (one agent's jobs run inline)."""
    return build_dataset(240, seed=3, v2_from=date(2026, 9, 1))


@pytest.fixture
def app(v2_dataset: Dataset) -> EmulatorApp:
    """A fresh emulator per test."""
    return EmulatorApp(v2_dataset, api_key=KEY)


@pytest.fixture
def source(app: EmulatorApp) -> Iterator[V2Source]:
    """The v2 source over the emulator in-process."""
    client = ExtractV2Client(api_key=KEY, base_url="http://127.0.0.1", transport=httpx.WSGITransport(app=app))
    with V2Source(client, page_size=25) as running:
        yield running


def _range(dataset: Dataset) -> tuple[datetime, datetime]:
    return day_bounds(dataset.start, dataset.end.date())


def _inline_jobs(dataset: Dataset) -> list[str]:
    return [job["id"] for job in dataset.v2_jobs if job["configuration_id"] is None]


def _listings(app: EmulatorApp) -> list[dict[str, list[str]]]:
    return [parse_qs(r.query) for r in app.request_log if r.path == "/api/v2/extract"]


def test_inline_groups_are_fetched_by_the_ids_discovery_found(app, source, v2_dataset):
    """After list_agents, the inline listing asks only for the inline jobs, by ID, a batch per request."""
    since, until = _range(v2_dataset)
    inline = next(a for a in source.list_agents(since, until) if a.listing == INLINE_LISTING)
    app.reset_request_log()
    runs = [run for page in source.list_runs(inline, since, until) for run in page]
    assert sorted(r.id for r in runs) == sorted(_inline_jobs(v2_dataset))
    asked = _listings(app)
    assert all("job_ids" in query and "created_at_on_or_after" not in query for query in asked)
    assert len(asked) == -(-len(runs) // JOB_IDS_PER_REQUEST)


def test_inline_listing_without_discovery_finds_its_ids_itself(app, source, v2_dataset):
    """A source that did not discover the range (a worker process) lists the range lightly first."""
    since, until = _range(v2_dataset)
    inline = next(a for a in source.list_agents(since, until) if a.listing == INLINE_LISTING)
    fresh = V2Source(source.client, page_size=25)
    runs = [run for page in fresh.list_runs(inline, since, until) for run in page]
    assert sorted(r.id for r in runs) == sorted(_inline_jobs(v2_dataset))


def test_inline_runs_are_newest_first(source, v2_dataset, monkeypatch):
    """The inline listing keeps the newest-first order the landing's scheduler relies on, across batches."""
    monkeypatch.setattr("llamacloud_etl.sources.v2.JOB_IDS_PER_REQUEST", 5)
    since, until = _range(v2_dataset)
    inline = next(a for a in source.list_agents(since, until) if a.listing == INLINE_LISTING)
    created = [run.created_at for page in source.list_runs(inline, since, until) for run in page]
    assert created == sorted(created, reverse=True)


def test_discovery_of_a_long_range_lists_slices_side_by_side(app, source, v2_dataset):
    """Discovery of a many-day range is several date-filtered listings that together cover the range."""
    since, until = _range(v2_dataset)
    app.reset_request_log()
    source.list_agents(since, until)
    asked = _listings(app)
    starts = {query["created_at_on_or_after"][0] for query in asked}
    assert len(starts) > 1
    assert min(starts) == since.isoformat()


def test_a_one_day_discovery_is_one_listing(app, source, v2_dataset):
    """A range of one day is discovered with a single listing (no slicing)."""
    since, until = day_bounds(v2_dataset.start, v2_dataset.start)
    app.reset_request_log()
    source.list_agents(since, until)
    assert len({q["created_at_on_or_after"][0] for q in _listings(app)}) == 1
    assert until - since == timedelta(days=1)


def test_a_result_item_that_is_not_an_object_reaches_the_run(v2_dataset):
    """A list result with a non-object item is kept for the flattener (off-schema), not a payload error."""
    job = next(j for j in v2_dataset.v2_jobs if isinstance(j["extract_result"], list))
    raw = dict(job, extract_result=[*job["extract_result"], "not an object"])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [raw], "next_page_token": None})

    client = ExtractV2Client(api_key=KEY, base_url="http://127.0.0.1", transport=httpx.MockTransport(handler))
    with V2Source(client, page_size=25) as lone:
        (listed,) = [j for page in lone.client.list_job_pages(page_size=25) for j in page]
        assert lone.run_of(listed).data[-1] == "not an object"


def test_a_source_given_hints_lists_inline_jobs_without_discovering_them(app, source, v2_dataset):
    """A worker's source that takes the caller's hints fetches the inline jobs by ID at once."""
    since, until = _range(v2_dataset)
    inline = next(a for a in source.list_agents(since, until) if a.listing == INLINE_LISTING)
    worker = V2Source(source.client, page_size=25)
    worker.take_hints(pickle.loads(pickle.dumps(source.hints())))  # noqa: S301 -- our own bytes, as a worker gets them
    app.reset_request_log()
    runs = [run for page in worker.list_runs(inline, since, until) for run in page]
    assert sorted(r.id for r in runs) == sorted(_inline_jobs(v2_dataset))
    assert all("job_ids" in query for query in _listings(app))


def test_a_day_slice_of_a_discovered_range_lists_its_inline_jobs_from_the_hints(app, source, v2_dataset):
    """A worker landing a slice of the range the caller discovered takes the slice's inline jobs from
    the hints, by their creation time: no discovery listing of its own."""
    since, until = _range(v2_dataset)
    inline = next(a for a in source.list_agents(since, until) if a.listing == INLINE_LISTING)
    worker = V2Source(source.client, page_size=25)
    worker.take_hints(pickle.loads(pickle.dumps(source.hints())))  # noqa: S301 -- our own bytes, as a worker gets them
    first, last = since + timedelta(days=3), until - timedelta(days=3)
    app.reset_request_log()
    runs = [run for page in worker.list_runs(inline, first, last) for run in page]
    expected = [
        job["id"]
        for job in v2_dataset.v2_jobs
        if job["configuration_id"] is None
        and first <= datetime.fromisoformat(job["created_at"].replace("Z", "+00:00")) < last
    ]
    assert expected and len(expected) < len(_inline_jobs(v2_dataset))
    assert sorted(r.id for r in runs) == sorted(expected)
    assert all("job_ids" in query for query in _listings(app))


def test_agents_are_weighed_by_the_jobs_discovery_found_times_their_size(app, source, v2_dataset):
    """Each listing weighs the jobs discovery found of it times the mean size of its jobs served whole."""
    since, until = _range(v2_dataset)
    agents = source.list_agents(since, until)
    weights = {a.listing_key: source.weigh(a, since, until) for a in agents}
    counts: dict[str, int] = {}
    sizes: dict[str, list[int]] = {}
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://127.0.0.1") as http:
        for job in v2_dataset.v2_jobs:
            key = job["configuration_id"] or INLINE_LISTING
            counts[key] = counts.get(key, 0) + 1
            served = http.get(
                f"/api/v2/extract/{job['id']}",
                params={"expand": list(EXPAND)},
                headers={"Authorization": f"Bearer {KEY}"},
            )
            sizes.setdefault(key, []).append(len(served.content))
    assert set(counts) <= set(weights)
    for key, count in counts.items():
        per_job = weights[key] / count
        assert min(sizes[key]) <= per_job <= max(sizes[key]) + 100  # a page adds a little framing per job
