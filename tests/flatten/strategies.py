"""Hypothesis strategies: JSON Schemas with conforming documents, and arbitrary JSON for fuzzing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Modest example counts keep the suite fast; no example database, so runs leave no files behind.
settings.register_profile(
    "llamacloud-flatten",
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FLATTEN_SETTINGS = settings.get_profile("llamacloud-flatten")

# Keys that stress naming: case and separator collisions, our own column names, unicode, escapes.
AWKWARD_KEYS = [
    "a",
    "b",
    "Total",
    "total",
    "a__b",
    "a_b",
    "run_id",
    "_extra",
    "_row_id",
    "run_date",
    "名前",
    "é",
    "x.y",
    "a/b",
    "[0]",
    "1st",
    "",
]
KEYS = st.sampled_from(AWKWARD_KEYS) | st.text(max_size=6)

Drawer = Callable[[st.DrawFn], Any]
_INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_EXACT_FLOAT_INTS = st.integers(min_value=-(2**53), max_value=2**53)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
"""Any JSON value (NaN and infinities included, as Python's json accepts them)."""


def _finite(value: Any) -> bool:
    """True when no float in ``value`` is NaN or infinite (conforming documents are strict JSON)."""
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    return True


def _scalar(draw: st.DrawFn) -> tuple[dict[str, Any], Drawer]:
    kind = draw(st.sampled_from(["string", "date", "integer", "number", "boolean", "enum", "int-enum"]))
    # Conforming documents stay within what columns hold exactly; larger values are fuzzed elsewhere.
    if kind in ("string", "date"):
        schema: dict[str, Any] = (
            {"type": "string"} if kind == "string" else {"type": "string", "format": "date"}
        )
        return schema, lambda d: d(st.text(max_size=8))
    if kind == "integer":
        return {"type": "integer"}, lambda d: d(_INT64)
    if kind == "number":
        return {"type": "number"}, lambda d: d(_FLOATS | _EXACT_FLOAT_INTS)
    if kind == "boolean":
        return {"type": "boolean"}, lambda d: d(st.booleans())
    if kind == "enum":
        values = draw(st.lists(st.text(max_size=4), min_size=1, max_size=3, unique=True))
        return {"enum": values}, lambda d: d(st.sampled_from(values))
    numbers = draw(st.lists(_INT64, min_size=1, max_size=3, unique=True))
    return {"enum": numbers}, lambda d: d(st.sampled_from(numbers))


def _nullable(draw: st.DrawFn, schema: dict[str, Any], drawer: Drawer) -> tuple[dict[str, Any], Drawer]:
    style = draw(st.sampled_from(["plain", "plain", "anyOf", "type-list"]))
    if style == "plain":
        return schema, drawer
    if style == "type-list" and isinstance(schema.get("type"), str):
        wrapped = {**schema, "type": [schema["type"], "null"]}
    else:
        wrapped = {"anyOf": [schema, {"type": "null"}]}
    return wrapped, lambda d: None if d(st.booleans()) else drawer(d)


def _node(draw: st.DrawFn, depth: int, defs: dict[str, Any]) -> tuple[dict[str, Any], Drawer]:
    kinds = ["scalar", "scalar", "free"]
    if depth < 4:
        kinds += ["object", "scalar-list", "object-list", "list-of-lists"]
    kind = draw(st.sampled_from(kinds))
    if kind == "scalar":
        schema, drawer = _scalar(draw)
    elif kind == "free":
        free = st.dictionaries(st.text(max_size=4), json_values.filter(_finite), max_size=3)
        schema, drawer = {"type": "object"}, lambda d: d(free)
    elif kind == "object":
        schema, drawer = _object(draw, depth + 1, defs)
    elif kind == "scalar-list":
        item, item_drawer = _nullable(draw, *_scalar(draw))
        schema = {"type": "array", "items": item}
        drawer = _list_of(item_drawer)
    elif kind == "object-list":
        item, item_drawer = _nullable(draw, *_object(draw, depth + 2, defs))
        schema, drawer = {"type": "array", "items": item}, _list_of(item_drawer)
    else:
        inner, inner_drawer = _scalar(draw)
        schema = {"type": "array", "items": {"type": "array", "items": inner}}
        drawer = _list_of(_list_of(inner_drawer))
    return _nullable(draw, schema, drawer)


def _list_of(drawer: Drawer) -> Drawer:
    def draw_list(d: st.DrawFn) -> list[Any]:
        return [drawer(d) for _ in range(d(st.integers(min_value=0, max_value=3)))]

    return draw_list


def _object(draw: st.DrawFn, depth: int, defs: dict[str, Any]) -> tuple[dict[str, Any], Drawer]:
    keys = draw(st.lists(KEYS, min_size=1, max_size=4, unique=True))
    fields = {key: _node(draw, depth, defs) for key in keys}
    schema: dict[str, Any] = {"type": "object", "properties": {k: s for k, (s, _) in fields.items()}}
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        name = f"Def{len(defs)}"
        defs[name] = schema
        schema = {"$ref": f"#/$defs/{name}"}

    def draw_object(d: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, (_, field_drawer) in fields.items():
            if d(st.integers(min_value=0, max_value=5)) > 0:  # keys are sometimes missing
                out[key] = field_drawer(d)
        return out

    return schema, draw_object


@st.composite
def schemas_with_documents(draw: st.DrawFn) -> tuple[dict[str, Any], str, Any]:
    """A JSON Schema of bounded depth, an extraction target and a document conforming to both."""
    defs: dict[str, Any] = {}
    keys = draw(st.lists(KEYS, min_size=1, max_size=5, unique=True))
    fields = {key: _node(draw, 1, defs) for key in keys}
    schema: dict[str, Any] = {"type": "object", "properties": {k: s for k, (s, _) in fields.items()}}
    if defs:
        schema["$defs"] = defs

    def record(d: st.DrawFn) -> dict[str, Any]:
        return {
            k: drawer(d) for k, (_, drawer) in fields.items() if d(st.integers(min_value=0, max_value=5)) > 0
        }

    target = draw(st.sampled_from(["PER_DOC", "PER_PAGE", "PER_TABLE_ROW"]))
    if target == "PER_DOC":
        return schema, target, record(draw)
    return schema, target, [record(draw) for _ in range(draw(st.integers(min_value=0, max_value=3)))]


_SCHEMA_WORDS = [
    "type",
    "properties",
    "items",
    "anyOf",
    "oneOf",
    "allOf",
    "$ref",
    "$defs",
    "definitions",
    "enum",
    "const",
    "format",
]
_TYPE_NAMES = ["string", "integer", "number", "boolean", "object", "array", "null"]
_REFS = ["#", "#/$defs/a", "#/definitions/a", "#/properties/a", "#/$defs/missing", "other.json#/x"]

schema_like = st.recursive(
    st.sampled_from([{"type": t} for t in _TYPE_NAMES]) | json_values,
    lambda inner: st.dictionaries(
        st.sampled_from(_SCHEMA_WORDS) | st.sampled_from(AWKWARD_KEYS),
        inner
        | st.lists(inner, max_size=3)
        | st.sampled_from(_TYPE_NAMES + _REFS)
        | st.lists(st.sampled_from(_TYPE_NAMES), max_size=3),
        max_size=4,
    ),
    max_leaves=25,
)
"""Arbitrary JSON shaped a little like JSON Schema (keywords, refs, type names), for fuzzing."""

root_schemas = (
    st.dictionaries(st.sampled_from(_SCHEMA_WORDS), schema_like, max_size=4)
    | st.builds(
        lambda props: {"type": "object", "properties": props}, st.dictionaries(KEYS, schema_like, max_size=5)
    )
    | schemas_with_documents().map(lambda case: case[0])
)
"""Root schemas for fuzzing: schema-like junk, or well-formed generated schemas."""

any_data = st.none() | st.dictionaries(KEYS, json_values, max_size=5) | st.lists(json_values, max_size=4)

_citation = st.fixed_dictionaries(
    {},
    optional={
        "page": st.integers() | json_values,
        "matching_text": st.text(max_size=6) | json_values,
        "bounding_boxes": st.lists(
            st.fixed_dictionaries({}, optional=dict.fromkeys("xywh", _FLOATS | json_values))
        )
        | json_values,
        "page_dimensions": st.fixed_dictionaries({}, optional={"width": _FLOATS, "height": json_values})
        | json_values,
    },
)
_leaf_entry = st.fixed_dictionaries(
    {},
    optional={
        "confidence": _FLOATS | json_values,
        "extraction_confidence": _FLOATS,
        "parsing_confidence": _FLOATS | st.none(),
        "reasoning": st.text(max_size=6) | json_values,
        "citation": st.lists(_citation | json_values, max_size=3) | _citation | json_values,
    },
)
any_metadata = st.recursive(
    _leaf_entry | json_values,
    lambda inner: (
        st.dictionaries(
            KEYS | st.sampled_from(["reasoning", "error"]), inner | st.text(max_size=5), max_size=4
        )
        | st.lists(inner, max_size=3)
    ),
    max_leaves=15,
)
"""field_metadata-like trees: leaf entries (well or badly typed), objects, lists, junk."""


def _mutate(draw: st.DrawFn, value: Any) -> Any:
    if draw(st.integers(min_value=0, max_value=7)) == 0:
        return draw(json_values)
    if isinstance(value, dict):
        out = {k: _mutate(draw, v) for k, v in value.items()}
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            out[draw(KEYS)] = draw(json_values)
        return out
    if isinstance(value, list):
        return [_mutate(draw, v) for v in value]
    return value


@st.composite
def fuzz_cases(draw: st.DrawFn) -> tuple[Any, Any, str]:
    """(schema, data, target): junk schemas with junk data, or real schemas with damaged documents."""
    target = draw(st.sampled_from(["PER_DOC", "PER_PAGE", "PER_TABLE_ROW", "SOMETHING_NEW"]))
    if draw(st.booleans()):
        return draw(root_schemas), draw(any_data), target
    schema, own_target, document = draw(schemas_with_documents())
    damaged = _mutate(draw, document)
    if not isinstance(damaged, dict | list):  # the model only takes an object, an array or null
        damaged = document
    return schema, damaged, draw(st.sampled_from([own_target, target]))
