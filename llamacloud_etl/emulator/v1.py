"""The v1 extraction API's handlers (``/api/v1/extraction/...``) and their route table, :data:`ROUTES`.

Each handler parses its parameters (422 on errors), reads :class:`~.state.EmulatorState` and answers:
404 for unknown ids, 403 for a ``project_id``/``organization_id`` that is not the key's. Reads of a run
or its job count toward a scheduled completion. Another API version is another module like this one,
over the same state, whose routes the app adds to its router.

Examples:
    >>> from llamacloud_etl.emulator.dataset import build_dataset
    >>> from llamacloud_etl.emulator.routing import Params
    >>> from llamacloud_etl.emulator.state import EmulatorState, JobEntry
    >>> dataset = build_dataset(20)
    >>> state = EmulatorState(dataset)
    >>> params = Params.parse({}, f"extraction_agent_id={dataset.agents[0]['id']}&limit=2")
    >>> response = list_runs(state, params)
    >>> response.status, response.body.endswith(b',"skip":0,"limit":2}')
    (200, True)
"""

from __future__ import annotations

from llamacloud_etl.emulator.routing import (
    Params,
    Response,
    check_scope,
    detail,
    json_response,
    path_id,
    route,
)
from llamacloud_etl.emulator.state import EmulatorState, JobEntry

PREFIX = "/api/v1/extraction"

_NOT_FOUND_RUN = "Extraction run not found"
_NOT_FOUND_JOB = "Extraction job not found"
_NOT_FOUND_AGENT = "Extraction agent not found"


def list_runs(state: EmulatorState, params: Params) -> Response:
    """``GET /runs``: one page of an agent's runs, newest first, optionally filtered by status or id."""
    agent_id = params.query_uuid("extraction_agent_id", required=True)
    skip = params.query_int("skip", 0)
    limit = params.query_int("limit", 25)
    status = params.query_state("status")
    run_id = params.query.get("run_id")
    if params.errors:
        return detail(422, params.errors)
    assert agent_id is not None
    with state.lock:
        if agent_id not in state.agents:
            return detail(404, _NOT_FOUND_AGENT)
        entries = state.runs_of(agent_id)
    if status is not None:
        entries = [e for e in entries if e.run["status"] == status]
    if run_id is not None:
        entries = [e for e in entries if e.run["id"] == run_id.strip().lower()]
    page = entries[skip : skip + limit]
    body = b'{"items":[%s],"total":%d,"skip":%d,"limit":%d}' % (
        b",".join(e.body for e in page),
        len(entries),
        skip,
        limit,
    )
    return json_response(200, body)


def get_run(state: EmulatorState, params: Params) -> Response:
    """``GET /runs/{run_id}``."""
    run_id = path_id(params, "run_id", scoped=True)
    if isinstance(run_id, Response):
        return run_id
    with state.lock:
        state.on_read(run_id)
        entry = state.run_entry(run_id)
    return detail(404, _NOT_FOUND_RUN) if entry is None else json_response(200, entry.body)


def get_run_by_job(state: EmulatorState, params: Params) -> Response:
    """``GET /runs/by-job/{job_id}``: the run of a job."""
    job_id = path_id(params, "job_id", scoped=True)
    if isinstance(job_id, Response):
        return job_id
    with state.lock:
        job = _read_job(state, job_id)
        entry = None if job is None else state.run_entry(job.run_id)
    return detail(404, _NOT_FOUND_RUN) if entry is None else json_response(200, entry.body)


def delete_run(state: EmulatorState, params: Params) -> Response:
    """``DELETE /runs/{run_id}``: answers ``{}``; the run's job stays."""
    run_id = path_id(params, "run_id", scoped=True)
    if isinstance(run_id, Response):
        return run_id
    with state.lock:
        if state.run_entry(run_id) is None:
            return detail(404, _NOT_FOUND_RUN)
        state.delete_run(run_id)
    return json_response(200, b"{}")


def list_agents(state: EmulatorState, params: Params) -> Response:
    """``GET /extraction-agents``: a plain array, newest first; default agents only on request."""
    include_default = params.query_bool("include_default", False)
    denied = check_scope(params)
    if denied is not None:
        return denied
    agents = [a for a in state.agents.values() if include_default or a["id"] not in state.default_agent_ids]
    agents.sort(key=lambda a: (a["created_at"] or "", a["id"]), reverse=True)
    return json_response(200, b"[" + b",".join(state.agent_bodies[a["id"]] for a in agents) + b"]")


def get_agent(state: EmulatorState, params: Params) -> Response:
    """``GET /extraction-agents/{extraction_agent_id}``."""
    agent_id = path_id(params, "extraction_agent_id")
    if isinstance(agent_id, Response):
        return agent_id
    body = state.agent_bodies.get(agent_id)
    return detail(404, _NOT_FOUND_AGENT) if body is None else json_response(200, body)


def list_jobs(state: EmulatorState, params: Params) -> Response:
    """``GET /jobs``: all of an agent's jobs as a plain array, newest first."""
    agent_id = params.query_uuid("extraction_agent_id", required=True)
    if params.errors:
        return detail(422, params.errors)
    assert agent_id is not None
    with state.lock:
        if agent_id not in state.agents:
            return detail(404, _NOT_FOUND_AGENT)
        bodies = [job.body for job in state.jobs_of(agent_id)]
    return json_response(200, b"[" + b",".join(bodies) + b"]")


def get_job(state: EmulatorState, params: Params) -> Response:
    """``GET /jobs/{job_id}``."""
    job_id = path_id(params, "job_id")
    if isinstance(job_id, Response):
        return job_id
    with state.lock:
        job = _read_job(state, job_id)
    return detail(404, _NOT_FOUND_JOB) if job is None else json_response(200, job.body)


def get_job_result(state: EmulatorState, params: Params) -> Response:
    """``GET /jobs/{job_id}/result``: the result set of a finished job; 404 until there is one."""
    job_id = path_id(params, "job_id", scoped=True)
    if isinstance(job_id, Response):
        return job_id
    with state.lock:
        job = _read_job(state, job_id)
        if job is None:
            return detail(404, _NOT_FOUND_JOB)
        body = state.result_body(job)
    if body is None:
        return detail(
            404,
            f"Result for Extraction Job {job_id} not found. Check job status to see if it has completed.",
        )
    return json_response(200, body)


def _read_job(state: EmulatorState, job_id: str) -> JobEntry | None:
    """The job after its run was read: a read may finish a run due to complete, replacing its job."""
    job = state.job_entry(job_id)
    if job is None:
        return None
    state.on_read(job.run_id)
    return state.job_entry(job_id)


ROUTES = (
    route(f"{PREFIX}/runs", GET=list_runs),
    route(f"{PREFIX}/runs/by-job/{{job_id}}", GET=get_run_by_job),
    route(f"{PREFIX}/runs/{{run_id}}", GET=get_run, DELETE=delete_run),
    route(f"{PREFIX}/extraction-agents", GET=list_agents),
    route(f"{PREFIX}/extraction-agents/{{extraction_agent_id}}", GET=get_agent),
    route(f"{PREFIX}/jobs", GET=list_jobs),
    route(f"{PREFIX}/jobs/{{job_id}}", GET=get_job),
    route(f"{PREFIX}/jobs/{{job_id}}/result", GET=get_job_result),
)
"""The v1 routes, in matching order."""
