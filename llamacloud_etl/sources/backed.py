"""What the sources built on one of the package's HTTP clients share: the client, its counts, closing."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx

from llamacloud_etl.client import BaseClient
from llamacloud_etl.settings import ApiSettings

C = TypeVar("C", bound=BaseClient)


class ClientBacked(Generic[C]):
    """A source over ``client`` (listings of ``page_size`` runs); closing it closes the client.

    Subclasses name their client class in :meth:`new_client`.
    """

    def __init__(self, client: C, *, page_size: int) -> None:
        self.client = client
        self.page_size = page_size

    @classmethod
    def new_client(cls, settings: ApiSettings, transport: httpx.BaseTransport | None) -> C:
        """A client of the source's API built from ``settings``."""
        raise NotImplementedError

    @classmethod
    def connect(cls, settings: ApiSettings, *, transport: httpx.BaseTransport | None = None) -> Self:
        """A source with a client of its own, built from ``settings``; the caller closes it.

        Raises:
            ConfigurationError: the settings cannot work (no key, bad URL, key over plain http, ...).
        """
        return cls(cls.new_client(settings, transport), page_size=settings.page_size)

    @property
    def max_concurrency(self) -> int:
        """The client's connection pool size."""
        return self.client.max_concurrency

    @property
    def requests(self) -> int:
        """Requests the client sent, retries included."""
        return self.client.stats.requests

    @property
    def retries(self) -> int:
        """Retries the client made."""
        return self.client.stats.retries

    def hints(self) -> dict[str, Any]:
        """Nothing learnt worth handing on, unless a subclass says otherwise."""
        return {}

    def take_hints(self, hints: Mapping[str, Any]) -> None:
        """Nothing to start from, unless a subclass says otherwise."""

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
