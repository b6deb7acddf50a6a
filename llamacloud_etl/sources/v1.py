"""The v1 runs API as a :class:`~llamacloud_etl.sources.base.Source`: agents, runs, offset paging.

Everything v1-specific stays here: ``ExtractRun`` and its field names, the ``SUCCESS`` / ``ERROR``
/ ``CREATED`` / ``PENDING`` statuses, and ``skip``/``limit`` paging (inside the client). What
leaves is the product's :class:`~llamacloud_etl.run.Run`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import httpx

from llamacloud_etl.client import LlamaCloudClient
from llamacloud_etl.models import ExtractConfig, ExtractRun, ExtractRunSummary, ExtractState, validate_id
from llamacloud_etl.run import Agent, FileRef, Outcome, Run, RunConfig, RunHeader
from llamacloud_etl.settings import SUMMARY_PAGE_SIZE, ApiSettings
from llamacloud_etl.sources.backed import ClientBacked
from llamacloud_etl.sources.base import Fetched, created_day

API_VERSION = "v1"


class V1Source(ClientBacked[LlamaCloudClient]):
    """The v1 runs API (``/api/v1/extraction``) as a :class:`~llamacloud_etl.sources.base.Source`.

    Agents are v1 extraction agents; runs are listed with ``GET /runs`` (whole runs, newest first,
    offset pages that the client walks without misses or repeats while runs come and go), so the
    listing is the fetch. The API has no date filter: a listing pages from the end of its range
    (found by a search over ``skip`` when it lies deep in the list) down to ``since``.

    Examples:
        >>> def handler(request: httpx.Request) -> httpx.Response:
        ...     return httpx.Response(200, json=[{"id": "c47a1e90-4a3b-4c1d-9e2f-0123456789ab",
        ...         "name": "Invoices", "project_id": "p", "data_schema": {}, "config": {}}])
        >>> settings = ApiSettings(api_key="llx-demo", base_url="eu")
        >>> with V1Source.connect(settings, transport=httpx.MockTransport(handler)) as source:
        ...     source.list_agents()
        [Agent(id='c47a1e90-4a3b-4c1d-9e2f-0123456789ab', name='Invoices', api_version='v1', listing=None)]
    """

    api_version = API_VERSION

    @classmethod
    def new_client(cls, settings: ApiSettings, transport: httpx.BaseTransport | None) -> LlamaCloudClient:
        """The v1 client, built from ``settings``."""
        return LlamaCloudClient.from_settings(settings, transport=transport)

    def list_agents(self, since: datetime | None = None, until: datetime | None = None) -> list[Agent]:
        """The project's extraction agents (``GET /extraction-agents``); the range does not matter."""
        return [Agent(a.id, a.name) for a in self.client.list_agents()]

    def list_runs(self, agent: Agent, since: datetime, until: datetime | None = None) -> Iterator[list[Run]]:
        """The agent's runs of ``[since, until)``, whole, a page at a time (``GET /runs``).

        With ``until``, the runs newer than the range are skipped by a search over ``skip``, not listed.
        """
        pages = self.client.list_run_pages(
            agent.id, page_size=self.page_size, created_after=since, created_before=until
        )
        return ([run_from_v1(run) for run in page] for page in pages)

    def list_headers(
        self, agent: Agent, since: datetime, until: datetime | None = None
    ) -> Iterator[list[RunHeader]]:
        """The agent's runs of ``[since, until)``, parsed as summaries (no data or metadata built)."""
        pages = self.client.list_summary_pages(
            agent.id, page_size=SUMMARY_PAGE_SIZE, created_after=since, created_before=until
        )
        return ([header_from_v1(run) for run in page] for page in pages)

    def fetch_runs(self, run_ids: Iterable[str]) -> Iterator[Fetched]:
        """``GET /runs/{id}`` for each ID, up to the pool size in flight."""
        for fetch in self.client.fetch_runs(run_ids):
            run = None if fetch.run is None else run_from_v1(fetch.run)
            yield Fetched(fetch.run_id, run, fetch.error)

    def check_run_id(self, run_id: str) -> str:
        """The canonical (lower-case UUID) form of a run ID."""
        return validate_id(run_id, "run")

    def weigh(self, agent: Agent, since: datetime | None = None, until: datetime | None = None) -> float:
        """The expected bytes of the agent's runs created in ``[since, until)``: the runs the range
        holds (its share of the agent's span, see :meth:`RunsSize.runs_in`) times the mean size of
        the newest runs. One small request, two with a range."""
        size = self.client.size_runs(agent.id, span=since is not None or until is not None)
        return size.runs_in(since, until) * size.bytes_per_run

    def run_day(self, run: Run | RunHeader) -> date | None:
        """The UTC day of the run's ``created_at``."""
        return created_day(run)


_OUTCOMES = {
    ExtractState.SUCCESS: Outcome.SUCCEEDED,
    ExtractState.ERROR: Outcome.FAILED,
    ExtractState.CREATED: Outcome.UNFINISHED,
    ExtractState.PENDING: Outcome.UNFINISHED,
}


def outcome_of(status: ExtractState) -> Outcome:
    """What a v1 run status means to a landing.

    Examples:
        >>> outcome_of(ExtractState.PENDING).finished
        False
    """
    return _OUTCOMES[status]


def run_from_v1(run: ExtractRun) -> Run:
    """The normalised run of a v1 ``ExtractRun``.

    Examples:
        >>> run = ExtractRun.model_validate({"id": "r1", "project_id": "p", "extraction_agent_id": "a",
        ...     "data_schema": {}, "config": {"extraction_target": "PER_PAGE"}, "status": "SUCCESS",
        ...     "from_ui": False, "data": [{"n": 1}]})
        >>> normal = run_from_v1(run)
        >>> normal.status, normal.outcome.name, normal.config.target, normal.data
        ('SUCCESS', 'SUCCEEDED', 'PER_PAGE', [{'n': 1}])
    """
    metadata = run.extraction_metadata or {}
    usage = metadata.get("usage")
    file = run.file
    return Run(
        id=run.id,
        agent_id=run.extraction_agent_id,
        status=run.status.value,
        outcome=_OUTCOMES[run.status],
        config=config_of(run.config),
        data_schema=run.data_schema,
        data=run.data,
        field_metadata=metadata.get("field_metadata"),
        usage=usage if isinstance(usage, dict) else {},
        created_at=run.created_at,
        updated_at=run.updated_at,
        project_id=run.project_id,
        job_id=run.job_id,
        file=FileRef(
            id=run.file_id or (file.id if file is not None else None),
            name=file.name if file is not None else None,
            type=file.file_type if file is not None else None,
            size=file.file_size if file is not None else None,
        ),
        error=run.error,
        api_version=API_VERSION,
    )


def header_from_v1(run: ExtractRun | ExtractRunSummary) -> RunHeader:
    """The few fields of a v1 run that the completion sensor keeps."""
    return RunHeader(run.id, run.extraction_agent_id, _OUTCOMES[run.status], run.created_at)


def config_of(config: ExtractConfig) -> RunConfig:
    """The :class:`RunConfig` of a v1 config; runs with equal known fields share one instance."""
    extra = config.__pydantic_extra__
    if not extra:
        try:
            return _shared_config(tuple(config.__dict__.items()))
        except TypeError:  # an unhashable value: build it for this run alone
            pass
    return _config({**config.__dict__, **(extra or {})})


@lru_cache(maxsize=1024)
def _shared_config(items: tuple[tuple[str, Any], ...]) -> RunConfig:
    return _config(dict(items))


def _config(values: dict[str, Any]) -> RunConfig:
    return RunConfig(
        target=values.get("extraction_target", "PER_DOC"),
        mode=values.get("extraction_mode"),
        extract_model=values.get("extract_model"),
        parse_model=values.get("parse_model"),
        cite_sources=values.get("cite_sources"),
        confidence_scores=values.get("confidence_scores"),
        use_reasoning=values.get("use_reasoning"),
        raw=values,
    )
