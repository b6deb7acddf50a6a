"""What the ``GET /runs`` walk and seek need of a listing: its pages, its runs' IDs and creation times."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar


class Listed(Protocol):
    """What the walk needs of a listed run (an ``ExtractRun`` or an ``ExtractRunSummary``)."""

    @property
    def id(self) -> str: ...

    @property
    def created_at(self) -> datetime | None: ...


R = TypeVar("R", bound=Listed)
R_co = TypeVar("R_co", bound=Listed, covariant=True)


class Page(Protocol[R_co]):
    """One page of ``GET /runs``."""

    @property
    def items(self) -> Sequence[R_co]: ...

    @property
    def total(self) -> int: ...


FetchPage = Callable[[int, int], Page[R]]
"""``fetch_page(skip, limit)`` returns one page of ``GET /runs``."""


def created_before(run: Listed, moment: datetime) -> bool:
    """Whether the run was created before ``moment`` (False without ``created_at``; naive is UTC)."""
    created = created_time(run)
    return created is not None and created < moment


def at_or_after(run: Listed, moment: datetime) -> bool:
    """Whether the run was created at or after ``moment`` (False without ``created_at``; naive is UTC)."""
    created = created_time(run)
    return created is not None and created >= moment


def created_time(run: Listed) -> datetime | None:
    """The run's ``created_at``, timezone-aware (naive is UTC), or None without one."""
    created = run.created_at
    if created is None or created.utcoffset() is not None:
        return created
    return created.replace(tzinfo=UTC)
