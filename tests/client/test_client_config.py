"""Client settings: API key and base URL resolution, regions, the plain-http guard, default headers."""

from __future__ import annotations

import httpx
import pytest
from client_fakes import API_KEY, PROJECT_ID, respond

import llamacloud_etl
from llamacloud_etl.client import EUROPE_URL, NORTH_AMERICA_URL, LlamaCloudClient, resolve_api_key
from llamacloud_etl.errors import ConfigurationError, InvalidIdError


def test_api_key_from_argument_wins_over_env(monkeypatch):
    """An explicit api_key is used even when the env var is set."""
    monkeypatch.setenv("LLAMA_CLOUD_API_KEY", "llx-from-env")
    assert resolve_api_key("llx-from-arg") == "llx-from-arg"


def test_api_key_falls_back_to_llama_cloud_env(monkeypatch):
    """Without an argument the key comes from LLAMA_CLOUD_API_KEY."""
    monkeypatch.setenv("LLAMA_CLOUD_API_KEY", "llx-cloud")
    monkeypatch.setenv("LLAMA_PARSE_API_KEY", "llx-parse")
    assert resolve_api_key(None) == "llx-cloud"


def test_api_key_falls_back_to_llama_parse_env(monkeypatch):
    """LLAMA_PARSE_API_KEY is the last fallback."""
    monkeypatch.setenv("LLAMA_PARSE_API_KEY", "llx-parse")
    assert resolve_api_key(None) == "llx-parse"


def test_blank_key_counts_as_missing(monkeypatch):
    """An empty or blank key (argument or env) is skipped, and none at all is a ConfigurationError."""
    monkeypatch.setenv("LLAMA_CLOUD_API_KEY", "  ")
    with pytest.raises(ConfigurationError, match="no LlamaCloud API key"):
        LlamaCloudClient(api_key="")


def test_key_whitespace_is_stripped():
    """A key pasted with a trailing newline still works."""
    assert resolve_api_key(f"  {API_KEY}\n") == API_KEY


@pytest.mark.parametrize(
    "bad", ["llx-a b", "llx-a\nb", "llx-\u00e9t\u00e9"], ids=["space", "newline", "non-ascii"]
)
def test_key_that_cannot_be_a_header_is_refused_without_echo(bad):
    """A key with inner whitespace or non-ASCII is refused, and the message does not quote it."""
    with pytest.raises(ConfigurationError) as info:
        resolve_api_key(bad)
    assert bad.strip() not in str(info.value)
    assert "llx-" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("na", NORTH_AMERICA_URL, id="na"),
        pytest.param("us", NORTH_AMERICA_URL, id="us"),
        pytest.param("North-America", NORTH_AMERICA_URL, id="north-america-any-case"),
        pytest.param("eu", EUROPE_URL, id="eu"),
        pytest.param(" EUROPE ", EUROPE_URL, id="europe-padded"),
        pytest.param(None, NORTH_AMERICA_URL, id="default"),
        pytest.param(
            "https://proxy.example.com/llama/", "https://proxy.example.com/llama", id="url-with-path"
        ),
    ],
)
def test_base_url_and_region_names(value, expected):
    """Region names map to their deployment; URLs lose their trailing slash; the default is North America."""
    with LlamaCloudClient(API_KEY, value) as client:
        assert client.base_url == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("eu", EUROPE_URL), ("http://localhost:8080", "http://localhost:8080")]
)
def test_base_url_from_env(monkeypatch, value, expected):
    """LLAMA_CLOUD_BASE_URL supplies the base URL (or region) when no argument is given."""
    monkeypatch.setenv("LLAMA_CLOUD_BASE_URL", value)
    with LlamaCloudClient(API_KEY) as client:
        assert client.base_url == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://api.cloud.llamaindex.ai",
        "http://10.0.0.5:8000",
        "http://128.0.0.1",
        "http://localhost.evil.com",
    ],
)
def test_plain_http_to_remote_host_is_refused(url):
    """Plain http to anything but loopback raises ConfigurationError before any client is built."""
    with pytest.raises(ConfigurationError, match="plain http"):
        LlamaCloudClient(API_KEY, url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "http://127.9.8.7",
        "http://[::1]:9000",
        "http://localhost",
        "http://LOCALHOST:1",
    ],
)
def test_plain_http_to_loopback_is_allowed(url):
    """Plain http is fine to 127.0.0.0/8, ::1 and localhost (the emulator)."""
    with LlamaCloudClient(API_KEY, url) as client:
        assert client.base_url.startswith("http://")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("ftp://api.example.com", "http", id="scheme"),
        pytest.param("api.cloud.llamaindex.ai", "http", id="no-scheme"),
        pytest.param("mars", "region name", id="unknown-region"),
        pytest.param("https://api.example.com/?x=1", "query", id="query"),
    ],
)
def test_malformed_base_url_is_refused(url, message):
    """Anything that is neither an http(s) URL nor a region name is a ConfigurationError."""
    with pytest.raises(ConfigurationError, match=message):
        LlamaCloudClient(API_KEY, url)


def test_credentials_in_base_url_are_refused_without_echo():
    """A base URL with user:password is refused and the credential is not repeated."""
    with pytest.raises(ConfigurationError) as info:
        LlamaCloudClient(API_KEY, "https://bob:hunter2@api.example.com")
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [{"timeout": 0}, {"max_retries": -1}, {"max_concurrency": 0}],
    ids=["timeout", "retries", "concurrency"],
)
def test_out_of_range_numbers_are_refused(kwargs):
    """Non-positive timeout or concurrency and negative retries are ConfigurationErrors."""
    with pytest.raises(ConfigurationError):
        LlamaCloudClient(API_KEY, **kwargs)


def test_malformed_project_id_is_refused():
    """project_id must be a UUID, checked when the client is built."""
    with pytest.raises(InvalidIdError, match="project"):
        LlamaCloudClient(API_KEY, project_id="my-project")


def test_ids_of_scope_are_normalised():
    """An upper-case project_id is stored in canonical lower case."""
    with LlamaCloudClient(API_KEY, project_id=PROJECT_ID.upper()) as client:
        assert client.project_id == PROJECT_ID


def test_default_headers(make_client):
    """Every request carries the bearer key, Accept: application/json and the llamacloud-etl User-Agent."""
    client, recorder = make_client(respond(200, []))
    client.list_agents()
    headers = recorder.requests[0].headers
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["accept"] == "application/json"
    assert headers["user-agent"] == f"llamacloud-etl/{llamacloud_etl.__version__}"


def test_one_pool_is_reused(make_client):
    """All requests of a client go through the one transport it was built with."""
    client, recorder = make_client(respond(200, []))
    for _ in range(3):
        client.list_agents()
    assert len(recorder.requests) == 3


def test_context_manager_closes_the_pool(make_client):
    """Leaving the with-block closes the client; later calls fail instead of opening a new pool."""
    client, _ = make_client(respond(200, []))
    with client:
        client.list_agents()
    with pytest.raises(RuntimeError, match="closed"):
        client.list_agents()


def test_transport_is_used_instead_of_network():
    """An injected transport receives the request; nothing reaches the real host."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=[])

    with LlamaCloudClient(API_KEY, transport=httpx.MockTransport(handler)) as client:
        client.list_agents()
    assert seen == [f"{NORTH_AMERICA_URL}/api/v1/extraction/extraction-agents?include_default=false"]
