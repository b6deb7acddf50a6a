"""The v1 endpoints over real loopback HTTP with plain httpx: runs, paging, filters, agents, jobs, results."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from llamacloud_etl.emulator import ORGANIZATION_ID, PROJECT_ID, Dataset, dumps

from .conftest import API, UNKNOWN, agent_named_id


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
    agent_id = agent_named_id(dataset)
    expected = dataset.runs_for_agent(agent_id)
    page = client.get(f"{API}/runs", params={"extraction_agent_id": agent_id, "limit": 10}).json()
    assert list(page) == ["items", "total", "skip", "limit"]
    assert [r["id"] for r in page["items"]] == [r["id"] for r in expected[:10]]
    assert (page["total"], page["skip"], page["limit"]) == (len(expected), 0, 10)


def test_default_page_size_is_25(client: httpx.Client, dataset: Dataset) -> None:
    """Without skip and limit the API returns the first 25 runs and echoes skip 0, limit 25."""
    page = client.get(f"{API}/runs", params={"extraction_agent_id": agent_named_id(dataset)}).json()
    assert (len(page["items"]), page["skip"], page["limit"]) == (25, 0, 25)


@pytest.mark.parametrize("limit", [1, 7, 25, 1000])
def test_paging_through_returns_every_run_once(client: httpx.Client, dataset: Dataset, limit: int) -> None:
    """Following skip/limit to the end yields each of the agent's runs exactly once, newest first."""
    for agent in dataset.agents:
        got = _all_pages(client, agent["id"], limit)
        assert [r["id"] for r in got] == [r["id"] for r in dataset.runs_for_agent(agent["id"])]


def test_limit_zero_gives_empty_items_and_the_total(client: httpx.Client, dataset: Dataset) -> None:
    """limit=0 returns no items but the correct total."""
    agent_id = agent_named_id(dataset)
    page = client.get(f"{API}/runs", params={"extraction_agent_id": agent_id, "limit": 0}).json()
    assert page == {"items": [], "total": len(dataset.runs_for_agent(agent_id)), "skip": 0, "limit": 0}


def test_skip_past_the_end_gives_empty_items(client: httpx.Client, dataset: Dataset) -> None:
    """A skip beyond the total returns an empty page that still reports the total."""
    agent_id = agent_named_id(dataset)
    page = client.get(f"{API}/runs", params={"extraction_agent_id": agent_id, "skip": 10_000}).json()
    assert page["items"] == []
    assert page["total"] == len(dataset.runs_for_agent(agent_id))


def test_status_filter_counts_only_matching_runs(client: httpx.Client, dataset: Dataset) -> None:
    """The status filter narrows both items and total to runs with that status."""
    agent_id = agent_named_id(dataset)
    expected = [r["id"] for r in dataset.runs_for_agent(agent_id) if r["status"] == "ERROR"]
    page = client.get(
        f"{API}/runs", params={"extraction_agent_id": agent_id, "status": "ERROR", "limit": 500}
    ).json()
    assert [r["id"] for r in page["items"]] == expected
    assert page["total"] == len(expected)


def test_run_id_filter_finds_one_run(client: httpx.Client, dataset: Dataset) -> None:
    """The run_id filter returns just that run, with total 1."""
    run = dataset.runs_for_agent(agent_named_id(dataset))[3]
    params = {"extraction_agent_id": run["extraction_agent_id"], "run_id": run["id"]}
    page = client.get(f"{API}/runs", params=params).json()
    assert [r["id"] for r in page["items"]] == [run["id"]]
    assert page["total"] == 1


def test_listed_runs_emit_every_field(client: httpx.Client, dataset: Dataset) -> None:
    """Listed runs carry every ExtractRun key with explicit nulls, in the same bytes as GET /runs/{id}."""
    agent_id = agent_named_id(dataset, "Contracts")
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
    run = dataset.runs_for_agent(agent_named_id(dataset))[0]
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
