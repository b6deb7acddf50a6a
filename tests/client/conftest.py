"""Fixtures of the client tests: a clean environment, a mock-transport client factory, stamina's retries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import stamina
from client_fakes import API_KEY, BASE_URL, TEST_BACKOFF, Handler, Recorder, Retries

from llamacloud_etl.client import BaseClient, ExtractV2Client, LlamaCloudClient


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No LlamaCloud setting leaks in from the developer's environment."""
    for name in ("LLAMA_CLOUD_API_KEY", "LLAMA_PARSE_API_KEY", "LLAMA_CLOUD_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def retries() -> Iterator[Retries]:
    """Every retry stamina schedules during the test, as its instrumentation hooks report it.

    Under stamina's test mode (the suite's default) the reported waits are 0: see ``waits``.
    """
    seen = Retries()
    before = stamina.instrumentation.get_on_retry_hooks()
    stamina.instrumentation.set_on_retry_hooks([seen.append])
    try:
        yield seen
    finally:
        stamina.instrumentation.set_on_retry_hooks(before)


@pytest.fixture
def waits(retries: Retries) -> Iterator[Retries]:
    """Like ``retries``, with stamina's test mode off for the test: it sleeps and reports the real waits.

    The waits are the client's: ``TEST_BACKOFF`` (a fraction of a millisecond each) unless the
    test passes another policy, or the server's hint.
    """
    with stamina.set_testing(False):
        yield retries


def _client_factory(cls: type[BaseClient]) -> Iterator[Callable[..., tuple[Any, Recorder]]]:
    """Build ``cls`` clients over ``httpx.MockTransport(handler)``, waiting as ``TEST_BACKOFF`` says."""
    clients: list[BaseClient] = []

    def factory(handler: Handler, **kwargs: Any) -> tuple[Any, Recorder]:
        recorder = Recorder(handler)
        kwargs.setdefault("backoff", TEST_BACKOFF)
        kwargs.setdefault("api_key", API_KEY)
        kwargs.setdefault("base_url", BASE_URL)
        client = cls(transport=httpx.MockTransport(recorder), **kwargs)
        clients.append(client)
        return client, recorder

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def make_client() -> Iterator[Callable[..., tuple[LlamaCloudClient, Recorder]]]:
    """Build a v1 client over ``httpx.MockTransport(handler)`` (see ``_client_factory``)."""
    yield from _client_factory(LlamaCloudClient)


@pytest.fixture
def make_v2_client() -> Iterator[Callable[..., tuple[ExtractV2Client, Recorder]]]:
    """Build a v2 client over ``httpx.MockTransport(handler)`` (see ``_client_factory``)."""
    yield from _client_factory(ExtractV2Client)


from loopback import app, dataset, server  # noqa: E402, F401 (the loopback emulator, for test_client_loopback)
