"""The synchronous LlamaCloud extraction client: one httpx connection pool, retries, typed results."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import pydantic

from llamacloud_etl.models import (
    ExtractAgent,
    ExtractJob,
    ExtractResultset,
    ExtractRun,
    ExtractRunSummary,
    PaginatedExtractRunsResponse,
    PaginatedExtractRunSummaries,
    validate_id,
)
from llamacloud_etl.settings import DEFAULT_PAGE_SIZE, SUMMARY_PAGE_SIZE

from ._base import BaseClient, Body
from ._fetch import RunFetch, fetch_concurrently
from ._listed import created_time
from ._paging import iterate_pages

P = TypeVar("P", PaginatedExtractRunsResponse, PaginatedExtractRunSummaries)

_API = "/api/v1/extraction"

_RUN = Body("ExtractRun", pydantic.TypeAdapter(ExtractRun), whole_results=True)
_RUNS_PAGE = Body(
    "PaginatedExtractRunsResponse", pydantic.TypeAdapter(PaginatedExtractRunsResponse), whole_results=True
)
_SUMMARIES_PAGE = Body("PaginatedExtractRunSummaries", pydantic.TypeAdapter(PaginatedExtractRunSummaries))
_AGENT = Body("ExtractAgent", pydantic.TypeAdapter(ExtractAgent))
_AGENTS = Body("list[ExtractAgent]", pydantic.TypeAdapter(list[ExtractAgent]))
_JOB = Body("ExtractJob", pydantic.TypeAdapter(ExtractJob))
_JOBS = Body("list[ExtractJob]", pydantic.TypeAdapter(list[ExtractJob]))
_RESULTSET = Body("ExtractResultset", pydantic.TypeAdapter(ExtractResultset))


@dataclass(frozen=True)
class RunsSize:
    """An agent's run count, the mean JSON size of a sample of its newest runs, and its time span."""

    total: int
    bytes_per_run: float
    newest: datetime | None = None
    """When the newest run was created (None: no runs, or not asked for)."""
    oldest: datetime | None = None
    """When the oldest run was created (None: no runs, or not asked for)."""

    @property
    def bytes(self) -> float:
        """The expected size of the agent's whole listing."""
        return self.total * self.bytes_per_run

    def runs_in(self, since: datetime | None, until: datetime | None) -> float:
        """The expected number of runs created in ``[since, until)``: the runs taken as spread
        evenly between the oldest and the newest (all of them when the span is unknown).

        Examples:
            >>> from datetime import UTC
            >>> day = lambda d: datetime(2026, 6, d, tzinfo=UTC)
            >>> size = RunsSize(total=100, bytes_per_run=1.0, newest=day(11), oldest=day(1))
            >>> size.runs_in(day(1), day(3)), size.runs_in(day(9), None), size.runs_in(day(20), None)
            (20.0, 20.0, 0.0)
        """
        if self.newest is None or self.oldest is None:
            return float(self.total)
        low = self.oldest if since is None else max(since, self.oldest)
        high = self.newest if until is None else min(until, self.newest)
        span = (self.newest - self.oldest).total_seconds()
        if span <= 0:  # every run at one moment: all of them in range, or none
            inside = (since is None or since <= self.newest) and (until is None or self.newest < until)
            return float(self.total) if inside else 0.0
        return self.total * max(0.0, (high - low).total_seconds()) / span


class LlamaCloudClient(BaseClient):
    """Typed, retrying client for the LlamaCloud extraction API (LlamaExtract v1).

    Settings, pool, retries and errors are :class:`BaseClient`'s (its Args apply); this class
    adds the v1 endpoints under ``/api/v1/extraction``. One instance is safe to share between
    threads; :meth:`fetch_runs` does exactly that.

    Examples:
        >>> import httpx
        >>> def handler(request: httpx.Request) -> httpx.Response:
        ...     return httpx.Response(200, json=[])
        >>> with LlamaCloudClient("llx-demo", "eu", transport=httpx.MockTransport(handler)) as client:
        ...     client.list_agents()
        []
    """

    # -- endpoints ---------------------------------------------------------------------------

    def get_run(self, run_id: str) -> ExtractRun:
        """``GET /runs/{run_id}``: one run with its data and metadata.

        Raises:
            InvalidIdError: ``run_id`` is not a UUID (nothing is sent).
            NotFoundError: No such run in the key's project.
        """
        rid = validate_id(run_id, "run")
        return self._get(f"{_API}/runs/{rid}", _RUN, self._scope())

    def get_run_by_job(self, job_id: str) -> ExtractRun:
        """``GET /runs/by-job/{job_id}``: the run of a job."""
        jid = validate_id(job_id, "job")
        return self._get(f"{_API}/runs/by-job/{jid}", _RUN, self._scope())

    def list_runs(
        self,
        agent_id: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
    ) -> Iterator[ExtractRun]:
        """``GET /runs`` for one agent, all pages, newest first, each run once (see ``_paging``).

        Runs are yielded as pages arrive. The listing tolerates runs appearing or disappearing
        while it pages: no run is yielded twice and no run present throughout is missed.

        Args:
            agent_id: The extraction agent.
            page_size: ``limit`` per request (at least 2).
            created_after: Timezone-aware; skip older runs and stop paging once a whole page is
                older (the listing is newest-first).
            created_before: Timezone-aware, exclusive; skip newer runs, and when more than a few
                pages of them come first, find where they end by a search over ``skip`` (a few
                requests of one run each, at most about log2(total)) instead of paging through them.

        Raises:
            InvalidIdError: At call time, before any request.
            ValueError: At call time, for ``page_size < 2`` or a naive bound.
        """
        pages = self.list_run_pages(
            agent_id, page_size=page_size, created_after=created_after, created_before=created_before
        )
        return (run for page in pages for run in page)

    def list_run_pages(
        self,
        agent_id: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
    ) -> Iterator[list[ExtractRun]]:
        """Like :meth:`list_runs`, one list per page as it arrives (see ``_paging.iterate_pages``)."""
        fetch_page = self._page_fetcher(agent_id, _RUNS_PAGE)
        return iterate_pages(
            fetch_page, page_size=page_size, created_after=created_after, created_before=created_before
        )

    def size_runs(self, agent_id: str, *, sample: int = 5, span: bool = False) -> RunsSize:
        """How much an agent's listing holds: its run count and the size of its newest runs.

        One request (``GET /runs`` with ``limit=sample``); with ``span``, the creation times of
        the newest and the oldest run too (one more request when the sample does not reach the
        oldest). Landing uses it to share agents out between worker processes by expected work.

        Raises:
            InvalidIdError: At call time, before any request.
        """
        aid = validate_id(agent_id, "agent")
        params = {"extraction_agent_id": aid, "skip": 0, "limit": sample}
        response = self._request("GET", f"{_API}/runs", params)
        page = self._parse(response, _RUNS_PAGE)
        per_run = len(response.content) / len(page.items) if page.items else 0.0
        if not span or not page.items:
            return RunsSize(total=page.total, bytes_per_run=per_run)
        newest, oldest = created_time(page.items[0]), created_time(page.items[-1])  # naive is UTC
        if page.total > len(page.items):
            last = {"extraction_agent_id": aid, "skip": page.total - 1, "limit": 1}
            tail = self._get(f"{_API}/runs", _SUMMARIES_PAGE, last).items
            oldest = created_time(tail[-1]) if tail else oldest  # gone since: the sample's oldest will do
        return RunsSize(page.total, per_run, newest, oldest or newest)

    def list_run_summaries(
        self,
        agent_id: str,
        *,
        page_size: int = SUMMARY_PAGE_SIZE,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
    ) -> Iterator[ExtractRunSummary]:
        """Like :meth:`list_runs`, but parses only IDs, statuses, times, schema and config.

        For the completion sensor: faster than :meth:`list_runs` on pages of full runs, since
        ``data`` and ``extraction_metadata`` are skipped, not built.
        """
        pages = self.list_summary_pages(
            agent_id, page_size=page_size, created_after=created_after, created_before=created_before
        )
        return (run for page in pages for run in page)

    def list_summary_pages(
        self,
        agent_id: str,
        *,
        page_size: int = SUMMARY_PAGE_SIZE,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
    ) -> Iterator[list[ExtractRunSummary]]:
        """Like :meth:`list_run_summaries`, one list per page as it arrives."""
        fetch_page = self._page_fetcher(agent_id, _SUMMARIES_PAGE)
        return iterate_pages(
            fetch_page, page_size=page_size, created_after=created_after, created_before=created_before
        )

    def _page_fetcher(self, agent_id: str, body: Body[P]) -> Callable[[int, int], P]:
        """``fetch_page(skip, limit)`` for one agent's ``GET /runs``; the ID is checked now."""
        aid = validate_id(agent_id, "agent")

        def fetch_page(skip: int, limit: int) -> P:
            params = {"extraction_agent_id": aid, "skip": skip, "limit": limit}
            return self._get(f"{_API}/runs", body, params)

        return fetch_page

    def list_agents(self, include_default: bool = False) -> list[ExtractAgent]:
        """``GET /extraction-agents``: the project's agents (default agents too if asked)."""
        params: dict[str, Any] = {"include_default": "true" if include_default else "false", **self._scope()}
        return self._get(f"{_API}/extraction-agents", _AGENTS, params)

    def get_agent(self, agent_id: str) -> ExtractAgent:
        """``GET /extraction-agents/{agent_id}``."""
        aid = validate_id(agent_id, "agent")
        return self._get(f"{_API}/extraction-agents/{aid}", _AGENT)

    def list_jobs(self, agent_id: str) -> list[ExtractJob]:
        """``GET /jobs``: every job of an agent (a plain list, not paginated)."""
        aid = validate_id(agent_id, "agent")
        return self._get(f"{_API}/jobs", _JOBS, {"extraction_agent_id": aid})

    def get_job(self, job_id: str) -> ExtractJob:
        """``GET /jobs/{job_id}``."""
        jid = validate_id(job_id, "job")
        return self._get(f"{_API}/jobs/{jid}", _JOB)

    def get_job_result(self, job_id: str) -> ExtractResultset:
        """``GET /jobs/{job_id}/result``: the result of a finished job (404 before it finishes)."""
        jid = validate_id(job_id, "job")
        return self._get(f"{_API}/jobs/{jid}/result", _RESULTSET, self._scope())

    def fetch_runs(self, run_ids: Iterable[str], *, max_concurrency: int | None = None) -> Iterator[RunFetch]:
        """Fetch runs by ID in parallel; yield one :class:`RunFetch` per ID, in completion order.

        ``run_ids`` is consumed lazily and at most ``max_concurrency`` requests are in flight, so
        memory stays bounded for any number of IDs. Failures are results, not exceptions: an
        invalid ID yields an :class:`InvalidIdError` without a request, a 404 a
        :class:`NotFoundError`, exhausted retries the last retriable error.

        Threads over the one shared pool, rather than async httpx: callers (Dagster assets) are
        synchronous, the work is I/O-bound, and it reuses the same retry, error and stats code.

        Args:
            run_ids: Run IDs, consumed lazily.
            max_concurrency: Requests in flight; defaults to, and is capped at, the client's
                ``max_concurrency`` (the pool size), so threads never queue for a connection.
        """
        return fetch_concurrently(self.get_run, iter(run_ids), self._fetch_limit(max_concurrency))
