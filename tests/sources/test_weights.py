"""Agents weighed for sharing out between processes: every source in the same unit, bytes in the range."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import httpx
import pytest

from llamacloud_etl.emulator import DEFAULT_START, Dataset, EmulatorApp, build_dataset
from llamacloud_etl.run import Agent, day_bounds
from llamacloud_etl.settings import ApiSettings
from llamacloud_etl.sources.both import BothSources
from llamacloud_etl.sources.v1 import V1Source
from llamacloud_etl.sources.v2 import EXPAND, V2Source

KEY = "llx-weights-test-key-1357"
CUTOVER = DEFAULT_START + timedelta(days=21)
"""v1 runs before, v2 jobs from here on."""


@pytest.fixture(scope="module")
def history() -> Dataset:
    """Six weeks: three of v1 runs, then three of v2 jobs (one agent's run inline)."""
    return build_dataset(2000, seed=3, days=42, v2_from=CUTOVER)


@pytest.fixture(scope="module")
def app(history: Dataset) -> EmulatorApp:
    """The emulator, in-process."""
    return EmulatorApp(history, api_key=KEY)


@pytest.fixture
def both(app: EmulatorApp) -> Iterator[BothSources]:
    """v1 and v2 as one source, over the emulator."""
    settings = ApiSettings(api_key=KEY, base_url="http://127.0.0.1")
    transport = httpx.WSGITransport(app=app)
    with BothSources(
        V1Source.connect(settings, transport=transport), V2Source.connect(settings, transport=transport)
    ) as source:
        yield source


def _served_bytes(app: EmulatorApp, history: Dataset, agent: Agent, since: datetime, until: datetime) -> int:
    """What the agent's runs created in ``[since, until)`` weigh as the API serves them one by one."""

    def inside(item: dict[str, str]) -> bool:
        return since <= datetime.fromisoformat(item["created_at"].replace("Z", "+00:00")) < until

    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://127.0.0.1") as http:
        if agent.api_version == "v1":
            runs = [r for r in history.runs if r["extraction_agent_id"] == agent.id and inside(r)]
            return sum(
                len(http.get(f"/api/v1/extraction/runs/{r['id']}", headers=headers).content) for r in runs
            )
        jobs = [
            j
            for j in history.v2_jobs
            if (j["configuration_id"] or agent.listing) == agent.listing_key and inside(j)
        ]
        params = {"expand": list(EXPAND)}
        return sum(
            len(http.get(f"/api/v2/extract/{j['id']}", params=params, headers=headers).content) for j in jobs
        )


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (DEFAULT_START, DEFAULT_START + timedelta(days=41)),
        (DEFAULT_START + timedelta(days=14), DEFAULT_START + timedelta(days=27)),
    ],
    ids=["whole history", "two weeks across the cutover"],
)
def test_v1_and_v2_agents_weigh_about_the_bytes_their_runs_in_the_range_hold(
    both: BothSources, app: EmulatorApp, history: Dataset, first: date, last: date
) -> None:
    """Every agent, v1 or v2, weighs within 2.5x of the bytes of its runs in the range (one unit)."""
    since, until = day_bounds(first, last)
    for agent in both.list_agents(since, until):
        served = _served_bytes(app, history, agent, since, until)
        weight = both.weigh(agent, since, until)
        if served == 0:
            assert weight == 0, agent
        else:
            assert served / 2.5 <= weight <= served * 2.5, (agent, weight, served)


def test_agents_without_runs_in_the_range_weigh_nothing(both: BothSources, history: Dataset) -> None:
    """A v1 agent whose runs all precede the range, and a v2 configuration with no jobs in it, weigh 0."""
    since, until = day_bounds(CUTOVER, history.end.date())
    weights = {(a.api_version, a.id): both.weigh(a, since, until) for a in both.list_agents(since, until)}
    v1 = [w for (version, _), w in weights.items() if version == "v1"]
    assert v1 and all(w == 0 for w in v1)
    assert any(w == 0 for (version, _), w in weights.items() if version == "v2")
