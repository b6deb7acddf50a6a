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

from llamacloud_etl.client import ClientSettings, LlamaCloudClient
from llamacloud_etl.storage import ParquetStore


class LlamaCloudResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Settings of the LlamaCloud extraction API; :meth:`get_client` builds the HTTP client.

    The key is left out of the resource's repr (``repr=False``); pass it as
    ``dg.EnvVar("LLAMA_CLOUD_API_KEY")`` so it is read at launch and never written into run
    config or the Dagster UI.

    Examples:
        >>> resource = LlamaCloudResource(api_key=dg.EnvVar("LLAMA_CLOUD_API_KEY"), base_url="eu")
        >>> with resource.get_client() as client:  # doctest: +SKIP
        ...     agents = client.list_agents()
    """

    api_key: str = Field(
        repr=False,
        description="LlamaCloud API key. Set it with dg.EnvVar('LLAMA_CLOUD_API_KEY'), never as a literal.",
    )
    base_url: str | None = Field(
        default=None,
        description="API base URL, or a region name: 'na'/'us'/'north-america' or 'eu'/'europe'. "
        "Defaults to env LLAMA_CLOUD_BASE_URL, then https://api.cloud.llamaindex.ai. "
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
        default=60.0,
        description="Seconds per attempt for reading, writing and waiting for a pooled connection.",
    )
    max_retries: int = Field(
        default=4,
        description="Retries of a failed request (connection errors, timeouts, 408/409/429/5xx); 0 disables.",
    )
    max_concurrency: int = Field(
        default=16,
        description="Connection pool size: how many agents are listed side by side, and how many "
        "runs named by ID are fetched at once.",
    )
    page_size: int = Field(
        default=25,
        ge=2,
        description="Runs per listing page (GET /runs limit). Listed runs arrive whole, and each "
        "agent's listing holds one page in memory: lower it for very large runs.",
    )

    def get_client(self) -> LlamaCloudClient:
        """A new client with these settings. The caller closes it (``with resource.get_client() as c:``).

        Raises:
            ConfigurationError: the settings cannot work (bad URL, key over plain http, ...).
        """
        return self.settings().connect()

    def settings(self) -> ClientSettings:
        """These settings as a plain value, from which worker processes build their own clients."""
        return ClientSettings(
            api_key=self.api_key,
            base_url=self.base_url,
            project_id=self.project_id,
            organization_id=self.organization_id,
            timeout=self.timeout,
            max_retries=self.max_retries,
            max_concurrency=self.max_concurrency,
        )


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
