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

With an upper bound (``created_before``), the range ends at a *fence*: any run created at or
after the bound. The list is sorted by ``created_at``, so every run of the range lies after a
fence, and a page that holds one is trusted like a page at ``skip=0`` (read the invariant from
the fence instead of the head: runs newer than the range are not yielded, so missing some costs
nothing). That lets the walk jump past the newer runs: after the first page, ``_seek`` searches for
the fence's offset (interpolating on ``created_at``) and the walk goes on a few runs before it; if
runs vanished and the fence slid off that page, the page holds neither a seen run nor a fence, and
the walk steps back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime

from llamacloud_etl.idkeys import IdSet

from ._listed import FetchPage, Listed, Page, R, at_or_after, created_before, created_time
from ._seek import seek_offset

__all__ = ["FetchPage", "Listed", "Page", "iterate_pages", "iterate_runs"]

logger = logging.getLogger("llamacloud_etl.client")


def iterate_runs(
    fetch_page: FetchPage[R],
    *,
    page_size: int,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> Iterator[R]:
    """Yield every run of a newest-first offset listing once, as pages arrive (see :func:`iterate_pages`).

    Raises:
        ValueError: At call time, as :func:`iterate_pages` does.
    """
    pages = iterate_pages(
        fetch_page, page_size=page_size, created_after=created_after, created_before=created_before
    )
    return (run for page in pages for run in page)


def iterate_pages(
    fetch_page: FetchPage[R],
    *,
    page_size: int,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> Iterator[list[R]]:
    """Yield the runs of a newest-first offset listing, each once, one list per page as it arrives.

    A page's list holds its runs not yielded before and inside ``[created_after, created_before)``;
    it may be empty (a page that only overlapped runs already seen, or runs newer than the range).

    Args:
        fetch_page: Fetches the page at ``(skip, limit)``.
        page_size: ``limit`` sent with every request; at least 2, since pages overlap by one run.
        created_after: Timezone-aware lower bound. Runs created before it are not yielded, and the
            walk stops after the first trusted page whose runs all predate it. Runs without
            ``created_at`` are always yielded.
        created_before: Timezone-aware upper bound (exclusive). Runs created at or after it are
            not yielded, and when more than a few pages of them precede the range, the walk
            seeks past them (``_seek``: a few requests with ``limit=1``, at most about log2(total)).

    Raises:
        ValueError: ``page_size`` below 2, or a naive bound.
    """
    if page_size < 2:
        raise ValueError(f"page_size must be at least 2 (pages overlap by one run), got {page_size}")
    for name, bound in (("created_after", created_after), ("created_before", created_before)):
        if bound is not None and bound.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, e.g. datetime(2025, 6, 1, tzinfo=UTC)")
    return _walk(fetch_page, page_size, created_after, created_before)


def _walk(
    fetch_page: FetchPage[R], page_size: int, after: datetime | None, before: datetime | None
) -> Iterator[list[R]]:
    seen = IdSet()  # every run of the range passes here: 16 bytes each, not a str in a set
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
        if skip > 0 and not _trusted(items, seen, before):
            # Runs vanished ahead of this page, so it may have jumped over unread runs.
            skip = max(0, skip - step)
            logger.debug("page holds no run seen before nor a fence; stepping back to skip=%d", skip)
            continue
        yield _fresh(items, seen, after, before)
        if skip + len(items) >= total:
            return
        if after is not None and all(created_before(run, after) for run in items):
            return
        if len(items) == 1:
            # Only the already-seen last run is left although ``total`` promised more: the list
            # ended under us (or ``total`` is stale). Nothing follows; overlap cannot advance.
            return
        first_page = skip == 0
        skip += len(items) - 1
        if first_page and before is not None and at_or_after(items[-1], before):
            start_at = created_time(items[-1])
            skip = seek_offset(
                fetch_page, start=skip, total=total, page_size=page_size, moment=before, start_at=start_at
            )


def _trusted(items: Sequence[Listed], seen: IdSet, before: datetime | None) -> bool:
    """Whether a page cannot have jumped over unread runs of the range: it holds a run already
    seen, or starts with a fence (a run created at or after ``before``, which every run of the
    range follows)."""
    if before is not None and at_or_after(items[0], before):
        return True
    return any(run.id in seen for run in items)


def _fresh(items: Sequence[R], seen: IdSet, after: datetime | None, before: datetime | None) -> list[R]:
    """The page's runs not seen before (now marked seen), less those outside the range."""
    fresh = []
    for run in items:
        if not seen.add(run.id):  # seen before
            continue
        if after is not None and created_before(run, after):
            continue
        if before is not None and at_or_after(run, before):
            continue
        fresh.append(run)
    return fresh
