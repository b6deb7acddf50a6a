"""The WSGI app: auth, SDK headers, error bodies, in-process mounting, the request log and its knobs."""

from __future__ import annotations

import json

import httpx
import pytest

from llamacloud_etl.emulator import DEFAULT_API_KEY, Dataset, EmulatorApp, EmulatorServer, dumps

from .conftest import API, AUTH


def test_missing_authorization_is_401_not_authenticated(server: EmulatorServer, dataset: Dataset) -> None:
    """A request without an Authorization header answers 401 'Not authenticated'."""
    response = httpx.get(f"{server.url}{API}/runs/{dataset.runs[0]['id']}")
    assert (response.status_code, response.json()) == (401, {"detail": "Not authenticated"})
    assert response.headers["www-authenticate"] == "Bearer"


def test_wrong_key_is_401_invalid_token(server: EmulatorServer, dataset: Dataset) -> None:
    """A wrong bearer key answers 401 'Invalid authentication token'."""
    response = httpx.get(
        f"{server.url}{API}/runs/{dataset.runs[0]['id']}", headers={"Authorization": "Bearer llx-x"}
    )
    assert (response.status_code, response.json()) == (401, {"detail": "Invalid authentication token"})


def test_non_bearer_scheme_is_401(server: EmulatorServer) -> None:
    """Credentials in another scheme than Bearer answer 401."""
    response = httpx.get(
        f"{server.url}{API}/extraction-agents", headers={"Authorization": "Basic bGx4OmtleQ=="}
    )
    assert (response.status_code, response.json()) == (401, {"detail": "Invalid authentication credentials"})


def test_auth_is_checked_before_validation(server: EmulatorServer) -> None:
    """A bad key with a malformed id answers 401, not 422."""
    response = httpx.get(f"{server.url}{API}/runs/not-a-uuid", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401


def test_stainless_headers_are_ignored(app: EmulatorApp, client: httpx.Client, dataset: Dataset) -> None:
    """SDK platform headers change nothing, and the retry count is recorded in the request log."""
    headers = {"X-Stainless-Lang": "python", "x-stainless-retry-count": "2", "x-stainless-read-timeout": "60"}
    response = client.get(f"{API}/runs/{dataset.runs[0]['id']}", headers=headers)
    assert response.content == dumps(dataset.runs[0])
    assert app.request_log[-1].retry_count == "2"


def test_error_bodies_are_json(client: httpx.Client) -> None:
    """Every error answer is a JSON object with a detail key."""
    for response in (client.get(f"{API}/runs"), client.get("/x"), client.post(f"{API}/jobs")):
        assert response.headers["content-type"] == "application/json"
        assert "detail" in json.loads(response.content)


def test_in_process_transport_serves_the_same_bytes(dataset: Dataset) -> None:
    """Mounted in-process with httpx.WSGITransport, the app serves the same bytes as over HTTP."""
    from llamacloud_etl.emulator import EmulatorApp

    transport = httpx.WSGITransport(app=EmulatorApp(dataset))
    with httpx.Client(transport=transport, base_url="http://emulator", headers=AUTH) as http:
        assert http.get(f"{API}/runs/{dataset.runs[0]['id']}").content == dumps(dataset.runs[0])


def test_request_log_records_requests_without_the_key(
    app: EmulatorApp, dataset: Dataset, http: httpx.Client
) -> None:
    """The request log counts requests and records method, path, query and status, never the key."""
    http.get(f"{API}/runs/{dataset.runs[0]['id']}")
    http.get(f"{API}/runs", params={"extraction_agent_id": dataset.agents[0]["id"], "limit": 3})
    assert app.request_count == 2
    first, second = app.request_log
    assert (first.method, first.status, first.fault) == ("GET", 200, None)
    assert second.query == f"extraction_agent_id={dataset.agents[0]['id']}&limit=3"
    assert DEFAULT_API_KEY not in repr(app.request_log)
    app.reset_request_log()
    assert app.request_count == 0
    assert app.request_log == []


def test_repr_hides_the_key(dataset: Dataset) -> None:
    """The app's repr never shows its API key."""
    app = EmulatorApp(dataset, api_key="llx-secret-value")
    assert "llx-secret-value" not in repr(app)
    assert "llx-secret-value" not in repr(vars(app))


def test_invalid_knobs_are_rejected(dataset: Dataset) -> None:
    """An empty key, a fault rate outside [0, 1] or an unknown fault kind is a ValueError."""
    with pytest.raises(ValueError, match="api_key"):
        EmulatorApp(dataset, api_key="")
    with pytest.raises(ValueError, match="fault_rate"):
        EmulatorApp(dataset, fault_rate=1.5)
    with pytest.raises(ValueError, match="unknown fault"):
        EmulatorApp(dataset, faults=["explode"])
    with pytest.raises(ValueError, match="4xx or 5xx"):
        EmulatorApp(dataset).script_faults("GET", "/", [200])
