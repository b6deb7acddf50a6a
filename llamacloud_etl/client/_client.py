"""The synchronous LlamaCloud extraction client: one httpx connection pool, retries, typed results."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx
import pydantic
import stamina

import llamacloud_etl
from llamacloud_etl.errors import ConfigurationError, RetriableAPIError
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
from llamacloud_etl.settings import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_PAGE_SIZE,
    DEFAULT_TIMEOUT,
    SUMMARY_PAGE_SIZE,
    ApiSettings,
)

from ._config import resolve_api_key, resolve_base_url
from ._errors import api_error, payload_error
from ._fetch import RunFetch, fetch_concurrently
from ._json import loads_exact
from ._paging import iterate_pages
from ._redact import MASK, Redactor
from ._retry import BackoffPolicy, RequestRetries
from ._stats import ClientStats

logger = logging.getLogger("llamacloud_etl.client")

T = TypeVar("T")
P = TypeVar("P", PaginatedExtractRunsResponse, PaginatedExtractRunSummaries)

_API = "/api/v1/extraction"


@dataclass(frozen=True, slots=True)
class _Body(Generic[T]):
    """What a 2xx body must be: a name for error messages and the adapter that validates it.

    ``whole_runs``: the body holds whole runs (``data`` and metadata as Python objects), and is
    parsed with orjson where that is exact (see ``_json``). Other bodies are small, or validated
    without building most of their values (summaries), which pydantic's parser does best.
    """

    name: str
    adapter: pydantic.TypeAdapter[T]
    whole_runs: bool = False


_RUN = _Body("ExtractRun", pydantic.TypeAdapter(ExtractRun), whole_runs=True)
_RUNS_PAGE = _Body(
    "PaginatedExtractRunsResponse", pydantic.TypeAdapter(PaginatedExtractRunsResponse), whole_runs=True
)
_SUMMARIES_PAGE = _Body("PaginatedExtractRunSummaries", pydantic.TypeAdapter(PaginatedExtractRunSummaries))
_AGENT = _Body("ExtractAgent", pydantic.TypeAdapter(ExtractAgent))
_AGENTS = _Body("list[ExtractAgent]", pydantic.TypeAdapter(list[ExtractAgent]))
_JOB = _Body("ExtractJob", pydantic.TypeAdapter(ExtractJob))
_JOBS = _Body("list[ExtractJob]", pydantic.TypeAdapter(list[ExtractJob]))
_RESULTSET = _Body("ExtractResultset", pydantic.TypeAdapter(ExtractResultset))


@dataclass(frozen=True)
class RunsSize:
    """An agent's run count and the mean JSON size of a sample of its newest runs."""

    total: int
    bytes_per_run: float

    @property
    def bytes(self) -> float:
        """The expected size of the agent's whole listing."""
        return self.total * self.bytes_per_run


class LlamaCloudClient:
    """Typed, retrying client for the LlamaCloud extraction API (LlamaExtract v1).

    One instance holds one httpx connection pool (keep-alive) and is safe to share between
    threads; :meth:`fetch_runs` does exactly that. Close it, or use it as a context manager.

    Failures raised as a :class:`RetriableAPIError` (connection errors, timeouts,
    408/409/429/5xx, unless ``x-should-retry`` says otherwise) are retried up to ``max_retries``
    times, waiting as the server asks (``retry-after-ms``/``Retry-After``) or with exponential
    backoff and jitter; see :class:`BackoffPolicy`. When retries run out, the last error is
    raised.

    Args:
        api_key: API key; defaults to env ``LLAMA_CLOUD_API_KEY``, then ``LLAMA_PARSE_API_KEY``.
        base_url: API URL or region name (``na``, ``us``, ``north-america``, ``eu``, ``europe``);
            defaults to env ``LLAMA_CLOUD_BASE_URL``, then North America. Plain ``http://`` is
            refused except to loopback hosts.
        project_id: Sent as ``project_id`` where the endpoint takes it; the key's project if None.
        organization_id: Sent as ``organization_id`` where the endpoint takes it.
        timeout: Seconds per attempt for read, write and pool waits (connect: at most 5 s).
        max_retries: Retries after the first attempt; 0 disables retrying.
        max_concurrency: Connection pool size, and the default parallelism of :meth:`fetch_runs`.
        transport: httpx transport to use instead of the network (tests, the emulator).
        backoff: Waiting policy between attempts.

    Raises:
        ConfigurationError: No key, a bad base URL, key over plain http to a remote host, or an
            out-of-range numeric setting.
        InvalidIdError: ``project_id`` or ``organization_id`` is not a UUID.

    Examples:
        >>> import httpx
        >>> def handler(request: httpx.Request) -> httpx.Response:
        ...     return httpx.Response(200, json=[])
        >>> with LlamaCloudClient("llx-demo", "eu", transport=httpx.MockTransport(handler)) as client:
        ...     client.list_agents()
        []
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        project_id: str | None = None,
        organization_id: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        transport: httpx.BaseTransport | None = None,
        backoff: BackoffPolicy | None = None,
    ) -> None:
        if not timeout > 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, got {timeout!r}")
        if max_retries < 0:
            raise ConfigurationError(f"max_retries must be >= 0, got {max_retries!r}")
        if max_concurrency < 1:
            raise ConfigurationError(f"max_concurrency must be >= 1, got {max_concurrency!r}")
        key = resolve_api_key(api_key)
        self.base_url = resolve_base_url(base_url)
        self.project_id = None if project_id is None else validate_id(project_id, "project")
        self.organization_id = (
            None if organization_id is None else validate_id(organization_id, "organization")
        )
        self.max_retries = max_retries
        self.max_concurrency = max_concurrency
        self.backoff = backoff or BackoffPolicy()
        self.stats = ClientStats()
        self._redactor = Redactor(key)
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {key}",
                "Accept": "application/json",
                "User-Agent": f"llamacloud-etl/{llamacloud_etl.__version__}",
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=max_concurrency, max_keepalive_connections=max_concurrency),
            transport=transport,
            follow_redirects=False,
        )

    @classmethod
    def from_settings(cls, settings: ApiSettings, *, transport: httpx.BaseTransport | None = None) -> Self:
        """A client built from :class:`~llamacloud_etl.settings.ApiSettings` (the caller closes it).

        Raises:
            ConfigurationError: the settings cannot work (no key, bad URL, key over plain http, ...).
        """
        return cls(
            settings.api_key or None,
            settings.base_url,
            project_id=settings.project_id,
            organization_id=settings.organization_id,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            max_concurrency=settings.max_concurrency,
            transport=transport,
        )

    def __repr__(self) -> str:
        return (
            f"LlamaCloudClient(base_url={self.base_url!r}, project_id={self.project_id!r}, "
            f"organization_id={self.organization_id!r}, api_key={MASK!r})"
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool. The client cannot be used afterwards."""
        self._http.close()

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
                pages of them come first, find where they end by bisection over ``skip`` (about
                log2(total) requests of one run each) instead of paging through them.

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

    def size_runs(self, agent_id: str, *, sample: int = 5) -> RunsSize:
        """How much an agent's listing holds: its run count and the size of its newest runs.

        One request (``GET /runs`` with ``limit=sample``); landing uses it to share agents out
        between worker processes by expected work.

        Raises:
            InvalidIdError: At call time, before any request.
        """
        aid = validate_id(agent_id, "agent")
        params = {"extraction_agent_id": aid, "skip": 0, "limit": sample}
        response = self._request("GET", f"{_API}/runs", params)
        page = self._parse(response, _RUNS_PAGE)
        per_run = len(response.content) / len(page.items) if page.items else 0.0
        return RunsSize(total=page.total, bytes_per_run=per_run)

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

    def _page_fetcher(self, agent_id: str, body: _Body[P]) -> Callable[[int, int], P]:
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
        limit = (
            self.max_concurrency if max_concurrency is None else min(max_concurrency, self.max_concurrency)
        )
        if limit < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency!r}")
        return fetch_concurrently(self.get_run, iter(run_ids), limit)

    # -- internals ---------------------------------------------------------------------------

    def _scope(self) -> dict[str, Any]:
        """``project_id``/``organization_id`` query params, for the endpoints that take them."""
        params: dict[str, Any] = {}
        if self.project_id is not None:
            params["project_id"] = self.project_id
        if self.organization_id is not None:
            params["organization_id"] = self.organization_id
        return params

    def _get(self, path: str, body: _Body[T], params: Mapping[str, Any] | None = None) -> T:
        return self._parse(self._request("GET", path, params), body)

    def _parse(self, response: httpx.Response, body: _Body[T]) -> T:
        content = response.content
        try:
            parsed = loads_exact(content) if body.whole_runs else None
            if parsed is not None:
                return body.adapter.validate_python(parsed)
            return body.adapter.validate_json(content)
        except pydantic.ValidationError as exc:
            raise payload_error("GET", str(response.request.url), body.name, exc, self._redactor) from None

    def _request(self, method: str, path: str, params: Mapping[str, Any] | None) -> httpx.Response:
        """Send with retries; return the 2xx response or raise the (last) :class:`APIError`.

        stamina runs the loop (``stamina.retry_context``, at most ``max_retries + 1`` attempts,
        its global switches apply). Each attempt raises the error :func:`api_error` maps its
        failure to; stamina asks :class:`RequestRetries` whether to retry it (only a
        :class:`RetriableAPIError`) and how long to wait first (the server's delay or our
        backoff), then sleeps that long and reports the retry to its instrumentation hooks.
        """
        retries = RequestRetries(method, self.max_retries, self.backoff)
        try:
            for attempt in stamina.retry_context(on=retries, attempts=self.max_retries + 1, timeout=None):
                with attempt:
                    retries.attempt = attempt.num
                    if attempt.num > 1:
                        self.stats.record_retry()
                    return self._attempt(method, path, params)
        except RetriableAPIError as exc:
            retries.giving_up(exc)
            raise
        raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover

    def _attempt(self, method: str, path: str, params: Mapping[str, Any] | None) -> httpx.Response:
        """Send once; return the 2xx response, or raise the :class:`APIError` of the failure."""
        request = self._http.build_request(method, path, params=params)
        url = str(request.url)
        started = time.perf_counter()
        outcome = self._send(request)
        if isinstance(outcome, httpx.TransportError):
            self.stats.record_transport_error()
            logger.debug("%s %s failed: %s", method, self._redactor.text(url), type(outcome).__name__)
        else:
            self.stats.record_response(outcome.status_code)
            logger.debug(
                "%s %s -> %d (%.0f ms)",
                method,
                self._redactor.text(url),
                outcome.status_code,
                (time.perf_counter() - started) * 1000,
            )
            if outcome.is_success:
                return outcome
        raise api_error(method, url, outcome, self._redactor, now=self.backoff.clock())

    def _send(self, request: httpx.Request) -> httpx.Response | httpx.TransportError:
        """Send once: the response, or the transport error raised instead.

        The error is returned, not raised, so the error raised for it does not carry it as
        ``__context__`` (its message may hold the key).
        """
        try:
            return self._http.send(request)
        except httpx.TransportError as exc:
            return exc
