"""v2 field metadata: ``document_metadata``/``page_metadata``/``row_metadata`` land in field_metadata."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from llamacloud_etl.flatten import flatten_batch, flatten_run

from .payloads import FETCHED_AT, obj
from .v2runs import job_a, make_v2_run

STR: dict[str, Any] = {"type": "string"}
ROW_SCHEMA = obj(name=STR)


def _container(member: str, value: Any) -> dict[str, Any]:
    return {"document_metadata": None, "page_metadata": None, "row_metadata": None, member: value}


def _entry(confidence: float, page: int = 1) -> dict[str, Any]:
    return {"confidence": confidence, "citation": [{"page": page, "matching_text": "x"}]}


def test_document_metadata_of_the_sheet_example() -> None:
    """Leaves, a nested object's sibling reasoning and array items land with their rows and pages."""
    run = job_a()
    rows = flatten_run(run).field_metadata.to_pylist()
    got = [(r["field_path"], r["data_row_id"], r["confidence"], r["reasoning"], r["page"]) for r in rows]
    assert got == [
        ("invoice_number", f"{run.id}/0", 0.993, "VERBATIM EXTRACTION", 1),
        ("vendor.name", f"{run.id}/0", 0.981, None, 1),
        ("vendor", f"{run.id}/0", None, "VERBATIM EXTRACTION", None),
        ("line_items[0].amount", f"{run.id}/0/line_items[0]", 0.962, None, 1),
    ]
    assert (rows[0]["page_width"], rows[0]["page_height"], rows[0]["bounding_boxes"]) == (
        612.0,
        792.0,
        [{"x": 402.1, "y": 71.6, "w": 151.3, "h": 12.4}],
    )
    assert {r["record_index"] for r in rows} == {0}


@pytest.mark.parametrize(
    ("target", "member"),
    [
        pytest.param("PER_PAGE", "page_metadata", id="per-page"),
        pytest.param("PER_TABLE_ROW", "row_metadata", id="per-table-row"),
    ],
)
def test_list_members_belong_to_their_records(target: str, member: str) -> None:
    """Item i of page_metadata / row_metadata gives rows of record i; item errors go to runs."""
    meta = _container(member, [{"name": _entry(0.5)}, {"name": _entry(0.7, 2), "error": "no table"}])
    run = make_v2_run(ROW_SCHEMA, [{"name": "a"}, {"name": "b"}], target=target, field_metadata=meta)
    batch = flatten_batch([run], fetched_at=FETCHED_AT)
    rows = batch.field_metadata.to_pylist()
    assert [(r["record_index"], r["field_path"], r["data_row_id"], r["page"]) for r in rows] == [
        (0, "name", f"{run.id}/0", 1),
        (1, "name", f"{run.id}/1", 2),
    ]
    assert batch.runs.column("metadata_error").to_pylist() == ["[1] no table"]


def test_root_error_of_document_metadata_goes_to_runs() -> None:
    """A root error string of document_metadata is no field: it lands in runs.metadata_error."""
    meta = _container("document_metadata", {"name": _entry(0.9), "error": "citations failed"})
    batch = flatten_batch(
        [make_v2_run(ROW_SCHEMA, {"name": "a"}, field_metadata=meta)], fetched_at=FETCHED_AT
    )
    assert batch.field_metadata.column("field_path").to_pylist() == ["name"]
    assert batch.runs.column("metadata_error").to_pylist() == ["citations failed"]


def test_metadata_under_another_member_is_read() -> None:
    """When the target's member is null, the first member that is not is read."""
    meta = _container("page_metadata", [{"name": _entry(0.4)}])
    run = make_v2_run(ROW_SCHEMA, {"name": "a"}, field_metadata=meta)
    rows = flatten_run(run).field_metadata.to_pylist()
    assert [(r["record_index"], r["field_path"], r["confidence"]) for r in rows] == [(0, "name", 0.4)]


@pytest.mark.parametrize(
    "field_metadata",
    [
        pytest.param(None, id="none"),
        pytest.param(_container("document_metadata", None), id="all-null"),
        pytest.param([{"name": {"confidence": 0.5}}], id="not-a-container"),
        pytest.param({"name": {"confidence": 0.5}}, id="v1-shape"),
    ],
)
def test_v2_metadata_without_a_member_gives_no_rows(field_metadata: Any) -> None:
    """v2 metadata that is not a container with a member gives no rows and no notes."""
    run = make_v2_run(ROW_SCHEMA, {"name": "a"}, field_metadata=field_metadata)
    batch = flatten_batch([run], fetched_at=FETCHED_AT)
    assert batch.field_metadata.num_rows == 0
    assert batch.runs.select(["metadata_reasoning", "metadata_error"]).to_pylist() == [
        {"metadata_reasoning": None, "metadata_error": None}
    ]


def test_v1_metadata_is_read_as_before() -> None:
    """A v1 run's field_metadata is the root itself, even if it has a key named like a v2 member."""
    meta = {"document_metadata": _entry(0.3)}
    run = make_v2_run(obj(document_metadata=STR), {"document_metadata": "a"}, field_metadata=meta)
    v1 = flatten_run(replace(run, api_version="v1")).field_metadata.to_pylist()
    assert [(r["field_path"], r["confidence"]) for r in v1] == [("document_metadata", 0.3)]
