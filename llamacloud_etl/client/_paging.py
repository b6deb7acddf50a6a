"""Walk the offset pages of ``GET /runs`` without misses or repeats while the list changes.

The listing is newest-first and offset-based, so between two page requests new runs
push everything right and deleted runs pull everything left. A plain ``skip += len(items)`` then
repeats runs (arrivals) or silently skips them (deletions). The walk below keeps one invariant:

    every run from the head of the list down to the oldest run yielded so far has been seen,
    except runs that arrived after the walk passed them (they are newer; the next listing has them).

It holds because a page is only trusted ("anchored") if it starts at ``skip=0`` or contains a run
already seen: a page is a contiguous slice, so its unseen runs follow seen ground with no gap.
Pages overlap by one run (``next skip = skip + len(items) - 1``) so that, with no change in
between, the next page starts with the last run seen. A page with no seen run means runs
vanished ahead of it (or, rarely, a whole page of runs arrived): step back and refetch until a
page touches seen ground; ``skip=0`` always does, so stepping back ends. Duplicates are dropped by
ID. ``total`` is re-read on every page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar

logger = logging.getLogger("llamacloud_etl.client")


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


def iterate_runs(
    fetch_page: FetchPage[R], *, page_size: int, created_after: datetime | None = None
) -> Iterator[R]:
    """Yield every run of a newest-first offset listing once, as pages arrive (see :func:`iterate_pages`).

    Raises:
        ValueError: At call time, as :func:`iterate_pages` does.
    """
    pages = iterate_pages(fetch_page, page_size=page_size, created_after=created_after)
    return (run for page in pages for run in page)


def iterate_pages(
    fetch_page: FetchPage[R], *, page_size: int, created_after: datetime | None = None
) -> Iterator[list[R]]:
    """Yield the runs of a newest-first offset listing, each once, one list per page as it arrives.

    A page's list holds its runs not yielded before and not older than ``created_after``; it may
    be empty (a page that only overlapped runs already seen).

    Args:
        fetch_page: Fetches the page at ``(skip, limit)``.
        page_size: ``limit`` sent with every request; at least 2, since pages overlap by one run.
        created_after: Timezone-aware lower bound. Runs created before it are not yielded, and the
            walk stops after the first trusted page whose runs all predate it. Runs without
            ``created_at`` are always yielded.

    Raises:
        ValueError: ``page_size`` below 2, or a naive ``created_after``.
    """
    if page_size < 2:
        raise ValueError(f"page_size must be at least 2 (pages overlap by one run), got {page_size}")
    if created_after is not None and created_after.utcoffset() is None:
        raise ValueError("created_after must be timezone-aware, e.g. datetime(2025, 6, 1, tzinfo=UTC)")
    return _walk(fetch_page, page_size, created_after)


def _walk(fetch_page: FetchPage[R], page_size: int, created_after: datetime | None) -> Iterator[list[R]]:
    seen: set[str] = set()
    skip = 0
    step = page_size - 1
    while True:
        page = fetch_page(skip, page_size)
        items, total = page.items, page.total
        if not items:
            if skip == 0:
                return
            # The list shrank below our offset; runs between the last seen one and the new end
            # may not have been read yet. Step back (at most to the new last run) and look again.
            skip = max(0, min(skip - step, total - 1))
            logger.debug("empty page past the end of %d runs; stepping back to skip=%d", total, skip)
            continue
        step = max(1, len(items) - 1)
        if skip > 0 and not any(run.id in seen for run in items):
            # Runs vanished ahead of this page, so it may have jumped over unread runs.
            skip = max(0, skip - step)
            logger.debug("page holds no run seen before; stepping back to skip=%d", skip)
            continue
        fresh = []
        for run in items:
            if run.id in seen:
                continue
            seen.add(run.id)
            if created_after is None or not _created_before(run, created_after):
                fresh.append(run)
        yield fresh
        if skip + len(items) >= total:
            return
        if created_after is not None and all(_created_before(run, created_after) for run in items):
            return
        if len(items) == 1:
            # Only the already-seen last run is left although ``total`` promised more: the list
            # ended under us (or ``total`` is stale). Nothing follows; overlap cannot advance.
            return
        skip += len(items) - 1


def _created_before(run: Listed, moment: datetime) -> bool:
    if run.created_at is None:
        return False
    created = run.created_at if run.created_at.utcoffset() is not None else run.created_at.replace(tzinfo=UTC)
    return created < moment
