"""Unit tests of llamacloud_etl.landing.processes: agents dealt out to processes by expected work."""

from __future__ import annotations

from llamacloud_etl.landing.processes import deal
from llamacloud_etl.run import Agent

AGENTS = [Agent(f"id-{name.lower()}", name) for name in ("A", "B", "C", "D", "E", "F")]


def _loads(groups: list[list[Agent]], weights: dict[str, float]) -> list[float]:
    return [sum(weights[a.id] for a in group) for group in groups]


def test_deal_gives_the_heaviest_group_first() -> None:
    """The groups come heaviest first, so the calling process lands the most work."""
    weights = {"id-a": 6.0, "id-b": 5.0, "id-c": 4.0, "id-d": 1.0, "id-e": 0.5, "id-f": 0.5}
    groups = deal(AGENTS, weights, 2)
    assert [[a.name for a in g] for g in groups] == [["B", "C"], ["A", "D", "E", "F"]]
    assert _loads(groups, weights) == [9.0, 8.0]


def test_deal_balances_the_loads_greedily_and_deals_every_agent_once() -> None:
    """Each agent, heaviest first, goes to the lightest group so far; every agent lands in one group."""
    weights = {"id-a": 5.0, "id-b": 5.0, "id-c": 4.0, "id-d": 3.0, "id-e": 2.0, "id-f": 1.0}
    groups = deal(AGENTS, weights, 2)
    assert [[a.name for a in g] for g in groups] == [["A", "C", "F"], ["B", "D", "E"]]
    assert _loads(groups, weights) == [10.0, 10.0]


def test_deal_makes_no_empty_group_with_more_processes_than_agents() -> None:
    """More processes than agents gives one group per agent, none empty."""
    weights = {a.id: 1.0 for a in AGENTS[:2]}
    assert [[a.name for a in g] for g in deal(AGENTS[:2], weights, 5)] == [["A"], ["B"]]
