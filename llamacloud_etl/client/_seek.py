"""Find where a range ends in a newest-first offset listing: bisection over ``skip`` with ``limit=1``.

The v1 list has no date filter, so a walk (``_paging``) to runs created before a moment would
page through every newer run. :func:`seek_offset` probes single runs instead, about log2(total)
requests, for the offset of the *fence*: the oldest run created at or after the moment, right
before the range's newest run. The offset is only a hint: runs that arrive, finish or vanish
while it probes shift it (even between two probes), so the walk starts :func:`margin` runs before
it and trusts that page only if it holds a run at or after the moment (every run of the range
lies after such a run, so none can lie before the page); otherwise the walk steps back, as it
does for any page it cannot trust. A wrong hint costs requests, never a run.
"""

from __future__ import annotations

import logging
from datetime import datetime

from ._listed import FetchPage, R, at_or_after

logger = logging.getLogger("llamacloud_etl.client")


def margin(page_size: int) -> int:
    """How many runs newer than the fence the walk's first page after a seek starts with.

    They absorb runs newer than the range vanishing after the probes (which pull the fence left,
    off the page); arrivals push it right, and the page has room for ``page_size - margin - 1``.
    """
    return max(1, page_size // 10)


def seek_offset(fetch_page: FetchPage[R], *, start: int, total: int, page_size: int, moment: datetime) -> int:
    """The offset to walk on from: ``start`` when seeking does not pay, else a little before the fence.

    Args:
        fetch_page: Fetches the page at ``(skip, limit)``.
        start: The offset the walk would fetch next; the run there was created at or after ``moment``.
        total: The list's length as last seen.
        page_size: The walk's ``limit``.
        moment: Timezone-aware end of the range (exclusive).
    """
    # Seek only when the range starts more pages away than bisection takes requests (a daily
    # landing's range is near the head): one probe tells, and costs one request when it does not pay.
    probe = start + total.bit_length() * (page_size - 1)
    if probe >= total:
        return start
    verdict, total = _probe(fetch_page, probe, moment)
    if verdict is not True:
        return start  # the range starts within those pages (or a run cannot be placed): walk there
    low, high = probe, total  # the run at ``low`` is at or after ``moment``; from ``high`` on, not
    while high - low > 1:
        middle = (low + high) // 2
        verdict, total = _probe(fetch_page, middle, moment)
        if verdict is None:
            logger.debug("run at skip=%d has no created_at; walking from skip=%d", middle, start)
            return start
        if verdict:
            low = middle
        else:
            high = middle
        high = max(low + 1, min(high, total))
    offset = max(start, low - margin(page_size))
    logger.debug("seek: the range ends after skip=%d of %d; walking on from skip=%d", low, total, offset)
    return offset


def _probe(fetch_page: FetchPage[R], skip: int, moment: datetime) -> tuple[bool | None, int]:
    """Whether the run at ``skip`` was created at or after ``moment`` (False past the end; None
    when it has no ``created_at``), and the list's length."""
    page = fetch_page(skip, 1)
    if not page.items:
        return False, page.total
    run = page.items[0]
    if run.created_at is None:
        return None, page.total
    return at_or_after(run, moment), page.total
