"""A source narrowed to chosen agents: what a deployment that lands only some agents hands out."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from llamacloud_etl.run import Agent
from llamacloud_etl.sources.base import Source, select_agents


class ChosenAgents:
    """``source`` whose :meth:`list_agents` keeps only the agents named in ``allow`` (IDs or names).

    Everything else is ``source``'s own: runs fetched by ID are not filtered (a caller asks for
    those by name). Closing this closes ``source``.

    Raises:
        ConfigurationError: from :meth:`list_agents`, an entry of ``allow`` that matches no agent.
    """

    def __init__(self, source: Source, allow: Collection[str]) -> None:
        self._source = source
        self._allow = tuple(allow)

    def list_agents(self, since: datetime | None = None, until: datetime | None = None) -> list[Agent]:
        """The chosen agents only."""
        return select_agents(self._source.list_agents(since, until), self._allow)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._source.close()


def choose_agents(source: Source, allow: Collection[str] | None) -> Source:
    """``source`` itself when ``allow`` is empty, else ``source`` narrowed to those agents."""
    return ChosenAgents(source, allow) if allow else source
