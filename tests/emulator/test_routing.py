"""Routing and parameter checks over loopback HTTP: 404, 405, 307, HEAD, and pydantic-shaped 422s."""

from __future__ import annotations

import httpx
import pytest

from llamacloud_etl.emulator import Dataset, dumps

from .conftest import API, agent_named_id


def test_unknown_route_is_404_not_found(client: httpx.Client) -> None:
    """An unknown path answers 404 {'detail': 'Not Found'}, even without auth."""
    assert client.get("/api/v1/nothing-here").json() == {"detail": "Not Found"}
    assert httpx.get(f"{client.base_url}/api/v1/nothing-here").status_code == 404


def test_wrong_method_is_405(client: httpx.Client, dataset: Dataset) -> None:
    """A known path with an unsupported method answers 405 with an Allow header."""
    response = client.put(f"{API}/runs/{dataset.runs[0]['id']}")
    assert (response.status_code, response.json()) == (405, {"detail": "Method Not Allowed"})
    assert response.headers["allow"] == "DELETE, GET, HEAD"


def test_trailing_slash_redirects(client: httpx.Client, dataset: Dataset) -> None:
    """A trailing slash is redirected (307) to the path without it, keeping the query."""
    params = {"extraction_agent_id": agent_named_id(dataset)}
    response = client.get(f"{API}/runs/", params=params)
    assert response.status_code == 307
    assert response.headers["location"] == f"{API}/runs?extraction_agent_id={params['extraction_agent_id']}"


def test_head_has_headers_but_no_body(client: httpx.Client, dataset: Dataset) -> None:
    """HEAD on a GET route answers like GET without a body."""
    response = client.head(f"{API}/runs/{dataset.runs[0]['id']}")
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) == len(dumps(dataset.runs[0]))


def test_malformed_path_uuid_is_422_pydantic_shaped(client: httpx.Client) -> None:
    """A malformed run id answers 422 with a pydantic-v2 uuid_parsing error located at path.run_id."""
    response = client.get(f"{API}/runs/not-a-uuid")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["type"] == "uuid_parsing"
    assert error["loc"] == ["path", "run_id"]
    assert error["msg"].startswith("Input should be a valid UUID")
    assert error["input"] == "not-a-uuid"
    assert "error" in error["ctx"]


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("runs/by-job/x", ["path", "job_id"]),
        ("jobs/x", ["path", "job_id"]),
        ("jobs/x/result", ["path", "job_id"]),
        ("extraction-agents/x", ["path", "extraction_agent_id"]),
    ],
)
def test_every_path_id_is_validated(client: httpx.Client, path: str, loc: list[str]) -> None:
    """Every path id is parsed as a UUID, with the error located at its own parameter."""
    response = client.get(f"{API}/{path}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_missing_required_query_is_422_missing(client: httpx.Client) -> None:
    """Listing runs without extraction_agent_id answers 422 type 'missing' at query.extraction_agent_id."""
    response = client.get(f"{API}/runs")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "missing",
                "loc": ["query", "extraction_agent_id"],
                "msg": "Field required",
                "input": None,
            }
        ]
    }


def test_all_query_errors_are_reported_together(client: httpx.Client, dataset: Dataset) -> None:
    """Bad skip, limit and status are all reported in one 422, in parameter order."""
    params = {"extraction_agent_id": "nope", "skip": "-1", "limit": "ten", "status": "DONE"}
    detail = client.get(f"{API}/runs", params=params).json()["detail"]
    assert [(e["loc"][1], e["type"]) for e in detail] == [
        ("extraction_agent_id", "uuid_parsing"),
        ("skip", "greater_than_equal"),
        ("limit", "int_parsing"),
        ("status", "enum"),
    ]


def test_bad_boolean_is_422(client: httpx.Client) -> None:
    """include_default must be a boolean."""
    response = client.get(f"{API}/extraction-agents", params={"include_default": "maybe"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "bool_parsing"
