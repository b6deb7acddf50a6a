"""Retries: which outcomes are retried, how long the client waits, and what it raises at the end.

Waits are observed as stamina reports them to its instrumentation hooks (``retries``, and
``waits`` with stamina's test mode off, the client's policy then being fractions of a millisecond).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
import stamina
from client_fakes import BASE_URL, RUN_ID, TEST_BACKOFF, run_payload, sequence

from llamacloud_etl.client import BackoffPolicy, RetrySwitches, parse_retry_after
from llamacloud_etl.errors import (
    BadRequestError,
    FatalAPIError,
    NotFoundError,
    RateLimitError,
    RetriableAPIError,
    RetryRefusedError,
    RetryRequestedError,
    ServerError,
    TransportError,
)

OK = httpx.Response(200, json=run_payload())


def error(status: int, **headers: str) -> httpx.Response:
    """An error response with a FastAPI-style detail."""
    return httpx.Response(status, json={"detail": f"status {status}"}, headers=headers)


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retriable_status_is_retried_until_success(make_client, waits, status):
    """408/409/429/5xx are retried after the first backoff wait and the call then succeeds."""
    client, recorder = make_client(sequence(error(status), OK))
    assert client.get_run(RUN_ID).id == RUN_ID
    assert len(recorder.requests) == 2
    assert waits.ms == pytest.approx([0.05])


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_fatal_status_is_not_retried(make_client, retries, status):
    """Other 4xx fail at once: one request, no retry scheduled."""
    client, recorder = make_client(sequence(error(status)))
    with pytest.raises(FatalAPIError):
        client.get_run(RUN_ID)
    assert len(recorder.requests) == 1
    assert retries == []


def test_connection_errors_and_timeouts_are_retried(make_client, waits):
    """A refused connection and a read timeout are retried like a 503, each a TransportError."""
    client, recorder = make_client(sequence(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), OK))
    assert client.get_run(RUN_ID).id == RUN_ID
    assert len(recorder.requests) == 3
    assert waits.ms == pytest.approx([0.05, 0.1])
    assert waits.causes == [TransportError, TransportError]


def test_exponential_backoff_is_capped(make_client, waits):
    """Without server hints the waits double from the initial wait and stop growing at the maximum."""
    client, _ = make_client(sequence(*[error(503) for _ in range(6)], OK), max_retries=6)
    client.get_run(RUN_ID)
    assert waits.ms == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.8, 0.8])


def test_jitter_shortens_the_wait_by_at_most_a_quarter(make_client, waits):
    """With the jitter source at its top the first wait is the initial wait * 0.75."""
    policy = dataclasses.replace(TEST_BACKOFF, random=lambda: 0.999999)
    client, _ = make_client(sequence(error(503), OK), backoff=policy)
    client.get_run(RUN_ID)
    assert waits.ms == [pytest.approx(0.0375, abs=1e-6)]


def test_retry_after_seconds_is_honoured(make_client, waits):
    """Retry-After in seconds (0.0002) makes the client wait exactly that long (0.2 ms)."""
    client, _ = make_client(sequence(error(429, **{"Retry-After": "0.0002"}), OK))
    client.get_run(RUN_ID)
    assert waits.ms == pytest.approx([0.2])


def test_fractional_retry_after_is_honoured(make_client, waits):
    """Retry-After may be a float number of seconds with several decimals."""
    client, _ = make_client(sequence(error(503, **{"Retry-After": "0.000125"}), OK))
    client.get_run(RUN_ID)
    assert waits.ms == pytest.approx([0.125])


def test_retry_after_ms_wins_over_retry_after(make_client, waits):
    """retry-after-ms (milliseconds) is preferred to Retry-After."""
    client, _ = make_client(sequence(error(429, **{"retry-after-ms": "0.15", "Retry-After": "9"}), OK))
    client.get_run(RUN_ID)
    assert waits.ms == pytest.approx([0.15])


def test_retry_after_http_date_is_honoured(make_client, waits):
    """An HTTP-date Retry-After is turned into the delay from the (injected) clock's now."""
    moment = datetime(2025, 6, 12, 12, 0, 30, tzinfo=UTC)
    ahead = 2.0**-12  # about 0.24 ms, and exact at a timestamp's magnitude
    now = moment.timestamp() - ahead
    policy = dataclasses.replace(TEST_BACKOFF, clock=lambda: now)
    date = format_datetime(moment, usegmt=True)
    client, _ = make_client(sequence(error(503, **{"Retry-After": date}), OK), backoff=policy)
    client.get_run(RUN_ID)
    assert waits.ms == pytest.approx([ahead * 1000])


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("0", id="zero"),
        pytest.param("-3", id="negative"),
        pytest.param("61", id="over-cap"),
        pytest.param("86400", id="a-day"),
        pytest.param("soon", id="garbage"),
        pytest.param("Wed, 11 Jun 2025 12:00:00 GMT", id="date-in-past"),
        pytest.param("nan", id="nan"),
    ],
)
def test_unusable_retry_after_falls_back_to_backoff(make_client, waits, value):
    """A hint outside (0, 60] s, or unreadable, is ignored in favour of exponential backoff."""
    client, _ = make_client(sequence(error(429, **{"Retry-After": value}), OK))
    client.get_run(RUN_ID)
    assert waits.ms == pytest.approx([0.05])


def test_retry_after_cap_is_configurable(make_client, waits):
    """A lower retry_after_cap makes longer server hints fall back to backoff, and honours one at the cap."""
    policy = dataclasses.replace(TEST_BACKOFF, retry_after_cap=0.5e-3)
    client, _ = make_client(
        sequence(error(429, **{"retry-after-ms": "1"}), error(429, **{"retry-after-ms": "0.5"}), OK),
        backoff=policy,
    )
    client.get_run(RUN_ID)
    assert waits.ms == pytest.approx([0.05, 0.5])


def test_x_should_retry_false_overrides_a_retriable_status(make_client, retries):
    """x-should-retry: false on a 503 raises a fatal RetryRefusedError (status 503) at once."""
    client, recorder = make_client(sequence(error(503, **{"x-should-retry": "false"})))
    with pytest.raises(RetryRefusedError) as info:
        client.get_run(RUN_ID)
    assert isinstance(info.value, FatalAPIError) and info.value.status_code == 503
    assert len(recorder.requests) == 1
    assert retries == []


def test_x_should_retry_true_overrides_a_fatal_status(make_client, retries):
    """x-should-retry: true makes even a 400 a RetryRequestedError, worth another attempt."""
    client, recorder = make_client(sequence(error(400, **{"x-should-retry": "TRUE"}), OK))
    assert client.get_run(RUN_ID).id == RUN_ID
    assert len(recorder.requests) == 2
    assert retries.causes == [RetryRequestedError]


def test_x_should_retry_true_exhausted_raises_the_retriable_variant(make_client):
    """When a server-requested retry of a 404 keeps failing, a RetryRequestedError (status 404) is raised."""
    client, recorder = make_client(
        sequence(error(404, **{"x-should-retry": "true"}), error(404, **{"x-should-retry": "true"})),
        max_retries=1,
    )
    with pytest.raises(RetryRequestedError) as info:
        client.get_run(RUN_ID)
    assert info.value.status_code == 404 and info.value.detail == "status 404"
    assert len(recorder.requests) == 2


def test_attempts_are_bounded_by_max_retries(make_client, waits):
    """max_retries=3 means at most 4 requests and 3 waits."""
    client, recorder = make_client(sequence(*[error(503) for _ in range(4)]), max_retries=3)
    with pytest.raises(ServerError):
        client.get_run(RUN_ID)
    assert len(recorder.requests) == 4
    assert waits.ms == pytest.approx([0.05, 0.1, 0.2])


def test_exhaustion_raises_the_last_error(make_client):
    """After the last attempt the client raises that attempt's error, not the first one."""
    client, _ = make_client(sequence(error(503), error(429), error(502)), max_retries=2)
    with pytest.raises(ServerError) as info:
        client.get_run(RUN_ID)
    assert info.value.status_code == 502


def test_exhausted_transport_errors_raise_transport_error(make_client):
    """When every attempt fails to connect, the last TransportError is raised."""
    client, _ = make_client(sequence(httpx.ConnectError("one"), httpx.ConnectError("two")), max_retries=1)
    with pytest.raises(TransportError, match="two"):
        client.get_run(RUN_ID)


def test_zero_retries_sends_one_request(make_client, retries):
    """max_retries=0 disables retrying: one request, the error, no wait."""
    client, recorder = make_client(sequence(error(429, **{"Retry-After": "1"})), max_retries=0)
    with pytest.raises(RateLimitError) as info:
        client.get_run(RUN_ID)
    assert info.value.retry_after == 1.0
    assert len(recorder.requests) == 1
    assert retries == []


def test_stats_count_requests_retries_and_statuses(make_client):
    """Stats count every attempt, every retry and each status seen."""
    client, _ = make_client(sequence(error(503), httpx.ConnectError("x"), OK, error(404)))
    client.get_run(RUN_ID)
    with pytest.raises(NotFoundError):
        client.get_run(RUN_ID)
    stats = client.stats
    assert (stats.requests, stats.retries, stats.transport_errors) == (4, 2, 1)
    assert stats.status_counts == {200: 1, 404: 1, 503: 1}
    assert stats.as_dict() == {
        "requests": 4,
        "retries": 2,
        "transport_errors": 1,
        "status_200": 1,
        "status_404": 1,
        "status_503": 1,
    }


def test_retries_are_logged_with_method_url_status_and_wait(make_client, caplog):
    """Each retry logs method, URL, status and wait; the first at INFO, later ones at WARNING."""
    client, _ = make_client(
        sequence(error(503), error(429, **{"Retry-After": "3"}), OK),
        backoff=BackoffPolicy(random=lambda: 0.0),
    )
    with caplog.at_level(logging.DEBUG, logger="llamacloud_etl.client"):
        client.get_run(RUN_ID)
    retries = [r for r in caplog.records if r.getMessage().startswith("retrying")]
    assert [r.levelno for r in retries] == [logging.INFO, logging.WARNING]
    url = f"{BASE_URL}/api/v1/extraction/runs/{RUN_ID}"
    assert retries[0].getMessage() == f"retrying GET {url} after 503: retry 1 of 4 in 0.50 s"
    assert (
        retries[1].getMessage()
        == f"retrying GET {url} after 429: retry 2 of 4 in 3.00 s (as the server asked)"
    )


def test_giving_up_is_logged_as_warning(make_client, caplog):
    """Exhausted retries log a warning with the attempt count before the error is raised."""
    client, _ = make_client(sequence(error(503), error(503)), max_retries=1)
    with caplog.at_level(logging.WARNING, logger="llamacloud_etl.client"), pytest.raises(ServerError):
        client.get_run(RUN_ID)
    assert any(
        "giving up on GET" in r.getMessage() and "after 2 attempts: 503" in r.getMessage()
        for r in caplog.records
    )


def test_test_mode_skips_even_a_long_server_wait(make_client, retries):
    """Under stamina's test mode (the suite's default) a retry skips its wait, even a Retry-After: 60."""
    client, _ = make_client(sequence(error(429, **{"Retry-After": "60"}), OK), backoff=BackoffPolicy())
    client.get_run(RUN_ID)  # a real 60 s sleep would show in the suite's runtime and pytest-timeout
    assert client.stats.retries == 1
    assert retries.ms == [0.0]


def test_stamina_sleeps_the_clients_waits_outside_test_mode(make_client, waits):
    """Outside test mode stamina really sleeps the server's delay, then the backoff, and reports both."""
    client, _ = make_client(
        sequence(error(503, **{"retry-after-ms": "0.5"}), httpx.ConnectError("refused"), OK),
        backoff=dataclasses.replace(TEST_BACKOFF, initial=0.15e-3),
    )
    started = time.perf_counter()
    client.get_run(RUN_ID)
    assert time.perf_counter() - started >= 0.8e-3
    assert waits.ms == pytest.approx([0.5, 0.3])  # server hint, then backoff 2 x 0.15 ms
    assert waits.causes == [ServerError, TransportError]


def test_bad_request_is_not_retried_without_header(make_client):
    """A plain 400 fails at once as BadRequestError."""
    client, recorder = make_client(sequence(error(400)))
    with pytest.raises(BadRequestError):
        client.get_run(RUN_ID)
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"retry-after": "2"}, 2.0, id="seconds"),
        pytest.param({"retry-after": " 0.5 "}, 0.5, id="padded-float"),
        pytest.param({"retry-after-ms": "20"}, 0.02, id="ms"),
        pytest.param({"retry-after-ms": "abc", "retry-after": "4"}, 4.0, id="bad-ms-falls-through"),
        pytest.param({"retry-after": "Thu, 12 Jun 2025 12:00:10 GMT"}, 10.0, id="http-date"),
        pytest.param({"retry-after": "inf"}, None, id="infinite"),
        pytest.param({}, None, id="absent"),
    ],
)
def test_parse_retry_after(headers, expected):
    """Retry hints are read from retry-after-ms, then Retry-After as seconds or an HTTP-date."""
    now = datetime(2025, 6, 12, 12, 0, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after(httpx.Headers(headers), now=now) == expected


def always(outcome: httpx.Response | Exception):
    """A handler that answers every request with ``outcome`` (or raises it)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return handler


@pytest.mark.parametrize(
    ("outcome", "cls", "retried"),
    [
        pytest.param(httpx.ConnectError("refused"), TransportError, True, id="transport"),
        pytest.param(error(500), ServerError, True, id="500"),
        pytest.param(error(429), RateLimitError, True, id="429"),
        pytest.param(error(404), NotFoundError, False, id="404"),
        pytest.param(error(404, **{"x-should-retry": "true"}), RetryRequestedError, True, id="404-forced"),
        pytest.param(error(503, **{"x-should-retry": "false"}), RetryRefusedError, False, id="503-vetoed"),
        pytest.param(error(503, **{"x-should-retry": "maybe"}), ServerError, True, id="503-unknown-hint"),
    ],
)
def test_the_error_class_decides_retrying(make_client, outcome, cls, retried):
    """The status, overridden by x-should-retry true|false, picks the class; it alone decides retrying."""
    client, recorder = make_client(always(outcome), max_retries=1)
    with pytest.raises(cls) as info:
        client.get_run(RUN_ID)
    assert type(info.value) is cls and isinstance(info.value, RetriableAPIError) is retried
    assert len(recorder.requests) == (2 if retried else 1)


def test_default_policy_waits():
    """The default policy waits 0.5 s doubling to at most 8 s, or a server hint in (0, 60] s exactly."""
    policy = BackoffPolicy(random=lambda: 0.0)
    assert [policy.wait(n, None) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert [policy.wait(0, hint) for hint in (2.0, 60.0, 61.0, 0.0)] == [2.0, 60.0, 0.5, 0.5]


def test_retry_switches_keep_each_clients_attempts(make_client):
    """Switches applied in a process keep test mode and each client's own max_retries + 1 attempts."""
    stamina.set_testing(False)
    RetrySwitches(active=True, testing=True).apply()
    assert RetrySwitches.current() == RetrySwitches(active=True, testing=True)
    client, recorder = make_client(always(error(503)), max_retries=2)
    with pytest.raises(ServerError):
        client.get_run(RUN_ID)
    assert len(recorder.requests) == 3


@pytest.mark.parametrize(
    "kwargs", [{"initial": -1}, {"multiplier": 0.5}, {"jitter": 1.5}], ids=["initial", "multiplier", "jitter"]
)
def test_backoff_policy_rejects_nonsense(kwargs):
    """Negative waits, shrinking backoff and jitter beyond 100 % are refused."""
    with pytest.raises(ValueError, match="BackoffPolicy"):
        BackoffPolicy(**kwargs)
