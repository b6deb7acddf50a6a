"""fetch_runs: bounded parallelism, lazy input, completion order, failures as results."""

from __future__ import annotations

import itertools
import threading
import time

import httpx
import pytest
from client_fakes import run_id, run_payload

from llamacloud_etl.errors import InvalidIdError, NotFoundError, ServerError


def runs_handler(missing=(), broken=()):
    """Serve GET /runs/{id}: 404 for ``missing``, 500 for ``broken``, else the run."""

    def handler(request: httpx.Request) -> httpx.Response:
        rid = request.url.path.rsplit("/", 1)[-1]
        if rid in missing:
            return httpx.Response(404, json={"detail": "Extraction run not found"})
        if rid in broken:
            return httpx.Response(500, json={"detail": "Internal Server Error"})
        return httpx.Response(200, json=run_payload(rid))

    return handler


def test_every_id_yields_one_result(make_client):
    """Each input ID gives exactly one RunFetch, with its run."""
    client, _ = make_client(runs_handler())
    wanted = [run_id(i) for i in range(50)]
    results = list(client.fetch_runs(wanted, max_concurrency=8))
    assert sorted(r.run_id for r in results) == sorted(wanted)
    assert all(r.ok and r.run is not None and r.run.id == r.run_id and r.error is None for r in results)


def test_in_flight_requests_never_exceed_the_limit(make_client):
    """With max_concurrency=4 exactly four requests run at once at the peak, never five."""
    limit = 4
    barrier = threading.Barrier(limit, timeout=10)
    calls = itertools.count()
    serve = runs_handler()

    def handler(request: httpx.Request) -> httpx.Response:
        if next(calls) < limit:
            barrier.wait()  # proves `limit` requests are in flight together
        time.sleep(0.001)
        return serve(request)

    client, recorder = make_client(handler)
    results = list(client.fetch_runs((run_id(i) for i in range(60)), max_concurrency=limit))
    assert len(results) == 60
    assert recorder.max_in_flight == limit


def test_limit_is_capped_at_the_pool_size(make_client):
    """Asking for more parallelism than the client's max_concurrency gets the pool size."""
    client, recorder = make_client(runs_handler(), max_concurrency=2)
    list(client.fetch_runs([run_id(i) for i in range(20)], max_concurrency=50))
    assert recorder.max_in_flight <= 2


def test_non_positive_limit_is_refused(make_client):
    """max_concurrency=0 is a ValueError at call time."""
    client, _ = make_client(runs_handler())
    with pytest.raises(ValueError, match="max_concurrency"):
        client.fetch_runs([run_id(0)], max_concurrency=0)


def test_failures_are_results_not_exceptions(make_client):
    """Invalid IDs, 404s and exhausted 5xx retries come back as per-item errors; the rest succeed."""
    good, gone, broken = run_id(1), run_id(2), run_id(3)
    client, recorder = make_client(runs_handler(missing={gone}, broken={broken}), max_retries=1)
    results = {r.run_id: r for r in client.fetch_runs([good, "../etc/passwd", gone, broken, ""])}
    assert results[good].ok
    assert isinstance(results["../etc/passwd"].error, InvalidIdError)
    assert isinstance(results[""].error, InvalidIdError)
    assert isinstance(results[gone].error, NotFoundError)
    assert isinstance(results[broken].error, ServerError)
    assert all(r.run is None for r in results.values() if r.error is not None)
    # invalid IDs cost no request; the broken one was tried twice
    assert len(recorder.requests) == 4


def test_ids_are_canonicalised(make_client):
    """An upper-case ID is fetched and reported in canonical lower case."""
    client, recorder = make_client(runs_handler())
    (result,) = client.fetch_runs([run_id(7).upper()])
    assert result.run_id == run_id(7)
    assert recorder.requests[0].url.path.endswith(run_id(7))


def test_results_come_in_completion_order(make_client):
    """A slow run does not hold back a fast one: the fast one is yielded first."""
    slow, fast = run_id(1), run_id(2)
    fast_seen = threading.Event()
    serve = runs_handler()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(slow):
            assert fast_seen.wait(timeout=10)
        return serve(request)

    client, _ = make_client(handler)
    order = []
    for result in client.fetch_runs([slow, fast], max_concurrency=2):
        order.append(result.run_id)
        if result.run_id == fast:
            fast_seen.set()
    assert order == [fast, slow]


def test_input_is_consumed_lazily(make_client):
    """An endless ID stream is read only as far as needed: memory stays bounded by the limit."""
    pulled = 0

    def endless():
        nonlocal pulled
        for i in itertools.count():
            pulled += 1
            yield run_id(i)

    client, _ = make_client(runs_handler())
    results = client.fetch_runs(endless(), max_concurrency=3)
    first = list(itertools.islice(results, 5))
    results.close()  # stopping early must not hang or leak running threads
    assert len(first) == 5
    assert pulled <= 5 + 3


def test_nothing_happens_until_iterated(make_client):
    """fetch_runs is lazy: no request before the first result is asked for."""
    client, recorder = make_client(runs_handler())
    results = client.fetch_runs([run_id(0)])
    assert recorder.requests == []
    assert next(results).ok
