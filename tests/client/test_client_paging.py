"""Paging over ``GET /runs``: every run once, even while runs arrive or vanish between pages."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from client_fakes import AGENT_ID, PROJECT_ID, T0, RunsAPI, numbered_runs, run_payload
from hypothesis import given, settings
from hypothesis import strategies as st

from llamacloud_etl.client._paging import iterate_runs
from llamacloud_etl.models import ExtractRun, PaginatedExtractRunsResponse
from llamacloud_etl.settings import DEFAULT_PAGE_SIZE


def ids(runs):
    """The IDs of runs (payload dicts or models), in order."""
    return [r["id"] if isinstance(r, dict) else r.id for r in runs]


def listed(make_client, api, **kwargs):
    """IDs yielded by list_runs over ``api``."""
    client, _ = make_client(api)
    return ids(client.list_runs(AGENT_ID, **kwargs))


def test_all_runs_once_in_listing_order(make_client):
    """A stable list of 23 runs comes back whole, newest first, with pages overlapping by one run."""
    api = RunsAPI(numbered_runs(23))
    assert listed(make_client, api, page_size=10) == ids(api.runs)
    assert api.requests == [(0, 10), (9, 10), (18, 10)]


def test_exact_multiple_of_page_size_needs_no_empty_page(make_client):
    """When the last page ends exactly at total, paging stops without asking for an empty page."""
    api = RunsAPI(numbered_runs(9))
    assert listed(make_client, api, page_size=5) == ids(api.runs)
    assert api.requests == [(0, 5), (4, 5)]


def test_single_page(make_client):
    """Fewer runs than a page take one request, of the default page size."""
    api = RunsAPI(numbered_runs(3))
    assert listed(make_client, api) == ids(api.runs)
    assert api.requests == [(0, DEFAULT_PAGE_SIZE)]


def test_empty_listing(make_client):
    """An agent without runs yields nothing after one request."""
    api = RunsAPI([])
    assert listed(make_client, api) == []
    assert len(api.requests) == 1


def test_request_parameters(make_client):
    """Pages are asked with extraction_agent_id, skip and limit; /runs takes no project or organization."""
    api = RunsAPI(numbered_runs(2))
    client, recorder = make_client(api, project_id=PROJECT_ID)
    list(client.list_runs(AGENT_ID.upper(), page_size=50))
    assert dict(recorder.requests[0].url.params) == {
        "extraction_agent_id": AGENT_ID,
        "skip": "0",
        "limit": "50",
    }


def test_runs_arriving_at_the_head_are_not_repeated(make_client):
    """New runs pushing the list right between pages cause no duplicate, and no old run is missed."""
    original = numbered_runs(20)
    api = RunsAPI(list(original))
    fresh = iter(numbered_runs(10, start=100, newest=T0 + timedelta(hours=1)))

    def arrive(n):
        if n in (1, 2):
            for _ in range(3):
                api.runs.insert(0, next(fresh))

    api.before_page = arrive
    got = listed(make_client, api, page_size=5)
    assert len(got) == len(set(got))
    assert set(ids(original)) <= set(got)


def test_more_arrivals_than_a_page_are_survived(make_client):
    """Even a whole page of arrivals between two requests causes no duplicate and no miss."""
    original = numbered_runs(12)
    api = RunsAPI(list(original))

    def flood(n):
        if n == 1:
            api.runs[0:0] = numbered_runs(7, start=100, newest=T0 + timedelta(hours=1))

    api.before_page = flood
    got = listed(make_client, api, page_size=5)
    assert len(got) == len(set(got))
    assert set(ids(original)) <= set(got)


def test_runs_vanishing_behind_the_cursor_are_not_missed(make_client):
    """Deleting already-listed runs shifts the list left; the runs that slide under the cursor still come."""
    api = RunsAPI(numbered_runs(20))
    original = ids(api.runs)

    def vanish(n):
        if n == 1:
            del api.runs[1:4]  # three runs of the first page

    api.before_page = vanish
    got = listed(make_client, api, page_size=5)
    assert len(got) == len(set(got))
    assert set(original) - set(got) <= set(original[1:4])
    assert set(original[4:]) <= set(got)


def test_more_vanished_runs_than_a_page_are_not_missed(make_client):
    """A deletion larger than a page makes the walk step back more than once, and still misses nothing."""
    api = RunsAPI(numbered_runs(40))
    original = ids(api.runs)

    def vanish(n):
        if n == 2:
            del api.runs[0:12]

    api.before_page = vanish
    got = listed(make_client, api, page_size=5)
    assert len(got) == len(set(got))
    assert set(original[12:]) <= set(got)


def test_vanished_anchor_is_survived(make_client):
    """When the very run a page was meant to start with is deleted, nothing after it is missed."""
    api = RunsAPI(numbered_runs(12))
    original = ids(api.runs)

    def vanish(n):
        if n == 1:
            del api.runs[4]  # the last run of page one, which page two would overlap on

    api.before_page = vanish
    got = listed(make_client, api, page_size=5)
    assert got == original


def test_total_shrinking_under_the_cursor(make_client):
    """Deleting the tail while paging ends the walk cleanly with every surviving run."""
    api = RunsAPI(numbered_runs(20))
    original = ids(api.runs)

    def shrink(n):
        if n == 2:
            del api.runs[9:]  # the next page would start past the new end

    api.before_page = shrink
    got = listed(make_client, api, page_size=5)
    assert got == original[:9]


def test_limit_capped_by_server_is_followed(make_client):
    """When the server hands out (and echoes) fewer items than asked, paging follows the real page length."""
    api = RunsAPI(numbered_runs(17))
    api.limit_cap = 4
    assert listed(make_client, api, page_size=50) == ids(api.runs)
    assert all(limit == 50 for _, limit in api.requests)


def test_stale_total_larger_than_the_list_terminates(make_client):
    """A total that promises more runs than exist does not make the walk loop."""
    api = RunsAPI(numbered_runs(8))
    api.total_offset = 5
    assert listed(make_client, api, page_size=5) == ids(api.runs)
    assert len(api.requests) < 10


def test_created_after_filters_and_stops_early(make_client):
    """Older runs are dropped and paging stops after the first page entirely older than created_after."""
    api = RunsAPI(numbered_runs(60))
    cutoff = T0 - timedelta(minutes=12)
    got = listed(make_client, api, page_size=5, created_after=cutoff)
    assert got == ids(api.runs[:13])  # minutes 0..12 inclusive
    assert api.requests == [(0, 5), (4, 5), (8, 5), (12, 5), (16, 5)]


def test_created_after_keeps_runs_without_timestamp(make_client):
    """A run without created_at cannot be judged old, so it is yielded."""
    runs = [run_payload(created_at=None), *numbered_runs(3, start=1, newest=T0 - timedelta(days=9))]
    got = listed(make_client, RunsAPI(runs), created_after=T0 - timedelta(days=1))
    assert got == [runs[0]["id"]]


def test_created_after_must_be_aware(make_client):
    """A naive created_after is refused when list_runs is called."""
    client, _ = make_client(RunsAPI([]))
    with pytest.raises(ValueError, match="timezone-aware"):
        client.list_runs(AGENT_ID, created_after=datetime(2025, 1, 1))


def test_page_size_below_two_is_refused(make_client):
    """Pages overlap by one run, so page_size must be at least 2."""
    client, _ = make_client(RunsAPI([]))
    with pytest.raises(ValueError, match="page_size"):
        client.list_runs(AGENT_ID, page_size=1)


def test_runs_are_yielded_as_pages_arrive(make_client):
    """The first run is available after a single request, before later pages are fetched."""
    api = RunsAPI(numbered_runs(30))
    client, _ = make_client(api)
    runs = client.list_runs(AGENT_ID, page_size=10)
    assert api.requests == []
    assert next(runs).id == api.runs[0]["id"]
    assert len(api.requests) == 1


POOL = [ExtractRun.model_validate(run) for run in numbered_runs(80)]
# Enough for the most churn can ask: 8 pages x 6 arrivals.
ARRIVALS = [
    ExtractRun.model_validate(run) for run in numbered_runs(60, start=500, newest=T0 + timedelta(days=1))
]

churn = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=6),  # runs arriving at the head
        st.lists(st.integers(min_value=0, max_value=79), max_size=12),  # positions to delete
    ),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(min_value=0, max_value=80), page_size=st.integers(min_value=2, max_value=12), ops=churn
)
def test_no_duplicate_and_no_miss_under_random_churn(size, page_size, ops):
    """Under any arrivals and deletions between pages, no run repeats and every run that stays is listed."""
    current = list(POOL[:size])
    arrivals = iter(ARRIVALS)
    deleted: set[str] = set()
    requests = 0

    def fetch_page(skip, limit):
        nonlocal requests
        if requests < len(ops):
            arriving, positions = ops[requests]
            for _ in range(arriving):
                current.insert(0, next(arrivals))
            for pos in sorted({p for p in positions if p < len(current)}, reverse=True):
                deleted.add(current.pop(pos).id)
        requests += 1
        assert requests < 500, "the walk does not terminate"
        return PaginatedExtractRunsResponse(
            items=current[skip : skip + limit], total=len(current), skip=skip, limit=limit
        )

    got = ids(iterate_runs(fetch_page, page_size=page_size))
    assert len(got) == len(set(got))
    stayed = {run.id for run in POOL[:size]} - deleted
    assert stayed <= set(got)
