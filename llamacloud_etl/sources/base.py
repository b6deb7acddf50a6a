"""What a landing needs of an API, in the product's nouns: the :class:`Source` protocol.

A source lists its agents, lists one agent's runs of a time range (newest first, in pages),
fetches runs by ID, and weighs an agent's listing. It hands out :class:`~llamacloud_etl.run.Run`
values, never an API's own models, so the landing, the flattener and the Dagster layer work the
same for every API version.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol, Self

from llamacloud_etl.errors import ConfigurationError, LlamaCloudError
from llamacloud_etl.run import Agent, Run, RunHeader, day_of


@dataclass(frozen=True, slots=True)
class Fetched:
    """One outcome of :meth:`Source.fetch_runs`: exactly one of ``run`` and ``error`` is set."""

    run_id: str
    run: Run | None
    error: LlamaCloudError | None


class Source(Protocol):
    """An API that runs land from.

    A source is used from several threads at once (one per agent listed), and closed by its
    owner. Its requests and retries are counted in :attr:`requests` and :attr:`retries`.
    """

    @property
    def api_version(self) -> str:
        """Which API this is (``v1``): the ``runs.api_version`` of what it lists."""
        ...

    @property
    def max_concurrency(self) -> int:
        """How many requests it can have in flight: agents listed side by side, fetches at once."""
        ...

    @property
    def requests(self) -> int:
        """Requests sent so far, retries included."""
        ...

    @property
    def retries(self) -> int:
        """Retries made so far."""
        ...

    def list_agents(self, since: datetime | None = None, until: datetime | None = None) -> list[Agent]:
        """Every agent of the project.

        A source whose agents are partly found in its runs (v2 jobs run with an inline schema
        form one agent per schema) looks for those among the runs created in ``[since, until)``,
        or in its whole history when no bound is given.
        """
        ...

    def list_runs(self, agent: Agent, since: datetime, until: datetime | None = None) -> Iterator[list[Run]]:
        """The agent's runs created at or after ``since`` (and before ``until``, the range's end,
        when given), newest first, in pages as they arrive.

        Each run comes once, and none present throughout the listing is missed while runs come and
        go. Runs newer than the range may come too (a source that cannot bound its listing, or
        does so only roughly): the caller drops them. A source that can should use ``until`` to
        skip the newer runs rather than list them. Closing the iterator stops the listing before
        its next request.
        """
        ...

    def list_headers(
        self, agent: Agent, since: datetime, until: datetime | None = None
    ) -> Iterator[list[RunHeader]]:
        """Like :meth:`list_runs`, with only the few fields the completion sensor keeps."""
        ...

    def fetch_runs(self, run_ids: Iterable[str]) -> Iterator[Fetched]:
        """Fetch runs by ID, in parallel; one result per ID, in completion order. Failures are results."""
        ...

    def check_run_id(self, run_id: str) -> str:
        """``run_id`` in its canonical form; raises :class:`~llamacloud_etl.errors.InvalidIdError`."""
        ...

    def weigh(self, agent: Agent, since: datetime | None = None, until: datetime | None = None) -> float:
        """The expected bytes of the agent's runs created in ``[since, until)`` (all when unbounded),
        to share agents out by work; every source weighs in these units, so agents of different
        sources can be dealt out together."""
        ...

    def run_day(self, run: Run | RunHeader) -> date | None:
        """The ``run_date`` partition a run lands in (None when it cannot be placed)."""
        ...

    def hints(self) -> dict[str, Any]:
        """What this source learnt that a source of its own in a worker process would have to list
        again (v2: the inline jobs its agents were found among); plain, picklable values."""
        ...

    def take_hints(self, hints: Mapping[str, Any]) -> None:
        """Start from what another source of the same API learnt (:meth:`hints`)."""
        ...

    def close(self) -> None:
        """Release the connections."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


def created_day(run: Run | RunHeader) -> date | None:
    """The UTC day of a run's ``created_at``: the ``run_date`` of every source so far."""
    return None if run.created_at is None else day_of(run.created_at)


def matches(agent: Agent, entry: str) -> bool:
    """Whether ``entry`` names the agent: its ID (as the source spells it, or in lower case) or its
    name, case-insensitively.

    Examples:
        >>> matches(Agent("c47a1e90", "Invoices"), "INVOICES"), matches(Agent("c47a1e90", "x"), "C47A1E90")
        (True, True)
    """
    return agent.id in (entry, entry.lower()) or agent.name.casefold() == entry.casefold()


def listing_units(agents: Iterable[Agent]) -> list[list[Agent]]:
    """The agents grouped by what one listing covers (:attr:`Agent.listing_key`), in first-seen order.

    Examples:
        >>> inline = [Agent("i1", "I1", listing="i"), Agent("i2", "I2", listing="i")]
        >>> units = listing_units([Agent("a", "A"), *inline])
        >>> [[a.id for a in unit] for unit in units]
        [['a'], ['i1', 'i2']]
    """
    units: dict[str, list[Agent]] = {}
    for agent in agents:
        units.setdefault(agent.listing_key, []).append(agent)
    return list(units.values())


def select_agents(agents: Sequence[Agent], allow: Collection[str] | None) -> list[Agent]:
    """The agents to land: all of them, or those whose ID or name is in ``allow``.

    Names match case-insensitively, IDs as the source spells them or in lower case. An entry
    that matches no agent is a configuration error, not a silent empty landing.

    Examples:
        >>> agents = [Agent("b", "Invoices"), Agent("a", "Contracts")]
        >>> [a.name for a in select_agents(agents, None)]
        ['Contracts', 'Invoices']
        >>> [a.id for a in select_agents(agents, ["invoices"])]
        ['b']
    """
    if not allow:
        return sorted(agents, key=lambda a: (a.name, a.id))
    wanted = {entry.strip() for entry in allow if entry.strip()}
    chosen: dict[str, Agent] = {}
    unmatched = []
    for entry in sorted(wanted):
        hits = [a for a in agents if matches(a, entry)]
        if not hits:
            unmatched.append(entry)
        for agent in hits:
            chosen[agent.id] = agent
    if unmatched:
        known = ", ".join(sorted(f"{a.name!r} ({a.id})" for a in agents)) or "none"
        raise ConfigurationError(
            f"no agent matches {', '.join(map(repr, unmatched))}; the project has: {known}"
        )
    return sorted(chosen.values(), key=lambda a: (a.name, a.id))
