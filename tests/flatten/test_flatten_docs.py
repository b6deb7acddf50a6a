"""The flattener's docstring examples run and stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "llamacloud_etl.flatten",
    "llamacloud_etl.flatten.batch",
    "llamacloud_etl.flatten.naming",
    "llamacloud_etl.flatten.rebuild",
    "llamacloud_etl.flatten.schema",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    """Every example in the module's docstrings gives the output it shows."""
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
