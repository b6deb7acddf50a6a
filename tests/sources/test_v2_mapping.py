"""Unit tests of llamacloud_etl.sources.v2's mapping: a v2 job as the product's run."""

from __future__ import annotations

from typing import Any

import pytest

from llamacloud_etl.models_v2 import ExtractV2Job
from llamacloud_etl.run import Outcome, schema_hash
from llamacloud_etl.sources.v2 import INLINE_LISTING, header_of, inline_agent, outcome_of, run_from_v2

SCHEMA = {"type": "object", "properties": {"total": {"type": "number"}}}


def job(**fields: Any) -> ExtractV2Job:
    """A COMPLETED per_doc job with a saved configuration; ``fields`` override keys."""
    body: dict[str, Any] = {
        "id": "ext-7c1e2a90",
        "created_at": "2026-10-14T09:12:03.512Z",
        "updated_at": "2026-10-14T09:12:41.077Z",
        "file_input": "dfl-3a9f0c2e",
        "project_id": "2b8e4c1d-7a90-4f3e-b6d2-51c0e9a8f7b4",
        "status": "COMPLETED",
        "configuration_id": "cfg-5e0d7b21",
        "error_message": None,
        "extract_result": {"total": 629.25},
        "configuration": {"data_schema": SCHEMA, "tier": "agentic", "extraction_target": "per_doc"},
        "extract_metadata": {
            "field_metadata": {"document_metadata": {"total": {"confidence": 0.9}}, "page_metadata": None},
            "parse_job_id": "pjb-r8t2",
            "parse_tier": "agentic",
        },
        "metadata": {"usage": {"num_pages_billed": 2, "num_pages_extracted": 1}},
        "usage": {"credits": 30.0, "extract_credits": 15.0, "parse_credits": 15.0},
    }
    body.update(fields)
    return ExtractV2Job.model_validate(body)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("COMPLETED", Outcome.SUCCEEDED),
        ("FAILED", Outcome.FAILED),
        ("CANCELLED", Outcome.FAILED),
        ("PENDING", Outcome.UNFINISHED),
        ("RUNNING", Outcome.UNFINISHED),
        ("THROTTLED", Outcome.UNFINISHED),
        ("SOMETHING_NEW", Outcome.UNFINISHED),
    ],
)
def test_status_outcomes(status, outcome):
    """Each v2 status means what the issue says; an unknown one waits as pending."""
    assert outcome_of(status) is outcome


def test_saved_configuration_is_the_agent():
    """A job made from a saved configuration belongs to that configuration."""
    assert run_from_v2(job()).agent_id == "cfg-5e0d7b21"


def test_inline_configuration_groups_by_schema_hash():
    """A job run with an inline configuration belongs to the group of its schema's hash."""
    run = run_from_v2(job(configuration_id=None))
    assert run.agent_id == f"inline-{schema_hash(SCHEMA)}" == inline_agent(SCHEMA).id
    assert inline_agent(SCHEMA).listing == INLINE_LISTING


def test_api_status_is_kept_and_target_upper_cased():
    """``status`` keeps the API's word; the target is spelled as v1 spells it for the flattener."""
    run = run_from_v2(job(configuration={"data_schema": SCHEMA, "extraction_target": "per_table_row"}))
    assert (run.status, run.config.target, run.api_version) == ("COMPLETED", "PER_TABLE_ROW", "v2")


def test_config_keeps_the_api_words_without_the_schema():
    """``runs.config`` is the configuration as sent, lower-case target included, schema left out."""
    run = run_from_v2(job())
    assert dict(run.config.raw) == {"tier": "agentic", "extraction_target": "per_doc"}
    assert run.data_schema == SCHEMA


def test_equal_configurations_share_one_instance():
    """Jobs with equal configurations share one RunConfig, which the flattener caches on."""
    assert run_from_v2(job()).config is run_from_v2(job(id="ext-other")).config


def test_missing_configuration_falls_back_to_the_saved_schema():
    """A job listed without its configuration takes the saved configuration's schema."""
    run = run_from_v2(job(configuration=None), {"type": "object"})
    assert run.data_schema == {"type": "object"}
    assert run.config.target == "PER_DOC"


def test_v2_facts_are_carried():
    """Configuration, input, tiers, parse job and credits reach the run's facts."""
    facts = run_from_v2(job()).job_facts
    assert (facts.configuration_id, facts.file_input, facts.tier, facts.parse_tier, facts.parse_job_id) == (
        "cfg-5e0d7b21",
        "dfl-3a9f0c2e",
        "agentic",
        "agentic",
        "pjb-r8t2",
    )
    assert (facts.credits, facts.extract_credits, facts.parse_credits) == (30.0, 15.0, 15.0)


def test_usage_and_field_metadata_as_sent():
    """Usage keeps v2's keys; field metadata keeps the keys the API sent, nulls included."""
    run = run_from_v2(job())
    assert dict(run.usage) == {"num_pages_billed": 2, "num_pages_extracted": 1}
    assert run.field_metadata == {"document_metadata": {"total": {"confidence": 0.9}}, "page_metadata": None}


def test_failed_job_keeps_its_error_message():
    """A FAILED job lands with ``error_message`` as its error and no data."""
    run = run_from_v2(job(status="FAILED", error_message="parsing_error", extract_result=None))
    assert (run.outcome, run.error, run.data) == (Outcome.FAILED, "parsing_error", None)


def test_v1_only_facts_are_empty():
    """A v2 run has no v1 job ID and no v1 file facts."""
    run = run_from_v2(job())
    assert (run.job_id, run.file.id, run.file.name) == (None, None, None)


def test_header_of_an_inline_job_names_its_group():
    """The sensor's header of an inline job names the schema group, like the landed run."""
    header = header_of(job(configuration_id=None))
    assert header.agent_id == inline_agent(SCHEMA).id
    assert header.outcome is Outcome.SUCCEEDED
