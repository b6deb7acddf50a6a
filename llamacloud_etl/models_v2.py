"""pydantic models of the LlamaExtract v2 API's objects (jobs, configurations, cursor pages). No I/O.

Names and fields are those of the official SDK 2.19.0 (``llama_cloud.types``). As in
:mod:`llamacloud_etl.models`, the models are frozen and tolerant: unknown keys are kept
(``extra="allow"``), free-form words (statuses, tiers, targets) stay strings, and extracted
values and schemas stay raw JSON (``Any`` containers, so JSON integers stay integers).

v2 IDs are opaque prefixed strings (``ext-...`` jobs, ``cfg-...`` configurations), checked by
:func:`validate_v2_id` before they go into a URL.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, Field

from llamacloud_etl.errors import InvalidIdError

T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)


class ExtractConfiguration(_Model):
    """Extract configuration combining parse and extract settings (a job's ``configuration``)."""

    data_schema: dict[str, Any]
    advanced_citations: bool | None = None
    cite_sources: bool | None = None
    confidence_scores: bool | None = None
    disable_cache: bool | None = None
    extraction_target: str | None = None
    """``per_doc``, ``per_page`` or ``per_table_row`` (lower case; deprecated in the API)."""
    max_pages: int | None = None
    parse_config_id: str | None = None
    parse_tier: str | None = None
    sheet_names: list[str] | None = None
    spreadsheet_mode: bool | None = None
    system_prompt: str | None = None
    target_pages: str | None = None
    tier: str | None = None
    version: str | None = None


class ExtractV2Parameters(ExtractConfiguration):
    """An ``extract_v2`` configuration's ``parameters``: an :class:`ExtractConfiguration` and product type."""

    product_type: Literal["extract_v2"]


class ExtractedFieldMetadata(_Model):
    """Per-field metadata: by document (per_doc), by page (per_page) or by row (per_table_row)."""

    document_metadata: dict[str, Any] | None = None
    page_metadata: list[Any] | None = None
    """One object per page; items are kept as sent (not validated one by one)."""
    row_metadata: list[Any] | None = None
    """One object per row; items are kept as sent."""


class ExtractJobMetadata(_Model):
    """A job's ``extract_metadata`` (sent with ``expand=extract_metadata``)."""

    field_metadata: ExtractedFieldMetadata | None = None
    parse_job_id: str | None = None
    parse_tier: str | None = None


class ExtractJobUsage(_Model):
    """Extraction usage metrics (``metadata.usage``)."""

    num_pages_billed: int | None = None
    num_pages_extracted: int | None = None


class Metadata(_Model):
    """A job's ``metadata``: ``usage``, and whatever else the server adds (kept as extra keys)."""

    usage: ExtractJobUsage | None = None


class Usage(_Model):
    """Credits billed against a job (its top-level ``usage``); null until billing has recorded them."""

    credits: float | None = None
    extract_credits: float | None = None
    parse_credits: float | None = None


class ExtractV2Job(_Model):
    """An extraction job: input, status, configuration, result and metadata.

    ``file_input`` is also read from ``document_input_value``, its name up to SDK 2.0.0.
    """

    id: str
    created_at: datetime
    updated_at: datetime
    file_input: str = Field(validation_alias=AliasChoices("file_input", "document_input_value"))
    project_id: str
    status: str
    """``PENDING``, ``THROTTLED``, ``RUNNING``, ``COMPLETED``, ``FAILED`` or ``CANCELLED``."""
    configuration: ExtractConfiguration | None = None
    configuration_id: str | None = None
    error_message: str | None = None
    extract_metadata: ExtractJobMetadata | None = None
    extract_result: dict[str, Any] | list[Any] | None = None
    """An object (per_doc) or a list (per_page / per_table_row) whose items are kept as sent:
    an item that is not an object reaches the flattener (off-schema, kept) instead of failing
    the page."""
    metadata: Metadata | None = None
    usage: Usage | None = None


class ExtractV2JobSummary(BaseModel):
    """The parts of a listed job that discovery needs, parsed without result and metadata.

    Like v1's ``ExtractRunSummary``: list pages carry whole jobs, and building Python objects for
    every ``extract_result`` and ``extract_metadata`` only to learn IDs, statuses and days would
    cost most of a listing, so every other key is skipped (``extra="ignore"``). ``data_schema`` is
    ``configuration.data_schema`` (None unless the listing asked for ``expand=configuration``).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    status: str
    created_at: datetime
    updated_at: datetime | None = None
    configuration_id: str | None = None
    data_schema: dict[str, Any] | None = Field(
        default=None, validation_alias=AliasPath("configuration", "data_schema")
    )


class CursorPage(BaseModel, Generic[T]):
    """One page of a cursor listing: ``items``, and the token of the next page (none on the last)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    items: list[T]
    next_page_token: str | None = None
    total_size: int | None = None


ExtractV2JobQueryResponse = CursorPage[ExtractV2Job]
"""One page of ``GET /api/v2/extract`` (the SDK's name for it)."""


class ConfigurationResponse(_Model):
    """A saved product configuration (``cfg-...``), the v2 replacement for v1's agents.

    ``parameters`` is an :class:`ExtractV2Parameters` for a valid ``extract_v2`` configuration;
    any other product's parameters (or extract parameters it cannot read) stay a plain dict.
    """

    id: str
    name: str
    product_type: str
    version: str
    parameters: ExtractV2Parameters | dict[str, Any] = Field(union_mode="left_to_right")
    created_at: datetime | None = None
    updated_at: datetime | None = None


V2_ID_PREFIXES: dict[str, str] = {"job": "ext-", "configuration": "cfg-"}
"""The prefix of each kind of v2 ID :func:`validate_v2_id` checks."""

MAX_V2_ID_LENGTH = 128
"""Longest v2 ID accepted, prefix included (the API's are ``ext-`` plus a UUID: 40 characters)."""

_V2_ID_BODY = re.compile(r"[A-Za-z0-9_-]+")


def validate_v2_id(value: object, kind: str) -> str:
    """Return ``value`` unchanged if it is a v2 ID of ``kind``, or raise :class:`InvalidIdError`.

    A v2 ID is its kind's prefix (``ext-`` for ``job``, ``cfg-`` for ``configuration``) and at
    least one of ``A-Z a-z 0-9 _ -``, at most :data:`MAX_V2_ID_LENGTH` characters in all, so no
    ``/``, ``.``, ``?``, ``#`` or ``%`` can reach a URL path. IDs are opaque: case is kept.

    Raises:
        InvalidIdError: ``value`` is not such a string.
        ValueError: ``kind`` is not ``job`` or ``configuration`` (a programming error).

    Examples:
        >>> validate_v2_id("ext-7c1e2a90-4b3d-4f6e-9a12-5d8c0b3e71f4", "job")
        'ext-7c1e2a90-4b3d-4f6e-9a12-5d8c0b3e71f4'
    """
    prefix = V2_ID_PREFIXES.get(kind)
    if prefix is None:
        raise ValueError(f"unknown v2 ID kind {kind!r}; known: {', '.join(V2_ID_PREFIXES)}")
    if (
        not isinstance(value, str)
        or len(value) > MAX_V2_ID_LENGTH
        or not value.startswith(prefix)
        or not _V2_ID_BODY.fullmatch(value[len(prefix) :])
    ):
        expected = (
            f"{prefix!r} followed by letters, digits, '_' or '-' ({MAX_V2_ID_LENGTH} characters at most), "
            f"such as {prefix}7c1e2a90-4b3d-4f6e-9a12-5d8c0b3e71f4"
        )
        raise InvalidIdError(kind, value, expected)
    return value
