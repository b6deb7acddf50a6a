"""Fixtures of the landing tests: the emulator in-process, a real v1 source over it, an empty store.

The client talks to the emulator through ``httpx.WSGITransport``, so nothing opens a socket; the
store is a temporary folder. Ground truth and fake sources are in ``landing_fakes``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from landing_fakes import KEY
from s3_server import *  # noqa: F403 (moto's S3 server on loopback, a bucket per test)

from llamacloud_etl.client import LlamaCloudClient
from llamacloud_etl.emulator import Dataset, EmulatorApp, EmulatorServer, build_dataset
from llamacloud_etl.run import Agent
from llamacloud_etl.settings import DEFAULT_PAGE_SIZE
from llamacloud_etl.sources import V1Source, select_agents
from llamacloud_etl.storage import ParquetStore


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    """80 runs over six weeks: every agent and status, small enough to land in well under a second."""
    return build_dataset(80, seed=5)


@pytest.fixture
def app(dataset: Dataset) -> EmulatorApp:
    """A fresh emulator per test, so mutations never leak between tests."""
    return EmulatorApp(dataset, api_key=KEY)


@pytest.fixture
def server(app: EmulatorApp) -> Iterator[EmulatorServer]:
    """The same emulator on a free loopback port, for landings whose worker processes connect to it."""
    with EmulatorServer(app) as running:
        yield running


@pytest.fixture
def source(app: EmulatorApp) -> Iterator[V1Source]:
    """The real v1 source and client, with the emulator mounted in-process, at the default page size."""
    transport = httpx.WSGITransport(app=app)
    client = LlamaCloudClient(api_key=KEY, base_url="http://127.0.0.1", transport=transport)
    with V1Source(client, page_size=DEFAULT_PAGE_SIZE) as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> ParquetStore:
    """An empty dataset root."""
    return ParquetStore(str(tmp_path))


@pytest.fixture
def agents(dataset: Dataset) -> list[Agent]:
    """The data set's listed agents, sorted as landing sorts them."""
    return select_agents([Agent(a["id"], a["name"]) for a in dataset.agents], None)
