"""The examples in the storage and query docstrings run as written."""

from __future__ import annotations

import doctest

import fsspec
import pytest

import llamacloud_etl.query
import llamacloud_etl.storage.slugs
import llamacloud_etl.storage.store


@pytest.fixture
def _clean_doctest_store():
    yield
    fs = fsspec.filesystem("memory")
    if fs.exists("/doctest-store"):
        fs.rm("/doctest-store", recursive=True)


@pytest.mark.usefixtures("_clean_doctest_store")
@pytest.mark.parametrize(
    "module",
    [llamacloud_etl.storage.slugs, llamacloud_etl.storage.store, llamacloud_etl.query],
    ids=lambda module: module.__name__,
)
def test_docstring_examples_hold(module):
    """Every example in the module's docstrings gives the output it shows."""
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0
