"""field_metadata: one row per (leaf field, citation), linked to the row that holds the field."""

from __future__ import annotations

from typing import Any

import pytest

from llamacloud_etl.flatten import FIELD_METADATA_SCHEMA, flatten_batch, flatten_run

from .payloads import EXAMPLE_A, FETCHED_AT, make_run, obj, run_from

STR: dict[str, Any] = {"type": "string"}


def _meta(schema: Any, data: Any, field_metadata: Any, target: str = "PER_DOC") -> list[dict[str, Any]]:
    run = make_run(schema, data, field_metadata=field_metadata, target=target, run_id="r")
    return flatten_run(run).field_metadata.to_pylist()


def _leaves(entry: Any, path: str = "") -> list[str]:
    """Paths of every leaf entry of a field_metadata object, in the flattener's notation."""
    if isinstance(entry, list):
        return [p for i, e in enumerate(entry) for p in _leaves(e, f"{path}[{i}]")]
    if not isinstance(entry, dict):
        return []
    if {"confidence", "extraction_confidence", "parsing_confidence", "citation"} & entry.keys():
        return [path]
    return [p for k, e in entry.items() for p in _leaves(e, f"{path}.{k}" if path else k)]


def test_every_leaf_of_example_a_has_a_row_with_its_data_row() -> None:
    """Every leaf of example A appears in field_metadata, linked to the row holding the field."""
    run = run_from(EXAMPLE_A)
    rows = flatten_run(run).field_metadata.to_pylist()
    expected = _leaves(EXAMPLE_A["extraction_metadata"]["field_metadata"])
    assert [r["field_path"] for r in rows] == expected
    for row in rows:
        path = row["field_path"]
        holder = f"{run.id}/0/{path.split('.')[0]}" if path.startswith("line_items") else f"{run.id}/0"
        assert row["data_row_id"] == holder, path


def test_data_row_ids_exist_in_the_tables() -> None:
    """Every data_row_id of a batch is the _row_id of a landed record or child row."""
    run = run_from(EXAMPLE_A)
    batch = flatten_batch([run], fetched_at=FETCHED_AT)
    row_ids = {r for t in batch.agents[run.agent_id].tables.values() for r in t.column("_row_id").to_pylist()}
    assert set(batch.field_metadata.column("data_row_id").to_pylist()) <= row_ids


def test_citation_fields() -> None:
    """A citation gives page, matching text, bounding boxes and page size; several give several rows."""
    entry = {
        "confidence": 0.9,
        "citation": [
            {
                "page": 2,
                "matching_text": "Total",
                "bounding_boxes": [{"x": 1, "y": 2.5, "w": 3, "h": 4}],
                "page_dimensions": {"width": 612, "height": 792},
            },
            {"page": 3, "matching_text": "again"},
        ],
    }
    rows = _meta(obj(total=STR), {"total": "x"}, {"total": entry})
    assert [(r["citation_index"], r["page"], r["matching_text"]) for r in rows] == [
        (0, 2, "Total"),
        (1, 3, "again"),
    ]
    assert rows[0]["bounding_boxes"] == [{"x": 1.0, "y": 2.5, "w": 3.0, "h": 4.0}]
    assert (rows[0]["page_width"], rows[0]["page_height"]) == (612.0, 792.0)
    assert (rows[1]["bounding_boxes"], rows[1]["page_width"]) == (None, None)


def test_leaf_without_citation_gets_one_row() -> None:
    """A leaf with scores but no citation gives one row with a null citation_index."""
    rows = _meta(
        obj(a=STR),
        {"a": "x"},
        {"a": {"confidence": 0.5, "parsing_confidence": 0.7, "reasoning": "VERBATIM EXTRACTION"}},
    )
    assert len(rows) == 1
    row = rows[0]
    assert (
        row["citation_index"],
        row["confidence"],
        row["parsing_confidence"],
        row["extraction_confidence"],
    ) == (None, 0.5, 0.7, None)
    assert row["reasoning"] == "VERBATIM EXTRACTION"


def test_object_reasoning_gets_a_row_for_the_object() -> None:
    """A nested object's sibling reasoning gives a row for the object path with only reasoning."""
    rows = _meta(
        obj(vendor=obj(name=STR)),
        {"vendor": {"name": "A"}},
        {"vendor": {"reasoning": "header", "name": {"confidence": 1}}},
    )
    assert [(r["field_path"], r["reasoning"], r["confidence"]) for r in rows] == [
        ("vendor", "header", None),
        ("vendor.name", None, 1.0),
    ]


def test_root_reasoning_and_error_go_to_runs() -> None:
    """Root reasoning/error strings are not fields: they land on the runs row."""
    run = make_run(
        obj(a=STR),
        {"a": "x"},
        field_metadata={"reasoning": "why", "error": "partial", "a": {"confidence": 1.0}},
    )
    batch = flatten_batch([run], fetched_at=FETCHED_AT)
    assert batch.field_metadata.column("field_path").to_pylist() == ["a"]
    runs = batch.runs.to_pylist()[0]
    assert (runs["metadata_reasoning"], runs["metadata_error"]) == ("why", "partial")


def test_field_named_reasoning_is_a_field() -> None:
    """A data field called reasoning (an entry object, not a string) is a field like any other."""
    rows = _meta(obj(reasoning=STR), {"reasoning": "x"}, {"reasoning": {"confidence": 0.4}})
    assert [(r["field_path"], r["confidence"]) for r in rows] == [("reasoning", 0.4)]


def test_list_metadata_aligns_with_records() -> None:
    """A list field_metadata gives rows per record index, linked to each record."""
    fm = [{"a": {"confidence": 0.1}}, {"a": {"confidence": 0.2}, "reasoning": "page two"}]
    run = make_run(obj(a=STR), [{"a": "x"}, {"a": "y"}], field_metadata=fm, target="PER_PAGE", run_id="r")
    batch = flatten_batch([run], fetched_at=FETCHED_AT)
    rows = batch.field_metadata.to_pylist()
    assert [(r["record_index"], r["data_row_id"], r["confidence"]) for r in rows] == [
        (0, "r/0", 0.1),
        (1, "r/1", 0.2),
    ]
    assert batch.runs.column("metadata_reasoning").to_pylist() == ["[1] page two"]


def test_object_metadata_for_one_page() -> None:
    """An object field_metadata for a one-record list belongs to that record."""
    rows = _meta(obj(a=STR), [{"a": "x"}], {"a": {"confidence": 0.3}}, target="PER_PAGE")
    assert [(r["record_index"], r["data_row_id"]) for r in rows] == [(0, "r/0")]


def test_object_metadata_for_many_pages_is_unattributed() -> None:
    """An object field_metadata for several records keeps its rows with null record and row."""
    rows = _meta(obj(a=STR), [{"a": "x"}, {"a": "y"}], {"a": {"confidence": 0.3}}, target="PER_PAGE")
    assert [(r["field_path"], r["record_index"], r["data_row_id"]) for r in rows] == [("a", None, None)]


def test_scalar_list_items_point_to_the_record() -> None:
    """Metadata per item of a scalar list is tags[i], held by the record row."""
    rows = _meta(
        obj(tags={"type": "array", "items": STR}),
        {"tags": ["a", "b"]},
        {"tags": [{"confidence": 1}, {"confidence": 0}]},
    )
    assert [(r["field_path"], r["data_row_id"]) for r in rows] == [("tags[0]", "r/0"), ("tags[1]", "r/0")]


def test_metadata_beyond_the_data_has_no_row_id() -> None:
    """Metadata for an array item the data does not have keeps its row, with a null data_row_id."""
    schema = obj(items={"type": "array", "items": obj(x=STR)})
    rows = _meta(
        schema, {"items": [{"x": "a"}]}, {"items": [{"x": {"confidence": 1}}, {"x": {"confidence": 1}}]}
    )
    assert [r["data_row_id"] for r in rows] == ["r/0/items[0]", None]


def test_array_as_json_text_points_to_the_record() -> None:
    """Items of an array stored as JSON text (no child table) are held by the record row."""
    schema = obj(m={"type": "array", "items": {"type": "array", "items": STR}})
    rows = _meta(schema, {"m": [["a"]]}, {"m": [{"confidence": 0.5}]})
    assert [(r["field_path"], r["data_row_id"]) for r in rows] == [("m[0]", "r/0")]


@pytest.mark.parametrize(
    "field_metadata",
    [
        pytest.param("not metadata", id="string"),
        pytest.param(42, id="number"),
        pytest.param({"a": "text", "b": 3, "c": None}, id="scalar-entries"),
        pytest.param(
            {"a": {"confidence": "high", "citation": [{"page": "one", "bounding_boxes": "none"}, 7]}},
            id="wrong-types",
        ),
        pytest.param(
            {"a": {"confidence": True, "citation": {"page": 1.0, "matching_text": 5}}},
            id="bools-and-single-citation",
        ),
        pytest.param({"a": {"citation": [{"page": 2**70}]}}, id="page-beyond-int64"),
        pytest.param({"a": {"confidence": 10**400}}, id="score-beyond-float"),
    ],
)
def test_garbage_metadata_never_fails(field_metadata: Any) -> None:
    """Metadata of the wrong shape or types is skipped or nulled, never an error."""
    rows = _meta(obj(a=STR), {"a": "x"}, field_metadata)
    assert all(set(r) == set(FIELD_METADATA_SCHEMA.names) for r in rows)


def test_wrong_typed_scores_become_null() -> None:
    """A string confidence is null; a single citation object counts as a one-item list."""
    rows = _meta(
        obj(a=STR),
        {"a": "x"},
        {"a": {"confidence": "high", "extraction_confidence": 0.5, "citation": {"page": 1.0}}},
    )
    assert [(r["confidence"], r["extraction_confidence"], r["page"], r["citation_index"]) for r in rows] == [
        (None, 0.5, 1, 0)
    ]
