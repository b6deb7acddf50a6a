"""Unit tests of llamacloud_etl.landing.processes: agents dealt out to processes, one agent's days sliced."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq

from llamacloud_etl.landing.fanout import Emit, run_in_processes
from llamacloud_etl.landing.group import LandingOptions
from llamacloud_etl.landing.processes import answer_pandas_probe, deal, plan, queued_slices, weigh
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


OPTIONS = LandingOptions(date(2026, 6, 1), date(2026, 7, 12), datetime(2026, 8, 1, tzinfo=UTC), 0.5, 16)


def test_one_agent_on_two_processes_gets_two_big_slices_then_two_short_ones() -> None:
    """One agent's 42 days over two processes: two big slices first, then two short ones, newest first."""
    tasks = plan(AGENTS[:1], {"id-a": 1.0}, OPTIONS, 2)
    spans = [(part.first, part.last) for _, part in tasks]
    assert [(last - first).days + 1 for first, last in spans] == [19, 19, 2, 2]
    assert spans[0][1] == OPTIONS.last and spans[-1][0] == OPTIONS.first
    assert all(spans[i][0] - spans[i + 1][1] == timedelta(days=1) for i in range(len(spans) - 1))


def test_a_range_too_short_for_a_tail_gets_one_slice_per_process() -> None:
    """Fewer days than a tail needs: the range is cut into as many equal slices as processes."""
    short = replace(OPTIONS, first=OPTIONS.last - timedelta(days=9))
    assert [(p.first.day, p.last.day) for p in queued_slices(short, 2)] == [(8, 12), (3, 7)]


def _arrays_then_pandas(task: int, emit: Emit) -> tuple[bool, int]:
    """Arrow arrays and a Parquet file as a landing makes them; pandas in or not; then a conversion."""
    table = pa.Table.from_pylist([{"a": task, "b": "x"}])
    pq.write_table(table, pa.BufferOutputStream())
    imported = "pandas" in sys.modules
    return imported, len(table.to_pandas())


def test_a_worker_lands_without_importing_pandas_yet_can_convert_to_it() -> None:
    """A worker set up by ``answer_pandas_probe`` builds arrays without pandas; ``to_pandas`` still works."""
    [(imported, rows)] = run_in_processes(_arrays_then_pandas, [1], processes=1, setup=answer_pandas_probe)
    assert not imported and rows == 1


class _Scale:
    """A source's weigh alone: every agent weighs its ID's length; the agents asked are kept."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def weigh(self, agent: Agent, since: datetime | None = None, until: datetime | None = None) -> float:
        self.asked.append(agent.id)
        return float(len(agent.id))


def test_agents_listed_together_are_weighed_once_and_share_the_weight() -> None:
    """One request weighs a listing: agents listed together (v2's inline groups) all get its weight."""
    agents = [Agent("a", "A"), Agent("i-1", "I1", listing="inline"), Agent("i-22", "I2", listing="inline")]
    options = LandingOptions(date(2026, 6, 1), date(2026, 6, 2), datetime(2026, 7, 1, tzinfo=UTC), 0.5, 4)
    scale = _Scale()
    assert weigh(scale, agents, options) == {"a": 1.0, "i-1": 3.0, "i-22": 3.0}  # type: ignore[arg-type]
    assert sorted(scale.asked) == ["a", "i-1"]
