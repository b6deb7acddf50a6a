"""Every ``>>>`` example in the package runs as written and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from collections.abc import Iterator

import fsspec
import pytest

import llamacloud_etl

MODULES = sorted(
    [
        "llamacloud_etl",
        *(m.name for m in pkgutil.walk_packages(llamacloud_etl.__path__, prefix="llamacloud_etl.")),
    ]
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.fixture(autouse=True)
def _clean_memory_store() -> Iterator[None]:
    """Examples that write to fsspec's in-memory filesystem leave nothing behind for the next."""
    yield
    fs = fsspec.filesystem("memory")
    if fs.exists("/doctest-store"):
        fs.rm("/doctest-store", recursive=True)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    """Every example in the module's docstrings gives the output it shows."""
    result = doctest.testmod(importlib.import_module(name), optionflags=FLAGS)
    assert result.failed == 0


@pytest.mark.parametrize(
    "name",
    [
        "llamacloud_etl.client._config",
        "llamacloud_etl.flatten",
        "llamacloud_etl.query",
        "llamacloud_etl.settings",
        "llamacloud_etl.sources.v1",
        "llamacloud_etl.storage.slugs",
        "llamacloud_etl.storage.store",
    ],
)
def test_public_entry_points_show_examples(name: str) -> None:
    """The modules people start from carry examples, and they run (none is skipped wholesale)."""
    result = doctest.testmod(importlib.import_module(name), optionflags=FLAGS)
    assert result.attempted > 0
    assert result.failed == 0
