"""Every setting of llamacloud-etl in one place: its environment variable, its default, its parsing.

The CLI, the Dagster definitions and resource, the client and the landing all read their defaults
from here; nothing else reads the environment for a setting.

    ApiSettings   how to reach the API: key, base URL, project, organization, HTTP knobs, page size
    Settings      what to land and where: output root, first day, agents, lookback, processes,
                  days per backfill run, the state directory (the cached agent list the Dagster
                  definitions are built from)

Both are plain frozen dataclasses, so they pickle into worker processes as they are, and the API
key is left out of their repr. Reading the environment never fails for a missing key: the client
says what is missing when it is built (:func:`llamacloud_etl.client.resolve_api_key`).

Examples:
    >>> env = {"LLAMACLOUD_ETL_AGENTS": "Invoices, b2", "LLAMACLOUD_ETL_PROCESSES": "2"}
    >>> settings = Settings.from_env(env)
    >>> settings.agents, settings.processes, settings.output
    (('Invoices', 'b2'), 2, './llamacloud_data')
    >>> "llx" in repr(ApiSettings.from_env({"LLAMA_CLOUD_API_KEY": "llx-secret"}))
    False
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from llamacloud_etl.errors import ConfigurationError

API_KEY_ENV = "LLAMA_CLOUD_API_KEY"
API_KEY_FALLBACK_ENV = "LLAMA_PARSE_API_KEY"
BASE_URL_ENV = "LLAMA_CLOUD_BASE_URL"
PROJECT_ENV = "LLAMA_CLOUD_PROJECT_ID"
ORGANIZATION_ENV = "LLAMA_CLOUD_ORGANIZATION_ID"
OUTPUT_ENV = "LLAMACLOUD_ETL_OUTPUT"
START_DATE_ENV = "LLAMACLOUD_ETL_START_DATE"
AGENTS_ENV = "LLAMACLOUD_ETL_AGENTS"
LOOKBACK_ENV = "LLAMACLOUD_ETL_LOOKBACK_DAYS"
PROCESSES_ENV = "LLAMACLOUD_ETL_PROCESSES"
STATE_DIR_ENV = "LLAMACLOUD_ETL_STATE_DIR"
MAX_PARTITIONS_PER_RUN_ENV = "LLAMACLOUD_ETL_MAX_PARTITIONS_PER_RUN"
DEBUG_ENV = "LLAMACLOUD_ETL_DEBUG"
API_VERSION_ENV = "LLAMACLOUD_ETL_API_VERSION"
DAY_BUDGET_ENV = "LLAMACLOUD_ETL_DAY_BUDGET_MB"

API_VERSIONS = ("v1", "v2", "both")
"""What a landing can read: v1 runs (``/api/v1/extraction``), v2 jobs (``/api/v2/extract``), or both."""
DEFAULT_API_VERSION = "both"

DEFAULT_TIMEOUT = 60.0
"""Seconds per attempt for reading, writing and waiting for a pooled connection."""
DEFAULT_MAX_RETRIES = 4
"""Retries of a failed request after the first attempt."""
DEFAULT_MAX_CONCURRENCY = 16
"""Connections in the pool: agents listed side by side, runs fetched by ID at once."""
DEFAULT_PAGE_SIZE = 25
"""Runs per listing page. Pages hold whole runs and each agent's listing keeps its current page in
memory, so this trades requests against memory; 25 is the API's own default."""
SUMMARY_PAGE_SIZE = 100
"""Runs per listing page when only a few fields of each are kept (the completion sensor): each run
is boiled down as its page arrives, so the memory reason of :data:`DEFAULT_PAGE_SIZE` does not apply."""
DEFAULT_OUTPUT = "./llamacloud_data"
DEFAULT_START_DATE = "2025-01-01"
DEFAULT_LOOKBACK_DAYS = 3
DEFAULT_PROCESSES = 0
"""0: one process per CPU core."""
DEFAULT_MAX_PARTITIONS_PER_RUN = 0
"""0: a backfill is one Dagster run; N: runs of at most N days each, over disjoint day ranges."""
DEFAULT_DAY_BUDGET_MB = 512
"""Megabytes of memory one day's runs may take while landing; a bigger day lands in chunks (see
:mod:`llamacloud_etl.landing.chunks`)."""
DEFAULT_STATE_DIR = ".llamacloud_etl"
"""Where the cached list of agents lives (relative to the working directory of ``dagster dev``)."""


@dataclass(frozen=True)
class ApiSettings:
    """How to reach the API; everything a client (in any process) is built from.

    Attributes:
        api_key: The key; empty when not configured (the client then refuses to start).
        base_url: A URL or a region name (``na``, ``eu``, ...); None for the default region.
        project_id: Sent as ``project_id`` where the API takes it; the key's project if None.
        organization_id: Sent as ``organization_id`` where the API takes it.
        timeout: See :data:`DEFAULT_TIMEOUT`.
        max_retries: See :data:`DEFAULT_MAX_RETRIES`.
        max_concurrency: See :data:`DEFAULT_MAX_CONCURRENCY`.
        page_size: See :data:`DEFAULT_PAGE_SIZE`.
    """

    api_key: str = field(default="", repr=False)
    base_url: str | None = None
    project_id: str | None = None
    organization_id: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    page_size: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        """The settings the environment gives (key, base URL, project, organization); defaults else."""
        env = os.environ if environ is None else environ
        return cls(
            api_key=_text(env, API_KEY_ENV) or _text(env, API_KEY_FALLBACK_ENV) or "",
            base_url=_text(env, BASE_URL_ENV),
            project_id=_text(env, PROJECT_ENV),
            organization_id=_text(env, ORGANIZATION_ENV),
        )


@dataclass(frozen=True)
class Settings:
    """What to land and where.

    Attributes:
        output: The dataset root: a local path or an fsspec URL such as ``s3://bucket/prefix``.
        start_date: The first daily partition (``YYYY-MM-DD``).
        agents: Agent names or IDs to land; empty for every agent of the project.
        lookback_days: Days before today that the schedule and the sensor look at again.
        processes: Processes a landing shares its agents between, its own included; 0 for one per
            CPU core.
        state_dir: A local directory for the cached agent list (``agents.json``) from which the
            Dagster definitions build one asset per agent; ``llamacloud-etl agents refresh`` writes it.
        api_version: Which API to land from: one of :data:`API_VERSIONS`.
        max_partitions_per_run: Days per Dagster run of a backfill; 0 for one run whatever the
            range (see :data:`DEFAULT_MAX_PARTITIONS_PER_RUN`).
        day_budget_mb: See :data:`DEFAULT_DAY_BUDGET_MB`; at least 1.
    """

    output: str = DEFAULT_OUTPUT
    start_date: str = DEFAULT_START_DATE
    agents: tuple[str, ...] = ()
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    processes: int = DEFAULT_PROCESSES
    state_dir: str = DEFAULT_STATE_DIR
    api_version: str = DEFAULT_API_VERSION
    max_partitions_per_run: int = DEFAULT_MAX_PARTITIONS_PER_RUN
    day_budget_mb: int = DEFAULT_DAY_BUDGET_MB

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the environment gives; defaults for what it does not.

        Raises:
            ConfigurationError: a number that is not a whole number, or a negative one (a day budget
                of 0 too).
        """
        env = os.environ if environ is None else environ
        return cls(
            output=_text(env, OUTPUT_ENV) or DEFAULT_OUTPUT,
            start_date=_text(env, START_DATE_ENV) or DEFAULT_START_DATE,
            agents=parse_agents(env.get(AGENTS_ENV, "")),
            lookback_days=_count(env, LOOKBACK_ENV, DEFAULT_LOOKBACK_DAYS),
            processes=_count(env, PROCESSES_ENV, DEFAULT_PROCESSES),
            state_dir=_text(env, STATE_DIR_ENV) or DEFAULT_STATE_DIR,
            api_version=check_api_version(_text(env, API_VERSION_ENV) or DEFAULT_API_VERSION),
            max_partitions_per_run=_count(env, MAX_PARTITIONS_PER_RUN_ENV, DEFAULT_MAX_PARTITIONS_PER_RUN),
            day_budget_mb=check_day_budget(_count(env, DAY_BUDGET_ENV, DEFAULT_DAY_BUDGET_MB)),
        )


def check_day_budget(megabytes: int) -> int:
    """``megabytes`` itself, if it is a usable day budget (1 or more).

    Raises:
        ConfigurationError: a budget below 1 MB.

    Examples:
        >>> check_day_budget(256)
        256
    """
    if isinstance(megabytes, bool) or not isinstance(megabytes, int) or megabytes < 1:
        raise ConfigurationError(
            f"{DAY_BUDGET_ENV} must be a whole number of megabytes, 1 or more, got {megabytes!r}"
        )
    return megabytes


def check_api_version(api_version: str) -> str:
    """``api_version`` itself, if it is one of :data:`API_VERSIONS`.

    Raises:
        ConfigurationError: an unknown version, naming those that exist.

    Examples:
        >>> check_api_version("both")
        'both'
    """
    if api_version not in API_VERSIONS:
        raise ConfigurationError(
            f"unknown API version {api_version!r}: expected one of {', '.join(API_VERSIONS)} "
            f"(set {API_VERSION_ENV} or the api_version setting)"
        )
    return api_version


def parse_agents(raw: str) -> tuple[str, ...]:
    """Comma-separated agent names or IDs, blanks dropped.

    Examples:
        >>> parse_agents(" Invoices ,, Contracts ")
        ('Invoices', 'Contracts')
    """
    return tuple(entry.strip() for entry in raw.split(",") if entry.strip())


def debug_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``LLAMACLOUD_ETL_DEBUG`` asks the command line for tracebacks (1, true, yes, on).

    Examples:
        >>> debug_from_env({"LLAMACLOUD_ETL_DEBUG": "1"}), debug_from_env({})
        (True, False)
    """
    env = os.environ if environ is None else environ
    return env.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def cores() -> int:
    """CPU cores this process may run on (its affinity where the OS tells, e.g. in a container)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise ConfigurationError(f"{name} must be 0 or more, got {value}")
    return value
