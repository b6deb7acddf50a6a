"""The LlamaExtract v2 client: jobs under ``/api/v2/extract``, saved configurations under ``/api/v1/beta``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote

import pydantic

from llamacloud_etl.models_v2 import (
    ConfigurationResponse,
    CursorPage,
    ExtractV2Job,
    ExtractV2JobQueryResponse,
    ExtractV2JobSummary,
    validate_v2_id,
)
from llamacloud_etl.settings import DEFAULT_PAGE_SIZE, SUMMARY_PAGE_SIZE

from ._base import BaseClient, Body
from ._cursor import iterate_cursor_pages
from ._fetch import JobFetch, fetch_each

T = TypeVar("T")

_JOBS_PATH = "/api/v2/extract"
_CONFIGURATIONS_PATH = "/api/v1/beta/configurations"

_JOB = Body("ExtractV2Job", pydantic.TypeAdapter(ExtractV2Job), whole_results=True)
_JOBS_PAGE = Body(
    "ExtractV2JobQueryResponse", pydantic.TypeAdapter(ExtractV2JobQueryResponse), whole_results=True
)
_SUMMARIES_PAGE = Body(
    "CursorPage[ExtractV2JobSummary]", pydantic.TypeAdapter(CursorPage[ExtractV2JobSummary])
)
_CONFIGURATION = Body("ConfigurationResponse", pydantic.TypeAdapter(ConfigurationResponse))
_CONFIGURATIONS_PAGE = Body(
    "CursorPage[ConfigurationResponse]", pydantic.TypeAdapter(CursorPage[ConfigurationResponse])
)


class ExtractV2Client(BaseClient):
    """Typed, retrying client for the LlamaExtract v2 API (jobs and saved configurations).

    Settings, pool, retries, errors and stats are :class:`BaseClient`'s, as for v1's
    ``LlamaCloudClient`` (its Args apply). Every request carries ``project_id`` and
    ``organization_id`` when set. Queries are encoded as the official SDK 2.19.0 encodes them:
    ``None`` left out, lists repeated (``expand=a&expand=b``), datetimes as ``isoformat()``.

    Examples:
        >>> import httpx
        >>> def handler(request: httpx.Request) -> httpx.Response:
        ...     return httpx.Response(200, json={"items": [], "next_page_token": None})
        >>> with ExtractV2Client("llx-demo", "eu", transport=httpx.MockTransport(handler)) as client:
        ...     client.list_configurations()
        []
    """

    # -- jobs ---------------------------------------------------------------------------------

    def list_job_pages(
        self,
        *,
        created_on_or_after: datetime | None = None,
        created_on_or_before: datetime | None = None,
        status: str | None = None,
        configuration_id: str | None = None,
        job_ids: Sequence[str] | None = None,
        expand: Sequence[str] = (),
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[list[ExtractV2Job]]:
        """``GET /api/v2/extract``, all pages (newest first), one non-empty list per page as it arrives.

        Follows ``next_page_token`` with the same query plus ``page_token``; an empty page or an
        empty/null token ends the listing. Each page is requested only when the consumer asks
        for it: closing the iterator stops before the next request.

        Args:
            created_on_or_after: Timezone-aware; sent as ``created_at_on_or_after`` (inclusive).
            created_on_or_before: Timezone-aware; sent as ``created_at_on_or_before`` (inclusive).
            status: Only jobs with this status (``COMPLETED``, ``FAILED``, ...).
            configuration_id: Only jobs made from this saved configuration (``cfg-...``).
            job_ids: Only these jobs (``ext-...``). An empty sequence lists nothing, without a
                request (the API would read "no filter").
            expand: Extra fields to include: ``configuration``, ``extract_metadata``, ``usage``.
            page_size: ``page_size`` of every request (at least 1).

        Raises:
            InvalidIdError: At call time, for a malformed ``configuration_id`` or job ID.
            ValueError: At call time, for a naive datetime or ``page_size < 1``.
            PaginationError: While iterating, when the server repeats a page token.
        """
        query = self._jobs_query(
            created_on_or_after, created_on_or_before, status, configuration_id, job_ids, expand, page_size
        )
        return self._cursor_pages(_JOBS_PATH, _JOBS_PAGE, query)

    def list_job_summary_pages(
        self,
        *,
        created_on_or_after: datetime | None = None,
        created_on_or_before: datetime | None = None,
        status: str | None = None,
        configuration_id: str | None = None,
        job_ids: Sequence[str] | None = None,
        page_size: int = SUMMARY_PAGE_SIZE,
    ) -> Iterator[list[ExtractV2JobSummary]]:
        """Like :meth:`list_job_pages`, but parses only IDs, status, times and the schema.

        For discovery: asks for ``expand=configuration`` (the schema is
        ``configuration.data_schema``) and skips ``extract_result``, ``extract_metadata`` and
        the rest of each job instead of building them (see :class:`ExtractV2JobSummary`).
        """
        query = self._jobs_query(
            created_on_or_after,
            created_on_or_before,
            status,
            configuration_id,
            job_ids,
            ("configuration",),
            page_size,
        )
        return self._cursor_pages(_JOBS_PATH, _SUMMARIES_PAGE, query)

    def size_jobs(
        self,
        *,
        created_on_or_after: datetime | None = None,
        created_on_or_before: datetime | None = None,
        status: str | None = None,
        configuration_id: str | None = None,
        job_ids: Sequence[str] | None = None,
        expand: Sequence[str] = (),
        sample: int = 5,
    ) -> float:
        """The mean JSON size of the newest ``sample`` jobs the filters match (0.0 for none).

        One request (the first page of :meth:`list_job_pages` with ``page_size=sample``); landing
        uses it, with the jobs a discovery counted, to share agents out by expected work.
        """
        query = self._jobs_query(
            created_on_or_after, created_on_or_before, status, configuration_id, job_ids, expand, sample
        )
        if query is None:
            return 0.0
        response = self._request("GET", _JOBS_PATH, query)
        page = self._parse(response, _JOBS_PAGE)
        return len(response.content) / len(page.items) if page.items else 0.0

    def get_job(self, job_id: str, *, expand: Sequence[str] = ()) -> ExtractV2Job:
        """``GET /api/v2/extract/{job_id}``: one job, with the ``expand`` fields asked for.

        Raises:
            InvalidIdError: ``job_id`` is not an ``ext-...`` ID (nothing is sent).
            NotFoundError: No such job in the project (the error's URL names it).
        """
        jid = validate_v2_id(job_id, "job")
        params = {**_repeated("expand", expand), **self._scope()}
        return self._get(f"{_JOBS_PATH}/{_segment(jid)}", _JOB, params)

    def fetch_jobs(
        self, job_ids: Iterable[str], *, expand: Sequence[str] = (), max_concurrency: int | None = None
    ) -> Iterator[JobFetch]:
        """Fetch jobs by ID in parallel; yield one :class:`JobFetch` per ID, in completion order.

        As v1's ``fetch_runs``: ``job_ids`` is consumed lazily with at most ``max_concurrency``
        requests in flight (capped at the pool size), and failures are results: a malformed ID
        an :class:`InvalidIdError` without a request, a 404 a :class:`NotFoundError`, exhausted
        retries the last retriable error.
        """
        get = partial(self.get_job, expand=tuple(expand))
        validate = partial(validate_v2_id, kind="job")
        limit = self._fetch_limit(max_concurrency)
        return fetch_each(get, iter(job_ids), limit, validate=validate, outcome=JobFetch)

    # -- configurations -----------------------------------------------------------------------

    def list_configurations(
        self, product_type: str | None = "extract_v2", *, page_size: int | None = None
    ) -> list[ConfigurationResponse]:
        """``GET /api/v1/beta/configurations``: every saved configuration of a product, all pages.

        Args:
            product_type: Only this product's configurations; None for all products.
            page_size: ``page_size`` of every request; the server's default if None.

        Raises:
            PaginationError: The server repeated a page token.
        """
        query: dict[str, Any] = {**self._scope()}
        if product_type is not None:
            query["product_type"] = [product_type]
        if page_size is not None:
            query["page_size"] = _positive(page_size)
        pages = self._cursor_pages(_CONFIGURATIONS_PATH, _CONFIGURATIONS_PAGE, query)
        return [configuration for page in pages for configuration in page]

    def get_configuration(self, config_id: str) -> ConfigurationResponse:
        """``GET /api/v1/beta/configurations/{config_id}``.

        Raises:
            InvalidIdError: ``config_id`` is not a ``cfg-...`` ID (nothing is sent).
            NotFoundError: No such configuration in the project (the error's URL names it).
        """
        cid = validate_v2_id(config_id, "configuration")
        return self._get(f"{_CONFIGURATIONS_PATH}/{_segment(cid)}", _CONFIGURATION, self._scope())

    # -- internals ----------------------------------------------------------------------------

    def _jobs_query(
        self,
        after: datetime | None,
        before: datetime | None,
        status: str | None,
        configuration_id: str | None,
        job_ids: Sequence[str] | None,
        expand: Sequence[str],
        page_size: int,
    ) -> dict[str, Any] | None:
        """The query of ``GET /api/v2/extract``, checked; None when ``job_ids`` is empty."""
        if job_ids is not None and not job_ids:
            return None
        query: dict[str, Any] = {
            "configuration_id": None
            if configuration_id is None
            else validate_v2_id(configuration_id, "configuration"),
            "created_at_on_or_after": _isoformat(after, "created_on_or_after"),
            "created_at_on_or_before": _isoformat(before, "created_on_or_before"),
            **_repeated("expand", expand),
            "page_size": _positive(page_size),
            "status": status,
            **self._scope(),
        }
        if job_ids is not None:
            query["job_ids"] = [validate_v2_id(jid, "job") for jid in job_ids]
        return {name: value for name, value in query.items() if value is not None}

    def _cursor_pages(
        self, path: str, body: Body[CursorPage[T]], query: dict[str, Any] | None
    ) -> Iterator[list[T]]:
        """The pages of a cursor listing at ``path``: ``query``, then ``query`` plus ``page_token``.

        No pages, and no request, for a ``query`` of None (one that can match nothing).
        """
        if query is None:
            return iter(())

        def fetch_page(token: str | None) -> CursorPage[T]:
            params = query if token is None else {**query, "page_token": token}
            return self._get(path, body, params)

        return iterate_cursor_pages(fetch_page, what=f"GET {path}")


def _segment(value: str) -> str:
    """``value`` percent-encoded as one URL path segment (a second guard: IDs are validated first)."""
    return quote(value, safe="")


def _repeated(name: str, values: Sequence[str]) -> dict[str, list[str]]:
    """``{name: [values]}`` (httpx repeats the key), or nothing for no values; a lone string is refused."""
    if isinstance(values, str):
        raise TypeError(f"{name} takes a sequence of strings, not the string {values!r}")
    return {name: list(values)} if values else {}


def _isoformat(moment: datetime | None, name: str) -> str | None:
    if moment is None:
        return None
    if moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, e.g. datetime(2026, 4, 1, tzinfo=UTC)")
    return moment.isoformat()


def _positive(page_size: int) -> int:
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    return page_size
