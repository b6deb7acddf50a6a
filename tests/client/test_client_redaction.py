"""The API key never shows: not in errors, logs, or reprs, even when the server echoes it."""

from __future__ import annotations

import logging
import pickle

import httpx
import pytest
from client_fakes import AGENT_ID, API_KEY, RUN_ID, RunsAPI, numbered_runs, respond, run_payload, sequence

from llamacloud_etl.client import LlamaCloudClient
from llamacloud_etl.errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    PayloadError,
    ServerError,
    TransportError,
)


def echoing(status: int) -> httpx.Response:
    """An error response that reflects the request's key back, as some proxies do."""
    return httpx.Response(
        status,
        json={
            "detail": f"Invalid authentication token {API_KEY}",
            "headers": {"authorization": f"Bearer {API_KEY}"},
        },
        headers={"x-echo": API_KEY},
    )


def assert_clean(*texts: str) -> None:
    """None of the texts contains the key, or even a recognisable part of it."""
    for text in texts:
        assert API_KEY not in text
        assert "SECRET" not in text


def test_client_repr_masks_the_key(make_client):
    """repr and str of the client show *** for the key."""
    client, _ = make_client(respond(200, []))
    assert_clean(repr(client), str(client), repr(vars(client)))
    assert "api_key='***'" in repr(client)


def test_echoed_key_is_masked_in_error_and_detail(make_client):
    """A 401 whose body repeats the key gives an error whose message, repr and detail show *** instead."""
    client, _ = make_client(sequence(echoing(401)))
    with pytest.raises(AuthenticationError) as info:
        client.get_run(RUN_ID)
    err = info.value
    assert_clean(str(err), repr(err), repr(err.detail), repr(err.args), err.url)
    assert "***" in str(err)


def test_echoed_key_in_text_body_is_masked(make_client):
    """A non-JSON 5xx page that contains the key is masked too."""
    page = f"<pre>Authorization: Bearer {API_KEY}</pre>"
    client, _ = make_client(respond(502, page), max_retries=0)
    with pytest.raises(ServerError) as info:
        client.get_run(RUN_ID)
    assert_clean(str(info.value), repr(info.value.detail))


def test_transport_error_quoting_the_key_is_masked_and_not_chained(make_client):
    """An httpx error whose message holds the key is masked, and not attached as the cause."""
    client, _ = make_client(sequence(httpx.ProxyError(f"proxy refused Bearer {API_KEY}")), max_retries=0)
    with pytest.raises(TransportError) as info:
        client.get_run(RUN_ID)
    assert_clean(str(info.value), repr(info.value))
    assert info.value.__cause__ is None


def test_payload_error_has_no_key(make_client):
    """A PayloadError names model and URL only."""
    client, _ = make_client(respond(200, run_payload(status=API_KEY)))
    with pytest.raises(PayloadError) as info:
        client.get_run(RUN_ID)
    assert_clean(str(info.value), repr(info.value))


def test_errors_pickle_without_the_key(make_client):
    """An error sent across processes (Dagster serialises failures) carries no key either."""
    client, _ = make_client(sequence(echoing(403)))
    with pytest.raises(APIError) as info:
        client.get_run(RUN_ID)
    assert API_KEY.encode() not in pickle.dumps(info.value.detail)
    assert_clean(str(info.value.args))


def test_debug_logs_never_contain_the_key(make_client, caplog):
    """Everything logged at DEBUG and up, by any logger (httpx included), during busy traffic is key-free."""
    api = RunsAPI(numbered_runs(12))
    responses = iter([echoing(503), httpx.ConnectError(f"Bearer {API_KEY}"), echoing(429)])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/runs"):
            return api(request)
        item = next(responses, None)
        if isinstance(item, Exception):
            raise item
        return item or echoing(401)

    client, _ = make_client(handler, max_retries=3)
    with caplog.at_level(logging.DEBUG):
        assert len(list(client.list_runs(AGENT_ID, page_size=5))) == 12
        with pytest.raises(AuthenticationError):
            client.get_run(RUN_ID)
        list(client.fetch_runs([RUN_ID, "bad-id"]))
    assert caplog.records, "expected the client to log"
    assert any(r.name == "httpx" for r in caplog.records)
    for record in caplog.records:
        assert_clean(record.getMessage(), repr(record.args))
    assert_clean(caplog.text)


def test_missing_key_message_has_no_key_from_elsewhere(monkeypatch):
    """The configuration errors name sources, never values."""
    monkeypatch.setenv("LLAMA_CLOUD_API_KEY", f"{API_KEY}\n\tbroken")
    with pytest.raises(ConfigurationError) as info:
        LlamaCloudClient()
    assert_clean(str(info.value))
    assert "LLAMA_CLOUD_API_KEY" in str(info.value)


def test_plain_http_refusal_has_no_key():
    """Refusing plain http names the host, not the key."""
    with pytest.raises(ConfigurationError) as info:
        LlamaCloudClient(API_KEY, "http://example.com")
    assert_clean(str(info.value))
