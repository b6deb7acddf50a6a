"""Fixtures of the v2 proof tests: v2-only and both-version histories landed once per module.

A test that changes the emulator builds its own app and server instead (see ``helpers``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from loopback import *  # noqa: F403 (the shared loopback fixtures)

from llamacloud_etl.emulator import Dataset, EmulatorApp, EmulatorServer

from .helpers import API_KEY, BOTH, LAST, V2_ONLY, Landed, add_unfinished_and_cancelled, land, served_v2_jobs


def _landed(dataset: Dataset, api_version: str, tmp: Path) -> Iterator[Landed]:
    app = EmulatorApp(dataset, api_key=API_KEY)
    add_unfinished_and_cancelled(app, dataset, LAST - timedelta(days=2))
    with EmulatorServer(app) as server:
        lake = tmp / "lake"
        report = land(server.url, lake, api_version)
        yield Landed(dataset, app, lake, report, served_v2_jobs(app))


@pytest.fixture(scope="module")
def v2_landed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Landed]:
    """The v2-only history landed once per module with ``api_version='v2'``."""
    yield from _landed(V2_ONLY, "v2", tmp_path_factory.mktemp("v2"))


@pytest.fixture(scope="module")
def both_landed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Landed]:
    """The v1-then-v2 history landed once per module into one root with ``api_version='both'``."""
    yield from _landed(BOTH, "both", tmp_path_factory.mktemp("both"))
