"""Find where a range ends in a newest-first offset listing: a safeguarded interpolation search.

The v1 list has no date filter, so a walk (``_paging``) to runs created before a moment would
page through every newer run. :func:`seek_offset` probes single runs instead (``limit=1``) for the
offset of the *fence*: the oldest run created at or after the moment, right before the range's
newest run. It keeps a bracket ``(low, high)``: the run at ``low`` is a fence, none from ``high``
on is. Each probe aims where the moment falls, by linear interpolation of ``created_at`` between
the bracket's ends, or, while ``high`` is the list's end (no time known there), by extrapolating
the rate of runs between the last two fences seen (the first is the walk's start run). It probes
just past that estimate, then at it, so that the bracket closes with ``low`` on the fence: on a
steady history, two probes after the one that decides to seek, where bisection took log2(total).

Safeguard: each aim is clamped so that bisection could still close the bracket in the probes left
of a budget of ceil(log2(bracket)), what plain bisection takes; a skewed history (bursts, empty
months) that misleads the interpolation thus never costs more probes than bisection. The search
stops once the bracket holds at most half a page: the fence is then on the walk's first page, and
probing on would save less than a page.

The offset is only a hint: runs that arrive, finish or vanish while it probes shift it (even between
two probes), so the walk starts :func:`margin` runs before it and trusts that page only if it holds a
run at or after the moment (every run of the range lies after such a run, so none can lie before the
page); otherwise the walk steps back, as it does for any page it cannot trust. A wrong hint costs
requests, never a run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from ._listed import FetchPage, R, at_or_after, created_time

logger = logging.getLogger("llamacloud_etl.client")


@dataclass(frozen=True)
class _Seen:
    """A probed offset and its run's ``created_at`` (None past the end, or when not known)."""

    offset: int
    at: datetime | None


def margin(page_size: int) -> int:
    """How many runs newer than the fence the walk's first page after a seek starts with.

    They absorb runs newer than the range vanishing after the probes (which pull the fence left,
    off the page); arrivals push it right, and the page has room for ``page_size - margin - 1``.
    """
    return max(1, page_size // 10)


def seek_offset(
    fetch_page: FetchPage[R],
    *,
    start: int,
    total: int,
    page_size: int,
    moment: datetime,
    start_at: datetime | None = None,
) -> int:
    """The offset to walk on from: ``start`` when seeking does not pay, else a little before the fence.

    Args:
        fetch_page: Fetches the page at ``(skip, limit)``.
        start: The offset the walk would fetch next; the run there was created at or after ``moment``.
        total: The list's length as last seen.
        page_size: The walk's ``limit``.
        moment: Timezone-aware end of the range (exclusive).
        start_at: When the run at ``start`` was created, if known: the first probes extrapolate from it.
    """
    # Seek only when the range starts more pages away than bisection takes requests (a daily
    # landing's range is near the head): one probe tells, and costs one request when it does not pay.
    probe = start + total.bit_length() * (page_size - 1)
    if probe >= total:
        return start
    verdict, total, at = _probe(fetch_page, probe, moment)
    if verdict is not True:
        return start  # the range starts within those pages (or a run cannot be placed): walk there
    close = max(1, page_size // 2)
    fence = _fence(fetch_page, _Seen(start, start_at), _Seen(probe, at), total, moment, close)
    if fence is None:
        return start
    offset = max(start, fence - margin(page_size))
    logger.debug("seek: the range ends after skip=%d of %d; walking on from skip=%d", fence, total, offset)
    return offset


def _fence(
    fetch_page: FetchPage[R], newer: _Seen, low: _Seen, total: int, moment: datetime, close: int
) -> int | None:
    """An offset at most ``close`` runs before the fence (the run at ``low`` is one), or None when a
    probed run has no ``created_at``."""
    high = _Seen(total, None)
    budget = (high.offset - low.offset - 1).bit_length()  # ceil(log2(bracket)): what bisection takes
    while high.offset - low.offset > close:
        # Bisection can shrink a bracket of c * 2**b to c in b probes: aim no farther from either end.
        reach = close << (budget - 1)
        aim = _aim(_estimate(newer, low, high, moment), low.offset, high.offset, close)
        skip = min(max(aim, high.offset - reach, low.offset + 1), low.offset + reach, high.offset - 1)
        budget -= 1
        verdict, total, at = _probe(fetch_page, skip, moment)
        if verdict is None:
            logger.debug("run at skip=%d has no created_at; not seeking", skip)
            return None
        if verdict:
            newer, low = low, _Seen(skip, at)
        else:
            high = _Seen(skip, at)
        if high.offset > total:  # the list shrank under the bracket: its end is the new bound
            high = _Seen(max(low.offset + 1, total), None)
    return low.offset


def _aim(fence: int, low: int, high: int, close: int) -> int:
    """Where to probe, given the estimated fence, so that the bracket likely closes (at most ``close``
    runs between its ends) with ``low`` on or just before the fence."""
    if fence - low < close:
        return low + close  # the fence is likely in (low, low + close)
    if high - fence <= close:
        return fence  # if it is the fence, the bracket closes with ``low`` on it
    return fence + close // 2  # just past it: the next probe can then close the bracket


def _estimate(newer: _Seen, low: _Seen, high: _Seen, moment: datetime) -> int:
    """Where the moment falls: interpolated between the bracket's ends, or, with no time at ``high``
    (the list's end), extrapolated from the rate of runs between ``newer`` and ``low`` (the last two
    fences); else the bracket's middle."""
    first, second = (low, high) if high.at is not None else (newer, low)
    if low.at is None or first.at is None or second.at is None or first.at <= second.at:
        return (low.offset + high.offset) // 2
    rate = (second.offset - first.offset) / (first.at - second.at).total_seconds()  # runs per second
    return low.offset + int(rate * (low.at - moment).total_seconds())


def _probe(fetch_page: FetchPage[R], skip: int, moment: datetime) -> tuple[bool | None, int, datetime | None]:
    """Whether the run at ``skip`` was created at or after ``moment`` (False past the end; None
    when it has no ``created_at``), the list's length, and the run's ``created_at``."""
    page = fetch_page(skip, 1)
    if not page.items:
        return False, page.total, None
    run = page.items[0]
    created = created_time(run)
    if created is None:
        return None, page.total, None
    return at_or_after(run, moment), page.total, created
