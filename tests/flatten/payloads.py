"""Run payloads for the flattener's tests, and a strict JSON comparison.

Examples A-D are composed, realistic v1 runs: A, an invoice (PER_DOC) with nested objects, an
array of objects and full field metadata; B (PER_PAGE) and C (PER_TABLE_ROW), each with its own
ids and agent, taking the rest (timestamps, config, file) from A; D, a failed run whose short config
the model completes with server defaults. The other payloads are ours, each built to exercise one shape.
"""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime
from typing import Any

from llamacloud_etl.models import ExtractRun
from llamacloud_etl.run import Run
from llamacloud_etl.sources.v1 import run_from_v1

PROJECT = "2b8e4c1d-7a90-4f3e-b6d2-51c0e9a8f7b4"
INVOICE_AGENT = "c47a1e90-58d3-4b2f-a6e1-09f3d7b2c814"
PAGES_AGENT = "d1f0a7b3-2c45-4e8a-9b61-7e3c5a9d0f12"
ROWS_AGENT = "e8b2c4d6-1a3f-4c5e-8d7b-9f0a2b4c6d81"
OWN_AGENT = "f3a1b5c7-9d2e-4f60-8a1b-3c5d7e9f0a24"
FETCHED_AT = datetime(2025, 6, 12, 16, 0, tzinfo=UTC)

_CONFIG_A = {
    "priority": None,
    "extraction_target": "PER_DOC",
    "extraction_mode": "PREMIUM",
    "parse_model": None,
    "extract_model": None,
    "multimodal_fast_mode": False,
    "system_prompt": None,
    "use_reasoning": False,
    "cite_sources": True,
    "citation_bbox": False,
    "confidence_scores": True,
    "chunk_mode": "PAGE",
    "high_resolution_mode": False,
    "invalidate_cache": False,
    "num_pages_context": None,
    "page_range": None,
}


def _cite(page: int, text: str, box: tuple[float, float, float, float] | None = None) -> dict[str, Any]:
    citation: dict[str, Any] = {"page": page, "matching_text": text}
    if box is not None:
        citation["bounding_boxes"] = [dict(zip("xywh", box, strict=True))]
        citation["page_dimensions"] = {"width": 612, "height": 792}
    return citation


def _scores(c: float, e: float, p: float, *citations: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "confidence": c,
        "extraction_confidence": e,
        "parsing_confidence": p,
        "citation": list(citations),
        **extra,
    }


EXAMPLE_A: dict[str, Any] = {
    "id": "6f1c9a2e-3b7d-4e51-9c0a-8d2f4b6e1a37",
    "created_at": "2025-06-12T14:03:27.481Z",
    "updated_at": "2025-06-12T14:04:02.915Z",
    "project_id": PROJECT,
    "extraction_agent_id": INVOICE_AGENT,
    "job_id": "9d2e7f41-0c6b-4a8e-8f15-3e7b2a9c5d60",
    "file_id": "e5a0b3c7-1d24-4f69-9b8e-7c3a1f0d2e95",
    "file": {
        "id": "e5a0b3c7-1d24-4f69-9b8e-7c3a1f0d2e95",
        "name": "INV-2025-0412.pdf",
        "project_id": PROJECT,
        "file_type": "pdf",
        "file_size": 184213,
        "purpose": "extract",
        "created_at": "2025-06-12T14:03:20.102Z",
    },
    "status": "SUCCESS",
    "error": None,
    "from_ui": False,
    "data_schema": {
        "type": "object",
        "properties": {
            "invoice_number": {"type": "string"},
            "invoice_date": {"type": "string"},
            "vendor": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "address": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
            },
            "line_items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"description": {"type": "string"}, "amount": {"type": "number"}},
                },
            },
            "total": {"type": "number"},
        },
    },
    "config": _CONFIG_A,
    "data": {
        "invoice_number": "INV-2025-0412",
        "invoice_date": "2025-05-30",
        "vendor": {"name": "Northwind Office Supply", "address": {"city": "Columbus"}},
        "line_items": [
            {"description": "A4 copier paper, 5-ream box", "amount": 419.4},
            {"description": "Toner cartridge TN-660", "amount": 209.85},
        ],
        "total": 629.25,
    },
    "extraction_metadata": {
        "field_metadata": {
            "invoice_number": _scores(
                0.991,
                0.996,
                0.995,
                _cite(1, "Invoice # INV-2025-0412", (402.1, 61.5, 151.3, 14.2)),
                reasoning="VERBATIM EXTRACTION",
            ),
            "invoice_date": _scores(
                0.942, 0.951, 0.99, _cite(1, "Date: May 30, 2025"), reasoning="INFERRED FROM TEXT"
            ),
            "vendor": {
                "name": _scores(
                    0.987, 0.99, 0.997, _cite(1, "Northwind Office Supply LLC", (54.0, 58.7, 190.4, 16.0))
                ),
                "address": {
                    "city": _scores(
                        0.973, 0.98, 0.993, _cite(1, "Columbus, OH 43215", (54.0, 90.3, 120.6, 12.1))
                    )
                },
            },
            "line_items": [
                {
                    "description": _scores(
                        0.958,
                        0.962,
                        0.996,
                        _cite(1, "A4 copier paper, 5-ream box", (54.0, 301.4, 210.2, 12.0)),
                    ),
                    "amount": _scores(0.977, 0.979, 0.998, _cite(1, "$419.40", (505.3, 301.4, 48.7, 12.0))),
                },
                {
                    "description": _scores(0.949, 0.955, 0.994, _cite(1, "Toner cartridge TN-660")),
                    "amount": _scores(0.975, 0.976, 0.999, _cite(1, "$209.85")),
                },
            ],
            "total": _scores(0.962, 0.964, 0.998, _cite(1, "TOTAL DUE $629.25", (430.6, 512.9, 123.4, 15.0))),
        },
        "usage": {"num_pages_extracted": 1, "num_document_tokens": 1187, "num_output_tokens": 214},
    },
}


def _based_on_a(
    run_id: str, agent: str, target: str, schema: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    payload = copy.deepcopy(EXAMPLE_A)
    payload.update(id=run_id, extraction_agent_id=agent, data_schema=schema, **fields)
    payload["config"] = {**payload["config"], "extraction_target": target}
    payload["file"] = {**payload["file"], "name": f"{run_id[:8]}.pdf"}
    return payload


def _conf(value: float) -> dict[str, float]:
    return {"confidence": value, "extraction_confidence": value}


EXAMPLE_B = _based_on_a(
    "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    PAGES_AGENT,
    "PER_PAGE",
    {
        "type": "object",
        "properties": {
            "page_title": {"type": "string"},
            "revenue_musd": {"type": ["number", "null"]},
            "headcount": {"type": ["integer", "null"]},
        },
    },
    config={**_CONFIG_A, "cite_sources": False},
    data=[
        {"page_title": "Quarterly Highlights", "revenue_musd": 412.7, "headcount": None},
        {"page_title": "Segment Results", "revenue_musd": 398.1, "headcount": 2140},
        {"page_title": "Outlook", "revenue_musd": None, "headcount": None},
    ],
    extraction_metadata={
        "field_metadata": [
            {"page_title": _conf(0.97), "revenue_musd": _conf(0.91), "headcount": _conf(0.42)},
            {"page_title": _conf(0.98), "revenue_musd": _conf(0.88), "headcount": _conf(0.93)},
            {"page_title": _conf(0.96), "revenue_musd": _conf(0.35), "headcount": _conf(0.31)},
        ],
        "usage": {"num_pages_extracted": 3, "num_document_tokens": 4820, "num_output_tokens": 161},
    },
)


def _cited(page: int, text: str) -> dict[str, Any]:
    return {"citation": [{"page": page, "matching_text": text}]}


EXAMPLE_C = _based_on_a(
    "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
    ROWS_AGENT,
    "PER_TABLE_ROW",
    {
        "type": "object",
        "properties": {
            "sku": {"type": "string"},
            "description": {"type": "string"},
            "unit_price": {"type": "number"},
        },
    },
    config={**_CONFIG_A, "confidence_scores": False},
    data=[
        {"sku": "PAP-A4-5R", "description": "A4 copier paper, 5-ream box", "unit_price": 34.95},
        {"sku": "TON-TN660", "description": "Toner cartridge TN-660", "unit_price": 69.95},
        {"sku": "STP-26-6", "description": "Staples 26/6, 5000 pcs", "unit_price": 3.49},
    ],
    extraction_metadata={
        "field_metadata": [
            {
                "sku": _cited(2, "PAP-A4-5R"),
                "description": _cited(2, "A4 copier paper, 5-ream box"),
                "unit_price": _cited(2, "34.95"),
            },
            {
                "sku": _cited(2, "TON-TN660"),
                "description": _cited(2, "Toner cartridge TN-660"),
                "unit_price": _cited(2, "69.95"),
            },
            {
                "sku": _cited(3, "STP-26-6"),
                "description": _cited(3, "Staples 26/6, 5000 pcs"),
                "unit_price": _cited(3, "3.49"),
            },
        ],
        "usage": {"num_pages_extracted": 3, "num_document_tokens": 6034, "num_output_tokens": 298},
    },
)

EXAMPLE_D: dict[str, Any] = {
    "id": "0b7d3e5a-9f12-4c6e-a8b4-2d1f6e9c7a03",
    "created_at": "2025-06-12T15:10:04.220Z",
    "updated_at": "2025-06-12T15:11:37.058Z",
    "project_id": PROJECT,
    "extraction_agent_id": INVOICE_AGENT,
    "job_id": "5e8a2c6f-4d1b-4f7a-9e3c-6b0d8a2f1e47",
    "file_id": "a9c4e2b6-7f10-4d3a-8e5b-1c6f9d2a7b38",
    "file": None,
    "data_schema": {"type": "object", "properties": {"invoice_number": {"type": "string"}}},
    "config": {
        "extraction_target": "PER_DOC",
        "extraction_mode": "BALANCED",
        "cite_sources": False,
        "confidence_scores": False,
    },
    "status": "ERROR",
    "error": (
        "parsing_error: Error on parsing: Result for Parsing Job 3f6b9d21-8c4e-4a7f-b2d5-7e1a0c9f4b68"
        " not found. Check job status to see if it has completed."
    ),
    "data": None,
    "extraction_metadata": None,
    "from_ui": False,
}

_counter = iter(range(1, 1_000_000))


def make_run(
    data_schema: Any,
    data: Any,
    *,
    target: str = "PER_DOC",
    field_metadata: Any = None,
    status: str = "SUCCESS",
    run_id: str | None = None,
    agent_id: str = OWN_AGENT,
    **fields: Any,
) -> Run:
    """A run of our own with just what a test needs; ids are readable and unique."""
    number = next(_counter)
    payload: dict[str, Any] = {
        "id": run_id or f"00000000-0000-4000-8000-{number:012d}",
        "project_id": PROJECT,
        "extraction_agent_id": agent_id,
        "data_schema": data_schema,
        "config": {"extraction_target": target},
        "status": status,
        "from_ui": False,
        "created_at": "2025-06-12T10:00:00Z",
        "data": data,
        "extraction_metadata": None if field_metadata is None else {"field_metadata": field_metadata},
        **fields,
    }
    return v1_run(payload)


def v1_run(payload: dict[str, Any]) -> Run:
    """The normalised run of a v1 payload: validated as the client does, then translated."""
    return run_from_v1(ExtractRun.model_validate(payload))


def data_of(run: Run) -> dict[Any, Any]:
    """The run's data object, to damage in ways validation would refuse (non-string keys, sets)."""
    assert isinstance(run.data, dict)
    return run.data


def run_from(payload: dict[str, Any]) -> Run:
    """The normalised run of a copy of a v1 payload (see :func:`v1_run`)."""
    return v1_run(copy.deepcopy(payload))


def all_examples() -> list[Run]:
    """Examples A-D as normalised runs."""
    return [run_from(p) for p in (EXAMPLE_A, EXAMPLE_B, EXAMPLE_C, EXAMPLE_D)]


def obj(**properties: Any) -> dict[str, Any]:
    """A JSON Schema object with these properties."""
    return {"type": "object", "properties": properties}


def same_json(a: Any, b: Any) -> bool:
    """Strict JSON equality: same types too (1 != 1.0 != True), -0.0 != 0.0, NaN == NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return bool(a == b)
