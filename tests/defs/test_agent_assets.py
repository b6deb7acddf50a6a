"""One asset per agent, built from the cached agent list; without it, the aggregate assets alone."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from dagster._utils.test.definitions import scoped_reconstruction_metadata
from loopback import first_last

from llamacloud_etl.agent_state import AgentState, refresh_agent_state, state_path, write_agent_state
from llamacloud_etl.defs import JOB_NAME, build_defs
from llamacloud_etl.defs.agents import DEFS_KEY
from llamacloud_etl.defs.assets import API_KEY, FIELD_METADATA_KEY, RECORDS_KEY, RUNS_KEY
from llamacloud_etl.defs.keys import agent_key
from llamacloud_etl.defs.resources import LlamaCloudResource
from llamacloud_etl.defs.runner import dagster_instance, run_range
from llamacloud_etl.emulator import Dataset
from llamacloud_etl.run import Agent
from llamacloud_etl.settings import AGENTS_ENV, STATE_DIR_ENV

AGGREGATE = {API_KEY, RUNS_KEY, FIELD_METADATA_KEY, RECORDS_KEY}
INVOICES = Agent("c47a1e90-0000-4000-8000-000000000001", "Invoices EU")
CONTRACTS = Agent("0b5e2f11-0000-4000-8000-000000000002", "Contracts")


def _keys(defs: dg.Definitions) -> set[dg.AssetKey]:
    return {spec.key for spec in defs.resolve_all_asset_specs()}


def _cache(state_dir: Path, *agents: Agent) -> None:
    write_agent_state(
        state_path(state_dir), AgentState(agents=agents, fetched_at="2026-12-01T00:00:00+00:00")
    )


def test_without_a_cached_agent_list_the_aggregate_assets_load(tmp_path: Path) -> None:
    """No state file and no API key: the definitions load with the aggregate assets only."""
    defs = build_defs(state_dir=str(tmp_path / "none"))
    assert _keys(defs) == AGGREGATE
    assert defs.resolve_job_def(JOB_NAME) is not None


def test_a_cached_agent_list_gives_each_agent_its_asset(tmp_path: Path) -> None:
    """Each cached agent gets ``llamacloud/<slug>/records``, a skippable part of the landing multi-asset."""
    _cache(tmp_path, INVOICES, CONTRACTS)
    defs = build_defs(state_dir=str(tmp_path))
    invoices = dg.AssetKey(["llamacloud", "invoices-eu-c47a1e90", "records"])
    assert _keys(defs) == AGGREGATE | {invoices, agent_key(CONTRACTS)}
    landing = defs.resolve_assets_def(invoices)
    assert landing.node_def.name == "land_extraction_runs" and RECORDS_KEY in landing.keys
    spec = next(s for s in landing.specs if s.key == invoices)
    assert spec.skippable and spec.metadata["agent_id"] == INVOICES.id


def test_the_state_directory_and_the_agent_filter_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LLAMACLOUD_ETL_STATE_DIR locates the list; LLAMACLOUD_ETL_AGENTS keeps only those agents' assets."""
    _cache(tmp_path, INVOICES, CONTRACTS)
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(AGENTS_ENV, "contracts, an-agent-not-cached-yet")
    assert _keys(build_defs()) == AGGREGATE | {agent_key(CONTRACTS)}


def test_an_unreadable_agent_list_is_ignored(tmp_path: Path) -> None:
    """A corrupt state file does not stop the definitions loading: the aggregate assets remain."""
    state_path(tmp_path).write_text("{not json")
    assert _keys(build_defs(state_dir=str(tmp_path))) == AGGREGATE


def test_a_run_worker_rebuilds_the_assets_from_the_pinned_state(tmp_path: Path) -> None:
    """Reconstructing the definitions uses the state the code server pinned, not the file on disk."""
    pinned = AgentState(agents=(INVOICES,), fetched_at="").to_json()
    with scoped_reconstruction_metadata({DEFS_KEY: dg.serialize_value(pinned)}):
        defs = build_defs(state_dir=str(tmp_path / "none"))
    assert _keys(defs) == AGGREGATE | {agent_key(INVOICES)}


def test_refresh_caches_the_agents_the_api_lists(
    dataset: Dataset, tmp_path: Path, resource: LlamaCloudResource
) -> None:
    """Refreshing writes every listed agent, and the definitions then load them without the API."""
    with resource.get_source() as source:
        state = refresh_agent_state(source, state_path(tmp_path))
    listed = {a["id"] for a in dataset.agents}
    assert {a.id for a in state.agents} >= listed
    keys = _keys(build_defs(state_dir=str(tmp_path)))
    assert {agent_key(a) for a in state.agents} <= keys


def test_a_landing_of_one_agent_skips_the_other_agents_assets(
    dataset: Dataset, lake: Path, resource: LlamaCloudResource, tmp_path: Path
) -> None:
    """With ``agents`` set in the run config, only that agent's asset (and the aggregates) materialize."""
    agents = [Agent(a["id"], a["name"]) for a in dataset.agents]
    defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource, agent_assets=agents)
    first, last = first_last(dataset)
    config = {"ops": {"land_extraction_runs": {"config": {"agents": [agents[0].id]}}}}
    with dagster_instance() as instance:
        outcome = run_range(
            defs, JOB_NAME, last - (last - first) // 4, last, instance=instance, run_config=config
        )
    assert outcome.success, outcome.error
    landed = set(outcome.metadata)
    assert agent_key(agents[0]).to_user_string() in landed
    assert not {agent_key(a).to_user_string() for a in agents[1:]} & landed
