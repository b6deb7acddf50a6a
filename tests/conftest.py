"""Fixtures of the whole suite: stamina's test mode, set here once for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina


@pytest.fixture(autouse=True)
def _stamina_test_mode() -> Iterator[None]:
    """stamina's test mode around each test (restored after it): retries happen, without waiting.

    Attempts are capped far above any client's, so each call keeps its own ``max_retries + 1``
    (tests check them), as the workers of a landing spread over processes do (``RetrySwitches``).
    A test that needs real waits or other attempts says so itself.
    """
    with stamina.set_testing(True, attempts=1_000_000, cap=True):
        yield
