"""Named batches of runs for the golden tests: examples A-D plus shapes of our own."""

from __future__ import annotations

from typing import Any

from llamacloud_etl.run import Run

from .payloads import EXAMPLE_A, EXAMPLE_B, EXAMPLE_C, EXAMPLE_D, make_run, obj, run_from

STR: dict[str, Any] = {"type": "string"}
NUM: dict[str, Any] = {"type": "number"}
INT: dict[str, Any] = {"type": "integer"}


def _leaf(confidence: float, page: int | None = None, text: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"confidence": confidence, "extraction_confidence": confidence}
    if page is not None:
        entry["citation"] = [{"page": page, "matching_text": text}]
    return entry


def nested_arrays() -> list[Run]:
    """Arrays in arrays: line_items[].taxes[], an array under an object, scalar lists, a matrix."""
    schema = obj(
        invoice_number=STR,
        tags={"type": "array", "items": STR},
        scores={"type": "array", "items": NUM},
        matrix={"type": "array", "items": {"type": "array", "items": INT}},
        vendor=obj(
            name=STR,
            contacts={"type": "array", "items": obj(email=STR, phones={"type": "array", "items": STR})},
        ),
        line_items={
            "type": "array",
            "items": obj(
                description=STR,
                amount=NUM,
                taxes={"type": "array", "items": obj(kind=STR, rate=NUM)},
            ),
        },
    )
    data = {
        "invoice_number": "INV-7",
        "tags": ["urgent", "q2"],
        "scores": [1, 2.5, None],
        "matrix": [[1, 2], [3]],
        "vendor": {
            "name": "Acme",
            "contacts": [{"email": "a@acme.test", "phones": ["+1 555 0100"]}, {"email": None, "phones": []}],
        },
        "line_items": [
            {
                "description": "Paper",
                "amount": 10.0,
                "taxes": [{"kind": "VAT", "rate": 0.2}, {"kind": "eco", "rate": 0.01}],
            },
            {"description": "Toner", "amount": 20, "taxes": []},
        ],
    }
    field_metadata = {
        "invoice_number": _leaf(0.99, 1, "INV-7"),
        "tags": [_leaf(0.9, 1, "urgent"), _leaf(0.8, 1, "q2")],
        "vendor": {
            "reasoning": "Letterhead at the top of page 1.",
            "name": _leaf(0.97, 1, "Acme"),
            "contacts": [{"email": _leaf(0.91, 1, "a@acme.test"), "phones": _leaf(0.5)}],
        },
        "line_items": [
            {
                "description": _leaf(0.95, 1, "Paper"),
                "taxes": [{"rate": _leaf(0.7, 1, "20%")}, {"rate": _leaf(0.6, 2, "1%")}],
            },
            {"amount": _leaf(0.94, 1, "$20")},
        ],
    }
    return [
        make_run(schema, data, field_metadata=field_metadata, run_id="11111111-0000-4000-8000-000000000001")
    ]


def empties_and_nulls() -> list[Run]:
    """null, [] and a missing key, for objects, arrays of objects, scalar lists and scalars."""
    schema = obj(
        title=STR,
        count=INT,
        vendor=obj(name=STR, address=obj(city=STR)),
        items={"type": "array", "items": obj(sku=STR)},
        tags={"type": "array", "items": STR},
    )
    records = [
        {"title": "empty containers", "count": 0, "vendor": {}, "items": [], "tags": []},
        {"title": None, "count": None, "vendor": None, "items": None, "tags": None},
        {},
        {"vendor": {"name": None}, "items": [{}, {"sku": None}, None]},
    ]
    return [
        make_run(schema, records, target="PER_PAGE", run_id="22222222-0000-4000-8000-000000000001"),
        make_run(schema, [], target="PER_TABLE_ROW", run_id="22222222-0000-4000-8000-000000000002"),
        make_run(schema, None, run_id="22222222-0000-4000-8000-000000000003"),
    ]


def unicode() -> list[Run]:
    """Accents, CJK and emoji, in keys (column names) and in values (kept as they are)."""
    schema = obj(
        **{
            "Prénom": STR,
            "名前": STR,
            "住所": obj(都市=STR),
            "emoji 😀": STR,
            "notes": {"type": "array", "items": STR},
        }
    )
    data = {
        "Prénom": "Zoë",
        "名前": "山田太郎",
        "住所": {"都市": "東京"},
        "emoji 😀": "👍🏽 ok",
        "notes": ["naïve café", "Ωmega", "🚀"],
    }
    field_metadata = {"名前": _leaf(0.9, 1, "山田太郎"), "住所": {"都市": _leaf(0.8, 1, "東京都")}}
    return [
        make_run(schema, data, field_metadata=field_metadata, run_id="33333333-0000-4000-8000-000000000001")
    ]


def off_schema() -> list[Run]:
    """Values that break their schema land in _extra (and count); ints in number columns do not."""
    schema = obj(
        count=INT,
        price=NUM,
        active={"type": "boolean"},
        name=STR,
        vendor=obj(city=STR),
        tags={"type": "array", "items": INT},
        items={"type": "array", "items": obj(qty=INT)},
    )
    data = {
        "count": "twelve",
        "price": 3,
        "active": 1,
        "name": {"first": "Ann"},
        "vendor": "ACME Corp",
        "tags": [1, "two", 3],
        "items": [{"qty": True, "unit": "box"}, "not an object", None],
        "surprise": {"nested": [1, 2]},
    }
    return [
        make_run(schema, data, run_id="44444444-0000-4000-8000-000000000001"),
        make_run(
            schema,
            {"count": 2**70, "price": 1.5, "vendor": {"city": "Lyon", "zip": "69001"}},
            run_id="44444444-0000-4000-8000-000000000002",
        ),
        make_run(
            schema,
            {"count": 7.0, "price": True, "active": None},
            run_id="44444444-0000-4000-8000-000000000003",
        ),
    ]


def refs() -> list[Run]:
    """$ref/$defs, definitions, anyOf with null, and a self-referencing definition."""
    schema = {
        "type": "object",
        "properties": {
            "buyer": {"anyOf": [{"$ref": "#/$defs/Party"}, {"type": "null"}]},
            "seller": {"$ref": "#/$defs/Party"},
            "currency": {"anyOf": [{"enum": ["EUR", "USD"]}, {"type": "null"}]},
            "amount": {"type": ["number", "null"]},
            "section": {"$ref": "#/definitions/Section"},
        },
        "$defs": {"Party": obj(name=STR, vat_id={"anyOf": [STR, {"type": "null"}]})},
        "definitions": {
            "Section": obj(title=STR, children={"type": "array", "items": {"$ref": "#/definitions/Section"}})
        },
    }
    data = {
        "buyer": None,
        "seller": {"name": "Société Générale", "vat_id": "FR123"},
        "currency": "EUR",
        "amount": 1200,
        "section": {"title": "root", "children": [{"title": "child", "children": []}]},
    }
    return [make_run(schema, data, run_id="55555555-0000-4000-8000-000000000001")]


CASES = {
    "example_a_per_doc": lambda: [run_from(EXAMPLE_A)],
    "example_b_per_page": lambda: [run_from(EXAMPLE_B)],
    "example_c_per_table_row": lambda: [run_from(EXAMPLE_C)],
    "example_d_error": lambda: [run_from(EXAMPLE_D)],
    "nested_arrays": nested_arrays,
    "empties_and_nulls": empties_and_nulls,
    "unicode": unicode,
    "off_schema": off_schema,
    "refs": refs,
}
