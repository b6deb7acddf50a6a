"""A run's ``data`` -> rows of the records table and its child tables, by walking a compiled plan.

Records: a ``data`` object is one record (``record_index`` 0); a ``data`` array gives one record per
item (``record_index`` = position), whatever the extraction target says, so a PER_DOC run whose data
is a list and a PER_PAGE run whose data is a single object both land (``runs.data_shape`` records
which it was). ``data`` null gives no records. Row IDs are ``<run_id>/<record_index>`` for a record
and ``<parent _row_id>/<field>[<idx>]`` for an item of an array of objects, ``<field>`` being the
array's path from the parent row in original keys (``.../0/vendor.contacts[1]``; naming rule 9).

Every row ends with two JSON text columns, both null in the common case:

* ``_extra``: values the row's columns cannot hold exactly, as a nested object keyed by the
  original JSON keys relative to the row (``{"vendor": {"zip": "43215"}}``): unexpected keys, a
  value of the wrong JSON type (a string in an integer field, a bool in a number field, an object
  where a scalar belongs, an integer beyond int64 or beyond what a float64 holds exactly, a float
  in an integer field), a list of scalars with one wrong item (the whole list), a string that is
  not valid Unicode. Each such value counts once in ``off_schema_count``. Rebuilding merges
  ``_extra`` back into the row.
* ``_shape``: what the columns cannot show about the JSON's shape, as markers at the same kind of
  nested paths: ``"missing"`` (the key was absent), ``"null"`` (an object or an array of objects
  was ``null``; a null scalar is just a null cell), ``"int"`` (an integer in a ``number`` field,
  stored as float64; on a list: all its numbers were integers, or a list of the positions that
  were).
  An array of objects with no child rows and no marker was ``[]``. When the row's own value is not
  an object (an array item that is null or a string, say), ``_shape`` is the JSON string
  ``"null"``, or ``"raw"`` with the whole value in ``_extra``.
"""

from __future__ import annotations

import re
from typing import Any

from llamacloud_etl.errors import FlattenError
from llamacloud_etl.flatten.naming import render_path
from llamacloud_etl.flatten.plan import ObjectPlan, Plan, TablePlan
from llamacloud_etl.flatten.schema import Kind
from llamacloud_etl.flatten.values import INT64_MAX, INT64_MIN, dumps, exact_float, utf8_ok

# The walker's hot loop reads kinds from module globals: looking one up on the enum class
# (``Kind.STR``) goes through the enum's metaclass and costs more than the comparison itself.
STR, INT, FLOAT, BOOL, JSON, FOREIGN = Kind.STR, Kind.INT, Kind.FLOAT, Kind.BOOL, Kind.JSON, Kind.FOREIGN
INT_AS_FLOAT, OBJECT, ARRAY = Kind.INT_AS_FLOAT, Kind.OBJECT, Kind.ARRAY
LIST_STR, LIST_INT, LIST_BOOL = Kind.LIST_STR, Kind.LIST_INT, Kind.LIST_BOOL
LIST_INT_AS_FLOAT = Kind.LIST_INT_AS_FLOAT

_MISSING: Any = object()
_NULL_SHAPE = '"null"'
_RAW_SHAPE = '"raw"'

Path = tuple[str, ...]


def _nest(items: list[tuple[Path, Any]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path, value in items:
        node = root
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return root


def _scalar_list(kind: Kind, values: list[Any]) -> tuple[bool, list[Any], Any]:
    """Check a list for a list column: (fits, list to store, ``_shape`` marker or None)."""
    if kind == LIST_STR:
        return all(v is None or (type(v) is str and utf8_ok(v)) for v in values), values, None
    if kind == LIST_INT:
        return (
            all(v is None or (type(v) is int and INT64_MIN <= v <= INT64_MAX) for v in values),
            values,
            None,
        )
    if kind == LIST_BOOL:
        return all(v is None or type(v) is bool for v in values), values, None
    if kind == LIST_INT_AS_FLOAT:
        fits = all(v is None or (type(v) is int and exact_float(v) is not None) for v in values)
        return fits, [None if v is None else float(v) for v in values] if fits else values, None
    # LIST_FLOAT: integers are stored as floats and their positions remembered.
    ints: list[int] = []
    for i, v in enumerate(values):
        if v is None or type(v) is float:
            continue
        if type(v) is not int or exact_float(v) is None:
            return False, values, None
        ints.append(i)
    if not ints:
        return True, values, None
    stored = [float(v) if type(v) is int else v for v in values]
    non_null = sum(v is not None for v in values)
    return True, stored, "int" if len(ints) == non_null else ints


class RecordWalker:
    """Walks runs' data along one plan, appending rows to shared per-table lists.

    A batch gives every run of an agent the same lists, so rows of many runs are collected in one
    place and each table is built once; :meth:`mark` and :meth:`rollback` undo a run that fails.
    """

    def __init__(self, plan: Plan, out: dict[str, list[list[Any]]] | None = None) -> None:
        self.plan = plan
        self.out = out if out is not None else {}
        for name in plan.tables:
            self.out.setdefault(name, [])
        self.run_id = ""
        self.record_index = 0
        self.off_schema = 0
        self.listed = False

    def walk(self, run_id: str, data: Any) -> tuple[int, int]:
        """Append the rows of one run's ``data``; returns ``(records, off-schema values)``.

        Raises:
            FlattenError: the data holds something that is not JSON (a non-string key, a value
                ``json`` cannot encode, nesting too deep to encode); names the run and the path.
        """
        self.run_id, self.record_index, self.off_schema = run_id, 0, 0
        self.listed = isinstance(data, list)
        records = self.plan.records
        if isinstance(data, dict):
            self.row(records, data, f"{run_id}/0", None, 0)
            return 1, self.off_schema
        if isinstance(data, list):
            for i, item in enumerate(data):
                self.record_index = i
                self.row(records, item, f"{run_id}/{i}", None, 0)
            return len(data), self.off_schema
        if data is None:
            return 0, 0
        raise FlattenError(run_id, "", f"data is a {type(data).__name__}, not an object, an array or null")

    def mark(self) -> dict[str, int]:
        """Current row counts, to :meth:`rollback` to if the run fails later."""
        return {name: len(rows) for name, rows in self.out.items()}

    def rollback(self, marks: dict[str, int]) -> None:
        """Drop every row appended since :meth:`mark`."""
        for name, mark in marks.items():
            del self.out[name][mark:]

    def where(self, row_id: str, path: Path = ()) -> str:
        """The JSON path of a row (and a key path in it), for error messages: ``[0].items[1].meta``."""
        record = f"{self.run_id}/{self.record_index}"
        pieces = [f"[{self.record_index}]"] if self.listed else []
        if len(row_id) > len(record):
            pieces.append(_ROW_SEPARATOR.sub(".", row_id[len(record) + 1 :]))
        if path:
            pieces.append(render_path(path))
        return ".".join(pieces)

    def dumps(self, value: Any, row_id: str, path: Path = ()) -> str:
        try:
            return dumps(value)
        except (TypeError, ValueError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else f"not a JSON value ({exc})"
            raise FlattenError(self.run_id, self.where(row_id, path), reason) from None

    def row(self, table: TablePlan, value: Any, row_id: str, parent: str | None, idx: int) -> None:
        row: list[Any] = [None] * table.width
        keys = table.key_cols
        row[keys[0]] = self.run_id
        row[keys[1]] = self.record_index
        row[keys[2]] = row_id
        if parent is not None:
            row[keys[3]] = parent
            row[keys[4]] = idx
        self.out[table.name].append(row)
        if type(value) is dict:
            notes: list[tuple[Path, Any]] = []
            extras: list[tuple[Path, Any]] = []
            children: list[tuple[TablePlan, list[Any], str]] = []
            self.object(table.root, value, row, (), notes, extras, children, row_id)
            if notes:
                row[table.shape_col] = self.dumps(_nest(notes), row_id)
            if extras:
                row[table.extra_col] = self.dumps(_nest(extras), row_id)
                self.off_schema += len(extras)
            # Children are walked once their parent row is complete.
            for child, items, label in children:
                for i, item in enumerate(items):
                    self.row(child, item, f"{row_id}/{label}[{i}]", row_id, i)
        elif value is None:
            row[table.shape_col] = _NULL_SHAPE
        else:
            row[table.shape_col] = _RAW_SHAPE
            row[table.extra_col] = self.dumps(value, row_id)
            self.off_schema += 1

    def object(
        self,
        plan: ObjectPlan,
        value: dict[Any, Any],
        row: list[Any],
        prefix: Path,
        notes: list[tuple[Path, Any]],
        extras: list[tuple[Path, Any]],
        children: list[tuple[TablePlan, list[Any], str]],
        row_id: str,
    ) -> None:
        """Fill ``row`` from an object's known keys, in ``plan`` order; the rest goes to ``extras``.

        One function with each kind's common case inline: it runs for every value of every run,
        and a call per value would cost more than the check itself.
        """
        missing = 0
        for key, kind, col, sub, label in plan.steps:
            v = value.get(key, _MISSING)
            if v is None or v is _MISSING:
                if v is _MISSING:
                    missing += 1
                    notes.append(((*prefix, key), "missing"))
                elif kind >= OBJECT:
                    notes.append(((*prefix, key), "null"))
                continue
            t = type(v)
            # The common case of each kind stores the value and moves on; anything else falls
            # through to _extra at the bottom of the loop.
            if kind == STR:
                if t is str and (v.isascii() or utf8_ok(v)):
                    row[col] = v
                    continue
            elif kind == FLOAT:
                if t is float:
                    row[col] = v
                    continue
                if t is int and (as_float := exact_float(v)) is not None:
                    row[col] = as_float
                    notes.append(((*prefix, key), "int"))
                    continue
            elif kind == INT:
                if t is int and INT64_MIN <= v <= INT64_MAX:
                    row[col] = v
                    continue
            elif kind == BOOL:
                if t is bool:
                    row[col] = v
                    continue
            elif kind == OBJECT:
                if t is dict:
                    self.object(sub, v, row, (*prefix, key), notes, extras, children, row_id)
                    continue
            elif kind == ARRAY:
                if t is list:
                    children.append((sub, v, label))
                    continue
            elif kind == INT_AS_FLOAT:
                if t is int and (as_float := exact_float(v)) is not None:
                    row[col] = as_float
                    continue
            elif kind == JSON:
                row[col] = self.dumps(v, row_id, (*prefix, key))
                continue
            elif t is list and kind is not FOREIGN:  # the list kinds are all that is left
                fits, stored, marker = _scalar_list(kind, v)
                if fits:
                    row[col] = stored
                    if marker is not None:
                        notes.append(((*prefix, key), marker))
                    continue
            extras.append(((*prefix, key), v))
        if len(plan.steps) - missing != len(value):
            self.unexpected(plan, value, prefix, extras, row_id)

    def unexpected(
        self,
        plan: ObjectPlan,
        value: dict[Any, Any],
        prefix: Path,
        extras: list[tuple[Path, Any]],
        row_id: str,
    ) -> None:
        """Append the keys of ``value`` that ``plan`` does not know to ``extras``."""
        for key, v in value.items():
            if key not in plan.by_key:
                if type(key) is not str:
                    raise FlattenError(
                        self.run_id, self.where(row_id, prefix), f"object key {key!r} is not a string"
                    )
                extras.append(((*prefix, key), v))


_ROW_SEPARATOR = re.compile(r"(?<!\\)/")
