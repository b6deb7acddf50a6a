"""The settings a client is built from, as a value that can cross into another process."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._client import LlamaCloudClient


@dataclass(frozen=True)
class ClientSettings:
    """Everything :class:`LlamaCloudClient` is built from, so a worker process can build its own.

    The key is left out of the repr. It crosses to worker processes by pickle over a pipe, never
    through argv, the environment or a file.

    Examples:
        >>> settings = ClientSettings(api_key="llx-...", base_url="eu")
        >>> "llx" in repr(settings)
        False
        >>> with settings.connect() as client:  # doctest: +SKIP
        ...     agents = client.list_agents()
    """

    api_key: str = field(repr=False)
    base_url: str | None = None
    project_id: str | None = None
    organization_id: str | None = None
    timeout: float = 60.0
    max_retries: int = 4
    max_concurrency: int = 16

    def connect(self) -> LlamaCloudClient:
        """A new client with these settings; the caller closes it.

        Raises:
            ConfigurationError: the settings cannot work (no key, bad URL, key over plain http, ...).
        """
        return LlamaCloudClient(
            self.api_key,
            self.base_url,
            project_id=self.project_id,
            organization_id=self.organization_id,
            timeout=self.timeout,
            max_retries=self.max_retries,
            max_concurrency=self.max_concurrency,
        )
