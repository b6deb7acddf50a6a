"""Fault knobs: scripted faults, seeded random faults, 429 Retry-After, dropped connections, slow answers."""

from __future__ import annotations

import httpx
import pytest

from llamacloud_etl.emulator import Dataset, DropConnection, EmulatorApp, EmulatorServer

from .conftest import API, AUTH
from .helpers import DroppingWSGITransport


def _run_url(dataset: Dataset) -> str:
    return f"{API}/runs/{dataset.runs[0]['id']}"


def test_scripted_503s_then_success(app: EmulatorApp, client: httpx.Client, dataset: Dataset) -> None:
    """Two scripted 503s fail the next two matching requests with the injected body, then requests succeed."""
    app.script_faults("GET", f"{API}/runs", [503, 503])
    first, second, third = (client.get(_run_url(dataset)) for _ in range(3))
    assert (first.status_code, first.json()) == (503, {"detail": "Internal Server Error"})
    assert second.status_code == 503
    assert third.status_code == 200
    assert [r.fault for r in app.request_log] == ["503", "503", None]


def test_scripted_faults_only_hit_matching_requests(
    app: EmulatorApp, client: httpx.Client, dataset: Dataset
) -> None:
    """A script for one method and path prefix leaves other requests alone until a match comes."""
    app.script_faults("DELETE", f"{API}/runs", [500])
    assert client.get(_run_url(dataset)).status_code == 200
    assert client.get(f"{API}/extraction-agents").status_code == 200
    assert client.delete(_run_url(dataset)).status_code == 500
    assert client.delete(_run_url(dataset)).status_code == 200


def test_scripted_faults_come_before_auth(app: EmulatorApp, server: EmulatorServer) -> None:
    """An injected fault answers even a request without credentials (it stands for the proxy in front)."""
    app.script_faults("*", "/", [502])
    assert httpx.get(f"{server.url}/anything").status_code == 502


def test_clear_faults_forgets_scripts(app: EmulatorApp, client: httpx.Client, dataset: Dataset) -> None:
    """clear_faults drops scripted faults that have not fired."""
    app.script_faults("GET", "/", [503])
    app.clear_faults()
    assert client.get(_run_url(dataset)).status_code == 200


def test_429_carries_retry_after(dataset: Dataset) -> None:
    """An injected 429 answers 'Too many requests' with Retry-After set from the retry_after knob."""
    app = EmulatorApp(dataset, retry_after=0.25)
    app.script_faults("GET", "/", [429])
    with EmulatorServer(app) as server:
        response = httpx.get(f"{server.url}{_run_url(dataset)}", headers=AUTH)
    assert (response.status_code, response.json()) == (429, {"detail": "Too many requests"})
    assert response.headers["retry-after"] == "0.25"


def test_whole_retry_after_is_an_integer(dataset: Dataset) -> None:
    """A whole number of seconds is sent as an integer Retry-After, and None sends no header."""
    for knob, header in ((2.0, "2"), (None, None)):
        app = EmulatorApp(dataset, retry_after=knob)
        app.script_faults("GET", "/", [429])
        response = httpx.Client(transport=httpx.WSGITransport(app=app)).get(f"http://e{_run_url(dataset)}")
        assert response.headers.get("retry-after") == header


def test_dropped_connection_is_a_transport_error(
    app: EmulatorApp, client: httpx.Client, dataset: Dataset
) -> None:
    """A 'drop' fault closes the socket without an answer, which httpx reports as a transport error."""
    app.script_faults("GET", "/", ["drop"])
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(_run_url(dataset))
    assert client.get(_run_url(dataset)).status_code == 200
    assert [(r.status, r.fault) for r in app.request_log] == [(None, "drop"), (200, None)]


def test_dropped_connection_in_process_is_a_transport_error(dataset: Dataset) -> None:
    """Mounted through the tests' DroppingWSGITransport, a 'drop' fault surfaces as an httpx transport error
    caused by the emulator's DropConnection."""
    app = EmulatorApp(dataset)
    app.script_faults("GET", "/", ["drop"])
    transport = DroppingWSGITransport(app=app)
    with (
        httpx.Client(transport=transport, base_url="http://e", headers=AUTH) as http,
        pytest.raises(httpx.TransportError) as caught,
    ):
        http.get(_run_url(dataset))
    assert isinstance(caught.value, httpx.RemoteProtocolError)
    assert isinstance(caught.value.__cause__, DropConnection)
    assert [(r.status, r.fault) for r in app.request_log] == [(None, "drop")]


def test_dropped_connection_without_the_wrapper_is_the_emulators_own_signal(dataset: Dataset) -> None:
    """Under a plain httpx.WSGITransport, a 'drop' fault raises DropConnection itself, not an httpx error."""
    app = EmulatorApp(dataset)
    app.script_faults("GET", "/", ["drop"])
    with (
        httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://e", headers=AUTH) as http,
        pytest.raises(DropConnection) as caught,
    ):
        http.get(_run_url(dataset))
    assert isinstance(caught.value, ConnectionError)
    assert not isinstance(caught.value, httpx.HTTPError)
    assert [(r.status, r.fault) for r in app.request_log] == [(None, "drop")]


def test_slow_fault_times_out_a_short_read(dataset: Dataset) -> None:
    """A 'slow' fault stalls the answer long enough for a short client read timeout to fire."""
    app = EmulatorApp(dataset, slow_ms=300)
    app.script_faults("GET", "/", ["slow"])
    with (
        EmulatorServer(app) as server,
        httpx.Client(base_url=server.url, headers=AUTH) as http,
        pytest.raises(httpx.ReadTimeout),
    ):
        http.get(_run_url(dataset), timeout=httpx.Timeout(5, read=0.05))


def test_slow_fault_still_answers(dataset: Dataset) -> None:
    """A 'slow' fault answers normally once the stall is over."""
    app = EmulatorApp(dataset, slow_ms=1)
    app.script_faults("GET", "/", ["slow"])
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://e", headers=AUTH) as http:
        assert http.get(_run_url(dataset)).status_code == 200
    assert app.request_log[0].fault == "slow"


def _statuses(app: EmulatorApp, dataset: Dataset, n: int) -> list[int | None]:
    out: list[int | None] = []
    with httpx.Client(transport=DroppingWSGITransport(app=app), base_url="http://e", headers=AUTH) as http:
        for _ in range(n):
            try:
                out.append(http.get(_run_url(dataset)).status_code)
            except httpx.TransportError:
                out.append(None)
    return out


def test_random_faults_are_deterministic_for_a_seed(dataset: Dataset) -> None:
    """Two apps with the same seed and fault rate fail the same requests in the same ways."""
    first = _statuses(
        EmulatorApp(dataset, fault_rate=0.3, seed=4, faults=[429, 500, 503, "drop"]), dataset, 60
    )
    second = _statuses(
        EmulatorApp(dataset, fault_rate=0.3, seed=4, faults=[429, 500, 503, "drop"]), dataset, 60
    )
    assert first == second
    assert {429, 500, 503, None, 200} == set(first)


def test_fault_rate_extremes(dataset: Dataset) -> None:
    """fault_rate 0 never fails; fault_rate 1 with a single fault kind always answers that fault."""
    assert set(_statuses(EmulatorApp(dataset, fault_rate=0.0), dataset, 30)) == {200}
    assert set(_statuses(EmulatorApp(dataset, fault_rate=1.0, faults=[500]), dataset, 30)) == {500}


def test_fault_rate_can_change_at_runtime(dataset: Dataset) -> None:
    """The fault_rate knob is a plain attribute that takes effect on the next request."""
    app = EmulatorApp(dataset, fault_rate=1.0, faults=[503])
    assert _statuses(app, dataset, 1) == [503]
    app.fault_rate = 0.0
    assert _statuses(app, dataset, 1) == [200]


def test_latency_knob_still_answers(dataset: Dataset) -> None:
    """With latency_ms set, requests are answered normally (the delay itself is not timed here)."""
    app = EmulatorApp(dataset, latency_ms=1)
    assert _statuses(app, dataset, 2) == [200, 200]
