"""The client against the emulator over real loopback HTTP: every read endpoint, paging, faults, errors.

The emulator's data set is the ground truth; runs are compared field by field and their JSON
payloads byte for byte, so a float that should have stayed an int, or a reordered key, fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from loopback import API_KEY

from llamacloud_etl.client import LlamaCloudClient
from llamacloud_etl.emulator import Dataset, EmulatorApp, EmulatorServer, dumps
from llamacloud_etl.errors import AuthenticationError, InvalidIdError, NotFoundError
from llamacloud_etl.models import ExtractAgent, ExtractJob, ExtractRun, JobStatus

RUNS_PATH = "/api/v1/extraction/runs"
UNKNOWN_ID = "0b7d3e5a-9f12-4c6e-a8b4-2d1f6e9c7a03"


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[LlamaCloudClient]:
    """The client pointed at the emulator on loopback (plain http is allowed there)."""
    with LlamaCloudClient(api_key=API_KEY, base_url=server.url) as running:
        yield running


def _created(raw: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(raw["created_at"].replace("Z", "+00:00"))


def _success_with_success_job(dataset: Dataset) -> dict[str, Any]:
    """A SUCCESS run whose job is SUCCESS (not PARTIAL_SUCCESS), so it has a complete result."""
    return next(
        r
        for r in dataset.runs
        if r["status"] == "SUCCESS" and dataset.job_for_run(r["id"])["status"] == JobStatus.SUCCESS
    )


def _busiest_agent(dataset: Dataset) -> str:
    ids: list[str] = [a["id"] for a in dataset.agents]
    return max(ids, key=lambda aid: len(dataset.runs_for_agent(aid)))


def _mismatches(runs: list[ExtractRun], dataset: Dataset) -> list[str]:
    """IDs of fetched runs that differ from the data set's wire JSON in any field or payload byte."""
    bad = []
    for run in runs:
        raw = dataset.run(run.id)
        same = run == ExtractRun.model_validate(raw) and all(
            # Byte-identical re-serialisation: JSON types (int vs float), values and key order.
            dumps(getattr(run, key)) == dumps(raw[key])
            for key in ("data", "data_schema", "extraction_metadata")
        )
        if not same:
            bad.append(run.id)
    return bad


# -- listing ---------------------------------------------------------------------------------


def test_list_agents_equals_the_data_sets_agents(client: LlamaCloudClient, dataset: Dataset) -> None:
    """The listed agents are the data set's agents, newest first, equal field by field."""
    assert client.list_agents() == [ExtractAgent.model_validate(a) for a in dataset.agents]


@pytest.mark.parametrize("page_size", [100, 7, 2])
def test_list_runs_yields_every_run_of_each_agent_newest_first(
    client: LlamaCloudClient, dataset: Dataset, page_size: int
) -> None:
    """Walking every agent's pages yields exactly its runs, newest first, each once."""
    listed = {a["id"]: [r.id for r in client.list_runs(a["id"], page_size=page_size)] for a in dataset.agents}
    expected = {a["id"]: [r["id"] for r in dataset.runs_for_agent(a["id"])] for a in dataset.agents}
    assert listed == expected and sum(map(len, listed.values())) == len(dataset.runs)


def test_list_runs_created_after_yields_only_the_newer_runs(
    client: LlamaCloudClient, dataset: Dataset
) -> None:
    """``created_after`` keeps exactly the runs created at or after it, in listing order."""
    agent_id = _busiest_agent(dataset)
    since = dataset.end - timedelta(days=10)
    got = [r.id for r in client.list_runs(agent_id, page_size=7, created_after=since)]
    expected = [r["id"] for r in dataset.runs_for_agent(agent_id) if _created(r) >= since]
    assert 0 < len(got) < len(dataset.runs_for_agent(agent_id)) and got == expected


def test_list_runs_created_after_stops_paging_early(
    client: LlamaCloudClient, app: EmulatorApp, dataset: Dataset
) -> None:
    """A recent ``created_after`` stops after the first page older than it, sending fewer requests."""
    agent_id = _busiest_agent(dataset)
    list(client.list_runs(agent_id, page_size=7))
    everything = app.request_count
    app.reset_request_log()
    list(client.list_runs(agent_id, page_size=7, created_after=dataset.end - timedelta(days=10)))
    assert app.request_count < everything


# -- fetching by ID --------------------------------------------------------------------------


def test_fetch_runs_returns_every_run_equal_to_the_ground_truth(
    client: LlamaCloudClient, dataset: Dataset
) -> None:
    """Every run fetched by ID equals the data set's run, payloads byte for byte."""
    fetched = list(client.fetch_runs(r["id"] for r in dataset.runs))
    runs = [f.run for f in fetched if f.run is not None]
    assert [f.error for f in fetched if f.error is not None] == []
    assert sorted(r.id for r in runs) == sorted(r["id"] for r in dataset.runs)
    assert _mismatches(runs, dataset) == []


def test_fetch_runs_under_random_faults_still_returns_every_run_intact(
    server: EmulatorServer, app: EmulatorApp, dataset: Dataset
) -> None:
    """With 30 % of requests failing (429, 5xx, dropped, slow), retries deliver every run unchanged."""
    app.fault_rate = 0.3
    app.slow_ms = 5.0  # a "slow" answer still arrives; half a second each would only slow the suite
    # Ten attempts per call: a run fails only if ten draws in a row hit a fault (0.3**10 ~ 6e-6).
    with LlamaCloudClient(api_key=API_KEY, base_url=server.url, max_retries=9) as client:
        fetched = list(client.fetch_runs(r["id"] for r in dataset.runs))
        retries = client.stats.retries
    runs = [f.run for f in fetched if f.run is not None]
    assert [f.error for f in fetched if f.error is not None] == []
    assert sorted(r.id for r in runs) == sorted(r["id"] for r in dataset.runs)
    assert _mismatches(runs, dataset) == [] and retries > 0


# -- jobs ------------------------------------------------------------------------------------


def test_get_run_by_job_returns_the_jobs_run(client: LlamaCloudClient, dataset: Dataset) -> None:
    """A SUCCESS job's run is fetched by job ID, equal to the ground truth."""
    raw = _success_with_success_job(dataset)
    run = client.get_run_by_job(raw["job_id"])
    assert run.id == raw["id"] and _mismatches([run], dataset) == []


def test_list_jobs_returns_one_job_per_run_in_listing_order(
    client: LlamaCloudClient, dataset: Dataset
) -> None:
    """An agent's jobs are those of its runs, newest run first."""
    agent_id = _busiest_agent(dataset)
    jobs = client.list_jobs(agent_id)
    assert [j.id for j in jobs] == [r["job_id"] for r in dataset.runs_for_agent(agent_id)]


def test_get_job_returns_the_success_job_with_its_agent(client: LlamaCloudClient, dataset: Dataset) -> None:
    """A SUCCESS job comes back equal to the data set's, with its agent embedded."""
    raw = _success_with_success_job(dataset)
    job = client.get_job(raw["job_id"])
    assert job == ExtractJob.model_validate(dataset.job(raw["job_id"]))
    assert (job.status, job.extraction_agent.id) == (JobStatus.SUCCESS, raw["extraction_agent_id"])


def test_get_job_result_carries_the_runs_data_and_metadata(
    client: LlamaCloudClient, dataset: Dataset
) -> None:
    """A SUCCESS job's result holds its run's ID, agent, and byte-identical data and metadata."""
    raw = _success_with_success_job(dataset)
    result = client.get_job_result(raw["job_id"])
    assert (result.run_id, result.extraction_agent_id) == (raw["id"], raw["extraction_agent_id"])
    assert dumps(result.data) == dumps(raw["data"])
    assert dumps(result.extraction_metadata) == dumps(raw["extraction_metadata"])


# -- errors ----------------------------------------------------------------------------------


def test_a_wrong_key_raises_authentication_error_that_does_not_show_it(server: EmulatorServer) -> None:
    """A 401 becomes AuthenticationError, and neither its text nor its repr holds the key sent."""
    wrong = "llx-wrong-key-that-must-stay-secret-0001"
    with (
        LlamaCloudClient(api_key=wrong, base_url=server.url) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.list_agents()
    shown = f"{caught.value} {caught.value!r} {caught.value.detail!r}"
    assert caught.value.status_code == 401 and wrong not in shown and API_KEY not in shown


def test_an_unknown_run_raises_not_found_naming_the_url(
    client: LlamaCloudClient, server: EmulatorServer
) -> None:
    """A 404 for a run becomes NotFoundError whose message holds the full URL requested."""
    with pytest.raises(NotFoundError) as caught:
        client.get_run(UNKNOWN_ID)
    url = f"{server.url}{RUNS_PATH}/{UNKNOWN_ID}"
    assert (caught.value.status_code, caught.value.url) == (404, url) and url in str(caught.value)


@pytest.mark.parametrize(
    "bad_id",
    ["not-a-uuid", "../extraction-agents", "0b7d3e5a9f124c6ea8b42d1f6e9c7a03", f"{UNKNOWN_ID}?x=1", ""],
)
def test_a_malformed_run_id_fails_before_any_request(
    client: LlamaCloudClient, app: EmulatorApp, bad_id: str
) -> None:
    """A run ID that is not a canonical UUID raises InvalidIdError and sends nothing."""
    before = app.request_count
    with pytest.raises(InvalidIdError):
        client.get_run(bad_id)
    assert app.request_count == before


def test_a_dropped_connection_is_retried_once(
    client: LlamaCloudClient, app: EmulatorApp, dataset: Dataset
) -> None:
    """A connection dropped without an answer is retried once, and the run then arrives intact."""
    raw = dataset.runs[0]
    app.script_faults("GET", f"{RUNS_PATH}/{raw['id']}", ["drop"])
    run = client.get_run(raw["id"])
    assert _mismatches([run], dataset) == []
    assert (client.stats.retries, client.stats.transport_errors) == (1, 1)
    assert [(r.fault, r.status) for r in app.request_log] == [("drop", None), (None, 200)]


def test_list_run_summaries_match_the_full_listing(client: LlamaCloudClient, dataset: Dataset) -> None:
    """Summaries carry the same runs, statuses, times and schemas as the full listing, in the same order."""
    for agent in dataset.agents:
        full = list(client.list_runs(agent["id"], page_size=7))
        light = list(client.list_run_summaries(agent["id"], page_size=7))
        assert [(r.id, r.status, r.created_at, r.data_schema) for r in full] == [
            (r.id, r.status, r.created_at, r.data_schema) for r in light
        ]


def test_size_runs_counts_the_agents_runs_and_weighs_its_newest(
    client: LlamaCloudClient, dataset: Dataset
) -> None:
    """size_runs returns the agent's run count and the mean JSON size of its newest runs, in one request."""
    agent_id = _busiest_agent(dataset)
    runs = sorted(
        (r for r in dataset.runs if r["extraction_agent_id"] == agent_id), key=_created, reverse=True
    )
    before = client.stats.requests
    size = client.size_runs(agent_id, sample=3)
    assert client.stats.requests == before + 1
    assert size.total == len(runs)
    shortest, longest = min(len(dumps(r)) for r in runs[:3]), max(len(dumps(r)) for r in runs[:3])
    assert shortest <= size.bytes_per_run <= longest + 100  # the page adds a little framing per run
    assert size.bytes == size.total * size.bytes_per_run


def test_size_runs_with_span_dates_the_newest_and_oldest_run_in_one_more_request(
    client: LlamaCloudClient, dataset: Dataset
) -> None:
    """size_runs(span=True) also returns when the agent's newest and oldest runs were created."""
    agent_id = _busiest_agent(dataset)
    created = sorted(_created(r) for r in dataset.runs if r["extraction_agent_id"] == agent_id)
    before = client.stats.requests
    size = client.size_runs(agent_id, sample=3, span=True)
    assert client.stats.requests == before + 2
    assert (size.oldest, size.newest) == (created[0], created[-1])
