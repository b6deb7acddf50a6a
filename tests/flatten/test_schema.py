"""Column types come from the JSON Schema (the rules of flatten.schema), never from the values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from llamacloud_etl.flatten import MAX_DEPTH, flatten_batch, table_schemas_for
from llamacloud_etl.flatten.schema import schema_hash

from .payloads import make_run, obj

STR: dict[str, Any] = {"type": "string"}

S, INT64, F, B = pa.string(), pa.int64(), pa.float64(), pa.bool_()


@pytest.mark.parametrize(
    ("field_schema", "arrow_type"),
    [
        pytest.param({"type": "string"}, S, id="string"),
        pytest.param({"type": "string", "format": "date-time"}, S, id="date-time-stays-text"),
        pytest.param({"type": "integer"}, INT64, id="integer"),
        pytest.param({"type": "number"}, F, id="number"),
        pytest.param({"type": "boolean"}, B, id="boolean"),
        pytest.param({"type": ["integer", "null"]}, INT64, id="type-list-with-null"),
        pytest.param({"type": ["null", "number"]}, F, id="type-list-null-first"),
        pytest.param({"anyOf": [{"type": "string"}, {"type": "null"}]}, S, id="anyOf-with-null"),
        pytest.param({"oneOf": [{"type": "null"}, {"type": "boolean"}]}, B, id="oneOf-with-null"),
        pytest.param({"anyOf": [{"type": "integer"}, {"type": "number"}]}, F, id="integer-or-number"),
        pytest.param({"type": ["integer", "number"]}, F, id="type-list-integer-number"),
        pytest.param({"anyOf": [{"type": "integer"}, {"type": "string"}]}, S, id="union-is-json-text"),
        pytest.param({"type": ["string", "integer"]}, S, id="type-list-union-is-json-text"),
        pytest.param({"enum": ["EUR", "USD"]}, S, id="string-enum"),
        pytest.param({"enum": ["EUR", "USD", None]}, S, id="nullable-enum"),
        pytest.param({"enum": [1, 2, 3]}, INT64, id="int-enum"),
        pytest.param({"enum": [1, 2.5]}, F, id="number-enum"),
        pytest.param({"enum": [True]}, B, id="bool-enum"),
        pytest.param({"enum": [1, "a"]}, S, id="mixed-enum-is-json-text"),
        pytest.param({"const": "fixed"}, S, id="const"),
        pytest.param({"type": "string", "enum": ["a"]}, S, id="typed-enum"),
        pytest.param({"type": "object"}, S, id="free-object-is-json-text"),
        pytest.param(
            {"type": "object", "additionalProperties": {"type": "number"}}, S, id="map-is-json-text"
        ),
        pytest.param({"type": "array", "items": {"type": "string"}}, pa.list_(S), id="list-of-strings"),
        pytest.param({"type": "array", "items": {"type": "integer"}}, pa.list_(INT64), id="list-of-ints"),
        pytest.param(
            {"type": "array", "items": {"type": ["number", "null"]}}, pa.list_(F), id="list-of-nullable"
        ),
        pytest.param({"type": "array", "items": {"enum": ["a", "b"]}}, pa.list_(S), id="list-of-enum"),
        pytest.param(
            {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
            S,
            id="array-of-arrays",
        ),
        pytest.param({"type": "array"}, S, id="array-without-items"),
        pytest.param({"type": "array", "items": [{"type": "string"}]}, S, id="tuple-items"),
        pytest.param({"type": "array", "items": {"type": ["string", "integer"]}}, S, id="array-of-unions"),
        pytest.param({}, S, id="empty-schema"),
        pytest.param({"type": "null"}, S, id="null-only"),
        pytest.param({"type": "weird"}, S, id="unknown-type"),
        pytest.param({"properties": {"x": {"type": "string"}}}, None, id="untyped-object-flattens"),
    ],
)
def test_leaf_type(field_schema: dict[str, Any], arrow_type: pa.DataType | None) -> None:
    """A field's column type follows its schema."""
    records = table_schemas_for(obj(f=field_schema), "PER_DOC")["records"]
    if arrow_type is None:
        assert records.field("f__x").type == S
    else:
        assert records.field("f").type == arrow_type


@pytest.mark.parametrize("defs_key", ["$defs", "definitions"])
def test_ref_is_resolved(defs_key: str) -> None:
    """$ref into $defs or definitions flattens the referenced object."""
    schema = {
        "type": "object",
        "properties": {"vendor": {"$ref": f"#/{defs_key}/Vendor"}},
        defs_key: {"Vendor": obj(name={"type": "string"}, size={"type": "integer"})},
    }
    records = table_schemas_for(schema, "PER_DOC")["records"]
    assert records.field("vendor__name").type == S
    assert records.field("vendor__size").type == INT64


def test_nullable_ref_through_anyof() -> None:
    """The pydantic shape anyOf [$ref, null] flattens like the referenced object."""
    schema = {
        "type": "object",
        "properties": {"a": {"anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}], "default": None}},
        "$defs": {"A": obj(x={"type": "number"})},
    }
    assert table_schemas_for(schema, "PER_DOC")["records"].field("a__x").type == F


def test_ref_siblings_override_target() -> None:
    """Keys next to $ref override the referenced schema's keys."""
    schema = {
        "type": "object",
        "properties": {"n": {"$ref": "#/$defs/N", "type": "integer"}},
        "$defs": {"N": {"type": "string"}},
    }
    assert table_schemas_for(schema, "PER_DOC")["records"].field("n").type == INT64


def test_recursive_ref_becomes_json_text() -> None:
    """A $ref cycle (a tree of sections) stops at the first repeat, as JSON text."""
    schema = {
        "$ref": "#/$defs/Section",
        "$defs": {
            "Section": obj(
                title={"type": "string"}, children={"type": "array", "items": {"$ref": "#/$defs/Section"}}
            )
        },
    }
    tables = table_schemas_for(schema, "PER_DOC")
    assert tables["records"].field("title").type == S
    assert tables["records"].field("children").type == S


def test_unresolvable_ref_is_json_text() -> None:
    """A $ref to nowhere (or outside the document) is stored as JSON text."""
    schema = obj(a={"$ref": "#/$defs/Missing"}, b={"$ref": "https://example.com/schema.json"})
    records = table_schemas_for(schema, "PER_DOC")["records"]
    assert (records.field("a").type, records.field("b").type) == (S, S)


def test_all_of_merges_object_parts() -> None:
    """allOf with several object parts flattens their merged properties."""
    schema = obj(p={"allOf": [obj(a={"type": "integer"}), {"$ref": "#/$defs/B"}]})
    schema["$defs"] = {"B": obj(b={"type": "boolean"})}
    records = table_schemas_for(schema, "PER_DOC")["records"]
    assert (records.field("p__a").type, records.field("p__b").type) == (INT64, B)


def test_all_of_single_part() -> None:
    """allOf with a single part (older pydantic's way to describe a $ref) is that part."""
    schema = obj(p={"allOf": [{"$ref": "#/$defs/B"}], "description": "a B"})
    schema["$defs"] = {"B": obj(b={"type": "integer"})}
    assert table_schemas_for(schema, "PER_DOC")["records"].field("p__b").type == INT64


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        node = obj(n=node)
    return node


def test_depth_limit_turns_deep_objects_into_json_text() -> None:
    """Objects up to MAX_DEPTH levels flatten; one level deeper is JSON text."""
    names = table_schemas_for(_nested(MAX_DEPTH + 3), "PER_DOC")["records"].names
    deepest = next(n for n in names if n.startswith("n"))
    assert deepest == "__".join(["n"] * (MAX_DEPTH + 1))


@pytest.mark.parametrize("target", ["PER_PAGE", "PER_TABLE_ROW"])
def test_list_target_schema_describes_one_record(target: str) -> None:
    """For PER_PAGE/PER_TABLE_ROW the schema is one record; an array schema's items are used."""
    record = obj(sku={"type": "string"})
    assert table_schemas_for(record, target)["records"].field("sku").type == S
    wrapped = {"type": "array", "items": record}
    assert table_schemas_for(wrapped, target)["records"].field("sku").type == S


def test_non_object_root_gives_bookkeeping_columns_only() -> None:
    """A root schema that is not an object with properties gives a records table without data columns."""
    assert table_schemas_for({"type": "string"}, "PER_DOC")["records"].names == [
        "run_id",
        "record_index",
        "_row_id",
        "_shape",
        "_extra",
    ]


def test_all_null_column_keeps_schema_type() -> None:
    """A column whose values are all null still has the schema's type."""
    schema = obj(n={"type": "integer"}, tags={"type": "array", "items": {"type": "string"}})
    run = make_run(schema, {"n": None, "tags": None})
    records = flatten_batch([run], fetched_at=datetime(2025, 1, 1, tzinfo=UTC)).agents[run.agent_id]
    table = records.tables["records"]
    assert (table.schema.field("n").type, table.schema.field("tags").type) == (INT64, pa.list_(S))


def test_schema_hash_ignores_key_order() -> None:
    """The data_schema_hash is the same for the same schema written in another key order."""
    assert schema_hash({"type": "object", "properties": {"a": STR}}) == schema_hash(
        {"properties": {"a": STR}, "type": "object"}
    )
