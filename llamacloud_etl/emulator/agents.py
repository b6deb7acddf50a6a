"""The emulator's extraction agents: their ids, configurations, schemas and record generators.

Four agents cover the shapes a downstream flattener must handle:

* ``Invoices`` (PER_DOC, PREMIUM, citations with bounding boxes, confidence): nested objects
  (``vendor.address.city``), ``$defs``/``$ref``, an array of objects (``line_items``) whose items hold
  another array of objects (``taxes``), an array of strings (``tags``), an enum (``currency``), nullable
  fields written both as ``"type": [..., "null"]`` and as ``anyOf`` with null, a field literally called
  ``date`` and one called ``run_id`` (to collide with the ETL's own columns), unicode, empty arrays and
  whole-number floats. Its schema changed partway through history: version 2 added ``po_number``.
* ``Quarterly report pages`` (PER_PAGE, BALANCED, confidence only): one object per page.
* ``Supplier price list rows`` (PER_TABLE_ROW, BALANCED, citations without bounding boxes): one object
  per table row, with a nested array of objects (``discount_tiers``).
* ``Contracts`` (PER_DOC, MULTIMODAL, citations, reasoning and confidence): an array of objects holding a
  nested object (``parties[].signatory``), a nested object holding an array of strings
  (``governing_law.venue_cities``), an integer ``term_months`` and booleans.

The schemas live in :mod:`.schemas` and the generators of each agent's ``data`` in :mod:`.records`.

Examples:
    >>> [spec.name for spec in AGENT_SPECS]
    ['Invoices', 'Quarterly report pages', 'Supplier price list rows', 'Contracts']
    >>> spec_for(AGENT_SPECS[0].id) is AGENT_SPECS[0], spec_for(PROJECT_ID)
    (True, None)
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from llamacloud_etl.emulator.records import (
    GenContext,
    gen_contract,
    gen_invoice,
    gen_price_rows,
    gen_report_pages,
)
from llamacloud_etl.emulator.schemas import (
    contract_schema,
    invoice_schema,
    price_row_schema,
    report_page_schema,
)
from llamacloud_etl.models import ExtractTarget

JSON = dict[str, Any]

# Fixed namespace: agent, project and organization ids are the same for every seed, so a demo or a
# Dagster config can name an agent id that exists in any emulator data set.
_NAMESPACE = uuid.UUID("5c0f3f5e-2d4a-4c1b-9a57-6f7e0d3c8b21")


def stable_id(name: str) -> str:
    """Return a UUID that depends only on ``name`` (UUID5 in the emulator's namespace)."""
    return str(uuid.uuid5(_NAMESPACE, name))


PROJECT_ID = stable_id("project")
ORGANIZATION_ID = stable_id("organization")

# The 16 ExtractConfig keys in the order the API serializes them, with the server-side defaults.
CONFIG_DEFAULTS: JSON = {
    "priority": None,
    "extraction_target": "PER_DOC",
    "extraction_mode": "PREMIUM",
    "parse_model": None,
    "extract_model": None,
    "multimodal_fast_mode": False,
    "system_prompt": None,
    "use_reasoning": False,
    "cite_sources": False,
    "citation_bbox": False,
    "confidence_scores": False,
    "chunk_mode": "PAGE",
    "high_resolution_mode": False,
    "invalidate_cache": False,
    "num_pages_context": None,
    "page_range": None,
}


def make_config(**overrides: Any) -> JSON:
    """Return a full ExtractConfig dict: every key present, defaults filled in."""
    unknown = set(overrides) - set(CONFIG_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown ExtractConfig keys: {sorted(unknown)}")
    return {**CONFIG_DEFAULTS, **overrides}


@dataclass(frozen=True)
class AgentSpec:
    """One emulated extraction agent.

    Attributes:
        key: short stable name; the agent id is derived from it.
        name: the agent's display name.
        config: the agent's full ExtractConfig.
        schemas: data schema versions, oldest first; the agent shows the last one.
        schema_changed_at: fraction of the history (0-1) at which the last schema version took effect.
        generate: the data generator.
        weight: share of runs that belong to this agent.
        pages: (min, max) page count of its documents.
        file_types: document types it sees, with repeats as weights.
    """

    key: str
    name: str
    config: JSON
    schemas: tuple[JSON, ...]
    generate: Callable[[random.Random, GenContext], JSON | list[JSON]]
    weight: float
    pages: tuple[int, int]
    file_types: Sequence[str]
    schema_changed_at: float = 0.0
    file_prefix: str = "doc"

    @property
    def id(self) -> str:
        """The agent's UUID (stable across seeds)."""
        return stable_id(f"agent:{self.key}")

    @property
    def target(self) -> str:
        """The agent's extraction target."""
        return str(self.config["extraction_target"])


AGENT_SPECS: tuple[AgentSpec, ...] = (
    AgentSpec(
        key="invoices",
        name="Invoices",
        config=make_config(
            extraction_target=ExtractTarget.PER_DOC.value,
            extraction_mode="PREMIUM",
            cite_sources=True,
            citation_bbox=True,
            confidence_scores=True,
            system_prompt="Amounts are in the invoice currency; dates as YYYY-MM-DD.",
        ),
        schemas=(invoice_schema(1), invoice_schema(2)),
        schema_changed_at=0.5,
        generate=gen_invoice,
        weight=0.4,
        pages=(1, 3),
        file_types=("pdf", "pdf", "pdf", "png", "docx"),
        file_prefix="INV",
    ),
    AgentSpec(
        key="report-pages",
        name="Quarterly report pages",
        config=make_config(
            extraction_target=ExtractTarget.PER_PAGE.value,
            extraction_mode="BALANCED",
            confidence_scores=True,
            parse_model="gemini-2.5-flash",
            chunk_mode="SECTION",
        ),
        schemas=(report_page_schema(),),
        generate=gen_report_pages,
        weight=0.2,
        pages=(2, 12),
        file_types=("pdf", "pdf", "docx"),
        file_prefix="quarterly-report",
    ),
    AgentSpec(
        key="price-list-rows",
        name="Supplier price list rows",
        config=make_config(
            extraction_target=ExtractTarget.PER_TABLE_ROW.value,
            extraction_mode="BALANCED",
            cite_sources=True,
            extract_model="openai-gpt-4-1-mini",
        ),
        schemas=(price_row_schema(),),
        generate=gen_price_rows,
        weight=0.2,
        pages=(1, 6),
        file_types=("pdf", "png", "docx"),
        file_prefix="price-list",
    ),
    AgentSpec(
        key="contracts",
        name="Contracts",
        config=make_config(
            extraction_target=ExtractTarget.PER_DOC.value,
            extraction_mode="MULTIMODAL",
            cite_sources=True,
            use_reasoning=True,
            confidence_scores=True,
            extract_model="openai-gpt-5",
            parse_model="anthropic-sonnet-4.0",
            num_pages_context=4,
        ),
        schemas=(contract_schema(),),
        generate=gen_contract,
        weight=0.2,
        pages=(3, 30),
        file_types=("pdf", "pdf", "docx"),
        file_prefix="contract",
    ),
)

# The default agent behind the stateless ``POST /run`` endpoint; listed only with include_default=true.
DEFAULT_AGENT_SPEC = AgentSpec(
    key="default",
    name="default-extraction-agent",
    config=make_config(),
    schemas=({"type": "object", "properties": {}, "required": []},),
    generate=lambda rng, ctx: {},
    weight=0.0,
    pages=(1, 1),
    file_types=("pdf",),
)


def spec_for(agent_id: str) -> AgentSpec | None:
    """Return the spec of the agent with this id, or None."""
    for spec in (*AGENT_SPECS, DEFAULT_AGENT_SPEC):
        if spec.id == agent_id:
            return spec
    return None
