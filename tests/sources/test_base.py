"""Unit tests of llamacloud_etl.sources.base: which agents a landing selects."""

from __future__ import annotations

import pytest

from llamacloud_etl.emulator import Dataset
from llamacloud_etl.errors import ConfigurationError
from llamacloud_etl.run import Agent
from llamacloud_etl.sources.base import select_agents


def test_select_agents_without_a_filter_returns_every_agent_sorted_by_name(dataset: Dataset) -> None:
    """No filter selects all agents, sorted by name."""
    listed = [Agent(a["id"], a["name"]) for a in dataset.agents]
    assert [a.name for a in select_agents(listed, None)] == sorted(a["name"] for a in dataset.agents)


def test_select_agents_matches_an_id_in_any_case(agents: list[Agent]) -> None:
    """An agent ID selects that agent only, whatever its case."""
    wanted = agents[2]
    assert select_agents(agents, [wanted.id.upper()]) == [wanted]


def test_select_agents_matches_names_case_insensitively(agents: list[Agent]) -> None:
    """Names match regardless of case and surrounding blanks."""
    chosen = select_agents(agents, ["  CONTRACTS ", "invoices"])
    assert [a.name for a in chosen] == ["Contracts", "Invoices"]


def test_select_agents_rejects_an_unknown_entry_listing_the_agents(agents: list[Agent]) -> None:
    """An entry matching no agent is a ConfigurationError naming it and every agent of the project."""
    with pytest.raises(ConfigurationError, match="no agent matches 'Receipts'") as caught:
        select_agents(agents, ["Invoices", "Receipts"])
    message = str(caught.value)
    assert all(a.name in message and a.id in message for a in agents)
