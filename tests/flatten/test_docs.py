"""The flattener's docstring examples run and stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import llamacloud_etl.flatten

MODULES = [
    "llamacloud_etl.flatten",
    *(f"llamacloud_etl.flatten.{m.name}" for m in pkgutil.iter_modules(llamacloud_etl.flatten.__path__)),
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    """Every example in the module's docstrings gives the output it shows."""
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
