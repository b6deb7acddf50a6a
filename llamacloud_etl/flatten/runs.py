"""The runs table (one row per finished run) and the field_metadata table's fixed schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from llamacloud_etl.flatten.metadata import as_int, clean_str
from llamacloud_etl.flatten.records import utf8_ok
from llamacloud_etl.flatten.schema import canonical_json
from llamacloud_etl.models import ExtractRun

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
]
RUNS_SCHEMA = pa.schema(_RUNS_FIELDS)
"""One row per finished (SUCCESS or ERROR) run; the same schema for every agent.

``config`` is the JSON text of the whole config (unknown keys included, keys sorted);
``data_schema_hash`` the first 16 hex digits of the SHA-256 of the schema's canonical JSON (sorted
keys, compact separators, UTF-8); ``data_shape`` the JSON type of ``data`` (``object``, ``array``
or ``null``), which :func:`~llamacloud_etl.flatten.rebuild_data` uses to rebuild exactly.
"""

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
"""One row per (leaf field, citation) of every flattened SUCCESS run; see ``flatten.metadata``."""


def utc(value: datetime | None) -> datetime | None:
    """An aware UTC datetime; naive values are taken to be UTC already."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def data_shape(data: Any) -> str:
    """``object``, ``array`` or ``null``: the JSON type of a run's ``data``."""
    return "object" if isinstance(data, dict) else "array" if isinstance(data, list) else "null"


def runs_row(
    run: ExtractRun,
    *,
    agent_name: str | None,
    fetched_at: datetime,
    schema_digest: str | None,
    record_count: int,
    off_schema: int,
    metadata_notes: tuple[str | None, str | None],
    flatten_error: str | None,
) -> tuple[Any, ...]:
    """One row of the runs table, in RUNS_SCHEMA order."""
    config = run.config
    usage = (run.extraction_metadata or {}).get("usage")
    usage = usage if isinstance(usage, dict) else {}
    file = run.file
    return (
        clean_str(run.id),
        clean_str(run.extraction_agent_id),
        clean_str(agent_name),
        clean_str(run.project_id),
        clean_str(run.job_id),
        clean_str(run.file_id or (file.id if file is not None else None)),
        clean_str(file.name) if file is not None else None,
        clean_str(file.file_type) if file is not None else None,
        as_int(file.file_size) if file is not None else None,
        run.status.value,
        clean_str(run.error),
        utc(run.created_at),
        utc(run.updated_at),
        clean_str(config.extraction_target),
        clean_str(config.extraction_mode),
        clean_str(config.extract_model),
        clean_str(config.parse_model),
        config.cite_sources,
        config.confidence_scores,
        config.use_reasoning,
        _config_json(run),
        schema_digest,
        as_int(usage.get("num_pages_extracted")),
        as_int(usage.get("num_document_tokens")),
        as_int(usage.get("num_output_tokens")),
        record_count,
        utc(fetched_at),
        metadata_notes[0],
        metadata_notes[1],
        off_schema,
        clean_str(flatten_error),
        data_shape(run.data),
    )


_CONFIG_CACHE: dict[tuple[Any, ...], str] = {}


def _config_json(run: ExtractRun) -> str | None:
    config = run.config
    extra = config.__pydantic_extra__
    # Runs of an agent share their config: reuse its text when nothing but known fields is set.
    key = None if extra else tuple(config.__dict__.values())
    cached = _CONFIG_CACHE.get(key) if key is not None else None
    if cached is not None:
        return cached
    # The model's fields and its unknown keys: cheaper than model_dump, and all plain JSON values.
    values = {**config.__dict__, **(extra or {})}
    try:
        text = canonical_json(values)
    except (TypeError, ValueError, RecursionError):
        return None
    if not utf8_ok(text):
        text = json.dumps(values, sort_keys=True, separators=(",", ":"))
    if key is not None and len(_CONFIG_CACHE) < 1024:
        _CONFIG_CACHE[key] = text
    return text
