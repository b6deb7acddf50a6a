"""The API's wire format: JSON encoding, timestamps, ids, and the agent, file and job objects.

Every object is built with all its keys present and explicit nulls, in the order the API serializes
them, and :func:`dumps` encodes like FastAPI's ``JSONResponse`` (compact, UTF-8), so the bytes the
emulator serves match the real API's.

Examples:
    >>> dumps({"name": "Facture-été", "total": 12.0, "notes": None})
    b'{"name":"Facture-\\xc3\\xa9t\\xc3\\xa9","total":12.0,"notes":null}'
    >>> from datetime import UTC, datetime
    >>> stamp = format_timestamp(datetime(2026, 9, 1, 8, 15, 2, 481_937, tzinfo=UTC))
    >>> stamp, parse_timestamp(stamp).microsecond
    ('2026-09-01T08:15:02.481Z', 481000)
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from llamacloud_etl.emulator.agents import DEFAULT_AGENT_SPEC, PROJECT_ID, AgentSpec
from llamacloud_etl.models import ExtractState, JobStatus

JSON = dict[str, Any]


def dumps(value: Any) -> bytes:
    """Serialize like FastAPI's JSONResponse: compact, UTF-8, no NaN."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a ``Z``, e.g. ``2026-09-01T08:15:02.481Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """Parse a timestamp written by :func:`format_timestamp`."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ms(seconds: float) -> timedelta:
    """``seconds`` as a timedelta rounded to whole milliseconds, the precision of wire timestamps."""
    return timedelta(milliseconds=round(seconds * 1000))


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (deterministic, unlike :func:`uuid.uuid4`)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def agent_json(spec: AgentSpec, *, created_at: datetime, updated_at: datetime) -> JSON:
    """The ExtractAgent wire object of ``spec``, showing its current (last) schema."""
    return {
        "id": spec.id,
        "name": spec.name,
        "project_id": PROJECT_ID,
        "data_schema": spec.schemas[-1],
        "config": spec.config,
        "custom_configuration": "default" if spec is DEFAULT_AGENT_SPEC else None,
        "created_at": format_timestamp(created_at),
        "updated_at": format_timestamp(updated_at),
    }


def file_json(*, file_id: str, name: str, file_type: str, file_size: int, created_at: datetime) -> JSON:
    """The deprecated File wire object, every key present."""
    stamp = format_timestamp(created_at)
    return {
        "id": file_id,
        "name": name,
        "project_id": PROJECT_ID,
        "created_at": stamp,
        "updated_at": stamp,
        "last_modified_at": None,
        "expires_at": None,
        "external_file_id": None,
        "file_type": file_type,
        "file_size": file_size,
        "purpose": "extract",
        "data_source_id": None,
        "resource_info": None,
        "permission_info": None,
    }


def job_json(*, job_id: str, agent: JSON, status: str, error: str | None, run: JSON) -> JSON:
    """The ExtractJob wire object: the full agent embedded, no timestamps, no run id."""
    return {
        "id": job_id,
        "extraction_agent": agent,
        "status": status,
        "error": error,
        "file_id": run["file_id"],
        "file": run["file"],
    }


def job_status_for(run_status: str, *, partial: bool = False, cancelled: bool = False) -> str:
    """The job status that goes with a run status.

    A SUCCESS run's job is SUCCESS or PARTIAL_SUCCESS, an ERROR run's job ERROR or CANCELLED, and an
    unfinished run's job PENDING.

    Examples:
        >>> job_status_for("SUCCESS", partial=True), job_status_for("ERROR"), job_status_for("CREATED")
        ('PARTIAL_SUCCESS', 'ERROR', 'PENDING')
    """
    if run_status == ExtractState.SUCCESS:
        return JobStatus.PARTIAL_SUCCESS.value if partial else JobStatus.SUCCESS.value
    if run_status == ExtractState.ERROR:
        return JobStatus.CANCELLED.value if cancelled else JobStatus.ERROR.value
    return JobStatus.PENDING.value
