"""Endpoints: paths, query parameters and typed results."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from client_fakes import (
    AGENT_ID,
    JOB_ID,
    ORG_ID,
    PROJECT_ID,
    RUN_ID,
    agent_payload,
    job_payload,
    respond,
    resultset_payload,
    run_payload,
)

from llamacloud_etl.models import (
    ExtractAgent,
    ExtractJob,
    ExtractResultset,
    ExtractRun,
    ExtractState,
    JobStatus,
)

SCOPE = {"project_id": PROJECT_ID, "organization_id": ORG_ID}

# (call, body, expected path, expected query with a scoped client, result type)
ENDPOINTS = [
    pytest.param(
        lambda c: c.get_run(RUN_ID), run_payload(), f"/runs/{RUN_ID}", SCOPE, ExtractRun, id="get_run"
    ),
    pytest.param(
        lambda c: c.get_run_by_job(JOB_ID),
        run_payload(),
        f"/runs/by-job/{JOB_ID}",
        SCOPE,
        ExtractRun,
        id="get_run_by_job",
    ),
    pytest.param(
        lambda c: c.list_agents(),
        [agent_payload()],
        "/extraction-agents",
        {"include_default": "false", **SCOPE},
        list,
        id="list_agents",
    ),
    pytest.param(
        lambda c: c.list_agents(include_default=True),
        [],
        "/extraction-agents",
        {"include_default": "true", **SCOPE},
        list,
        id="list_agents-default",
    ),
    pytest.param(
        lambda c: c.get_agent(AGENT_ID),
        agent_payload(),
        f"/extraction-agents/{AGENT_ID}",
        {},
        ExtractAgent,
        id="get_agent",
    ),
    pytest.param(
        lambda c: c.list_jobs(AGENT_ID),
        [job_payload()],
        "/jobs",
        {"extraction_agent_id": AGENT_ID},
        list,
        id="list_jobs",
    ),
    pytest.param(lambda c: c.get_job(JOB_ID), job_payload(), f"/jobs/{JOB_ID}", {}, ExtractJob, id="get_job"),
    pytest.param(
        lambda c: c.get_job_result(JOB_ID),
        resultset_payload(),
        f"/jobs/{JOB_ID}/result",
        SCOPE,
        ExtractResultset,
        id="get_job_result",
    ),
]


@pytest.mark.parametrize(("call", "body", "path", "query", "result_type"), ENDPOINTS)
def test_endpoint_path_query_and_result(make_client, call, body, path, query, result_type):
    """Each method GETs its path with project/organization only where the spec's table lists them."""
    client, recorder = make_client(respond(200, body), project_id=PROJECT_ID, organization_id=ORG_ID)
    result = call(client)
    request = recorder.requests[0]
    assert request.method == "GET"
    assert request.url.path == f"/api/v1/extraction{path}"
    assert dict(request.url.params) == query
    assert isinstance(result, result_type)


@pytest.mark.parametrize(("call", "body", "path", "query", "result_type"), ENDPOINTS)
def test_unscoped_client_omits_project_and_organization(make_client, call, body, path, query, result_type):
    """Without project_id/organization_id no such parameter is sent at all."""
    client, recorder = make_client(respond(200, body))
    call(client)
    params = recorder.requests[0].url.params
    assert "project_id" not in params
    assert "organization_id" not in params


def test_lists_are_typed(make_client):
    """list_agents and list_jobs return model instances with nested models parsed."""
    client, _ = make_client(respond(200, [job_payload(status="PARTIAL_SUCCESS")]))
    (job,) = client.list_jobs(AGENT_ID)
    assert job.status is JobStatus.PARTIAL_SUCCESS
    assert isinstance(job.extraction_agent, ExtractAgent)


def test_run_fields_are_parsed(make_client):
    """A run's status becomes the enum and created_at an aware datetime; data stays raw JSON."""
    client, _ = make_client(respond(200, run_payload(data={"n": 1, "f": 1.5})))
    run = client.get_run(RUN_ID)
    assert run.status is ExtractState.SUCCESS
    assert run.created_at is not None
    assert run.created_at.utcoffset() is not None
    assert run.data == {"n": 1, "f": 1.5}
    assert type(run.data["n"]) is int


def test_a_success_status_other_than_200_is_accepted(make_client):
    """Any 2xx is a success."""
    client, _ = make_client(lambda request: httpx.Response(203, json=[]))
    assert client.list_agents() == []


def test_size_runs_reads_naive_creation_times_as_utc(make_client) -> None:
    """A run without a timezone in created_at spans the agent as UTC, so a UTC range can be weighed."""
    naive = run_payload()
    naive["created_at"] = naive["created_at"].removesuffix("Z")
    client, _ = make_client(respond(200, {"items": [naive], "total": 1, "skip": 0, "limit": 5}))
    size = client.size_runs(AGENT_ID, span=True)
    assert size.newest is not None and size.newest.utcoffset() is not None
    assert size.oldest == size.newest
    assert size.runs_in(size.newest - timedelta(days=1), size.newest + timedelta(days=1)) == 1.0
