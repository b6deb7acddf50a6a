"""Fixtures of the emulator tests: shared data sets, a fresh app per test, a loopback server and a client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from llamacloud_etl.emulator import DEFAULT_API_KEY, Dataset, EmulatorApp, EmulatorServer, build_dataset

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
API = "/api/v1/extraction"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def agent_named_id(dataset: Dataset, name: str = "Invoices") -> str:
    """The id of the data set's listed agent with this name."""
    return str(dataset.agent_named(name)["id"])


@pytest.fixture(scope="session")
def full_dataset() -> Dataset:
    """The default data set (400 runs, seed 0): what the demo serves, used for coverage checks."""
    return build_dataset()


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    """A smaller data set for the HTTP tests, so each test's fresh app starts fast."""
    return build_dataset(120, seed=3)


@pytest.fixture
def app(dataset: Dataset) -> EmulatorApp:
    """A fresh app per test: mutations and scripted faults never leak between tests."""
    return EmulatorApp(dataset)


@pytest.fixture
def server(app: EmulatorApp) -> Iterator[EmulatorServer]:
    """The app on a free loopback port."""
    with EmulatorServer(app) as running:
        yield running


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[httpx.Client]:
    """A plain httpx client on the server, authenticated with the emulator's key."""
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as http:
        yield http


@pytest.fixture
def http(app: EmulatorApp) -> httpx.Client:
    """An in-process client on the test's app (the HTTP layer is covered elsewhere)."""
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://emulator", headers=AUTH)
