"""The agents' schemas and generated records: conformance, special fields, empty arrays, unicode, numbers."""

from __future__ import annotations

import json
import re

from llamacloud_etl.emulator import Dataset, dumps

from .helpers import conforms, succeeded, walk


def test_special_field_names_are_present(full_dataset: Dataset) -> None:
    """The invoice schema has fields named 'date' and 'run_id', an enum, $defs/$ref and anyOf-null."""
    invoices = full_dataset.agent_named("Invoices")
    schema = invoices["data_schema"]
    assert {"date", "run_id", "currency"} <= set(schema["properties"])
    assert "enum" in schema["properties"]["currency"]
    assert schema["properties"]["vendor"]["properties"]["address"] == {"$ref": "#/$defs/Address"}
    assert {"type": "null"} in schema["properties"]["due_date"]["anyOf"]
    assert schema["properties"]["notes"]["type"] == ["string", "null"]


def test_data_conforms_to_the_run_schema(full_dataset: Dataset) -> None:
    """Every SUCCESS run's data (or each item of it) conforms to the data_schema the run used."""
    for run in succeeded(full_dataset):
        schema = run["data_schema"]
        items = run["data"] if isinstance(run["data"], list) else [run["data"]]
        for item in items:
            assert conforms(item, schema, schema) == [], run["id"]


def test_empty_arrays_occur(full_dataset: Dataset) -> None:
    """Empty arrays appear: line items, taxes, tags, bullet points and whole PER_TABLE_ROW results."""
    runs = succeeded(full_dataset)
    invoices = [r["data"] for r in runs if r["data_schema"].get("title") == "Invoice"]
    assert any(d["tags"] == [] for d in invoices)
    assert any(d["line_items"] == [] for d in invoices)
    assert any(li["taxes"] == [] for d in invoices for li in d["line_items"])
    pages = [p for r in runs if r["config"]["extraction_target"] == "PER_PAGE" for p in r["data"]]
    assert any(p["bullet_points"] == [] for p in pages)
    assert any(r["data"] == [] for r in runs if r["config"]["extraction_target"] == "PER_TABLE_ROW")


def test_unicode_values_occur(full_dataset: Dataset) -> None:
    """Extracted values include accented Latin, CJK and emoji characters, which survive a JSON round trip."""
    strings = [v for r in succeeded(full_dataset) for v in walk(r["data"]) if isinstance(v, str)]
    assert any(re.search(r"[éüöçãñ]", s) for s in strings)
    assert any(re.search(r"[\u4e00-\u9fff\u3040-\u30ff]", s) for s in strings)
    assert any(re.search(r"[\U0001F300-\U0001FAFF\u2705]", s) for s in strings)
    assert json.loads(dumps(strings)) == strings


def test_integers_stay_integers_and_floats_stay_floats(full_dataset: Dataset) -> None:
    """After a JSON round trip integer fields are ints and number fields floats, whole floats included."""
    runs = [json.loads(dumps(r)) for r in succeeded(full_dataset)]
    invoices = [r["data"] for r in runs if r["data_schema"].get("title") == "Invoice"]
    lines = [li for d in invoices for li in d["line_items"]]
    assert all(type(li["quantity"]) is int for li in lines)
    assert all(type(li["unit_price"]) is float and type(li["amount"]) is float for li in lines)
    assert all(type(d["total"]) is float for d in invoices)
    contracts = [r["data"] for r in runs if r["data_schema"].get("title") == "Contract"]
    assert all(type(d["term_months"]) is int for d in contracts)
    rows = [row for r in runs if r["config"]["extraction_target"] == "PER_TABLE_ROW" for row in r["data"]]
    whole = [row["unit_price"] for row in rows if row["unit_price"].is_integer()]
    assert whole, "expected some whole-number prices such as 12.0"
    assert all(type(p) is float for p in whole)
    assert b'"unit_price":' + str(whole[0]).encode() in b"".join(dumps(r) for r in runs)
