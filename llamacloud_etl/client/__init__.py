"""Typed HTTP clients for the LlamaCloud extraction APIs (LlamaExtract v1 and v2).

    LlamaCloudClient     v1 sync httpx client: auth, retries, error mapping, paging, parallel fetch
    ExtractV2Client      v2 client (jobs, saved configurations) over the same machinery
    BackoffPolicy        how long to wait between attempts (server hints, exponential + jitter)
    RetrySwitches        stamina's process-wide switches, carried into worker processes
    RunFetch             one result of LlamaCloudClient.fetch_runs
    JobFetch             one result of ExtractV2Client.fetch_jobs
    RunsSize             an agent's run count and mean run size (LlamaCloudClient.size_runs)
    ClientStats          request/retry/status counters of a client

Modules: ``_base`` (pool, settings checks, request loop shared by both clients), ``_client`` (the
v1 client), ``_v2`` (the v2 client), ``_paging`` (change-tolerant v1 ``GET /runs`` walk), ``_seek``
(interpolation search over ``skip`` to where a range ends), ``_listed`` (what both need of a page),
``_cursor`` (v2 cursor listings, guarded against repeated tokens), ``_fetch`` (parallel fetch by
ID), ``_errors`` (failed exchange -> error, whose class decides retrying),
``_retry`` (waits between attempts, stamina's retry hook), ``_config`` (key, base URL, regions),
``_redact`` (key masking), ``_stats`` (counters). Settings and their defaults live in
:mod:`llamacloud_etl.settings`.
Nothing here imports Dagster.
"""

from ._base import BaseClient
from ._client import LlamaCloudClient, RunsSize
from ._config import (
    DEFAULT_BASE_URL,
    EUROPE_URL,
    NORTH_AMERICA_URL,
    REGIONS,
    is_loopback_host,
    resolve_api_key,
    resolve_base_url,
)
from ._errors import error_class_for_status
from ._fetch import JobFetch, RunFetch
from ._retry import BackoffPolicy, RetrySwitches, parse_retry_after
from ._stats import ClientStats
from ._v2 import ExtractV2Client

__all__ = [
    "DEFAULT_BASE_URL",
    "EUROPE_URL",
    "NORTH_AMERICA_URL",
    "REGIONS",
    "BackoffPolicy",
    "BaseClient",
    "ClientStats",
    "ExtractV2Client",
    "JobFetch",
    "LlamaCloudClient",
    "RetrySwitches",
    "RunFetch",
    "RunsSize",
    "error_class_for_status",
    "is_loopback_host",
    "parse_retry_after",
    "resolve_api_key",
    "resolve_base_url",
]
