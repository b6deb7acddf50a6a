"""The v1 runs API as a :class:`~llamacloud_etl.sources.base.Source`: agents, runs, offset paging.

Everything v1-specific stays here: ``ExtractRun`` and its field names, the ``SUCCESS`` / ``ERROR``
/ ``CREATED`` / ``PENDING`` statuses, and ``skip``/``limit`` paging (inside the client). What
leaves is the product's :class:`~llamacloud_etl.run.Run`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from llamacloud_etl.models import ExtractConfig, ExtractRun, ExtractState
from llamacloud_etl.run import FileRef, Outcome, Run, RunConfig

API_VERSION = "v1"

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
