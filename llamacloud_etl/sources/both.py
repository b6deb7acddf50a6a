"""Both API versions as one :class:`~llamacloud_etl.sources.base.Source`: v1 runs and v2 jobs side by side.

A project can hold both: runs made with SDK 1.x (v1 agents) and jobs made with SDK 2.x (v2
configurations and inline schemas). :class:`BothSources` lists the agents of both and hands each
request to the source its agent or run ID belongs to, so one landing writes both into one dataset.

Which source a thing belongs to is decided by its shape, never by a lookup, so a worker process
with sources of its own decides the same way: an agent by :attr:`~llamacloud_etl.run.Agent.api_version`,
a run ID by its form (a v1 run is a UUID, a v2 job ``ext-…``).

**One run, one landing.** The assumption (the v2 sheet's §9.3, and the migration guide's "v2 has no
separate run") is that no extraction is visible through both APIs: v1 runs are not listed under
``/api/v2/extract`` and v2 jobs are not v1 runs. A v2 listing that nevertheless returns a job
with a v1-shaped ID (a UUID) would repeat a v1 run: such jobs are left out here (and counted in
:attr:`BothSources.skipped`), so the v1 landing alone lands them. An API that went away (a 404 on
the agents list, as when v1 is switched off) leaves that version's agents empty, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from llamacloud_etl.errors import InvalidIdError, NotFoundError
from llamacloud_etl.models import validate_id
from llamacloud_etl.run import Agent, Run, RunHeader
from llamacloud_etl.sources.base import Fetched, Source, created_day

logger = logging.getLogger(__name__)

API_VERSION = "both"

_Item = TypeVar("_Item", Run, RunHeader)


def is_v1_id(run_id: str) -> bool:
    """Whether a run ID has the v1 shape (a UUID).

    Examples:
        >>> is_v1_id("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"), is_v1_id("ext-182bd5e5")
        (True, False)
    """
    try:
        validate_id(run_id, "run")
    except InvalidIdError:
        return False
    return True


class BothSources:
    """The v1 source and the v2 source as one; closing this closes both."""

    api_version = API_VERSION

    def __init__(self, v1: Source, v2: Source) -> None:
        self.v1 = v1
        self.v2 = v2
        self.skipped = 0
        """v2 jobs with a v1-shaped ID, left to the v1 landing."""

    def _of(self, agent: Agent) -> Source:
        return self.v2 if agent.api_version == self.v2.api_version else self.v1

    @property
    def max_concurrency(self) -> int:
        """The larger pool of the two (they are built from the same settings)."""
        return max(self.v1.max_concurrency, self.v2.max_concurrency)

    @property
    def requests(self) -> int:
        """Requests of both sources."""
        return self.v1.requests + self.v2.requests

    @property
    def retries(self) -> int:
        """Retries of both sources."""
        return self.v1.retries + self.v2.retries

    def list_agents(self, since: datetime | None = None, until: datetime | None = None) -> list[Agent]:
        """v1 agents, then v2 configurations and inline-schema groups; a version gone is empty."""
        return _or_gone(self.v1, since, until) + _or_gone(self.v2, since, until)

    def list_runs(self, agent: Agent, since: datetime, until: datetime | None = None) -> Iterator[list[Run]]:
        """The agent's runs, from the source it belongs to."""
        return self._own(agent, self._of(agent).list_runs(agent, since, until))

    def list_headers(
        self, agent: Agent, since: datetime, until: datetime | None = None
    ) -> Iterator[list[RunHeader]]:
        """The agent's run headers, from the source it belongs to."""
        return self._own(agent, self._of(agent).list_headers(agent, since, until))

    def _own(self, agent: Agent, pages: Iterator[list[_Item]]) -> Iterator[list[_Item]]:
        """v2 pages without jobs that have a v1-shaped ID (those are v1's to land)."""
        if self._of(agent) is self.v1:
            return pages
        return self._without_v1_ids(pages)

    def _without_v1_ids(self, pages: Iterator[list[_Item]]) -> Iterator[list[_Item]]:
        try:
            for page in pages:
                kept = [item for item in page if not is_v1_id(item.id)]
                if len(kept) < len(page):
                    self.skipped += len(page) - len(kept)
                    logger.warning(
                        "the v2 listing returned %d job(s) with a v1 run ID: left to the v1 landing",
                        len(page) - len(kept),
                    )
                yield kept
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    def fetch_runs(self, run_ids: Iterable[str]) -> Iterator[Fetched]:
        """Each ID from the source its shape names: UUIDs from v1, the rest from v2."""
        ids = list(run_ids)
        v1_ids = [run_id for run_id in ids if is_v1_id(run_id)]
        v2_ids = [run_id for run_id in ids if not is_v1_id(run_id)]
        if v1_ids:
            yield from self.v1.fetch_runs(v1_ids)
        if v2_ids:
            yield from self.v2.fetch_runs(v2_ids)

    def check_run_id(self, run_id: str) -> str:
        """A v1 run ID (a UUID) or a v2 job ID (``ext-…``), in its canonical form.

        Raises:
            InvalidIdError: neither shape; the message names both.
        """
        try:
            return self.v1.check_run_id(run_id)
        except InvalidIdError:
            pass
        try:
            return self.v2.check_run_id(run_id)
        except InvalidIdError:
            raise InvalidIdError(
                "run", run_id, expected="a v1 run ID (a UUID) or a v2 job ID (ext-…)"
            ) from None

    def hints(self) -> dict[str, Any]:
        """Both sources' hints (their keys are their own)."""
        return {**self.v1.hints(), **self.v2.hints()}

    def take_hints(self, hints: Mapping[str, Any]) -> None:
        """Hand the hints to both sources."""
        self.v1.take_hints(hints)
        self.v2.take_hints(hints)

    def weigh(self, agent: Agent, since: datetime | None = None, until: datetime | None = None) -> float:
        """The agent's weight, from the source it belongs to (both weigh in bytes)."""
        return self._of(agent).weigh(agent, since, until)

    def run_day(self, run: Run | RunHeader) -> date | None:
        """The UTC day of the run's ``created_at``, for both versions."""
        return created_day(run)

    def close(self) -> None:
        """Close both sources."""
        try:
            self.v1.close()
        finally:
            self.v2.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _or_gone(source: Source, since: datetime | None, until: datetime | None) -> list[Agent]:
    """The source's agents, or none when its API answers the agents list with 404 (switched off)."""
    try:
        return source.list_agents(since, until)
    except NotFoundError as exc:
        logger.warning(
            "the %s API is not available here (%s): landing the other version only", source.api_version, exc
        )
        return []
