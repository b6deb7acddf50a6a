"""v2 runs for the flattener's tests, built directly as normalised :class:`Run` values.

The v2 source (``run_from_v2``) maps the wire job to these; here the flattener's side is tested
alone. ``JOB_A`` is the invoice of the v2 sheet's example job (SDK 2.19.0 ``ExtractV2Job``):
nested object with sibling ``reasoning``, an array of objects, citations with boxes and page
dimensions, job-level usage and credits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from llamacloud_etl.flatten.metadata import v2_member
from llamacloud_etl.flatten.schema import LIST_TARGETS
from llamacloud_etl.run import JobFacts, Outcome, Run, RunConfig

from .payloads import PROJECT
from .strategies import schemas_with_documents

V2_AGENT = "cfg-7Q2M9X4KJ8"
_OUTCOMES = {"COMPLETED": Outcome.SUCCEEDED, "FAILED": Outcome.FAILED, "CANCELLED": Outcome.FAILED}
_counter = iter(range(1, 1_000_000))

FACTS_A = JobFacts(
    configuration_id=V2_AGENT,
    file_input="dfl-4f1e2a7c9b",
    tier="agentic",
    parse_tier="agentic",
    parse_job_id="pjb-8c2d4e6f1a",
    credits=30.0,
    extract_credits=15.0,
    parse_credits=15.0,
)


def make_v2_run(
    data_schema: Any,
    data: Any,
    *,
    target: str = "PER_DOC",
    field_metadata: Any = None,
    status: str = "COMPLETED",
    run_id: str | None = None,
    agent_id: str = V2_AGENT,
    cite_sources: bool | None = True,
    confidence_scores: bool | None = True,
    facts: JobFacts = FACTS_A,
    usage: dict[str, Any] | None = None,
    error: str | None = None,
) -> Run:
    """A v2 job as the v2 source would normalise it: upper-case target, the raw config's own words."""
    raw = {
        "data_schema": data_schema,
        "extraction_target": target.lower(),
        "tier": facts.tier,
        "cite_sources": cite_sources,
        "confidence_scores": confidence_scores,
    }
    return Run(
        id=run_id or f"ext-{next(_counter):010d}",
        agent_id=agent_id,
        status=status,
        outcome=_OUTCOMES.get(status, Outcome.UNFINISHED),
        config=RunConfig(
            target=target, cite_sources=cite_sources, confidence_scores=confidence_scores, raw=raw
        ),
        data_schema=data_schema,
        data=data,
        field_metadata=field_metadata,
        usage=usage if usage is not None else {"num_pages_billed": 2, "num_pages_extracted": 1},
        created_at=datetime(2026, 4, 14, 9, 30, tzinfo=UTC),
        updated_at=datetime(2026, 4, 14, 9, 31, tzinfo=UTC),
        project_id=PROJECT,
        error=error,
        api_version="v2",
        job_facts=facts,
    )


def _cite(page: int, text: str, box: tuple[float, float, float, float] | None = None) -> dict[str, Any]:
    citation: dict[str, Any] = {"page": page, "matching_text": text}
    if box is not None:
        citation["bounding_boxes"] = [dict(zip("xywh", box, strict=True))]
        citation["page_dimensions"] = {"width": 612, "height": 792}
    return citation


def _entry(c: float, e: float, p: float, *citations: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "confidence": c,
        "extraction_confidence": e,
        "parsing_confidence": p,
        "citation": list(citations),
        **extra,
    }


SCHEMA_A: dict[str, Any] = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "vendor": {"type": "object", "properties": {"name": {"type": "string"}}},
        "line_items": {
            "type": "array",
            "items": {"type": "object", "properties": {"amount": {"type": "number"}}},
        },
    },
}
DATA_A: dict[str, Any] = {
    "invoice_number": "INV-2026-0412",
    "vendor": {"name": "Northwind Office Supply"},
    "line_items": [{"amount": 419.4}],
}
FIELD_METADATA_A: dict[str, Any] = {
    "document_metadata": {
        "invoice_number": _entry(
            0.993,
            0.995,
            0.998,
            _cite(1, "Invoice No. INV-2026-0412", (402.1, 71.6, 151.3, 12.4)),
            reasoning="VERBATIM EXTRACTION",
        ),
        "vendor": {
            "name": _entry(0.981, 0.984, 0.997, _cite(1, "Northwind Office Supply")),
            "reasoning": "VERBATIM EXTRACTION",
        },
        "line_items": [{"amount": _entry(0.962, 0.963, 0.999, _cite(1, "$419.40"))}],
    },
    "page_metadata": None,
    "row_metadata": None,
}


def job_a(**fields: Any) -> Run:
    """The sheet's example job, completed, as a normalised run."""
    return make_v2_run(SCHEMA_A, DATA_A, field_metadata=FIELD_METADATA_A, run_id="ext-a1b2c3d4e5", **fields)


# -- generated v2 payloads, in the form the API sends (see flatten.rebuild_metadata) ----------------

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
_NOTE_TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\n"), min_size=1, max_size=8
)
_FINITE = st.floats(allow_nan=False, allow_infinity=False)
_BOX = st.fixed_dictionaries(dict.fromkeys("xywh", _FINITE))
_SIZE = st.integers(min_value=0, max_value=5000) | _FINITE.filter(lambda v: not v.is_integer())
_CITATION = st.fixed_dictionaries(
    {},
    optional={
        "page": st.integers(min_value=-(2**63), max_value=2**63 - 1),
        "matching_text": _TEXT,
        "bounding_boxes": st.lists(_BOX, max_size=2),
        "page_dimensions": st.fixed_dictionaries({"width": _SIZE, "height": _SIZE}),
    },
)
_NOT_FIELDS = {"reasoning", "error", "confidence", "extraction_confidence", "parsing_confidence", "citation"}
_FLAGS = st.sampled_from([(True, True), (True, False), (False, True)])  # (cite_sources, confidence_scores)


def _leaf(draw: st.DrawFn, flags: tuple[bool, bool]) -> dict[str, Any]:
    cite, scores = flags
    entry: dict[str, Any] = {}
    if scores:
        keys = draw(st.lists(st.sampled_from(_SCORE_KEYS), min_size=0 if cite else 1, unique=True))
        entry.update({key: draw(_FINITE) for key in keys})
    if draw(st.booleans()):
        entry["reasoning"] = draw(_TEXT)
    if cite:
        entry["citation"] = draw(st.lists(_CITATION, max_size=3))  # empty lists included
    return entry


_SCORE_KEYS = ("confidence", "extraction_confidence", "parsing_confidence")


def _mirror(draw: st.DrawFn, value: Any, flags: tuple[bool, bool]) -> Any:
    """An entry mirroring ``value``: objects and arrays entry by entry, anything else (or empty) a leaf."""
    if isinstance(value, dict) and value and not (_NOT_FIELDS & value.keys()):
        entry = {key: _mirror(draw, item, flags) for key, item in value.items()}
        if draw(st.booleans()):
            entry["reasoning"] = draw(_TEXT)  # a nested object's (or array item's) sibling reasoning
        return entry
    if isinstance(value, list) and value:
        return [_mirror(draw, item, flags) for item in value]
    return _leaf(draw, flags)


def _root(draw: st.DrawFn, record: Any, flags: tuple[bool, bool]) -> dict[str, Any]:
    """A record's metadata: its fields' entries, maybe a root reasoning and a root error."""
    fields = record if isinstance(record, dict) else {}
    root = {key: _mirror(draw, item, flags) for key, item in fields.items()}
    for note in ("reasoning", "error"):
        if note not in root and draw(st.booleans()):
            root[note] = draw(_NOTE_TEXT)
    return root


@st.composite
def v2_jobs(draw: st.DrawFn) -> Run:
    """A completed v2 job for any of the three targets, with field metadata mirroring its result."""
    schema, target, data = draw(schemas_with_documents())
    flags = draw(_FLAGS)
    records = data if isinstance(data, list) else [data]
    roots = [_root(draw, record, flags) for record in records]
    meta: dict[str, Any] = dict.fromkeys(("document_metadata", "page_metadata", "row_metadata"))
    meta[v2_member(target)] = roots if target in LIST_TARGETS else roots[0]
    return make_v2_run(
        schema, data, target=target, field_metadata=meta, cite_sources=flags[0], confidence_scores=flags[1]
    )
