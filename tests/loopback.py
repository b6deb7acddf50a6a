"""Fixtures of tests that talk to the emulator over loopback: server, lake, landing through Dagster."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from llamacloud_etl.defs import JOB_NAME, build_defs
from llamacloud_etl.defs.resources import LlamaCloudResource
from llamacloud_etl.defs.runner import RangeOutcome, dagster_instance, run_range
from llamacloud_etl.emulator import Dataset, EmulatorApp, EmulatorServer, build_dataset

API_KEY = "llx-integration-test-key-0123456789"
# Small pages, so every agent's listing spans many pages and days complete across page boundaries.
PAGE_SIZE = 10


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No LlamaCloud or Dagster setting leaks in from the developer's environment, and landings run
    in one process (``LLAMACLOUD_ETL_PROCESSES=1``) unless a test asks for more, whatever the host's cores."""
    for name in (
        "LLAMA_CLOUD_API_KEY",
        "LLAMA_PARSE_API_KEY",
        "LLAMA_CLOUD_BASE_URL",
        "LLAMACLOUD_ETL_OUTPUT",
        "LLAMACLOUD_ETL_AGENTS",
        "LLAMACLOUD_ETL_START_DATE",
        "LLAMACLOUD_ETL_PROCESSES",
        "LLAMACLOUD_ETL_LOOKBACK_DAYS",
        "LLAMACLOUD_ETL_API_VERSION",
        "DAGSTER_HOME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LLAMACLOUD_ETL_PROCESSES", "1")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    """120 runs over six weeks: every agent, target and status, small enough to land in seconds."""
    return build_dataset(120, seed=11)


@pytest.fixture
def app(dataset: Dataset) -> EmulatorApp:
    """A fresh emulator per test, so completions and faults never leak between tests."""
    return EmulatorApp(dataset, api_key=API_KEY)


@pytest.fixture
def server(app: EmulatorApp) -> Iterator[EmulatorServer]:
    """The emulator on a free loopback port, as a user's client would see it."""
    with EmulatorServer(app) as running:
        yield running


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    """The dataset root."""
    return tmp_path / "lake"


@pytest.fixture
def resource(server: EmulatorServer) -> LlamaCloudResource:
    """The API resource pointed at the emulator."""
    return LlamaCloudResource(
        api_key=API_KEY, base_url=server.url, max_concurrency=8, max_retries=5, page_size=PAGE_SIZE
    )


def first_last(dataset: Dataset) -> tuple[date, date]:
    """The first and last day of the data set's history."""
    return dataset.start, dataset.start + timedelta(days=dataset.days - 1)


Land = Callable[..., RangeOutcome]


@pytest.fixture
def land(dataset: Dataset, lake: Path, resource: LlamaCloudResource) -> Land:
    """Land ``first``..``last`` (default: the whole history) through the Dagster job, in one run."""

    def _land(
        first: date | None = None, last: date | None = None, *, run_config: dict[str, Any] | None = None
    ) -> RangeOutcome:
        start, end = first_last(dataset)
        defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
        with dagster_instance() as instance:
            return run_range(
                defs, JOB_NAME, first or start, last or end, instance=instance, run_config=run_config
            )

    return _land


@pytest.fixture(scope="module")
def landed(dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RangeOutcome, Path]]:
    """The whole history landed once per module, for the tests that only read what landed: spread
    over two processes (the run's own and one worker), as a user's default on two cores would."""
    lake = tmp_path_factory.mktemp("landed") / "lake"
    with EmulatorServer(EmulatorApp(dataset, api_key=API_KEY)) as server:
        resource = LlamaCloudResource(
            api_key=API_KEY, base_url=server.url, max_concurrency=8, max_retries=5, page_size=PAGE_SIZE
        )
        defs = build_defs(start_date=dataset.start, output=str(lake), llamacloud=resource)
        first, last = first_last(dataset)
        two = {"ops": {"land_extraction_runs": {"config": {"processes": 2}}}}
        with dagster_instance() as instance:
            outcome = run_range(defs, JOB_NAME, first, last, instance=instance, run_config=two)
        yield outcome, lake
