"""The emulated endpoints over real loopback HTTP with plain httpx (spec §2, §5, §7, §10)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from llamacloud_etl.emulator import ORGANIZATION_ID, PROJECT_ID, Dataset, EmulatorServer, dumps

from .conftest import API, AUTH

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _agent(dataset: Dataset, name: str = "Invoices") -> str:
    return str(dataset.agent_named(name)["id"])


def _all_pages(client: httpx.Client, agent_id: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    skip = 0
    while True:
        page = client.get(
            f"{API}/runs", params={"extraction_agent_id": agent_id, "skip": skip, "limit": limit}
        ).json()
        items += page["items"]
        skip += len(page["items"])
        if not page["items"] or skip >= page["total"]:
            return items


def test_run_is_served_byte_for_byte(client: httpx.Client, dataset: Dataset) -> None:
    """GET /runs/{id} answers 200 with exactly the data set's JSON for that run."""
    for run in dataset.runs[:20]:
        response = client.get(f"{API}/runs/{run['id']}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.content == dumps(run)


def test_run_id_in_other_uuid_spellings_is_accepted(client: httpx.Client, dataset: Dataset) -> None:
    """A run id in upper case or without dashes finds the run, as FastAPI's UUID parsing does."""
    run_id = dataset.runs[0]["id"]
    for spelling in (run_id.upper(), uuid.UUID(run_id).hex):
        assert client.get(f"{API}/runs/{spelling}").json()["id"] == run_id


def test_run_by_job_returns_the_jobs_run(client: httpx.Client, dataset: Dataset) -> None:
    """GET /runs/by-job/{job_id} returns the run of that job."""
    run = dataset.runs[5]
    assert client.get(f"{API}/runs/by-job/{run['job_id']}").content == dumps(run)


def test_list_is_newest_first_with_total(client: httpx.Client, dataset: Dataset) -> None:
    """The first page holds the agent's newest runs in order, and echoes skip, limit and the full total."""
    agent_id = _agent(dataset)
    expected = dataset.runs_for_agent(agent_id)
    page = client.get(f"{API}/runs", params={"extraction_agent_id": agent_id, "limit": 10}).json()
    assert list(page) == ["items", "total", "skip", "limit"]
    assert [r["id"] for r in page["items"]] == [r["id"] for r in expected[:10]]
    assert (page["total"], page["skip"], page["limit"]) == (len(expected), 0, 10)


def test_default_page_size_is_25(client: httpx.Client, dataset: Dataset) -> None:
    """Without skip and limit the API returns the first 25 runs and echoes skip 0, limit 25."""
    page = client.get(f"{API}/runs", params={"extraction_agent_id": _agent(dataset)}).json()
    assert (len(page["items"]), page["skip"], page["limit"]) == (25, 0, 25)


@pytest.mark.parametrize("limit", [1, 7, 25, 1000])
def test_paging_through_returns_every_run_once(client: httpx.Client, dataset: Dataset, limit: int) -> None:
    """Following skip/limit to the end yields each of the agent's runs exactly once, newest first."""
    for agent in dataset.agents:
        got = _all_pages(client, agent["id"], limit)
        assert [r["id"] for r in got] == [r["id"] for r in dataset.runs_for_agent(agent["id"])]


def test_limit_zero_gives_empty_items_and_the_total(client: httpx.Client, dataset: Dataset) -> None:
    """limit=0 returns no items but the correct total (§10.13)."""
    agent_id = _agent(dataset)
    page = client.get(f"{API}/runs", params={"extraction_agent_id": agent_id, "limit": 0}).json()
    assert page == {"items": [], "total": len(dataset.runs_for_agent(agent_id)), "skip": 0, "limit": 0}


def test_skip_past_the_end_gives_empty_items(client: httpx.Client, dataset: Dataset) -> None:
    """A skip beyond the total returns an empty page that still reports the total."""
    agent_id = _agent(dataset)
    page = client.get(f"{API}/runs", params={"extraction_agent_id": agent_id, "skip": 10_000}).json()
    assert page["items"] == []
    assert page["total"] == len(dataset.runs_for_agent(agent_id))


def test_status_filter_counts_only_matching_runs(client: httpx.Client, dataset: Dataset) -> None:
    """The status filter narrows both items and total to runs with that status."""
    agent_id = _agent(dataset)
    expected = [r["id"] for r in dataset.runs_for_agent(agent_id) if r["status"] == "ERROR"]
    page = client.get(
        f"{API}/runs", params={"extraction_agent_id": agent_id, "status": "ERROR", "limit": 500}
    ).json()
    assert [r["id"] for r in page["items"]] == expected
    assert page["total"] == len(expected)


def test_run_id_filter_finds_one_run(client: httpx.Client, dataset: Dataset) -> None:
    """The run_id filter returns just that run, with total 1."""
    run = dataset.runs_for_agent(_agent(dataset))[3]
    params = {"extraction_agent_id": run["extraction_agent_id"], "run_id": run["id"]}
    page = client.get(f"{API}/runs", params=params).json()
    assert [r["id"] for r in page["items"]] == [run["id"]]
    assert page["total"] == 1


def test_listed_runs_emit_every_field(client: httpx.Client, dataset: Dataset) -> None:
    """Listed runs carry every ExtractRun key with explicit nulls, in the same bytes as GET /runs/{id}."""
    agent_id = _agent(dataset, "Contracts")
    response = client.get(f"{API}/runs", params={"extraction_agent_id": agent_id, "limit": 1000})
    runs = dataset.runs_for_agent(agent_id)
    assert response.content.startswith(b'{"items":[' + dumps(runs[0]))
    for item in response.json()["items"]:
        assert len(item) == 15
        assert len(item["config"]) == 16


def test_list_of_unknown_agent_is_404(client: httpx.Client) -> None:
    """Listing runs or jobs of an agent that does not exist answers 404."""
    for path in ("runs", "jobs"):
        response = client.get(f"{API}/{path}", params={"extraction_agent_id": UNKNOWN})
        assert response.status_code == 404
        assert response.json() == {"detail": "Extraction agent not found"}


def test_delete_run_then_it_is_gone(client: httpx.Client, dataset: Dataset) -> None:
    """DELETE answers 200 {} and afterwards the run is 404 and out of the list, while its job remains."""
    run = dataset.runs_for_agent(_agent(dataset))[0]
    response = client.delete(f"{API}/runs/{run['id']}")
    assert (response.status_code, response.json()) == (200, {})
    assert client.get(f"{API}/runs/{run['id']}").status_code == 404
    assert client.get(f"{API}/runs/by-job/{run['job_id']}").status_code == 404
    assert client.delete(f"{API}/runs/{run['id']}").json() == {"detail": "Extraction run not found"}
    page = client.get(f"{API}/runs", params={"extraction_agent_id": run["extraction_agent_id"]}).json()
    assert run["id"] not in {r["id"] for r in page["items"]}
    assert page["total"] == len(dataset.runs_for_agent(run["extraction_agent_id"])) - 1
    assert client.get(f"{API}/jobs/{run['job_id']}").status_code == 200


def test_agents_list_hides_default_agents_unless_asked(client: httpx.Client, dataset: Dataset) -> None:
    """The agent list is a plain array of the project's agents; include_default=true adds the default one."""
    listed = client.get(f"{API}/extraction-agents").json()
    assert listed == list(dataset.agents)
    with_default = client.get(f"{API}/extraction-agents", params={"include_default": "true"}).json()
    assert with_default == [*dataset.agents, *dataset.default_agents]


def test_get_agent(client: httpx.Client, dataset: Dataset) -> None:
    """GET /extraction-agents/{id} returns the agent; an unknown id is 404."""
    agent = dataset.agents[1]
    assert client.get(f"{API}/extraction-agents/{agent['id']}").json() == agent
    response = client.get(f"{API}/extraction-agents/{UNKNOWN}")
    assert (response.status_code, response.json()) == (404, {"detail": "Extraction agent not found"})


def test_jobs_list_is_a_plain_array_with_embedded_agents(client: httpx.Client, dataset: Dataset) -> None:
    """GET /jobs lists the agent's jobs newest first, each embedding the full agent."""
    agent = dataset.agent_named("Supplier price list rows")
    jobs = client.get(f"{API}/jobs", params={"extraction_agent_id": agent["id"]}).json()
    assert [j["id"] for j in jobs] == [r["job_id"] for r in dataset.runs_for_agent(agent["id"])]
    assert all(j["extraction_agent"] == agent for j in jobs)
    assert set(jobs[0]) == {"id", "extraction_agent", "status", "error", "file_id", "file"}


def test_get_job(client: httpx.Client, dataset: Dataset) -> None:
    """GET /jobs/{id} returns the job; an unknown id is 404."""
    job = dataset.jobs[2]
    assert client.get(f"{API}/jobs/{job['id']}").json() == job
    response = client.get(f"{API}/jobs/{UNKNOWN}")
    assert (response.status_code, response.json()) == (404, {"detail": "Extraction job not found"})


def test_job_result_of_a_successful_job(client: httpx.Client, dataset: Dataset) -> None:
    """GET /jobs/{id}/result returns run id, agent id, data and metadata of a finished job."""
    run = dataset.runs_with_status("SUCCESS")[0]
    result = client.get(f"{API}/jobs/{run['job_id']}/result").json()
    assert result == {
        "run_id": run["id"],
        "extraction_agent_id": run["extraction_agent_id"],
        "data": run["data"],
        "extraction_metadata": run["extraction_metadata"],
    }


@pytest.mark.parametrize("status", ["PENDING", "CREATED", "ERROR"])
def test_job_result_before_success_is_404(client: httpx.Client, dataset: Dataset, status: str) -> None:
    """The result of an unfinished or failed job is 404 with the 'not found, check job status' wording."""
    run = dataset.runs_with_status(status)[0]
    response = client.get(f"{API}/jobs/{run['job_id']}/result")
    assert response.status_code == 404
    detail = (
        f"Result for Extraction Job {run['job_id']} not found. Check job status to see if it has completed."
    )
    assert response.json() == {"detail": detail}


def test_unknown_run_is_404(client: httpx.Client) -> None:
    """A well-formed but unknown run id answers 404 'Extraction run not found'."""
    response = client.get(f"{API}/runs/{UNKNOWN}")
    assert (response.status_code, response.json()) == (404, {"detail": "Extraction run not found"})


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
    params = {"extraction_agent_id": _agent(dataset)}
    response = client.get(f"{API}/runs/", params=params)
    assert response.status_code == 307
    assert response.headers["location"] == f"{API}/runs?extraction_agent_id={params['extraction_agent_id']}"


def test_head_has_headers_but_no_body(client: httpx.Client, dataset: Dataset) -> None:
    """HEAD on a GET route answers like GET without a body."""
    response = client.head(f"{API}/runs/{dataset.runs[0]['id']}")
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) == len(dumps(dataset.runs[0]))


def test_project_and_organization_params(client: httpx.Client, dataset: Dataset) -> None:
    """The key's own project/organization ids are accepted; another project is 403; a malformed one 422."""
    run_id = dataset.runs[0]["id"]
    ok = client.get(
        f"{API}/runs/{run_id}", params={"project_id": PROJECT_ID, "organization_id": ORGANIZATION_ID}
    )
    assert ok.status_code == 200
    other = client.get(f"{API}/runs/{run_id}", params={"project_id": UNKNOWN})
    assert (other.status_code, other.json()) == (
        403,
        {"detail": "User does not have access to this resource"},
    )
    bad = client.get(f"{API}/runs/{run_id}", params={"project_id": "p1"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "project_id"]


def test_stainless_headers_are_ignored(client: httpx.Client, dataset: Dataset) -> None:
    """SDK platform headers change nothing, and the retry count is recorded in the request log."""
    headers = {"X-Stainless-Lang": "python", "x-stainless-retry-count": "2", "x-stainless-read-timeout": "60"}
    response = client.get(f"{API}/runs/{dataset.runs[0]['id']}", headers=headers)
    assert response.content == dumps(dataset.runs[0])


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
