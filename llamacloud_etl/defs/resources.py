"""Dagster resources: configuration only; each builds a plain object that knows nothing of Dagster.

Wire them in ``Definitions`` with secrets from the environment::

    resources={
        "llamacloud": LlamaCloudResource(api_key=dg.EnvVar("LLAMA_CLOUD_API_KEY")),
        "parquet": ParquetStoreResource(root="s3://lake/llamacloud"),
    }

No ``from __future__ import annotations`` here: Dagster reads these annotations at runtime.
"""

from typing import Any

import dagster as dg
from pydantic import Field

from llamacloud_etl.client import LlamaCloudClient
from llamacloud_etl.settings import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_API_VERSION,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_PAGE_SIZE,
    DEFAULT_TIMEOUT,
    ApiSettings,
)
from llamacloud_etl.sources import API_VERSIONS, open_source
from llamacloud_etl.sources.base import Source
from llamacloud_etl.sources.chosen import choose_agents
from llamacloud_etl.storage import ParquetStore


class LlamaCloudResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Settings of the LlamaCloud extraction API; :meth:`get_source` opens it for a landing.

    The key is left out of the resource's repr (``repr=False``); pass it as
    ``dg.EnvVar("LLAMA_CLOUD_API_KEY")`` so it is read at launch and never written into run
    config or the Dagster UI. Defaults come from :mod:`llamacloud_etl.settings`.

    Examples:
        >>> resource = LlamaCloudResource(api_key="llx-...", base_url="eu", api_version="v2")
        >>> with resource.get_source() as source:  # no request until something is listed
        ...     source.api_version, source.client.base_url
        ('v2', 'https://api.cloud.eu.llamaindex.ai')
    """

    api_key: str = Field(
        default="",
        repr=False,
        description="LlamaCloud API key. Set it with dg.EnvVar('LLAMA_CLOUD_API_KEY'), never as a "
        f"literal; left empty, env {API_KEY_ENV} is read when the landing starts, so a run without "
        "a key fails with the landing's own message instead of a config error.",
    )
    base_url: str | None = Field(
        default=None,
        description="API base URL, or a region name: 'na'/'us'/'north-america' or 'eu'/'europe'. "
        f"Defaults to env {BASE_URL_ENV}, then https://api.cloud.llamaindex.ai. "
        "Plain http:// is refused except to a loopback host.",
    )
    project_id: str | None = Field(
        default=None,
        description="Project UUID sent as project_id where the API takes it; the key's project if unset.",
    )
    organization_id: str | None = Field(
        default=None,
        description="Organization UUID sent as organization_id where the API takes it.",
    )
    timeout: float = Field(
        default=DEFAULT_TIMEOUT,
        description="Seconds per attempt for reading, writing and waiting for a pooled connection.",
    )
    max_retries: int = Field(
        default=DEFAULT_MAX_RETRIES,
        description="Retries of a failed request (connection errors, timeouts, 408/409/429/5xx); 0 disables.",
    )
    max_concurrency: int = Field(
        default=DEFAULT_MAX_CONCURRENCY,
        description="Connection pool size: how many agents are listed side by side, and how many "
        "runs named by ID are fetched at once.",
    )
    agents: list[str] = Field(
        default_factory=list,
        description="Agent IDs or names this deployment lands; empty for every agent of the project. "
        "A run's own agents config narrows it further.",
    )
    api_version: str = Field(
        default=DEFAULT_API_VERSION,
        description=f"API version the landing reads: one of {', '.join(API_VERSIONS)} "
        "(both: v1 runs and v2 jobs into one dataset).",
    )
    page_size: int = Field(
        default=DEFAULT_PAGE_SIZE,
        ge=2,
        description="Runs per listing page (GET /runs limit). Listed runs arrive whole, and each "
        "agent's listing holds one page in memory: lower it for very large runs.",
    )

    def settings(self) -> ApiSettings:
        """These settings as a plain value, from which worker processes build their own sources."""
        return ApiSettings(
            api_key=self.api_key or ApiSettings.from_env().api_key,
            base_url=self.base_url,
            project_id=self.project_id,
            organization_id=self.organization_id,
            timeout=self.timeout,
            max_retries=self.max_retries,
            max_concurrency=self.max_concurrency,
            page_size=self.page_size,
        )

    def get_source(self, api_version: str | None = None) -> Source:
        """A new source with these settings, for ``api_version`` (default :attr:`api_version`).

        The caller closes it (``with resource.get_source() as s:``).

        Raises:
            ConfigurationError: an unknown API version, or settings that cannot work (bad URL, key
                over plain http, ...).
        """
        return choose_agents(open_source(self.settings(), api_version or self.api_version), self.agents)

    def get_client(self) -> LlamaCloudClient:
        """A new v1 client with these settings; the caller closes it.

        Raises:
            ConfigurationError: the settings cannot work (bad URL, key over plain http, ...).
        """
        return LlamaCloudClient.from_settings(self.settings())


class ParquetStoreResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where the Parquet dataset lives; :meth:`get_store` builds the :class:`ParquetStore`."""

    root: str = Field(
        description="Dataset root: a local path or an fsspec URL such as s3://bucket/prefix.",
    )
    storage_options: dict[str, Any] = Field(
        default_factory=dict,
        repr=False,
        description="fsspec filesystem options (credentials, endpoint_url, ...); use EnvVar for secrets.",
    )

    def get_store(self) -> ParquetStore:
        """A store over :attr:`root`."""
        return ParquetStore(self.root, storage_options=self.storage_options or None)
