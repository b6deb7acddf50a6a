"""Fidelity: the official SDK (llama_cloud 1.6.0) talks to the emulator over loopback and parses everything.

The SDK sends its own headers (X-Stainless-*), auto-paginates with skip/total and maps status codes to its
exception classes; if the emulator's wire format drifted from the real API's schema, these tests would
fail. Strict response validation is switched on where it matters, so a missing required key or a wrong
type is an error rather than a silently loose model.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llama_cloud import (
    AuthenticationError,
    LlamaCloud,
    NotFoundError,
    RateLimitError,
    UnprocessableEntityError,
)

from llamacloud_etl.emulator import DEFAULT_API_KEY, Dataset, EmulatorApp, EmulatorServer

UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No LlamaCloud setting leaks in from the developer's environment."""
    for name in ("LLAMA_CLOUD_API_KEY", "LLAMA_PARSE_API_KEY", "LLAMA_CLOUD_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sdk(server: EmulatorServer) -> Iterator[LlamaCloud]:
    """The official client on the emulator, strict about response shapes, without retries."""
    with LlamaCloud(
        api_key=DEFAULT_API_KEY, base_url=server.url, max_retries=0, _strict_response_validation=True
    ) as client:
        yield client


def test_sdk_auto_pagination_lists_every_run_of_every_agent(sdk: LlamaCloud, dataset: Dataset) -> None:
    """runs.list auto-paginates each agent's runs: same ids, order and count as the data set."""
    for agent in dataset.agents:
        listed = [run.id for run in sdk.extraction.runs.list(extraction_agent_id=agent["id"], limit=9)]
        assert listed == [run["id"] for run in dataset.runs_for_agent(agent["id"])]


def test_sdk_gets_every_run(sdk: LlamaCloud, dataset: Dataset) -> None:
    """runs.get parses every run of the data set into the SDK's ExtractRun with matching fields."""
    for expected in dataset.runs:
        run = sdk.extraction.runs.get(expected["id"])
        assert (run.id, run.status, run.job_id) == (expected["id"], expected["status"], expected["job_id"])
        assert run.config.extraction_target == expected["config"]["extraction_target"]
        assert run.data == expected["data"]
        assert run.extraction_metadata == expected["extraction_metadata"]


def test_sdk_parses_the_full_default_data_set(full_dataset: Dataset) -> None:
    """The SDK lists all 400 runs of the default data set without a validation error."""
    with EmulatorServer(EmulatorApp(full_dataset)) as server:
        client = LlamaCloud(
            api_key=DEFAULT_API_KEY, base_url=server.url, max_retries=0, _strict_response_validation=True
        )
        with client:
            total = sum(
                len(list(client.extraction.runs.list(extraction_agent_id=agent["id"], limit=100)))
                for agent in full_dataset.agents
            )
    assert total == len(full_dataset.runs)


def test_sdk_reads_runs_by_job_jobs_and_results(sdk: LlamaCloud, dataset: Dataset) -> None:
    """get_by_job, jobs.get, jobs.list and jobs.get_result all parse and agree with the data set."""
    run = dataset.runs_with_status("SUCCESS")[0]
    assert sdk.extraction.runs.get_by_job(run["job_id"]).id == run["id"]
    job = sdk.extraction.jobs.get(run["job_id"])
    assert (job.status, job.extraction_agent.id) == ("SUCCESS", run["extraction_agent_id"])
    result = sdk.extraction.jobs.get_result(run["job_id"])
    assert (result.run_id, result.data) == (run["id"], run["data"])
    jobs = sdk.extraction.jobs.list(extraction_agent_id=run["extraction_agent_id"])
    assert len(jobs) == len(dataset.runs_for_agent(run["extraction_agent_id"]))


def test_sdk_lists_agents(sdk: LlamaCloud, dataset: Dataset) -> None:
    """extraction_agents.list returns the agents, and the default one only with include_default."""
    assert [a.id for a in sdk.extraction.extraction_agents.list()] == [a["id"] for a in dataset.agents]
    with_default = sdk.extraction.extraction_agents.list(include_default=True)
    assert [a.custom_configuration for a in with_default][-1] == "default"
    assert sdk.extraction.extraction_agents.get(dataset.agents[0]["id"]).name == dataset.agents[0]["name"]


def test_sdk_delete_then_not_found(sdk: LlamaCloud, dataset: Dataset) -> None:
    """runs.delete succeeds, and a later get raises the SDK's NotFoundError."""
    run_id = dataset.runs[0]["id"]
    sdk.extraction.runs.delete(run_id)
    with pytest.raises(NotFoundError) as caught:
        sdk.extraction.runs.get(run_id)
    assert caught.value.body == {"detail": "Extraction run not found"}


def test_sdk_unknown_run_is_not_found(sdk: LlamaCloud) -> None:
    """An unknown run id raises NotFoundError with status 404."""
    with pytest.raises(NotFoundError) as caught:
        sdk.extraction.runs.get(UNKNOWN)
    assert caught.value.status_code == 404


def test_sdk_bad_key_is_authentication_error(server: EmulatorServer, dataset: Dataset) -> None:
    """A wrong key raises the SDK's AuthenticationError."""
    with (
        LlamaCloud(api_key="llx-wrong", base_url=server.url, max_retries=0) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.extraction.runs.get(dataset.runs[0]["id"])
    assert caught.value.body == {"detail": "Invalid authentication token"}


def test_sdk_malformed_id_is_unprocessable(sdk: LlamaCloud) -> None:
    """A malformed id raises UnprocessableEntityError with the pydantic-shaped detail."""
    with pytest.raises(UnprocessableEntityError) as caught:
        sdk.extraction.runs.get("not-a-uuid")
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["detail"][0]["loc"] == ["path", "run_id"]


def test_sdk_retries_on_429_honouring_retry_after(
    app: EmulatorApp, server: EmulatorServer, dataset: Dataset
) -> None:
    """With retries on, the SDK waits the emulator's short Retry-After on 429s, then succeeds on attempt 3."""
    app.script_faults("GET", "/api/v1/extraction/runs", [429, 429])
    with LlamaCloud(api_key=DEFAULT_API_KEY, base_url=server.url, max_retries=2) as client:
        assert client.extraction.runs.get(dataset.runs[0]["id"]).id == dataset.runs[0]["id"]
    assert [(r.status, r.retry_count) for r in app.request_log] == [(429, "0"), (429, "1"), (200, "2")]


def test_sdk_gives_up_after_its_retries(app: EmulatorApp, server: EmulatorServer, dataset: Dataset) -> None:
    """Without retries left, an injected 429 surfaces as the SDK's RateLimitError."""
    app.script_faults("GET", "/", [429])
    with (
        LlamaCloud(api_key=DEFAULT_API_KEY, base_url=server.url, max_retries=0) as client,
        pytest.raises(RateLimitError),
    ):
        client.extraction.runs.get(dataset.runs[0]["id"])
