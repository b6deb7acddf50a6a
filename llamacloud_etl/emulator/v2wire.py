"""The v2 API's wire objects: an extraction as an ``ExtractV2Job``, the saved configurations, expansions.

A v2 job is built from the same generated extraction as a v1 run (:mod:`.runs`), translated per the v2
sheet's v1-to-v2 mapping and SDK 2.19's models: ``id`` is ``ext-`` + the run's UUID, ``file_input``
``dfl-`` + its file's, ``configuration_id`` ``cfg-`` + its agent's (null for a job run with an inline
configuration), ``extract_result`` the run's ``data`` once COMPLETED. The full job carries every
expandable key (``configuration``, ``extract_metadata``, ``usage``); :func:`job_view` nulls those the
request did not ``expand``.

Examples:
    >>> from llamacloud_etl.emulator.agents import AGENT_SPECS
    >>> configuration_id(AGENT_SPECS[0].id).startswith("cfg-"), v2_status("PENDING", "PENDING", "ab")
    (True, 'RUNNING')
    >>> extract_configuration(AGENT_SPECS[1].config, {})["extraction_target"]
    'per_page'
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from llamacloud_etl.emulator.agents import stable_id
from llamacloud_etl.emulator.runs import RunFacts
from llamacloud_etl.emulator.wire import JSON, format_timestamp
from llamacloud_etl.models import ExtractState, JobStatus

PENDING, THROTTLED, RUNNING = "PENDING", "THROTTLED", "RUNNING"
COMPLETED, FAILED, CANCELLED = "COMPLETED", "FAILED", "CANCELLED"
STATUSES = (PENDING, THROTTLED, RUNNING, COMPLETED, FAILED, CANCELLED)
UNFINISHED = (PENDING, THROTTLED, RUNNING)
EXPANDABLE = ("configuration", "extract_metadata", "usage")

_TIER = {
    "FAST": "cost_effective",
    "BALANCED": "cost_effective",
    "MULTIMODAL": "agentic",
    "PREMIUM": "agentic",
}
_PARSE_TIER = {"FAST": "fast", "BALANCED": "cost_effective", "MULTIMODAL": "agentic", "PREMIUM": "agentic"}
# Credits per page; extract rates as SDK 2.19 documents them, parse rates invented.
_EXTRACT_CREDITS = {"cost_effective": 5.0, "agentic": 15.0}
_PARSE_CREDITS = {"fast": 1.0, "cost_effective": 3.0, "agentic": 10.0}
_FIELD_METADATA_KEY = {
    "PER_DOC": "document_metadata",
    "PER_PAGE": "page_metadata",
    "PER_TABLE_ROW": "row_metadata",
}


@dataclass(frozen=True)
class V2Extraction:
    """What a v2 job is made of: the generated extraction (a v1-shaped run dict, never mutated), its
    facts, its v2 status and whether it ran with an inline configuration."""

    run: JSON
    facts: RunFacts
    status: str
    inline: bool


def job_id_for(run_id: str) -> str:
    """The v2 job id of an extraction: ``ext-`` + its run UUID."""
    return f"ext-{run_id}"


def configuration_id(agent_id: str) -> str:
    """The saved ``extract_v2`` configuration id of an agent: ``cfg-`` + its UUID."""
    return f"cfg-{agent_id}"


def v2_status(run_status: str, job_status: str, run_id: str) -> str:
    """The v2 status of a generated extraction, from its v1 run and job statuses.

    SUCCESS (and PARTIAL_SUCCESS) is COMPLETED, ERROR FAILED (CANCELLED behind a cancelled job),
    PENDING RUNNING; CREATED is PENDING, or THROTTLED for one in four (chosen by the run id).
    """
    if job_status in (JobStatus.SUCCESS, JobStatus.PARTIAL_SUCCESS):
        return COMPLETED
    if job_status == JobStatus.CANCELLED:
        return CANCELLED
    if job_status == JobStatus.ERROR:
        return FAILED
    if run_status == ExtractState.PENDING:
        return RUNNING
    return THROTTLED if int(run_id[-1], 16) % 4 == 0 else PENDING


def extract_configuration(config: JSON, data_schema: JSON) -> JSON:
    """A v1 ExtractConfig translated to SDK 2.19's ``ExtractConfiguration`` (the sheet's §7 mapping)."""
    mode = config["extraction_mode"]
    return {
        "data_schema": data_schema,
        "tier": _TIER.get(mode, "agentic"),
        "extraction_target": str(config["extraction_target"]).lower(),
        "cite_sources": bool(config["cite_sources"] or config["citation_bbox"]),
        "confidence_scores": bool(config["confidence_scores"]),
        "advanced_citations": bool(config["citation_bbox"]),
        "disable_cache": bool(config["invalidate_cache"]),
        "parse_tier": _PARSE_TIER.get(mode, "agentic"),
        "parse_config_id": None,
        "system_prompt": config["system_prompt"],
        "target_pages": config["page_range"],
        "max_pages": None,
        "spreadsheet_mode": False,
        "sheet_names": None,
        "version": "latest",
    }


def parse_job_id(run_id: str) -> str:
    """The id of the parse job behind an extraction: ``pjb-`` + 28 lowercase alphanumerics."""
    digest = int.from_bytes(hashlib.sha256(f"parse/{run_id}".encode()).digest(), "big")
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    chars = []
    for _ in range(28):
        digest, index = divmod(digest, 36)
        chars.append(alphabet[index])
    return "pjb-" + "".join(chars)


def _extract_metadata(run: JSON, configuration: JSON) -> JSON:
    """v1 ``field_metadata`` moved under the key of the run's target; the other two are null."""
    field_metadata: JSON = {"document_metadata": None, "page_metadata": None, "row_metadata": None}
    field_metadata[_FIELD_METADATA_KEY[run["config"]["extraction_target"]]] = run["extraction_metadata"][
        "field_metadata"
    ]
    return {
        "field_metadata": field_metadata,
        "parse_job_id": parse_job_id(run["id"]),
        "parse_tier": configuration["parse_tier"],
    }


def _usage(pages: int | None, configuration: JSON) -> JSON:
    """The job's credits: extract plus parse, per page at the tiers' rates; null until COMPLETED."""
    if pages is None:
        return {"credits": None, "extract_credits": None, "parse_credits": None}
    extract = pages * _EXTRACT_CREDITS[configuration["tier"]]
    parse = pages * _PARSE_CREDITS[configuration["parse_tier"]]
    return {"credits": extract + parse, "extract_credits": extract, "parse_credits": parse}


def v2_job_json(extraction: V2Extraction) -> JSON:
    """The full ``ExtractV2Job`` of an extraction: every key present, the expandable ones filled."""
    run = extraction.run
    status = extraction.status
    configuration = extract_configuration(run["config"], run["data_schema"])
    completed = status == COMPLETED
    pages = run["extraction_metadata"]["usage"]["num_pages_extracted"] if completed else None
    return {
        "id": job_id_for(run["id"]),
        "created_at": run["created_at"],
        "updated_at": run["updated_at"],
        "file_input": f"dfl-{run['file_id']}",
        "project_id": run["project_id"],
        "status": status,
        "configuration_id": None if extraction.inline else configuration_id(run["extraction_agent_id"]),
        "error_message": run["error"] if status == FAILED else None,
        "extract_result": run["data"] if completed else None,
        "metadata": {"usage": {"num_pages_billed": pages, "num_pages_extracted": pages}}
        if completed
        else None,
        "configuration": configuration,
        "extract_metadata": _extract_metadata(run, configuration) if completed else None,
        "usage": _usage(pages, configuration),
    }


def job_view(job: JSON, expand: Collection[str]) -> JSON:
    """The job as a request with these ``expand`` values sees it: the other expandable keys null."""
    return {key: None if key in EXPANDABLE and key not in expand else value for key, value in job.items()}


def configuration_json(agent: JSON) -> JSON:
    """The saved ``extract_v2`` configuration of an agent (``ConfigurationResponse``)."""
    parameters = {
        "product_type": "extract_v2",
        **extract_configuration(agent["config"], agent["data_schema"]),
    }
    return {
        "id": configuration_id(agent["id"]),
        "name": agent["name"],
        "product_type": "extract_v2",
        "version": agent["updated_at"],
        "parameters": parameters,
        "created_at": agent["created_at"],
        "updated_at": agent["updated_at"],
    }


def parse_configuration_json(origin: datetime) -> JSON:
    """A saved configuration of another product (``parse_v2``), so the ``product_type`` filter matters."""
    created = format_timestamp(origin - timedelta(days=20))
    return {
        "id": "cfg-" + stable_id("configuration:parse"),
        "name": "Scanned documents (parse)",
        "product_type": "parse_v2",
        "version": created,
        "parameters": {"product_type": "parse_v2", "tier": "agentic", "version": "latest"},
        "created_at": created,
        "updated_at": created,
    }


def sort_key(item: JSON) -> tuple[str, str]:
    """The list order's key (newest first = descending): ``created_at`` then ``id``."""
    return (str(item["created_at"]), str(item["id"]))
