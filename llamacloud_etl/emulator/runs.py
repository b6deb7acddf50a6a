"""One generated run: its wire record and facts, its result (``data`` + metadata) or its error text.

The data set generator and the app's mutators both build runs here, so a run added or completed while
the app is serving looks like one from the seeded history. Every function draws from the
:class:`random.Random` it is given and never reads the clock.

Examples:
    >>> import random
    >>> from datetime import UTC, datetime
    >>> from llamacloud_etl.emulator.agents import AGENT_SPECS
    >>> rng = random.Random(0)
    >>> run, facts = new_run(
    ...     AGENT_SPECS[0], rng=rng, created_at=datetime(2026, 9, 1, tzinfo=UTC), status="SUCCESS"
    ... )
    >>> run["data"] is None
    True
    >>> fill_result(run, spec=AGENT_SPECS[0], facts=facts, rng=rng)
    >>> sorted(run["extraction_metadata"])
    ['field_metadata', 'usage']
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from llamacloud_etl.emulator.agents import PROJECT_ID, AgentSpec, spec_for
from llamacloud_etl.emulator.metadata import build_extraction_metadata
from llamacloud_etl.emulator.records import GenContext
from llamacloud_etl.emulator.wire import JSON, file_json, format_timestamp, ms, new_uuid, parse_timestamp
from llamacloud_etl.models import ExtractState


@dataclass(frozen=True)
class RunFacts:
    """What the generator knew about a run that the wire JSON does not show (the file may be null)."""

    agent_key: str
    file_type: str
    pages: int
    schema_version: int


def error_text(rng: random.Random, *, file_name: str, cancelled: bool = False) -> str:
    """An ``error`` string in the API's ``<category>: <message>`` form."""
    if cancelled:
        return "cancelled: Job was cancelled by the user before extraction finished."
    choice = rng.randrange(5)
    if choice == 0:
        return (
            f"parsing_error: Error on parsing: Result for Parsing Job {new_uuid(rng)} not found. "
            "Check job status to see if it has completed."
        )
    if choice == 1:
        return f"parsing_error: Could not read {file_name}: the file is encrypted or corrupted."
    if choice == 2:
        return "extraction_error: The model output did not match the data schema after 3 attempts."
    if choice == 3:
        return "timeout_error: Extraction did not finish within 1800 seconds."
    return "internal_error: An unexpected error occurred. Please retry the job."


def _nullable(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    type_ = node.get("type")
    if isinstance(type_, list) and "null" in type_:
        return True
    return any(isinstance(b, dict) and b.get("type") == "null" for b in node.get("anyOf", []))


def _null_some_fields(rng: random.Random, schema: JSON, data: JSON, count: int) -> list[str]:
    """Null ``count`` nullable, non-null top-level fields of PER_DOC ``data``; return their names.

    Only fields the schema allows to be null, so partial results still conform to the schema.
    """
    properties = schema.get("properties", {})
    candidates = [k for k, node in properties.items() if _nullable(node) and data.get(k) is not None]
    chosen = sorted(rng.sample(candidates, k=min(count, len(candidates))))
    for key in chosen:
        data[key] = None
    return chosen


def fill_result(
    run: JSON,
    *,
    spec: AgentSpec,
    facts: RunFacts,
    rng: random.Random,
    partial: bool = False,
    field_error_rate: float = 0.0,
) -> None:
    """Set ``data`` and ``extraction_metadata`` of a SUCCESS run, in place.

    Args:
        run: the run wire dict; its ``data_schema`` and ``config`` drive the result.
        spec: the run's agent.
        facts: file type, page count and schema version of the run.
        rng: seeded randomness.
        partial: a PARTIAL_SUCCESS job: some optional fields are null and field metadata carries ``error``.
        field_error_rate: chance of a root ``field_metadata.error`` on a complete PER_DOC result.
    """
    ctx = GenContext(
        created=parse_timestamp(run["created_at"]), pages=facts.pages, schema_version=facts.schema_version
    )
    data = spec.generate(rng, ctx)
    field_error: str | None = None
    if isinstance(data, dict):
        if partial:
            missing = _null_some_fields(rng, run["data_schema"], data, 2)
            named = ", ".join(f"'{k}'" for k in missing) or "some fields"
            field_error = f"extraction_error: partial result; could not extract {named}"
        elif rng.random() < field_error_rate:
            missing = _null_some_fields(rng, run["data_schema"], data, 1)
            if missing:
                field_error = (
                    f"validation_error: value of '{missing[0]}' did not match the schema and was dropped"
                )
    run["data"] = data
    run["extraction_metadata"] = build_extraction_metadata(
        schema=run["data_schema"],
        data=data,
        target=run["config"]["extraction_target"],
        config=run["config"],
        file_type=facts.file_type,
        pages=facts.pages,
        rng=rng,
        field_error=field_error,
    )


def _file_name(spec: AgentSpec, rng: random.Random, created: datetime, file_type: str) -> str:
    special = {
        "invoices": ["Facture-été-2026", "請求書_0412", "Rechnung Nr. 7 (Kopie)"],
        "contracts": ["Contrat_de_service_signé", "賃貸借契約書"],
    }.get(spec.key, [])
    if special and rng.random() < 0.08:
        stem = rng.choice(special)
    else:
        stem = f"{spec.file_prefix}-{created:%Y%m%d}-{rng.randint(1, 9999):04d}"
    return f"{stem}.{file_type}"


def _file_size(rng: random.Random, file_type: str, pages: int) -> int:
    if file_type == "png":
        return rng.randint(300_000, 3_000_000)
    if file_type == "docx":
        return rng.randint(15_000, 60_000) * pages
    return rng.randint(40_000, 250_000) * pages


def new_run(
    spec: AgentSpec,
    *,
    rng: random.Random,
    created_at: datetime,
    status: str,
    updated_at: datetime | None = None,
    schema_version: int | None = None,
    config_overrides: Mapping[str, Any] | None = None,
    with_file: bool = True,
    from_ui: bool = False,
    error: str | None = None,
) -> tuple[JSON, RunFacts]:
    """Build a run wire dict (without ``data``/``extraction_metadata``, which stay null) and its facts.

    The caller fills the result with :func:`fill_result` for SUCCESS runs.
    """
    file_type = rng.choice(list(spec.file_types))
    total_pages = 1 if file_type == "png" else rng.randint(*spec.pages)
    config = {**spec.config, **(config_overrides or {})}
    pages = total_pages
    if config["page_range"] == "1-4":
        pages = min(total_pages, 4)
    version = schema_version if schema_version is not None else len(spec.schemas)
    file_id = new_uuid(rng)
    name = _file_name(spec, rng, created_at, file_type)
    file_obj = file_json(
        file_id=file_id,
        name=name,
        file_type=file_type,
        file_size=_file_size(rng, file_type, total_pages),
        created_at=created_at - ms(rng.uniform(0.5, 90)),
    )
    run: JSON = {
        "id": new_uuid(rng),
        "created_at": format_timestamp(created_at),
        "updated_at": format_timestamp(updated_at or created_at),
        "project_id": PROJECT_ID,
        "extraction_agent_id": spec.id,
        "job_id": new_uuid(rng),
        "file_id": file_id,
        "file": file_obj if with_file else None,
        "status": status,
        "error": error,
        "from_ui": from_ui,
        "data_schema": spec.schemas[version - 1],
        "config": config,
        "data": None,
        "extraction_metadata": None,
    }
    return run, RunFacts(agent_key=spec.key, file_type=file_type, pages=pages, schema_version=version)


def finish_time(run: JSON, rng: random.Random) -> str:
    """When a run finishes: seconds to minutes after its creation, and after its last update."""
    created = parse_timestamp(run["created_at"])
    previous = parse_timestamp(run["updated_at"])
    finished = created + timedelta(milliseconds=round(rng.uniform(3, 300) * 1000))
    return format_timestamp(max(finished, previous + timedelta(milliseconds=1)))


def complete(run: JSON, *, facts: RunFacts, rng: random.Random, partial: bool = False) -> None:
    """Finish an unfinished run as SUCCESS in place, with generated data and metadata.

    Both APIs' mutators finish an extraction this way, so a v2 job completes like a v1 run.
    """
    spec = spec_for(run["extraction_agent_id"])
    if spec is None:  # pragma: no cover - every stored run belongs to a known agent
        raise KeyError(f"no agent spec for run {run['id']}")
    run["status"] = ExtractState.SUCCESS.value
    run["error"] = None
    run["updated_at"] = finish_time(run, rng)
    fill_result(run, spec=spec, facts=facts, rng=rng, partial=partial)


def fail(run: JSON, *, rng: random.Random, error: str | None = None, cancelled: bool = False) -> None:
    """Finish an unfinished run as ERROR in place: an error text (generated unless given), null result."""
    name = run["file"]["name"] if run["file"] else "the document"
    run["status"] = ExtractState.ERROR.value
    run["error"] = error if error is not None else error_text(rng, file_name=name, cancelled=cancelled)
    run["updated_at"] = finish_time(run, rng)
    run["data"] = None
    run["extraction_metadata"] = None


def added_run(
    spec: AgentSpec, *, rng: random.Random, created_at: datetime, status: ExtractState, partial: bool = False
) -> tuple[JSON, RunFacts]:
    """A run submitted while the emulator serves: finished ones get their result or error at once."""
    updated = created_at
    if status.finished:
        updated = created_at + timedelta(milliseconds=round(rng.uniform(3, 300) * 1000))
    run, facts = new_run(spec, rng=rng, created_at=created_at, status=status.value, updated_at=updated)
    if status is ExtractState.SUCCESS:
        fill_result(run, spec=spec, facts=facts, rng=rng, partial=partial)
    elif status is ExtractState.ERROR:
        run["error"] = error_text(rng, file_name=run["file"]["name"])
    return run, facts
