"""Naming rules (flatten/naming.py's docstring): one table row per rule, plus collisions and stability."""

from __future__ import annotations

import re

import pytest

from llamacloud_etl.flatten import NAMING_RULES, table_schemas_for
from llamacloud_etl.flatten.naming import (
    MAX_NAME_LENGTH,
    assign_names,
    path_hash,
    render_path,
    sanitize_segment,
)

from .payloads import obj

SQL_SAFE = re.compile(r"^[a-z_][a-z0-9_]*$")


@pytest.mark.parametrize(
    ("key", "segment"),
    [
        pytest.param("total", "total", id="canonical"),
        pytest.param("Total", "total", id="lower-case"),
        pytest.param("invoiceNumber", "invoice_number", id="camel-case"),
        pytest.param("HTTPStatus", "http_status", id="acronym"),
        pytest.param("unit price (€)", "unit_price", id="spaces-and-symbols"),
        pytest.param("a__b", "a_b", id="double-underscore-collapses"),
        pytest.param("_extra", "extra", id="leading-underscore-dropped"),
        pytest.param("Prénom", "prenom", id="accents-dropped"),
        pytest.param("名前", "", id="cjk-vanishes"),
        pytest.param("😀", "", id="emoji-vanishes"),
        pytest.param("e-mail", "e_mail", id="dash"),
        pytest.param("1st", "1st", id="digit-kept-in-segment"),
    ],
)
def test_sanitize_segment(key: str, segment: str) -> None:
    """A key becomes a lower-case [a-z0-9_] segment (rule 1)."""
    assert sanitize_segment(key) == segment


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        pytest.param(
            [("vendor", "address", "city")],
            {"vendor__address__city"},
            id="nesting-joins-with-double-underscore",
        ),
        pytest.param([("1st_page",)], {"_1st_page"}, id="digit-start-gets-underscore"),
        pytest.param(
            [("_row_id",), ("_extra",), ("_idx",)], {"row_id", "extra", "idx"}, id="bookkeeping-lookalikes"
        ),
        pytest.param([("a__b",), ("a", "b")], {"a_b", "a__b"}, id="literal-double-underscore-vs-nested"),
    ],
)
def test_plain_names(paths: list[tuple[str, ...]], expected: set[str]) -> None:
    """Paths that do not collide get their plain names (rules 2-3)."""
    assert set(assign_names(paths).values()) == expected


@pytest.mark.parametrize(
    "reserved", [pytest.param(name, id=name) for name in ("run_id", "record_index", "run_date")]
)
def test_reserved_names_get_hash_suffix(reserved: str) -> None:
    """A data field named like one of our columns gets a hash suffix (rule 4)."""
    name = assign_names([(reserved,)])[(reserved,)]
    assert name == f"{reserved}_{path_hash([reserved])}"


def test_case_collision_keeps_canonical_plain() -> None:
    """Of Total and total, the canonical one keeps the plain name (rule 6)."""
    names = assign_names([("Total",), ("total",)])
    assert names == {("Total",): f"total_{path_hash(['Total'])}", ("total",): "total"}


def test_collision_without_canonical_member_hashes_all() -> None:
    """When no colliding path is canonical, every one of them gets a suffix (rule 6)."""
    names = assign_names([("Total",), ("TOTAL",)])
    assert names[("Total",)] != names[("TOTAL",)]
    assert all(name.startswith("total_") for name in names.values())


def test_adding_a_field_never_renames_a_canonical_field() -> None:
    """Names of canonical fields are the same before and after a colliding field is added (rule 6)."""
    before = assign_names([("total",), ("vendor", "name")])
    after = assign_names([("total",), ("Total",), ("vendor", "name"), ("vendor__name",)])
    assert {k: after[k] for k in before} == before


def test_suffix_depends_only_on_the_path() -> None:
    """A suffixed name is the same whatever else the schema holds and in whatever order (rule 7)."""
    one = assign_names([("Total",), ("total",)])[("Total",)]
    two = assign_names([("x",), ("total",), ("y",), ("Total",)])[("Total",)]
    assert one == two


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("名前", id="cjk"),
        pytest.param("😀", id="emoji"),
        pytest.param("", id="empty"),
        pytest.param("€", id="symbol"),
    ],
)
def test_key_with_nothing_left_gets_field_and_suffix(key: str) -> None:
    """A key that sanitises to nothing becomes field_<hash> (rule 5)."""
    assert assign_names([(key,)])[(key,)] == f"field_{path_hash([key])}"


def test_two_vanishing_keys_do_not_collide() -> None:
    """Two keys that both sanitise to nothing get different names (rule 5)."""
    names = assign_names([("名前",), ("住所",)])
    assert len(set(names.values())) == 2


def test_long_names_are_capped_with_suffix() -> None:
    """A name longer than the cap is cut and suffixed, and stays unique (rule 5)."""
    long_a = ("a" * 40, "b" * 40)
    long_b = ("a" * 40, "b" * 39 + "c")
    names = assign_names([long_a, long_b])
    assert all(len(name) <= MAX_NAME_LENGTH for name in names.values())
    assert names[long_a] != names[long_b]
    assert names[long_a].endswith(path_hash(long_a))


@pytest.mark.parametrize(
    ("parts", "rendered"),
    [
        pytest.param(["vendor", "address", "city"], "vendor.address.city", id="nested"),
        pytest.param(["line_items", 1, "amount"], "line_items[1].amount", id="array-item"),
        pytest.param(["tags", 0], "tags[0]", id="scalar-item"),
        pytest.param(["a.b", "c/d", "e[0]"], r"a\.b.c\/d.e\[0\]", id="escaped"),
        pytest.param(["Prénom"], "Prénom", id="original-key-kept"),
    ],
)
def test_render_path(parts: list[str | int], rendered: str) -> None:
    """Paths in row IDs and field_path use original keys, escaped where ambiguous (rule 9)."""
    assert render_path(parts) == rendered


def test_every_generated_name_is_sql_safe() -> None:
    """Columns and tables of a schema full of awkward keys are all SQL-safe and unique."""
    awkward = [
        "Total",
        "total",
        "a__b",
        "run_id",
        "_extra",
        "名前",
        "😀 emoji",
        "1st",
        "x" * 90,
        "run_date",
        "É",
    ]
    item = obj(**{k: {"type": "string"} for k in awkward})
    schema = obj(a=obj(b={"type": "string"}), **{k: {"type": "array", "items": item} for k in awkward})
    tables = table_schemas_for(schema, "PER_DOC")
    assert all(SQL_SAFE.match(t) and len(t) <= MAX_NAME_LENGTH for t in tables)
    for table in tables.values():
        assert len(set(table.names)) == len(table.names)
        assert all(SQL_SAFE.match(c) and len(c) <= MAX_NAME_LENGTH for c in table.names)


def test_child_table_names() -> None:
    """Arrays of objects become records__<path> tables, through nested objects and arrays (rule 8)."""
    taxes = {"type": "array", "items": obj(rate={"type": "number"})}
    schema = obj(
        line_items={"type": "array", "items": obj(taxes=taxes)},
        vendor=obj(contacts={"type": "array", "items": obj(email={"type": "string"})}),
    )
    assert list(table_schemas_for(schema, "PER_DOC")) == [
        "records",
        "records__line_items",
        "records__line_items__taxes",
        "records__vendor__contacts",
    ]


def test_colliding_child_tables_get_distinct_names() -> None:
    """Two arrays that would give one table name get distinct names (rule 8)."""
    inner = {"type": "array", "items": obj(v={"type": "string"})}
    schema = obj(X=obj(y=inner), x={"type": "array", "items": obj(y=inner)})
    tables = table_schemas_for(schema, "PER_DOC")
    assert len(tables) == 4


def test_naming_rules_are_published_as_markdown() -> None:
    """NAMING_RULES carries the numbered rules, ready for the README."""
    assert "1. **Segments.**" in NAMING_RULES
    assert "9. **Paths in values.**" in NAMING_RULES


def test_examples_in_the_rules_are_true() -> None:
    """The hashed name quoted in NAMING_RULES is the one assign_names gives."""
    assert f"``{assign_names([('run_id',)])[('run_id',)]}``" in NAMING_RULES
