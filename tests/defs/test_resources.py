"""The Dagster resources: configuration only, a working client out, and no key in any repr."""

from __future__ import annotations

import dagster as dg
import pytest
from loopback import API_KEY as LOOPBACK_KEY

from llamacloud_etl.client import EUROPE_URL, LlamaCloudClient
from llamacloud_etl.defs.resources import LlamaCloudResource, ParquetStoreResource
from llamacloud_etl.errors import ConfigurationError
from llamacloud_etl.sources import V1Source

API_KEY = "llx-TEST-9f2c-SECRET-do-not-leak"
PROJECT_ID = "2b8e4c1d-7a90-4f3e-b6d2-51c0e9a8f7b4"


def test_get_client_passes_every_setting():
    """get_client builds a LlamaCloudClient with the resource's base URL, scope, retries and pool size."""
    resource = LlamaCloudResource(
        api_key=API_KEY, base_url="eu", project_id=PROJECT_ID, timeout=5.0, max_retries=0, max_concurrency=3
    )
    with resource.get_client() as client:
        assert isinstance(client, LlamaCloudClient)
        assert (client.base_url, client.project_id, client.max_retries, client.max_concurrency) == (
            EUROPE_URL,
            PROJECT_ID,
            0,
            3,
        )


def test_resource_repr_hides_a_literal_key():
    """Even a key given as a literal string is left out of the resource's repr and str."""
    resource = LlamaCloudResource(api_key=API_KEY, base_url="eu")
    assert API_KEY not in repr(resource)
    assert API_KEY not in str(resource)
    assert "base_url='eu'" in repr(resource)


def test_every_field_is_documented():
    """Each config field carries a description for the Dagster UI."""
    for name, field in LlamaCloudResource.model_fields.items():
        assert field.description, name


def test_bad_settings_surface_when_the_client_is_built():
    """A remote plain-http base URL fails in get_client with ConfigurationError."""
    resource = LlamaCloudResource(api_key=API_KEY, base_url="http://api.example.com")
    with pytest.raises(ConfigurationError, match="plain http"):
        resource.get_client()


def test_key_from_env_var_reaches_the_client_but_no_repr_or_event(monkeypatch):
    """With EnvVar the key is resolved at run time; neither the resource repr nor the run events hold it."""
    monkeypatch.setenv("LLAMA_CLOUD_API_KEY", API_KEY)
    seen: dict[str, str] = {}

    @dg.asset
    def probe(llamacloud: LlamaCloudResource) -> None:
        seen["resource"] = repr(llamacloud)
        with llamacloud.get_client() as client:
            seen["client"] = repr(client)
            seen["key_ok"] = str(llamacloud.api_key == API_KEY)

    result = dg.materialize(
        [probe], resources={"llamacloud": LlamaCloudResource(api_key=dg.EnvVar("LLAMA_CLOUD_API_KEY"))}
    )
    assert result.success
    assert seen["key_ok"] == "True"
    assert API_KEY not in seen["resource"]
    assert API_KEY not in seen["client"]
    assert API_KEY not in str(result.all_events)


def test_parquet_store_resource_builds_a_store_and_hides_options():
    """ParquetStoreResource builds a store over its root and keeps storage_options out of its repr."""
    resource = ParquetStoreResource(root="memory://client-tests", storage_options={"token": "s3cr3t"})
    assert "s3cr3t" not in repr(resource)
    assert ParquetStoreResource(root="memory://client-tests").get_store().root == "memory://client-tests"


def test_settings_rebuild_the_same_client():
    """settings() carries every client setting, so a worker process builds the same client."""
    resource = LlamaCloudResource(
        api_key=API_KEY,
        base_url="eu",
        project_id=PROJECT_ID,
        timeout=5.0,
        max_retries=0,
        max_concurrency=3,
        page_size=7,
    )
    with V1Source.connect(resource.settings()) as source:
        client = source.client
        assert (client.base_url, client.project_id, client.max_retries, client.max_concurrency) == (
            EUROPE_URL,
            PROJECT_ID,
            0,
            3,
        )
        assert source.page_size == 7


def test_settings_repr_hides_the_key():
    """The settings value leaves the key out of its repr, like the resource."""
    settings = LlamaCloudResource(api_key=API_KEY, base_url="eu").settings()
    assert API_KEY not in repr(settings)
    assert "base_url='eu'" in repr(settings)


def test_agents_narrow_the_agents_a_source_lists(server, dataset):
    """A resource with agents hands out sources that list only those agents, by name or ID."""
    invoices, contracts = dataset.agent_named("Invoices"), dataset.agent_named("Contracts")
    resource = LlamaCloudResource(
        api_key=LOOPBACK_KEY, base_url=server.url, agents=["invoices", contracts["id"]]
    )
    with resource.get_source() as source:
        assert {a.id for a in source.list_agents()} == {invoices["id"], contracts["id"]}


def test_an_unknown_api_version_is_a_configuration_error():
    """A resource with api_version v3 refuses to open a source, naming the versions that exist."""
    resource = LlamaCloudResource(api_key=API_KEY, api_version="v3")
    with pytest.raises(ConfigurationError, match="expected one of v1, v2, both"):
        resource.get_source()
