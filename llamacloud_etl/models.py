"""pydantic models of the v1 LlamaCloud extraction API's objects (agents, runs, jobs, pages). No I/O.

The models are frozen and tolerant: unknown keys are kept (``extra="allow"``) so a newer API
never breaks a listing, and free-form strings (model names, modes) stay strings. A missing
required field fails validation with pydantic's message naming the field.

``data``, ``data_schema`` and ``extraction_metadata`` stay raw JSON. They are typed ``Any``
containers on purpose: a pydantic ``str | float | bool`` union would turn JSON integers into
floats, and extracted values must keep exactly the JSON type the API sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from llamacloud_etl.errors import InvalidIdError


class ExtractState(StrEnum):
    """Status of an extraction run."""

    CREATED = "CREATED"
    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"

    @property
    def finished(self) -> bool:
        """True for SUCCESS and ERROR: the run will not change any more."""
        return self in (ExtractState.SUCCESS, ExtractState.ERROR)


class JobStatus(StrEnum):
    """Status of an extraction job (``StatusEnum`` in the API)."""

    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"
    PARTIAL_SUCCESS = "PARTIAL_SUCCESS"
    CANCELLED = "CANCELLED"


class ExtractTarget(StrEnum):
    """Known values of ``config.extraction_target``; the model field itself accepts any string."""

    PER_DOC = "PER_DOC"
    PER_PAGE = "PER_PAGE"
    PER_TABLE_ROW = "PER_TABLE_ROW"


class ExtractMode(StrEnum):
    """Known values of ``config.extraction_mode``; the model field itself accepts any string."""

    FAST = "FAST"
    BALANCED = "BALANCED"
    PREMIUM = "PREMIUM"
    MULTIMODAL = "MULTIMODAL"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)


class ExtractConfig(_Model):
    """Configuration a run was made with. Server-side defaults fill what is missing."""

    extraction_target: str = ExtractTarget.PER_DOC.value
    extraction_mode: str = ExtractMode.PREMIUM.value
    chunk_mode: str = "PAGE"
    parse_model: str | None = None
    extract_model: str | None = None
    priority: str | None = None
    system_prompt: str | None = None
    use_reasoning: bool = False
    cite_sources: bool = False
    citation_bbox: bool = False
    confidence_scores: bool = False
    high_resolution_mode: bool = False
    invalidate_cache: bool = False
    multimodal_fast_mode: bool = False
    num_pages_context: int | None = None
    page_range: str | None = None


class File(_Model):
    """The (deprecated) file object embedded in runs and jobs."""

    id: str
    name: str
    project_id: str
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_modified_at: datetime | None = None
    expires_at: datetime | None = None
    external_file_id: str | None = None
    file_type: str | None = None
    file_size: int | None = None
    purpose: str | None = None
    data_source_id: str | None = None
    resource_info: dict[str, Any] | None = None
    permission_info: dict[str, Any] | None = None


class ExtractAgent(_Model):
    """An extraction agent: a named schema plus configuration."""

    id: str
    name: str
    project_id: str
    data_schema: dict[str, Any]
    config: ExtractConfig
    custom_configuration: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class ExtractRun(_Model):
    """One run of an agent over one file: status, config, schema, data and metadata."""

    id: str
    project_id: str
    extraction_agent_id: str
    data_schema: dict[str, Any]
    config: ExtractConfig
    status: ExtractState
    from_ui: bool
    created_at: datetime | None = None
    updated_at: datetime | None = None
    file_id: str | None = None
    file: File | None = None
    job_id: str | None = None
    error: str | None = None
    data: dict[str, Any] | list[Any] | None = None
    extraction_metadata: dict[str, Any] | None = None


class ExtractRunSummary(BaseModel):
    """The parts of a listed run that the completion sensor needs, parsed without ``data`` and metadata.

    List pages carry whole runs; building Python objects for every ``data`` and
    ``extraction_metadata`` only to learn IDs, statuses and days would more than double the
    cost of a listing, so those keys are skipped (``extra="ignore"``).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    extraction_agent_id: str
    status: ExtractState
    data_schema: dict[str, Any]
    config: ExtractConfig
    created_at: datetime | None = None
    updated_at: datetime | None = None


class PaginatedExtractRunSummaries(BaseModel):
    """One page of ``GET /runs``, as summaries."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    items: list[ExtractRunSummary]
    total: int
    skip: int
    limit: int


class ExtractJob(_Model):
    """An extraction job; it has exactly one run (``GET /runs/by-job/{job_id}``)."""

    id: str
    extraction_agent: ExtractAgent
    status: JobStatus
    error: str | None = None
    file_id: str | None = None
    file: File | None = None


class ExtractResultset(_Model):
    """Result of a finished job (``GET /jobs/{job_id}/result``)."""

    run_id: str
    extraction_agent_id: str
    data: dict[str, Any] | list[Any] | None
    extraction_metadata: dict[str, Any]


class PaginatedExtractRunsResponse(_Model):
    """One page of ``GET /runs``."""

    items: list[ExtractRun]
    total: int
    skip: int
    limit: int


def validate_id(value: object, kind: str = "run") -> str:
    """Return ``value`` as a canonical lower-case UUID string, or raise :class:`InvalidIdError`.

    Only the canonical 8-4-4-4-12 hex form is accepted, so nothing but hex digits and dashes
    can ever reach a URL path (no ``../``, ``?``, ``#`` or percent tricks).

    Examples:
        >>> validate_id("182BD5E5-6E1A-4FE4-A799-AA6D9A6AB26E")
        '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e'
    """
    if not isinstance(value, str) or len(value) != 36:
        raise InvalidIdError(kind, value)
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise InvalidIdError(kind, value) from None
    canonical = str(parsed)
    if canonical != value.lower():
        raise InvalidIdError(kind, value)
    return canonical
