"""The normalised run: what every source produces and the flattener and the landing consume.

An API version has its own words for the same things (v1 *agents* and *runs*, v2 *configurations*
and *jobs*; ``SUCCESS`` or ``COMPLETED``; ``data`` or ``extract_result``). A source
(:mod:`llamacloud_etl.sources`) translates them into these few product nouns, so nothing after it
knows which API a run came from, except through :attr:`Run.api_version` and the facts it keeps.

    Agent       the thing whose runs share a schema and get their own folder
    Outcome     what a status means to a landing: succeeded, failed, or not finished yet
    RunConfig   how a run was configured: the columns of ``runs`` plus the whole config as JSON
    JobFacts    what only a v2 job tells: its configuration, input, tiers, parse job and credits
    Run         one extraction: identity, status, timestamps, schema, data, field metadata, usage
    RunHeader   the few fields of a run that the completion sensor keeps

No I/O, no pydantic: plain frozen dataclasses, cheap to build for every listed run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any


class Outcome(Enum):
    """What a run's status means to a landing."""

    SUCCEEDED = "succeeded"
    """Finished with data: flattened into records and field metadata."""
    FAILED = "failed"
    """Finished without data (an error, a cancellation): lands in ``runs`` only."""
    UNFINISHED = "unfinished"
    """Not finished yet: counted as pending, lands once it finishes."""

    @property
    def finished(self) -> bool:
        """True when the run will not change any more."""
        return self is not Outcome.UNFINISHED


@dataclass(frozen=True, slots=True)
class Agent:
    """An agent: runs that share a schema, one folder of tables.

    Attributes:
        id: The source's identifier: a v1 agent UUID, a v2 saved configuration (``cfg-…``), or a
            v2 group of jobs run with one inline schema (``inline-<schema hash>``).
        name: Its display name, which may change; folders are named from it and the ID.
        api_version: Which API its runs come from (``v1`` or ``v2``).
        listing: Agents with the same listing key are listed by one listing, whose runs carry their
            own agent (a v2 source lists all inline-schema groups at once: no server-side filter
            tells them apart). None: the agent is listed on its own.
    """

    id: str
    name: str
    api_version: str = "v1"
    listing: str | None = None

    @property
    def listing_key(self) -> str:
        """What one listing covers: :attr:`listing`, or the agent's own ID."""
        return self.listing or self.id


@dataclass(frozen=True, eq=False)
class RunConfig:
    """How a run was configured, as the ``runs`` table shows it.

    Compared and hashed by identity: a source hands the same instance to every run that shares a
    configuration, so the flattener can cache per instance (its JSON text, for one).

    Attributes:
        target: The extraction target in upper case (``PER_DOC``, ``PER_PAGE``, ``PER_TABLE_ROW``;
            a v2 source upper-cases v2's ``per_doc``...); unknown values flatten like ``PER_DOC``.
        mode: The extraction mode, as the API names it (v1 only; v2 has tiers, see
            :class:`JobFacts`).
        extract_model: The extraction model, when the API says (v1 only).
        parse_model: The parse model, when the API says (v1 only).
        cite_sources: Citations were asked for.
        confidence_scores: Confidence scores were asked for.
        use_reasoning: Reasoning was asked for (v1 only).
        raw: The whole configuration as plain JSON values in the API's own words, unknown keys
            included (``runs.config``): v2's lower-case ``extraction_target`` stays lower case here.
    """

    target: str
    mode: str | None = None
    extract_model: str | None = None
    parse_model: str | None = None
    cite_sources: bool | None = None
    confidence_scores: bool | None = None
    use_reasoning: bool | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FileRef:
    """The document a run read, as far as the API tells."""

    id: str | None = None
    name: str | None = None
    type: str | None = None
    size: Any = None
    """As the API sent it; the ``runs`` table keeps it when it is an integer."""


@dataclass(frozen=True, slots=True)
class JobFacts:
    """What only a v2 job tells (v1 runs have none of it: :data:`NO_JOB_FACTS`).

    Attributes:
        configuration_id: The saved configuration the job ran with (``cfg-…``); None for an
            inline configuration.
        file_input: What was extracted: a file (``dfl-…``) or a parse job (``pjb-…``).
        tier: The extract tier (``configuration.tier``).
        parse_tier: The parse tier used (``extract_metadata.parse_tier``, else the configuration's).
        parse_job_id: The parse job behind the extraction (``extract_metadata.parse_job_id``).
        credits: Total credits billed (``usage.credits``); None until billing recorded it.
        extract_credits: Credits billed for the extraction itself.
        parse_credits: Credits billed for the parse job behind it.
    """

    configuration_id: str | None = None
    file_input: str | None = None
    tier: str | None = None
    parse_tier: str | None = None
    parse_job_id: str | None = None
    credits: float | None = None
    extract_credits: float | None = None
    parse_credits: float | None = None


NO_JOB_FACTS = JobFacts()
"""The facts of a run that has none (every v1 run): shared, so a v1 run costs nothing extra."""


@dataclass(frozen=True, slots=True)
class Run:
    """One extraction of one document, in the product's nouns.

    Attributes:
        id: The run's identifier.
        agent_id: The :class:`Agent` it belongs to.
        status: The API's own status word, kept as is (``runs.status``).
        outcome: What that status means to a landing.
        config: How it was configured.
        data_schema: The JSON Schema its data follows.
        data: The extracted data (v1 ``data``, v2 ``extract_result``): an object, a list of objects
            (per page, per table row), or None.
        field_metadata: Per-field metadata (confidence, citations, reasoning), raw JSON as the API
            nests it, or None.
        usage: Pages and tokens, raw JSON values: ``num_pages_extracted`` (both APIs),
            ``num_document_tokens`` and ``num_output_tokens`` (v1), ``num_pages_billed`` (v2's
            ``metadata.usage``).
        created_at: When it was created; its UTC day is its ``run_date`` partition.
        updated_at: When it last changed.
        project_id: Its project.
        job_id: The v1 job that made it (v1 only: a v2 job is the run itself).
        file: The document it read (v1 only; a v2 job names its input in ``job_facts.file_input``).
        error: Why it failed, for a failed run (v1 ``error``, v2 ``error_message``).
        api_version: Which API it came from (``v1`` or ``v2``). It decides how ``field_metadata``
            is read: v1's ``extraction_metadata.field_metadata`` (an object or a list), or v2's
            ``extract_metadata.field_metadata`` as sent (``document_metadata``, ``page_metadata``,
            ``row_metadata``).
        job_facts: What only a v2 job tells (configuration, input, tiers, parse job, credits).
    """

    id: str
    agent_id: str
    status: str
    outcome: Outcome
    config: RunConfig
    data_schema: Any
    data: Any = None
    field_metadata: Any = None
    usage: Mapping[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    project_id: str | None = None
    job_id: str | None = None
    file: FileRef = field(default_factory=FileRef)
    error: str | None = None
    api_version: str = "v1"
    job_facts: JobFacts = NO_JOB_FACTS

    @property
    def day(self) -> date | None:
        """The ``run_date`` partition: the UTC day of ``created_at`` (None without one)."""
        return None if self.created_at is None else day_of(self.created_at)


@dataclass(frozen=True, slots=True)
class RunHeader:
    """What the completion sensor keeps of a listed run: a few fields, not its schema or data."""

    id: str
    agent_id: str
    outcome: Outcome
    created_at: datetime | None


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False)


def schema_hash(data_schema: Any) -> str:
    """First 16 hex digits of the SHA-256 of the schema's canonical JSON (sorted keys, compact, UTF-8).

    ``runs.data_schema_hash``, and the ID of a v2 inline-schema group (``inline-<hash>``).

    Raises:
        TypeError, ValueError: the schema is not JSON.

    Examples:
        >>> schema_hash({"type": "object"})
        'a2c799262a3ce3c1'
    """
    encoded = _CANONICAL.encode(data_schema).encode("utf-8", "surrogatepass")
    return hashlib.sha256(encoded).hexdigest()[:16]


def day_of(moment: datetime) -> date:
    """The UTC calendar day of a timestamp; a naive one is taken to be UTC.

    Examples:
        >>> from datetime import timedelta, timezone
        >>> day_of(datetime(2026, 6, 1, 23, 30, tzinfo=timezone(timedelta(hours=-2))))
        datetime.date(2026, 6, 2)
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC covering the days ``first`` to ``last``, both inclusive.

    Examples:
        >>> start, end = day_bounds(date(2026, 6, 1), date(2026, 6, 2))
        >>> start.isoformat(), end.isoformat()
        ('2026-06-01T00:00:00+00:00', '2026-06-03T00:00:00+00:00')
    """
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    return start, end
