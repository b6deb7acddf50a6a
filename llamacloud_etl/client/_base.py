"""What every LlamaCloud client shares: one httpx pool, settings checks, retries, error mapping, parsing.

:class:`BaseClient` holds the transport and the request loop; the API versions' clients
(``_client.LlamaCloudClient`` for v1, ``_v2.ExtractV2Client`` for v2) add their endpoints on top.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx
import pydantic
import stamina

import llamacloud_etl
from llamacloud_etl.errors import ConfigurationError, RetriableAPIError
from llamacloud_etl.models import validate_id
from llamacloud_etl.settings import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ApiSettings,
)

from ._config import resolve_api_key, resolve_base_url
from ._errors import api_error, payload_error
from ._json import loads_exact
from ._redact import MASK, Redactor
from ._retry import BackoffPolicy, RequestRetries
from ._stats import ClientStats

logger = logging.getLogger("llamacloud_etl.client")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Body(Generic[T]):
    """What a 2xx body must be: a name for error messages and the adapter that validates it.

    ``whole_results``: the body holds whole runs or jobs (extracted data and metadata as Python
    objects), and is parsed with orjson where that is exact (see ``_json``). Other bodies are
    small, or validated without building most of their values (summaries), which pydantic's
    parser does best.
    """

    name: str
    adapter: pydantic.TypeAdapter[T]
    whole_results: bool = False


class BaseClient:
    """The connection pool, settings checks and request loop every LlamaCloud client shares.

    One instance holds one httpx connection pool (keep-alive) and is safe to share between
    threads. Close it, or use it as a context manager.

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
        max_concurrency: Connection pool size, and the default parallelism of parallel fetches.
        transport: httpx transport to use instead of the network (tests, the emulator).
        backoff: Waiting policy between attempts.

    Raises:
        ConfigurationError: No key, a bad base URL, key over plain http to a remote host, or an
            out-of-range numeric setting.
        InvalidIdError: ``project_id`` or ``organization_id`` is not a UUID.
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
            f"{type(self).__name__}(base_url={self.base_url!r}, project_id={self.project_id!r}, "
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

    # -- for the endpoints -------------------------------------------------------------------

    def _fetch_limit(self, max_concurrency: int | None) -> int:
        """Requests in flight for a parallel fetch: ``max_concurrency``, capped at the pool size.

        Raises:
            ValueError: ``max_concurrency`` below 1.
        """
        limit = (
            self.max_concurrency if max_concurrency is None else min(max_concurrency, self.max_concurrency)
        )
        if limit < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency!r}")
        return limit

    def _scope(self) -> dict[str, Any]:
        """``project_id``/``organization_id`` query params, for the endpoints that take them."""
        params: dict[str, Any] = {}
        if self.project_id is not None:
            params["project_id"] = self.project_id
        if self.organization_id is not None:
            params["organization_id"] = self.organization_id
        return params

    def _get(self, path: str, body: Body[T], params: Mapping[str, Any] | None = None) -> T:
        return self._parse(self._request("GET", path, params), body)

    def _parse(self, response: httpx.Response, body: Body[T]) -> T:
        content = response.content
        try:
            parsed = loads_exact(content) if body.whole_results else None
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
