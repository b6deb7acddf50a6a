"""Fixtures of the source tests: the emulator's data set and its agents in the product's nouns."""

from __future__ import annotations

import pytest

from llamacloud_etl.emulator import Dataset, build_dataset
from llamacloud_etl.run import Agent
from llamacloud_etl.sources import select_agents


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    """80 runs over six weeks: every agent and status."""
    return build_dataset(80, seed=5)


@pytest.fixture
def agents(dataset: Dataset) -> list[Agent]:
    """The data set's listed agents, sorted by name as landing sorts them."""
    return select_agents([Agent(a["id"], a["name"]) for a in dataset.agents], None)
