"""Fixtures of the client tests: a clean environment, a mock-transport client factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from client_fakes import API_KEY, BASE_URL, Handler, Recorder

from llamacloud_etl.client import BackoffPolicy, LlamaCloudClient


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No LlamaCloud setting leaks in from the developer's environment."""
    for name in ("LLAMA_CLOUD_API_KEY", "LLAMA_PARSE_API_KEY", "LLAMA_CLOUD_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sleeps() -> list[float]:
    """The waits the client asked for, in order."""
    return []


@pytest.fixture
def make_client(sleeps: list[float]) -> Iterator[Callable[..., tuple[LlamaCloudClient, Recorder]]]:
    """Build a client over ``httpx.MockTransport(handler)``; waits are recorded, never slept.

    Jitter is pinned (``random`` returns 0), so computed waits are exactly 0.5, 1, 2, 4, 8, 8...
    """
    clients: list[LlamaCloudClient] = []

    def factory(handler: Handler, **kwargs: Any) -> tuple[LlamaCloudClient, Recorder]:
        recorder = Recorder(handler)
        kwargs.setdefault("backoff", BackoffPolicy(sleep=sleeps.append, random=lambda: 0.0))
        kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("base_url", BASE_URL)
        client = LlamaCloudClient(transport=httpx.MockTransport(recorder), **kwargs)
        clients.append(client)
        return client, recorder

    yield factory
    for client in clients:
        client.close()
