"""Seeking into a newest-first listing: the runs of ``[created_after, created_before)``, each once,
in about log2(total) requests plus the range's pages, while runs arrive, finish and vanish."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest
from client_fakes import AGENT_ID, T0, RunsAPI, numbered_runs, run_payload
from hypothesis import given, settings
from hypothesis import strategies as st

from llamacloud_etl.client._paging import iterate_pages
from llamacloud_etl.client._seek import margin

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Row:
    """A listed run: what the walk reads, and a status that changes when it finishes."""

    id: str
    created_at: datetime | None
    status: str = "PENDING"


@dataclass(frozen=True)
class Listing:
    """One page of the fake ``GET /runs``."""

    items: list[Row]
    total: int


def _key(row: Row) -> tuple[datetime, str]:
    return (row.created_at or T0, row.id)


class History:
    """An in-memory ``GET /runs`` (``created_at`` desc, then ``id`` desc) that ``churn`` changes
    before every request.

    Attributes:
        rows: The runs, newest first.
        requests: ``(skip, limit)`` of each request, in order.
        deleted: IDs of the runs deleted so far.
        arrived: The runs added so far.
    """

    def __init__(self, rows: list[Row], churn: Callable[[History], None] | None = None) -> None:
        self.rows = sorted(rows, key=_key, reverse=True)
        self.churn = churn
        self.requests: list[tuple[int, int]] = []
        self.deleted: set[str] = set()
        self.arrived: list[Row] = []

    def __call__(self, skip: int, limit: int) -> Listing:
        if self.churn is not None:
            self.churn(self)
        self.requests.append((skip, limit))
        assert len(self.requests) < 5000, "the walk does not terminate"
        return Listing(self.rows[skip : skip + limit], len(self.rows))

    def arrive(self, count: int = 1) -> None:
        """``count`` new runs at the head, created a minute after the newest."""
        for _ in range(count):
            newest = max((r.created_at for r in self.rows if r.created_at), default=T0)
            row = Row(f"new-{len(self.arrived):05d}", newest + MINUTE)
            self.arrived.append(row)
            self.rows.insert(0, row)

    def delete(self, position: int) -> None:
        """Delete the run at ``position`` (if any)."""
        if position < len(self.rows):
            self.deleted.add(self.rows.pop(position).id)

    def finish(self, position: int) -> None:
        """Finish the run at ``position`` (same place in the list, new status)."""
        if position < len(self.rows):
            self.rows[position] = replace(self.rows[position], status="SUCCESS")


def history(minutes: list[int]) -> list[Row]:
    """Runs created ``minutes`` before T0 (equal values are ties on ``created_at``)."""
    return [Row(f"run-{i:05d}", T0 - m * MINUTE) for i, m in enumerate(minutes)]


def spaced(count: int) -> list[Row]:
    """``count`` runs one minute apart, the newest at T0."""
    return history(list(range(count)))


def at(minute: int) -> datetime:
    """The moment ``minute`` minutes before T0."""
    return T0 - minute * MINUTE


def walk(api: History, page_size: int, after: datetime | None, before: datetime | None) -> list[str]:
    """The IDs the walk yields over ``api``, in order."""
    pages = iterate_pages(api, page_size=page_size, created_after=after, created_before=before)
    return [run.id for page in pages for run in page]


def in_range(rows: list[Row], after: datetime | None, before: datetime | None) -> set[str]:
    """IDs of the rows created inside ``[after, before)`` (rows without a time are always in)."""
    return {
        r.id
        for r in rows
        if r.created_at is None
        or ((after is None or r.created_at >= after) and (before is None or r.created_at < before))
    }


def check_exact(got: list[str], api: History, start: list[Row], after, before) -> None:
    """Each run once; every run of the range present throughout listed; nothing outside the range."""
    assert len(got) == len(set(got))
    assert in_range(start, after, before) - api.deleted <= set(got)
    assert set(got) <= in_range([*start, *api.arrived], after, before)


def seek_bound(total: int, ranged: int, page_size: int) -> int:
    """Requests a stable listing may take: the first page, the probes, the range's pages, the stop page."""
    return 2 + total.bit_length() + math.ceil((ranged + margin(page_size) + 1) / (page_size - 1)) + 2


# -- properties ------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=400)
spans = st.tuples(*(st.floats(min_value=-0.05, max_value=1.05) for _ in range(2)))  # of the history's length
seeds = st.integers(min_value=0, max_value=2**32)


def made(count: int, seed: int) -> list[Row]:
    """``count`` runs, newest first, 0 to 3 minutes apart (a third of them tied with the one before)."""
    rng = random.Random(seed)
    minutes, now = [], 0
    for _ in range(count):
        now += rng.choice((0, 1, 1, 2, 3, 0))
        minutes.append(now)
    return history(minutes)


def range_of(rows: list[Row], span: tuple[float, float]) -> tuple[datetime, datetime]:
    """``(since, until)`` at two fractions of the history's length in time (until the newer)."""
    length = max(((T0 - r.created_at) // MINUTE for r in rows if r.created_at), default=0)
    newer, older = sorted(span)
    return at(round(older * length)), at(round(newer * length))


@settings(max_examples=400, deadline=None)
@given(
    count=counts,
    span=spans,
    page_size=st.integers(min_value=2, max_value=12),
    rates=st.tuples(*(st.integers(min_value=0, max_value=4) for _ in range(3))),
    seed=seeds,
    open_ends=st.sampled_from(["none", "none", "no-since", "no-until"]),
)
def test_exactly_the_range_under_churn_before_every_request(count, span, page_size, rates, seed, open_ends):
    """Runs arriving at the head, finishing and vanishing anywhere before every request: every run of
    [since, until) present throughout comes exactly once, and no run outside the range comes."""
    start = made(count, seed)
    since, until = range_of(start, span)
    before = None if open_ends == "no-until" else until
    after = None if open_ends == "no-since" else since
    arrivals, deletions, finishes = rates
    # Fewer arrivals than the walk advances, or it never ends.
    churn = churning(random.Random(seed), min(arrivals, (page_size - 2) // 2), deletions, finishes)
    api = History(start, churn)
    check_exact(walk(api, page_size, after, before), api, start, after, before)


@settings(max_examples=300, deadline=None)
@given(count=counts, span=spans, page_size=st.integers(min_value=2, max_value=12), seed=seeds)
def test_requests_are_about_log2_total_plus_the_ranges_pages(count, span, page_size, seed):
    """On a list that holds still, a range costs at most the probes (about log2(total)) and its own pages,
    and never more than two requests over walking from the head."""
    start = made(count, seed)
    after, before = range_of(start, span)
    api = History(start)
    got = walk(api, page_size, after, before)
    assert got == [r.id for r in api.rows if after <= r.created_at < before]
    assert len(api.requests) <= seek_bound(len(start), len(got), page_size)
    plain = History(start)
    walk(plain, page_size, after, None)
    assert len(api.requests) <= len(plain.requests) + 2


# -- edge cases ------------------------------------------------------------------------------


def test_empty_history_takes_one_request():
    """An agent without runs yields nothing after one request."""
    api = History([])
    assert walk(api, 25, at(100), at(10)) == []
    assert api.requests == [(0, 25)]


def test_range_older_than_every_run_yields_nothing_after_a_seek():
    """A range before the oldest run yields nothing, in about log2(total) requests, not a walk of the list."""
    api = History(spaced(3000))
    assert walk(api, 25, at(5000), at(4000)) == []
    assert len(api.requests) <= 3 + (3000).bit_length()
    assert sum(limit == 1 for _, limit in api.requests) <= 1 + (3000).bit_length()


def test_range_newer_than_every_run_takes_one_request():
    """A range after the newest run is done with the first page (the whole page predates it)."""
    api = History(spaced(3000))
    assert walk(api, 25, at(-100), at(-200)) == []
    assert api.requests == [(0, 25)]


def test_range_at_the_head_pages_as_without_an_end():
    """A range that starts in the first page is walked exactly as without ``created_before``."""
    rows = spaced(500)
    api, plain = History(rows), History(rows)
    assert walk(api, 25, at(60), at(10)) == [r.id for r in rows[11:61]]
    walk(plain, 25, at(60), None)
    assert api.requests == plain.requests


def test_range_a_few_pages_in_walks_there_after_one_probe():
    """A range fewer pages away than bisection would take requests costs one probe more than walking."""
    rows = spaced(3000)
    api, plain = History(rows), History(rows)
    assert walk(api, 25, at(160), at(100)) == [r.id for r in rows[101:161]]
    walk(plain, 25, at(160), None)
    assert len(api.requests) == len(plain.requests) + 1
    assert sum(limit == 1 for _, limit in api.requests) == 1


def test_deep_range_seeks_then_pages_only_through_the_range():
    """The oldest week of a long history: the first page, one probe per halving, then the range's pages."""
    rows = spaced(20_000)
    api = History(rows)
    got = walk(api, 25, at(19_000), at(18_000))
    assert got == [r.id for r in rows[18_001:19_001]]
    probes = [skip for skip, limit in api.requests if limit == 1]
    pages = [skip for skip, limit in api.requests if limit == 25]
    assert len(probes) <= 1 + (20_000).bit_length()
    assert len(pages) <= 1 + math.ceil((1000 + margin(25) + 1) / 24) + 1
    assert min(pages[1:]) >= 18_000 - margin(25) - 1


def test_total_changing_during_bisection_misses_nothing():
    """Floods of arrivals and deletions of newer runs during the probes shift every offset; the range still
    comes whole, once."""
    rows = spaced(5000)
    state = {"n": 0}

    def churn(api: History) -> None:
        state["n"] += 1
        if state["n"] % 2:
            api.arrive(40)
        else:
            for _ in range(30):
                api.delete(60)  # newer than the range

    api = History(rows, churn)
    got = walk(api, 25, at(4200), at(4000))
    check_exact(got, api, rows, at(4200), at(4000))
    assert set(got) == {r.id for r in rows[4001:4201]}


def test_fence_sliding_off_the_first_page_steps_back():
    """When more newer runs vanish after the probes than the page's margin, the walk steps back to it."""
    rows = spaced(4000)

    def churn(api: History) -> None:
        if api.requests and api.requests[-1][1] == 1:
            for _ in range(margin(25) + 1):  # after each probe, more than the margin vanish at the head
                api.delete(0)

    api = History(rows, churn)
    got = walk(api, 25, at(3500), at(3000))
    check_exact(got, api, rows, at(3500), at(3000))
    assert set(got) == {r.id for r in rows[3001:3501]}
    pages = [skip for skip, limit in api.requests if limit == 25]
    assert any(later < earlier for earlier, later in itertools.pairwise(pages))


def test_ties_on_created_at_across_the_range_end():
    """Runs created at exactly ``until`` are out, runs a moment earlier are in, however many share a time."""
    minutes = [m // 7 for m in range(7000)]  # seven runs per minute
    rows = history(minutes)
    api = History(rows)
    got = walk(api, 10, at(800), at(500))
    assert set(got) == in_range(rows, at(800), at(500))
    assert len(got) == 7 * 300  # minutes 501..800: at since is in, at until is out
    assert len(api.requests) <= seek_bound(len(rows), len(got), 10)


def test_run_without_created_at_turns_the_seek_into_a_walk():
    """A probed run that cannot be placed in time makes the walk page on as it would without a seek."""
    rows = spaced(2000)
    dated = History(rows)
    walk(dated, 25, at(1800), at(1500))
    undated = [skip for skip, limit in dated.requests if limit == 1][1]  # where the search probes first
    rows[undated] = Row(rows[undated].id, None)
    api, plain = History([]), History([])
    api.rows, plain.rows = rows, list(rows)
    got = walk(api, 25, at(1800), at(1500))
    assert set(got) == {r.id for r in rows[1501:1801]} | {rows[undated].id}
    walk(plain, 25, at(1800), None)
    assert [limit for _, limit in api.requests].count(1) == 2
    assert len(api.requests) == len(plain.requests) + 2


def test_client_counts_seek_requests_and_sends_limit_one(make_client):
    """Through the client, probes are GET /runs with limit=1 and are counted in its stats like pages."""
    api = RunsAPI(numbered_runs(3000))
    client, recorder = make_client(api)
    since, until = T0 - timedelta(minutes=2600), T0 - timedelta(minutes=2500)
    got = [r.id for r in client.list_runs(AGENT_ID, page_size=25, created_after=since, created_before=until)]
    assert got == [r["id"] for r in api.runs[2501:2601]]
    assert client.stats.requests == len(recorder.requests) == len(api.requests)
    assert {limit for _, limit in api.requests} == {1, 25}
    assert len(api.requests) <= seek_bound(3000, 100, 25)


def test_client_refuses_a_naive_created_before(make_client):
    """A naive created_before is refused when list_runs is called, before any request."""
    client, recorder = make_client(RunsAPI([run_payload()]))
    with pytest.raises(ValueError, match="created_before must be timezone-aware"):
        client.list_runs(AGENT_ID, created_before=datetime(2025, 1, 1))
    assert recorder.requests == []


# -- the search: interpolation on created_at, never worse than bisection ------------------------


def skewed(count: int, seed: int) -> list[Row]:
    """``count`` runs in bursts (ties, minutes apart) between quiet spells of up to a month, sparser
    toward the oldest."""
    rng = random.Random(seed)
    minutes, now = [], 0
    for i in range(count):
        if rng.random() < 0.02:
            now += rng.randint(60, 43_200)
        else:
            now += rng.choice((0, 0, 1, 2)) * (1 + 4 * i // count)
        minutes.append(now)
    return history(minutes)


def churning(rng: random.Random, arrivals: int, deletions: int, finishes: int) -> Callable[[History], None]:
    """Before every request: up to ``arrivals`` new runs at the head, up to ``deletions`` runs vanishing
    and ``finishes`` runs finishing anywhere."""

    def churn(api: History) -> None:
        api.arrive(rng.randint(0, arrivals))
        for _ in range(rng.randint(0, deletions)):
            api.delete(rng.randrange(len(api.rows) + 1))
        for _ in range(rng.randint(0, finishes)):
            api.finish(rng.randrange(len(api.rows) + 1))

    return churn


def probes(api: History) -> int:
    """How many one-run probes the walk sent."""
    return [limit for _, limit in api.requests].count(1)


def test_steady_history_seeks_in_three_probes():
    """Runs a minute apart: three probes (the one that decides to seek, one just past the interpolated
    fence, the fence itself) where bisection took fifteen, and the walk resumes right before the fence."""
    rows = spaced(20_000)
    for until in (18_000, 9_000, 2_000):
        api = History(rows)
        assert walk(api, 25, at(until + 500), at(until)) == [r.id for r in rows[until + 1 : until + 501]]
        assert probes(api) == 3
        assert [skip for skip, limit in api.requests if limit == 25][1] == until - margin(25)


def test_jittered_steady_history_seeks_in_about_four_probes():
    """Runs 0 to 3 minutes apart (a third of them tied): the median seek takes at most five probes where
    bisection took fourteen, and none takes more than bisection."""
    for span in ((0.2, 0.3), (0.6, 0.7), (0.9, 1.0)):
        counts = []
        for seed in range(40):
            rows = made(5000, seed)
            after, before = range_of(rows, span)
            api = History(rows)
            assert walk(api, 25, after, before) == [r.id for r in api.rows if after <= r.created_at < before]
            counts.append(probes(api))
        assert sorted(counts)[len(counts) // 2] <= 5
        assert max(counts) <= 1 + (5000).bit_length()


@settings(max_examples=300, deadline=None)
@given(count=st.integers(min_value=0, max_value=3000), span=spans, page_size=st.integers(2, 30), seed=seeds)
def test_skewed_history_seeks_no_worse_than_bisection(count, span, page_size, seed):
    """Bursts and quiet spells of up to a month: the range comes exact, the probes are at most bisection's
    (one more than log2(total)), and the walk resumes at most half a page before the fence's margin."""
    rows = skewed(count, seed)
    after, before = range_of(rows, span)
    api = History(rows)
    assert walk(api, page_size, after, before) == [r.id for r in api.rows if after <= r.created_at < before]
    assert probes(api) <= 1 + count.bit_length()
    if probes(api) > 1:  # it searched: the run at the first probe was a fence
        fence = max(i for i, r in enumerate(api.rows) if r.created_at >= before)
        resumed = [skip for skip, limit in api.requests if limit > 1][1]
        assert fence - page_size // 2 - margin(page_size) < resumed <= fence - margin(page_size)


@settings(max_examples=300, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=1500),
    span=spans,
    page_size=st.integers(min_value=2, max_value=30),
    rates=st.tuples(*(st.integers(min_value=0, max_value=4) for _ in range(3))),
    seed=seeds,
)
def test_skewed_history_under_churn_yields_exactly_the_range(count, span, page_size, rates, seed):
    """Bursts and quiet spells, with runs arriving, finishing and vanishing before every probe and page:
    every run of the range present throughout comes exactly once, and nothing outside it."""
    start = skewed(count, seed)
    after, before = range_of(start, span)
    arrivals, deletions, finishes = rates
    churn = churning(random.Random(seed), min(arrivals, (page_size - 2) // 2), deletions, finishes)
    api = History(start, churn)
    check_exact(walk(api, page_size, after, before), api, start, after, before)
