"""The v2 extract API as a :class:`~llamacloud_etl.sources.base.Source`: configurations, jobs, cursors.

Everything v2-specific stays here: ``ExtractV2Job`` and its field names, the ``COMPLETED`` /
``FAILED`` / ``CANCELLED`` / ``PENDING`` / ``RUNNING`` / ``THROTTLED`` statuses, lower-case targets,
``expand``, and the server-side date filters. What leaves is the product's
:class:`~llamacloud_etl.run.Run`.

**Agents.** v2 has no agents: a job is made from a saved configuration (``configuration_id``,
``cfg-…``) or from an inline one. A saved configuration is an agent; jobs run with an inline
configuration form one agent per ``data_schema`` (:func:`inline_agent`: ID ``inline-<schema hash>``,
the ``runs.data_schema_hash`` of its runs), so jobs with one schema share one typed table. Inline
groups are found in the jobs of the landing's range (one listing of that range, without results'
metadata), and all of them are listed by one listing (:data:`INLINE_LISTING`): no server-side filter
tells them apart. A job whose saved configuration was deleted keeps its ``configuration_id`` as
its agent.

**Ranges.** Listings send ``created_at_on_or_after`` / ``created_at_on_or_before``, so an old month
costs what that month holds, not the history after it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import httpx
import orjson
from pydantic import BaseModel

from llamacloud_etl.client import ExtractV2Client
from llamacloud_etl.models_v2 import ExtractConfiguration, ExtractV2Job, ExtractV2JobSummary, validate_v2_id
from llamacloud_etl.run import Agent, FileRef, JobFacts, Outcome, Run, RunConfig, RunHeader, schema_hash
from llamacloud_etl.settings import SUMMARY_PAGE_SIZE, ApiSettings
from llamacloud_etl.sources.backed import ClientBacked
from llamacloud_etl.sources.base import Fetched, created_day

logger = logging.getLogger(__name__)

API_VERSION = "v2"

INLINE_LISTING = "v2-inline"
"""The :attr:`~llamacloud_etl.run.Agent.listing` of every inline-schema group: listed together."""

INLINE_NAME = "inline schema"
"""The name of every inline-schema group (folders ``inline-schema-<8 hex>``; select them all by it)."""

DISCOVERY_THREADS = 8
"""Slices of a range listed side by side to find its agents (at most the connection pool)."""

DISCOVERY_SLICE = timedelta(days=1)
"""Shortest slice worth a listing of its own."""

JOB_IDS_PER_REQUEST = 50
"""Inline jobs fetched per request (``job_ids`` repeated): about 2 kB of query string."""

EXPAND = ("configuration", "extract_metadata", "usage")
"""What a landing asks the API to add to each job: its schema and config, field metadata, credits."""

SIZE_SAMPLE = 5
"""Jobs fetched whole to weigh a listing by its mean job size (as v1 samples its newest runs)."""

_OUTCOMES = {
    "COMPLETED": Outcome.SUCCEEDED,
    "FAILED": Outcome.FAILED,
    "CANCELLED": Outcome.FAILED,
    "PENDING": Outcome.UNFINISHED,
    "THROTTLED": Outcome.UNFINISHED,
    "RUNNING": Outcome.UNFINISHED,
}

_LAST_MICROSECOND = timedelta(microseconds=1)


def outcome_of(status: str) -> Outcome:
    """What a v2 job status means to a landing; a status unknown today is not finished.

    An unknown word is counted as pending, never landed as finished: a new in-progress status
    must not land a job without its result (the day lands again once the job says COMPLETED).

    Examples:
        >>> outcome_of("CANCELLED").name, outcome_of("THROTTLED").name, outcome_of("QUEUED").name
        ('FAILED', 'UNFINISHED', 'UNFINISHED')
    """
    return _OUTCOMES.get(status.upper(), Outcome.UNFINISHED)


def inline_agent(data_schema: Any) -> Agent:
    """The agent of the jobs run with an inline configuration of this schema.

    Examples:
        >>> agent = inline_agent({"type": "object"})
        >>> agent.id, agent.name, agent.listing
        ('inline-a2c799262a3ce3c1', 'inline schema', 'v2-inline')
    """
    return Agent(f"inline-{schema_hash(data_schema)}", INLINE_NAME, API_VERSION, INLINE_LISTING)


class V2Source(ClientBacked[ExtractV2Client]):
    """The v2 extract API (``/api/v2/extract``, ``/api/v1/beta/configurations``) as a Source.

    Examples:
        >>> def handler(request: httpx.Request) -> httpx.Response:
        ...     return httpx.Response(200, json={"items": [{"id": "cfg-1", "name": "Invoices",
        ...         "product_type": "extract_v2", "version": "2026-10-01",
        ...         "parameters": {"product_type": "extract_v2", "data_schema": {}}}]})
        >>> settings = ApiSettings(api_key="llx-demo", base_url="eu")
        >>> with V2Source.connect(settings, transport=httpx.MockTransport(handler)) as source:
        ...     source.configurations()
        [Agent(id='cfg-1', name='Invoices', api_version='v2', listing=None)]
    """

    api_version = API_VERSION

    def __init__(self, client: ExtractV2Client, *, page_size: int) -> None:
        super().__init__(client, page_size=page_size)
        self._schemas: dict[str, Any] = {}
        """Saved configurations' schemas, for a job listed without its configuration."""
        self._inline_ids: dict[tuple[datetime, datetime | None], list[tuple[str, datetime]]] = {}
        """Inline jobs found by :meth:`list_agents` per range, newest first, until listed."""
        self._counts: dict[str, int] = {}
        """Jobs :meth:`list_agents` found per listing (a configuration, or all inline groups)."""

    @classmethod
    def new_client(cls, settings: ApiSettings, transport: httpx.BaseTransport | None) -> ExtractV2Client:
        """The v2 client, built from ``settings``."""
        return ExtractV2Client.from_settings(settings, transport=transport)

    def configurations(self) -> list[Agent]:
        """The project's saved ``extract_v2`` configurations, as agents."""
        agents = []
        for config in self.client.list_configurations("extract_v2"):
            parameters = config.parameters
            if isinstance(parameters, ExtractConfiguration):
                self._schemas[config.id] = parameters.data_schema
            agents.append(Agent(config.id, config.name, API_VERSION))
        return agents

    def list_agents(self, since: datetime | None = None, until: datetime | None = None) -> list[Agent]:
        """Saved configurations, and the agents found among the jobs created in ``[since, until)``.

        Those are inline-schema groups, and configurations deleted since their jobs ran (named by
        their ID). One listing of the range (in slices side by side), with each job's configuration
        but not its result's metadata.
        """
        agents = {agent.id: agent for agent in self.configurations()}
        jobs = self._discover(since, until)
        if since is not None:  # kept for the inline listing of this range (see list_runs)
            self._inline_ids[since, until] = [
                (job.id, _aware(job.created_at)) for job in jobs if job.configuration_id is None
            ]
        counts = Counter(job.configuration_id or INLINE_LISTING for job in jobs)
        self._counts.update(dict.fromkeys(agents, 0) | dict(counts))
        for job in jobs:
            found = job.configuration_id
            if found is None and job.data_schema is not None:
                inline = inline_agent(job.data_schema)
                agents.setdefault(inline.id, inline)
            elif found is not None and found not in agents:
                agents[found] = Agent(found, found, API_VERSION)
        return list(agents.values())

    def _discover(self, since: datetime | None, until: datetime | None) -> list[ExtractV2JobSummary]:
        """The jobs of ``[since, until)`` as summaries, newest first; a bounded range is listed in
        slices side by side.

        The date filters make slices independent listings, so a long range costs the round trips
        of its largest slice, not of the whole range, before the landing can start. The slices are
        joined newest first, so the inline listing fetches its jobs in the order a landing needs.
        """
        if since is None or until is None or until - since <= DISCOVERY_SLICE:
            return [job for page in self._summaries(since, until) for job in page]
        count = min(DISCOVERY_THREADS, self.max_concurrency, -(-(until - since) // DISCOVERY_SLICE))
        step = (until - since) / count
        bounds = [since + step * i for i in range(count)] + [until]
        with ThreadPoolExecutor(max_workers=count, thread_name_prefix="llamacloud-discover") as pool:
            slices = pool.map(
                lambda i: [job for page in self._summaries(bounds[i], bounds[i + 1]) for job in page],
                reversed(range(count)),
            )
            return [job for jobs in slices for job in jobs]

    def _summaries(
        self, since: datetime | None, until: datetime | None
    ) -> Iterator[list[ExtractV2JobSummary]]:
        return self.client.list_job_summary_pages(
            created_on_or_after=since, created_on_or_before=_inclusive(until), page_size=SUMMARY_PAGE_SIZE
        )

    def list_runs(self, agent: Agent, since: datetime, until: datetime | None = None) -> Iterator[list[Run]]:
        """The agent's jobs created in ``[since, until)``, whole, a page at a time, newest first.

        A saved configuration is listed with the ``configuration_id`` filter. The inline groups
        are listed together: their job IDs (found by :meth:`list_agents` for this range, or by a
        light listing of the range) are fetched :data:`JOB_IDS_PER_REQUEST` at a time with the
        ``job_ids`` filter, so no job of a saved configuration is transferred whole twice.
        """
        if agent.listing == INLINE_LISTING:
            yield from self._list_inline(since, until)
            return
        pages = self.client.list_job_pages(
            created_on_or_after=since,
            created_on_or_before=_inclusive(until),
            configuration_id=agent.id,
            expand=EXPAND,
            page_size=self.page_size,
        )
        for page in pages:
            yield [self.run_of(job) for job in page]

    def hints(self) -> dict[str, Any]:
        """The inline jobs :meth:`list_agents` found per range, so a worker need not list them again."""
        return {"v2_inline_ids": dict(self._inline_ids)}

    def take_hints(self, hints: Mapping[str, Any]) -> None:
        """Start from the inline jobs another v2 source found."""
        self._inline_ids.update(hints.get("v2_inline_ids", {}))

    def _list_inline(self, since: datetime, until: datetime | None) -> Iterator[list[Run]]:
        ids = self._found_inline(since, until)
        if ids is None:
            ids = [job.id for job in self._discover(since, until) if job.configuration_id is None]
        for start in range(0, len(ids), JOB_IDS_PER_REQUEST):
            batch = ids[start : start + JOB_IDS_PER_REQUEST]
            pages = self.client.list_job_pages(job_ids=batch, expand=EXPAND, page_size=len(batch))
            for page in pages:
                yield [self.run_of(job) for job in page]

    def _found_inline(self, since: datetime, until: datetime | None) -> list[str] | None:
        """The inline jobs a discovery found in ``[since, until)``, newest first; None when no
        discovery covered the range. A range discovered whole is used once; a day slice of a
        discovered range (a worker's task) takes its jobs by ``created_at``."""
        exact = self._inline_ids.pop((since, until), None)
        if exact is not None:
            return [job_id for job_id, _ in exact]
        for (start, end), found in self._inline_ids.items():
            if start <= since and (end is None or (until is not None and until <= end)):
                return [job_id for job_id, at in found if since <= at and (until is None or at < until)]
        return None

    def list_headers(
        self, agent: Agent, since: datetime, until: datetime | None = None
    ) -> Iterator[list[RunHeader]]:
        """Like :meth:`list_runs`, parsed as summaries (no result or metadata built)."""
        inline = agent.listing == INLINE_LISTING
        pages = self.client.list_job_summary_pages(
            created_on_or_after=since,
            created_on_or_before=_inclusive(until),
            configuration_id=None if inline else agent.id,
            page_size=SUMMARY_PAGE_SIZE,
        )
        for page in pages:
            yield [header_of(job) for job in page if not inline or job.configuration_id is None]

    def fetch_runs(self, run_ids: Iterable[str]) -> Iterator[Fetched]:
        """``GET /api/v2/extract/{id}`` for each ID (with :data:`EXPAND`), up to the pool size in flight."""
        for fetch in self.client.fetch_jobs(run_ids, expand=EXPAND):
            run = None if fetch.job is None else self.run_of(fetch.job)
            yield Fetched(fetch.job_id, run, fetch.error)

    def check_run_id(self, run_id: str) -> str:
        """A v2 job ID (``ext-…``), unchanged."""
        return validate_v2_id(run_id, "job")

    def weigh(self, agent: Agent, since: datetime | None = None, until: datetime | None = None) -> float:
        """The expected bytes of the agent's listing in ``[since, until)``: the jobs
        :meth:`list_agents` found for it times the mean size of its newest jobs (one request), as
        v1 weighs (see :meth:`V1Source.weigh`). 1.0 when no discovery counted them (no range)."""
        count = self._counts.get(agent.listing_key)
        if not count:
            return 0.0 if count == 0 else 1.0
        # Finished jobs only (a range's newest are often still running, with no result yet); the
        # inline groups share one listing, sampled among all finished jobs of the range.
        per_job = self.client.size_jobs(
            created_on_or_after=since,
            created_on_or_before=_inclusive(until),
            status="COMPLETED",
            configuration_id=None if agent.listing == INLINE_LISTING else agent.id,
            expand=EXPAND,
            sample=SIZE_SAMPLE,
        )
        return count * per_job

    def run_day(self, run: Run | RunHeader) -> date | None:
        """The UTC day of the job's ``created_at``."""
        return created_day(run)

    def run_of(self, job: ExtractV2Job) -> Run:
        """The normalised run of a job, its schema from its configuration or its saved one."""
        fallback = self._schemas.get(job.configuration_id or "")
        return run_from_v2(job, fallback)


def _aware(moment: datetime) -> datetime:
    """``moment``, a naive one taken as UTC (as every day of the landing is)."""
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def _as_sent(model: BaseModel) -> dict[str, Any]:
    """A parsed model's keys as the API sent them (explicit nulls kept, unknown keys too).

    The models keep JSON containers raw, so this is the JSON object without a ``model_dump``.
    """
    sent = {name: getattr(model, name) for name in model.model_fields_set}
    return {**sent, **(model.model_extra or {})}


def _inclusive(until: datetime | None) -> datetime | None:
    """The API's inclusive upper bound for a half-open range ending at ``until``."""
    return None if until is None else until - _LAST_MICROSECOND


def header_of(job: ExtractV2Job | ExtractV2JobSummary) -> RunHeader:
    """The few fields of a job that the completion sensor keeps."""
    if isinstance(job, ExtractV2JobSummary):
        schema = job.data_schema
    else:
        schema = None if job.configuration is None else job.configuration.data_schema
    agent_id = job.configuration_id or inline_agent(schema).id
    return RunHeader(job.id, agent_id, outcome_of(job.status), job.created_at)


def run_from_v2(job: ExtractV2Job, fallback_schema: Any = None) -> Run:
    """The normalised run of a v2 job.

    The schema is the job's ``configuration.data_schema`` (``expand=configuration``), else
    ``fallback_schema`` (its saved configuration's). The target is upper-cased as v1 spells it
    (``per_page`` → ``PER_PAGE``); ``runs.config`` keeps the configuration as the API sent it.

    Examples:
        >>> job = ExtractV2Job.model_validate({"id": "ext-1", "created_at": "2026-10-01T09:00:00Z",
        ...     "updated_at": "2026-10-01T09:00:09Z", "file_input": "dfl-1", "project_id": "p",
        ...     "status": "COMPLETED", "configuration_id": None, "extract_result": [{"n": 1}],
        ...     "configuration": {"data_schema": {}, "extraction_target": "per_page", "tier": "agentic"}})
        >>> run = run_from_v2(job)
        >>> run.agent_id, run.status, run.outcome.name, run.config.target, run.job_facts.tier
        ('inline-44136fa355b3678a', 'COMPLETED', 'SUCCEEDED', 'PER_PAGE', 'agentic')
    """
    configuration = job.configuration
    raw = {} if configuration is None else _as_sent(configuration)
    schema = raw.pop("data_schema", fallback_schema)
    metadata = job.extract_metadata
    field_metadata = None
    if metadata is not None and metadata.field_metadata is not None:
        field_metadata = _as_sent(metadata.field_metadata)
    usage = job.metadata.usage if job.metadata is not None else None
    credits = job.usage
    return Run(
        id=job.id,
        agent_id=job.configuration_id or inline_agent(schema).id,
        status=job.status,
        outcome=outcome_of(job.status),
        config=config_of(raw),
        data_schema=schema,
        data=job.extract_result,
        field_metadata=field_metadata,
        usage={} if usage is None else {k: v for k, v in _as_sent(usage).items() if v is not None},
        created_at=job.created_at,
        updated_at=job.updated_at,
        project_id=job.project_id,
        file=FileRef(),
        error=job.error_message,
        api_version=API_VERSION,
        job_facts=JobFacts(
            configuration_id=job.configuration_id,
            file_input=job.file_input,
            tier=raw.get("tier"),
            parse_tier=(None if metadata is None else metadata.parse_tier) or raw.get("parse_tier"),
            parse_job_id=None if metadata is None else metadata.parse_job_id,
            credits=None if credits is None else credits.credits,
            extract_credits=None if credits is None else credits.extract_credits,
            parse_credits=None if credits is None else credits.parse_credits,
        ),
    )


def config_of(raw: dict[str, Any]) -> RunConfig:
    """The :class:`RunConfig` of a v2 configuration (without its schema); equal ones share one instance."""
    try:
        key = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # not JSON (cannot happen for a parsed job): build it for this run alone
        return _config(raw)
    return _shared_config(key)


@lru_cache(maxsize=1024)
def _shared_config(key: bytes) -> RunConfig:
    return _config(orjson.loads(key))


def _config(raw: dict[str, Any]) -> RunConfig:
    target = raw.get("extraction_target")
    return RunConfig(
        target=target.upper() if isinstance(target, str) else "PER_DOC",
        cite_sources=raw.get("cite_sources"),
        confidence_scores=raw.get("confidence_scores"),
        raw=raw,
    )
