"""The runs table (one row per finished run) and the field_metadata table's fixed schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

import pyarrow as pa

from llamacloud_etl.flatten.values import as_float, as_int, canonical_json, clean_str, utf8_ok
from llamacloud_etl.run import NO_JOB_FACTS, JobFacts, Run, RunConfig

_TIMESTAMP = pa.timestamp("us", tz="UTC")

_RUNS_FIELDS: list[pa.Field[Any]] = [
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("extraction_agent_id", pa.string(), nullable=False),
    pa.field("agent_name", pa.string()),
    pa.field("project_id", pa.string()),
    pa.field("job_id", pa.string()),
    pa.field("file_id", pa.string()),
    pa.field("file_name", pa.string()),
    pa.field("file_type", pa.string()),
    pa.field("file_size", pa.int64()),
    pa.field("status", pa.string(), nullable=False),
    pa.field("error", pa.string()),
    pa.field("created_at", _TIMESTAMP),
    pa.field("updated_at", _TIMESTAMP),
    pa.field("extraction_target", pa.string()),
    pa.field("extraction_mode", pa.string()),
    pa.field("extract_model", pa.string()),
    pa.field("parse_model", pa.string()),
    pa.field("cite_sources", pa.bool_()),
    pa.field("confidence_scores", pa.bool_()),
    pa.field("use_reasoning", pa.bool_()),
    pa.field("config", pa.string()),
    pa.field("data_schema_hash", pa.string()),
    pa.field("num_pages_extracted", pa.int64()),
    pa.field("num_document_tokens", pa.int64()),
    pa.field("num_output_tokens", pa.int64()),
    pa.field("record_count", pa.int64(), nullable=False),
    pa.field("fetched_at", _TIMESTAMP, nullable=False),
    pa.field("metadata_reasoning", pa.string()),
    pa.field("metadata_error", pa.string()),
    pa.field("off_schema_count", pa.int64(), nullable=False),
    pa.field("flatten_error", pa.string()),
    pa.field("data_shape", pa.string()),
    # Added for v2 jobs, last so the columns before keep their order (older files lack these).
    pa.field("api_version", pa.string(), nullable=False),
    pa.field("configuration_id", pa.string()),
    pa.field("file_input", pa.string()),
    pa.field("tier", pa.string()),
    pa.field("parse_tier", pa.string()),
    pa.field("parse_job_id", pa.string()),
    pa.field("credits", pa.float64()),
    pa.field("extract_credits", pa.float64()),
    pa.field("parse_credits", pa.float64()),
    pa.field("num_pages_billed", pa.int64()),
]
RUNS_SCHEMA = pa.schema(_RUNS_FIELDS)
"""One row per finished (succeeded or failed) run; the same schema for every agent.

``config`` is the JSON text of the whole config (unknown keys included, keys sorted);
``data_schema_hash`` the first 16 hex digits of the SHA-256 of the schema's canonical JSON (sorted
keys, compact separators, UTF-8); ``data_shape`` the JSON type of ``data`` (``object``, ``array``
or ``null``), which :func:`~llamacloud_etl.flatten.rebuild_data` uses to rebuild exactly.

Rows of both APIs share it. ``api_version`` says which API a row came from (``v1``, ``v2``);
``status`` is that API's own word (``SUCCESS``, ``COMPLETED``...). v1-only columns (``job_id``,
``file_id``, ``file_name``, ``file_type``, ``file_size``, ``extraction_mode``, ``extract_model``,
``parse_model``, ``use_reasoning``, ``num_document_tokens``, ``num_output_tokens``) are null for
v2 rows, and the v2-only ones (``configuration_id`` to ``num_pages_billed``, see
:class:`~llamacloud_etl.run.JobFacts`) for v1 rows. Those last ten columns were added after the
first landings: files written before lack them, and readers fill them with nulls (so a null
``api_version`` is a v1 run landed before the column existed).
"""

RUNS_COLUMNS = tuple(RUNS_SCHEMA.names)
"""The runs table's column names, in order."""

_in_schema_order = itemgetter(*RUNS_COLUMNS)  # a runs row's values by column name -> RUNS_SCHEMA order

_bbox = pa.struct([pa.field(k, pa.float64()) for k in ("x", "y", "w", "h")])

_FIELD_METADATA_FIELDS: list[pa.Field[Any]] = [
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("extraction_agent_id", pa.string(), nullable=False),
    pa.field("record_index", pa.int64()),
    pa.field("field_path", pa.string(), nullable=False),
    pa.field("data_row_id", pa.string()),
    pa.field("confidence", pa.float64()),
    pa.field("extraction_confidence", pa.float64()),
    pa.field("parsing_confidence", pa.float64()),
    pa.field("reasoning", pa.string()),
    pa.field("citation_index", pa.int64()),
    pa.field("page", pa.int64()),
    pa.field("matching_text", pa.string()),
    pa.field("bounding_boxes", pa.list_(_bbox)),
    pa.field("page_width", pa.float64()),
    pa.field("page_height", pa.float64()),
]
FIELD_METADATA_SCHEMA = pa.schema(_FIELD_METADATA_FIELDS)
"""One row per (leaf field, citation) of every flattened succeeded run; see ``flatten.metadata``."""


def utc(value: datetime | None) -> datetime | None:
    """An aware UTC datetime; naive values are taken to be UTC already."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def data_shape(data: Any) -> str:
    """``object``, ``array`` or ``null``: the JSON type of a run's ``data``."""
    return "object" if isinstance(data, dict) else "array" if isinstance(data, list) else "null"


def runs_row(
    run: Run,
    *,
    agent_name: str | None,
    fetched_at: datetime,
    schema_digest: str | None,
    record_count: int,
    off_schema: int,
    metadata_notes: tuple[str | None, str | None],
    flatten_error: str | None,
) -> tuple[Any, ...]:
    """One row of the runs table: its values named by column, laid out in RUNS_SCHEMA order.

    Raises:
        ValueError: the values miss a column of RUNS_SCHEMA or name one it lacks (a bug).
    """
    config, usage, file = run.config, run.usage, run.file
    values = {
        "run_id": clean_str(run.id),
        "extraction_agent_id": clean_str(run.agent_id),
        "agent_name": clean_str(agent_name),
        "project_id": clean_str(run.project_id),
        "job_id": clean_str(run.job_id),
        "file_id": clean_str(file.id),
        "file_name": clean_str(file.name),
        "file_type": clean_str(file.type),
        "file_size": as_int(file.size),
        "status": run.status,
        "error": clean_str(run.error),
        "created_at": utc(run.created_at),
        "updated_at": utc(run.updated_at),
        "extraction_target": clean_str(config.target),
        "extraction_mode": clean_str(config.mode),
        "extract_model": clean_str(config.extract_model),
        "parse_model": clean_str(config.parse_model),
        "cite_sources": config.cite_sources,
        "confidence_scores": config.confidence_scores,
        "use_reasoning": config.use_reasoning,
        "config": config_json(config),
        "data_schema_hash": schema_digest,
        "num_pages_extracted": as_int(usage.get("num_pages_extracted")),
        "num_document_tokens": as_int(usage.get("num_document_tokens")),
        "num_output_tokens": as_int(usage.get("num_output_tokens")),
        "record_count": record_count,
        "fetched_at": utc(fetched_at),
        "metadata_reasoning": metadata_notes[0],
        "metadata_error": metadata_notes[1],
        "off_schema_count": off_schema,
        "flatten_error": clean_str(flatten_error),
        "data_shape": data_shape(run.data),
        "api_version": run.api_version,
        **_job_values(run.job_facts),
        "num_pages_billed": as_int(usage.get("num_pages_billed")),
    }
    try:
        row: tuple[Any, ...] = _in_schema_order(values)
    except KeyError as missing:
        raise ValueError(f"runs_row gives no value for the column {missing}") from None
    # Every column has its value, so equal counts mean the names are exactly the schema's.
    if len(values) != len(row):
        unknown = sorted(values.keys() - set(RUNS_COLUMNS))
        raise ValueError(f"runs_row names columns that RUNS_SCHEMA lacks: {unknown}")
    return row


def _job_values(job: JobFacts) -> dict[str, Any]:
    """The ``runs`` columns of a v2 job's own facts (all null for a v1 run, built once)."""
    return _NO_JOB_VALUES if job is NO_JOB_FACTS else _values_of(job)


def _values_of(job: JobFacts) -> dict[str, Any]:
    return {
        "configuration_id": clean_str(job.configuration_id),
        "file_input": clean_str(job.file_input),
        "tier": clean_str(job.tier),
        "parse_tier": clean_str(job.parse_tier),
        "parse_job_id": clean_str(job.parse_job_id),
        "credits": as_float(job.credits),
        "extract_credits": as_float(job.extract_credits),
        "parse_credits": as_float(job.parse_credits),
    }


_NO_JOB_VALUES = _values_of(NO_JOB_FACTS)


@lru_cache(maxsize=1024)
def config_json(config: RunConfig) -> str | None:
    """``runs.config``: the canonical JSON of ``config.raw``, or None when it is not JSON.

    Cached per :class:`RunConfig` instance (they hash by identity), which a source shares between
    the runs of one configuration.
    """
    try:
        text = canonical_json(config.raw)
    except (TypeError, ValueError, RecursionError):
        return None
    if not utf8_ok(text):
        text = json.dumps(config.raw, sort_keys=True, separators=(",", ":"))
    return text
