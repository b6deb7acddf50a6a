"""The command line is tested as a user runs it, against the emulator on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from loopback import *  # noqa: F403 (the shared loopback fixtures)
from stamina.instrumentation import get_on_retry_hooks, set_on_retry_hooks


@pytest.fixture(autouse=True)
def _restore_retry_hooks() -> Iterator[None]:
    """The commands turn stamina's retry reports off (the client logs its retries); put them back."""
    before = get_on_retry_hooks()
    yield
    set_on_retry_hooks(before)
