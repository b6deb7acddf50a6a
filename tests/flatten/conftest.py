"""Fixtures of the flattener's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from llamacloud_etl.flatten import plan


@pytest.fixture(autouse=True)
def _clean_plan_cache() -> Iterator[None]:
    """Each test compiles its schemas afresh: the module-level plan cache starts and ends empty."""
    plan._cached_plan.cache_clear()
    yield
    plan._cached_plan.cache_clear()
