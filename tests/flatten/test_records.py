"""Records and child tables: row IDs, off-schema values, shapes that the columns alone cannot show."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llamacloud_etl.flatten import FlattenError, flatten_run, rebuild_data

from .payloads import data_of, make_run, obj, same_json

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
NUM: dict[str, Any] = {"type": "number"}


def _records(schema: dict[str, Any], data: Any, target: str = "PER_DOC") -> list[dict[str, Any]]:
    return flatten_run(make_run(schema, data, target=target)).tables["records"].to_pylist()


def _round_trip(schema: dict[str, Any], data: Any, target: str = "PER_DOC") -> Any:
    run = make_run(schema, data, target=target)
    return rebuild_data(run.id, flatten_run(run).tables, schema, target)


def test_row_ids_are_readable_paths() -> None:
    """Record rows are <run>/<index>; child rows extend the parent's ID with field[idx]."""
    schema = obj(items={"type": "array", "items": obj(taxes={"type": "array", "items": obj(rate=NUM)})})
    run = make_run(schema, {"items": [{"taxes": []}, {"taxes": [{"rate": 0.2}]}]}, run_id="r")
    tables = flatten_run(run).tables
    assert tables["records"].column("_row_id").to_pylist() == ["r/0"]
    items = tables["records__items"].to_pylist()
    assert [(i["_row_id"], i["_parent_row_id"], i["_idx"]) for i in items] == [
        ("r/0/items[0]", "r/0", 0),
        ("r/0/items[1]", "r/0", 1),
    ]
    taxes = tables["records__items__taxes"].to_pylist()
    assert [(t["_row_id"], t["_parent_row_id"]) for t in taxes] == [("r/0/items[1]/taxes[0]", "r/0/items[1]")]


def test_child_of_nested_object_uses_dotted_field_path() -> None:
    """An array under an object gets a row ID with the object path joined by dots."""
    schema = obj(vendor=obj(contacts={"type": "array", "items": obj(email=STR)}))
    run = make_run(schema, {"vendor": {"contacts": [{"email": "a@b.test"}]}}, run_id="r")
    rows = flatten_run(run).tables["records__vendor__contacts"].to_pylist()
    assert rows[0]["_row_id"] == "r/0/vendor.contacts[0]"


@pytest.mark.parametrize(
    ("target", "data", "indexes"),
    [
        pytest.param("PER_DOC", {"a": "x"}, [0], id="per-doc-object"),
        pytest.param("PER_PAGE", [{"a": "x"}, {"a": "y"}], [0, 1], id="per-page-list"),
        pytest.param("PER_TABLE_ROW", [{"a": "x"}] * 3, [0, 1, 2], id="per-row-list"),
        pytest.param("PER_DOC", [{"a": "x"}, {"a": "y"}], [0, 1], id="per-doc-given-a-list"),
        pytest.param("PER_PAGE", {"a": "x"}, [0], id="per-page-given-an-object"),
        pytest.param("PER_PAGE", None, [], id="null-data"),
    ],
)
def test_records_per_target(target: str, data: Any, indexes: list[int]) -> None:
    """An object is one record; a list gives one record per item, whatever the target."""
    rows = _records(obj(a=STR), data, target)
    assert [r["record_index"] for r in rows] == indexes


@pytest.mark.parametrize(
    ("field_schema", "value"),
    [
        pytest.param(INT, "12", id="string-in-integer"),
        pytest.param(INT, True, id="bool-in-integer"),
        pytest.param(INT, 2.0, id="float-in-integer"),
        pytest.param(INT, 2**63, id="beyond-int64"),
        pytest.param(NUM, False, id="bool-in-number"),
        pytest.param(NUM, 10**400, id="integer-beyond-float"),
        pytest.param(NUM, 2**53 + 1, id="integer-not-exact-as-float"),
        pytest.param(STR, 5, id="int-in-string"),
        pytest.param(STR, {"a": 1}, id="object-in-string"),
        pytest.param(STR, "\ud800", id="lone-surrogate"),
        pytest.param({"type": "boolean"}, "yes", id="string-in-boolean"),
        pytest.param(obj(x=STR), "flat", id="scalar-for-object"),
        pytest.param(obj(x=STR), [1], id="list-for-object"),
        pytest.param({"type": "array", "items": INT}, [1, "2"], id="bad-item-in-int-list"),
        pytest.param({"type": "array", "items": STR}, "not a list", id="scalar-for-list"),
        pytest.param({"type": "array", "items": obj(x=STR)}, {"x": "a"}, id="object-for-array-of-objects"),
    ],
)
def test_off_schema_value_kept_in_extra(field_schema: dict[str, Any], value: Any) -> None:
    """A value its column cannot hold exactly goes to _extra under its key and is counted."""
    run = make_run(obj(f=field_schema), {"f": value})
    flat = flatten_run(run)
    row = flat.tables["records"].to_pylist()[0]
    assert flat.off_schema_values == 1
    assert same_json(json.loads(row["_extra"]), {"f": value})
    assert same_json(rebuild_data(run.id, flat.tables, run.data_schema, "PER_DOC"), {"f": value})


def test_unexpected_keys_kept_in_extra_at_their_depth() -> None:
    """Keys missing from the schema land in _extra, nested under their object's keys."""
    row = _records(obj(vendor=obj(city=STR)), {"vendor": {"city": "Lyon", "zip": "69001"}, "note": None})[0]
    assert json.loads(row["_extra"]) == {"vendor": {"zip": "69001"}, "note": None}
    assert row["vendor__city"] == "Lyon"


def test_in_schema_row_has_null_extra_and_shape() -> None:
    """A record that matches its schema has null _extra and _shape."""
    row = _records(
        obj(a=STR, n=INT, x=NUM, items={"type": "array", "items": obj(b=STR)}),
        {"a": "x", "n": 1, "x": 1.5, "items": []},
    )[0]
    assert (row["_extra"], row["_shape"]) == (None, None)


def test_integer_in_number_column_is_float_with_marker() -> None:
    """An integer in a number field is stored as float64, marked int, and rebuilt as int."""
    row = _records(obj(total=NUM), {"total": 629})[0]
    assert (row["total"], json.loads(row["_shape"])) == (629.0, {"total": "int"})
    assert same_json(_round_trip(obj(total=NUM), {"total": 629}), {"total": 629})


def test_number_list_marks_integer_positions() -> None:
    """A number list remembers which items were integers."""
    schema = obj(xs={"type": "array", "items": NUM})
    assert json.loads(_records(schema, {"xs": [1, 2]})[0]["_shape"]) == {"xs": "int"}
    assert json.loads(_records(schema, {"xs": [1.5, 2, None]})[0]["_shape"]) == {"xs": [1]}
    assert same_json(_round_trip(schema, {"xs": [1.5, 2, None, 3]}), {"xs": [1.5, 2, None, 3]})


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"v": None}, id="object-null"),
        pytest.param({"v": {}}, id="object-empty"),
        pytest.param({}, id="object-missing"),
        pytest.param({"v": {"a": None}}, id="object-with-null-field"),
        pytest.param({"items": None}, id="array-null"),
        pytest.param({"items": []}, id="array-empty"),
        pytest.param({"items": [None, {}]}, id="array-null-and-empty-items"),
        pytest.param({"tags": None}, id="list-null"),
        pytest.param({"tags": []}, id="list-empty"),
        pytest.param({"tags": [None]}, id="list-of-null"),
        pytest.param({"n": None}, id="scalar-null"),
        pytest.param({"j": None}, id="json-null"),
        pytest.param({"j": {}}, id="json-empty-object"),
    ],
)
def test_null_missing_and_empty_round_trip(data: dict[str, Any]) -> None:
    """null, a missing key and an empty container each come back as they were."""
    schema = obj(
        v=obj(a=STR, b=obj(c=INT)),
        items={"type": "array", "items": obj(x=STR)},
        tags={"type": "array", "items": STR},
        n=INT,
        j={"type": "object"},
    )
    assert same_json(_round_trip(schema, data), data)


def test_json_text_column_keeps_key_order_and_types() -> None:
    """A JSON text column holds compact JSON with the original key order, ints and floats."""
    row = _records(obj(meta={"type": "object"}), {"meta": {"z": 1, "a": 1.0, "m": [True, None]}})[0]
    assert row["meta"] == '{"z":1,"a":1.0,"m":[true,null]}'


def test_non_object_record_is_kept_raw() -> None:
    """A record that is not an object is kept whole in _extra with the raw marker."""
    rows = _records(obj(a=STR), ["just text", None, {"a": "ok"}], "PER_PAGE")
    assert [(r["_shape"], r["_extra"]) for r in rows] == [
        ('"raw"', '"just text"'),
        ('"null"', None),
        (None, None),
    ]


def test_unicode_values_are_kept_verbatim() -> None:
    """Accents, CJK and emoji in values are stored as they are, in columns and in _extra."""
    row = _records(obj(name=STR), {"name": "Zoë 山田 🚀", "extra": "café ☕"})[0]
    assert row["name"] == "Zoë 山田 🚀"
    assert row["_extra"] == '{"extra":"café ☕"}'


def test_lone_surrogate_is_escaped_in_extra() -> None:
    """A string that is not valid Unicode is stored as \\u-escaped JSON and rebuilt exactly."""
    data = {"name": "bad \ud800 text"}
    row = _records(obj(name=STR), data)[0]
    assert row["_extra"] == '{"name":"bad \\ud800 text"}'
    assert same_json(_round_trip(obj(name=STR), data), data)


def test_non_string_key_raises_flatten_error_with_path() -> None:
    """A non-string object key (not JSON) fails the run with a FlattenError naming run and path."""
    run = make_run(obj(v=obj(a=STR)), {"v": {}}, run_id="bad-run")
    data_of(run)["v"][1] = "x"
    with pytest.raises(FlattenError) as caught:
        flatten_run(run)
    assert (caught.value.run_id, caught.value.path) == ("bad-run", "v")


def test_unencodable_value_raises_flatten_error_with_path() -> None:
    """A value json cannot encode fails the run with a FlattenError at the value's path."""
    run = make_run(obj(items={"type": "array", "items": obj(meta={"type": "object"})}), {"items": [{}, {}]})
    data_of(run)["items"][1]["meta"] = {1, 2}
    with pytest.raises(FlattenError) as caught:
        flatten_run(run)
    assert caught.value.path == "items[1].meta"


def test_deeply_nested_value_raises_flatten_error() -> None:
    """A value nested too deeply to encode fails the run with a FlattenError, not RecursionError."""
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    run = make_run(obj(a=STR), {"a": "x"})
    data_of(run)["a"] = deep
    with pytest.raises(FlattenError, match="nested too deeply"):
        flatten_run(run)


def test_error_run_gives_empty_tables() -> None:
    """An ERROR run gives every table empty, with its full schema."""
    schema = obj(items={"type": "array", "items": obj(x=STR)})
    flat = flatten_run(make_run(schema, None, status="ERROR", error="boom"))
    assert {name: t.num_rows for name, t in flat.tables.items()} == {"records": 0, "records__items": 0}
    assert flat.tables["records__items"].schema.names[-3:] == ["x", "_shape", "_extra"]
