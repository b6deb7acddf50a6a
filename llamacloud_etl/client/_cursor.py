"""Walk a cursor listing (``items`` + ``next_page_token``) as the official SDK does, without looping.

The SDK's pager (``SyncPaginatedCursor``) stops at an empty page or a missing, null or empty
``next_page_token``, and otherwise sends the same query again plus ``page_token``. A server that
hands out a token it has handed out before would make that loop forever; here it raises
:class:`~llamacloud_etl.errors.PaginationError` instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, TypeVar

from llamacloud_etl.errors import PaginationError

logger = logging.getLogger("llamacloud_etl.client")

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

MAX_TOKEN_CHARS = 80
"""Longest rendering of a repeated token in the error message."""


class CursorPage(Protocol[T_co]):
    """One page of a cursor listing."""

    @property
    def items(self) -> Sequence[T_co]: ...

    @property
    def next_page_token(self) -> str | None: ...


FetchCursorPage = Callable[[str | None], CursorPage[T]]
"""``fetch_page(page_token)`` returns one page; ``None`` asks for the first."""


def iterate_cursor_pages(fetch_page: FetchCursorPage[T], *, what: str) -> Iterator[list[T]]:
    """Yield the items of a cursor listing, one non-empty list per page, as pages arrive.

    Each request is made only when the consumer asks for the next page, so closing the
    iterator stops before the next request.

    Args:
        fetch_page: Fetches the page at a token (``None``: the first page).
        what: Names the listing in the error (``GET /api/v2/extract``).

    Raises:
        PaginationError: The server sent a ``next_page_token`` that was already sent (raised
            after yielding the page that carried it, before requesting again).
    """
    used: set[str] = set()
    token: str | None = None
    pages = 0
    while True:
        page = fetch_page(token)
        pages += 1
        if not page.items:
            return
        yield list(page.items)
        token = page.next_page_token
        if not token:
            return
        if token in used:
            shown = token if len(token) <= MAX_TOKEN_CHARS else token[: MAX_TOKEN_CHARS - 3] + "..."
            raise PaginationError(
                f"{what}: page {pages} gave next_page_token {shown!r}, which an earlier page already "
                "gave; following it would list the same pages again, so the listing stops here"
            )
        used.add(token)
        logger.debug("%s: page %d read, following its next_page_token", what, pages)
