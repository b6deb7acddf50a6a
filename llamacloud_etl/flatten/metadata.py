"""A run's field metadata (``Run.field_metadata``) -> long rows: one per (field, citation).

``field_metadata`` mirrors ``data``. It is an object for one record (PER_DOC) or a list
aligned index-for-index with a data array (PER_PAGE / PER_TABLE_ROW); either shape is accepted
whatever the target. An object ``field_metadata`` for a data array of several records cannot be
attributed to one record: its rows get a null ``record_index`` and ``data_row_id``.

* A *leaf* entry is an object with ``confidence``, ``extraction_confidence``,
  ``parsing_confidence`` (a number or null) or ``citation`` (a list or null). It gives one row
  per citation (``citation_index`` 0, 1, ...) or, with no citation, one row with a null
  ``citation_index``.
* Any other object is a nested object's entry: its sub-entries are walked; a sibling
  ``reasoning`` string (the object's own reasoning) gives one row for the object's path with only
  ``reasoning`` set.
* A list is an array's entry: items are walked as ``field[i]``.
* The root keys ``reasoning`` and ``error`` (string values) are not fields: they go to the runs
  table (``metadata_reasoning`` / ``metadata_error``). With a list ``field_metadata``, the strings
  of every item are joined with newlines, each prefixed with ``[i]``.

``field_path`` is relative to the record (``vendor.address.city``, ``line_items[1].amount``,
``tags[0]``). ``data_row_id`` is the ``_row_id`` of the row that holds the field: the record, or the
child row of an array-of-objects item (``<run>/0/line_items[1]`` for ``line_items[1].amount``);
null when no such row exists. Values of the wrong type (a string confidence, say) become null;
shapes that match nothing above are skipped. Metadata never makes a run fail.

Both APIs nest entries the same way; only the root differs (:func:`run_metadata` picks it). v1's
``extraction_metadata.field_metadata`` is the root itself. v2's ``extract_metadata.field_metadata``
holds it in the member named for the run's target: ``document_metadata`` (PER_DOC, an object
whose root may hold ``error``), ``page_metadata`` (PER_PAGE, one object per page) or
``row_metadata`` (PER_TABLE_ROW, one per row); when that member is null, the first other member
that is not is read instead, so metadata filed under another member is not lost.
"""

from __future__ import annotations

from typing import Any

from llamacloud_etl.flatten.naming import escape_key
from llamacloud_etl.flatten.plan import FieldPlan, ObjectPlan, Plan
from llamacloud_etl.flatten.schema import Kind
from llamacloud_etl.flatten.values import INT64_MAX, INT64_MIN, as_float, as_int, clean_str
from llamacloud_etl.run import Run

_MAX_DEPTH = 64  # metadata nested deeper than this is skipped: it mirrors data, which is shallower
_SCORES = ("confidence", "extraction_confidence", "parsing_confidence")

MetadataRow = tuple[Any, ...]

V2_MEMBERS = ("document_metadata", "page_metadata", "row_metadata")
"""The members of v2's ``extract_metadata.field_metadata``, in the order they are tried."""
_V2_MEMBER_OF = {"PER_PAGE": "page_metadata", "PER_TABLE_ROW": "row_metadata"}


def v2_member(target: str) -> str:
    """The v2 ``field_metadata`` member a target's metadata is sent in (``document_metadata`` else)."""
    return _V2_MEMBER_OF.get(target, "document_metadata")


def run_metadata(run: Run) -> Any:
    """The root of a run's field metadata, as the walker reads it (see the module docstring)."""
    field_metadata = run.field_metadata
    if run.api_version != "v2":
        return field_metadata
    if type(field_metadata) is not dict:
        return None
    own = field_metadata.get(v2_member(run.config.target))
    if own is not None:
        return own
    return next((field_metadata[k] for k in V2_MEMBERS if field_metadata.get(k) is not None), None)


def _is_leaf(entry: dict[Any, Any]) -> bool:
    for key in _SCORES:
        if key in entry:
            value = entry[key]
            if value is None or type(value) is float or as_float(value) is not None:
                return True
    citation = entry.get("citation", 0)
    return citation is None or type(citation) is list


def _score(value: Any) -> float | None:
    return value if type(value) is float else as_float(value)


def _text(value: Any) -> str | None:
    return value if type(value) is str and value.isascii() else clean_str(value)


def _boxes(value: Any) -> list[Any] | None:
    if type(value) is not list:
        return None
    for box in value:
        if type(box) is not dict:
            break
        x, y, w, h = box.get("x"), box.get("y"), box.get("w"), box.get("h")
        if not (type(x) is float and type(y) is float and type(w) is float and type(h) is float):
            break
    else:
        return value  # the common case: Arrow reads these boxes as they are (other keys are ignored)
    get = dict.get
    return [
        {
            "x": _score(get(b, "x")),
            "y": _score(get(b, "y")),
            "w": _score(get(b, "w")),
            "h": _score(get(b, "h")),
        }
        for b in value
        if type(b) is dict
    ]


def root_notes(field_metadata: Any) -> tuple[str | None, str | None]:
    """The root ``reasoning`` and ``error`` strings of a ``field_metadata`` (object or list)."""
    if isinstance(field_metadata, dict):
        return clean_str(field_metadata.get("reasoning")), clean_str(field_metadata.get("error"))
    if not isinstance(field_metadata, list):
        return None, None
    found: dict[str, list[str]] = {"reasoning": [], "error": []}
    for i, item in enumerate(field_metadata):
        if isinstance(item, dict):
            for key, texts in found.items():
                text = clean_str(item.get(key))
                if text is not None:
                    texts.append(f"[{i}] {text}")
    return ("\n".join(found["reasoning"]) or None), ("\n".join(found["error"]) or None)


class _MetadataWalker:
    """Walks a record's metadata alongside its plan (to know which row holds each field).

    Paths are carried as rendered strings (``line_items[1].amount``), extended one key at a time.
    """

    def __init__(self, run_id: str, agent_id: str) -> None:
        self.run_id = run_id
        self.agent_id = agent_id
        self.rows: list[MetadataRow] = []
        self.record_index: int | None = None

    def record(self, entry: Any, plan: ObjectPlan, value: Any, row_id: str | None) -> None:
        if type(entry) is dict:
            self.object(entry, plan, value, "", row_id, 0, root=True)

    def object(
        self,
        entry: dict[Any, Any],
        plan: ObjectPlan | None,
        value: Any,
        path: str,
        row_id: str | None,
        depth: int,
        root: bool = False,
    ) -> None:
        values = value if type(value) is dict else _NO_VALUES
        fields = plan.by_key if plan is not None else _NO_FIELDS
        for key, sub in entry.items():
            if type(key) is not str:
                continue
            if (key == "reasoning" or key == "error") and type(sub) is str:
                if key == "reasoning" and not root:
                    self.emit({"reasoning": sub}, path, row_id)
                continue
            sub_path = escape_key(key) if root else f"{path}.{escape_key(key)}"
            if type(sub) is dict and _is_leaf(sub):  # the common case, without a detour through entry()
                self.emit(sub, sub_path, row_id)
            else:
                self.entry(sub, fields.get(key), values.get(key), sub_path, row_id, depth + 1)

    def entry(
        self,
        entry: Any,
        fplan: FieldPlan | None,
        value: Any,
        path: str,
        row_id: str | None,
        depth: int,
    ) -> None:
        if depth > _MAX_DEPTH:
            return
        kind = type(entry)
        if kind is dict:
            if _is_leaf(entry):
                self.emit(entry, path, row_id)
            else:
                sub_plan = fplan.obj if fplan is not None and fplan.kind is Kind.OBJECT else None
                self.object(entry, sub_plan, value, path, row_id, depth)
            return
        if kind is not list:
            return
        items = value if type(value) is list else []
        present = len(items)
        if fplan is not None and fplan.kind is Kind.ARRAY and fplan.table is not None:
            # Items of an array of objects live in child rows.
            item_plan, label = fplan.table.root, fplan.label
            for i, item in enumerate(entry):
                child = f"{row_id}/{label}[{i}]" if row_id is not None and i < present else None
                item_value = items[i] if i < present else None
                if type(item) is dict and not _is_leaf(item):
                    self.object(item, item_plan, item_value, f"{path}[{i}]", child, depth + 1)
                else:
                    self.entry(item, None, item_value, f"{path}[{i}]", child, depth + 1)
            return
        for i, item in enumerate(entry):
            self.entry(item, None, items[i] if i < present else None, f"{path}[{i}]", row_id, depth + 1)

    def emit(self, entry: dict[Any, Any], path: str, row_id: str | None) -> None:
        # Fast paths inlined (exact float, ASCII string, clean boxes): this runs for every leaf.
        get = entry.get
        confidence = get("confidence")
        if type(confidence) is not float:
            confidence = as_float(confidence)
        extraction = get("extraction_confidence")
        if type(extraction) is not float:
            extraction = as_float(extraction)
        parsing = get("parsing_confidence")
        if type(parsing) is not float:
            parsing = as_float(parsing)
        reasoning = get("reasoning")
        if reasoning is not None and not (type(reasoning) is str and reasoning.isascii()):
            reasoning = clean_str(reasoning)
        head = (
            self.run_id,
            self.agent_id,
            self.record_index,
            path,
            row_id,
            confidence,
            extraction,
            parsing,
            reasoning,
        )
        citations = get("citation")
        if type(citations) is dict:
            citations = [citations]
        index = 0
        if type(citations) is list:
            for citation in citations:
                if type(citation) is not dict:
                    continue
                cite = citation.get
                page = cite("page")
                if not (type(page) is int and INT64_MIN <= page <= INT64_MAX):
                    page = as_int(page)
                text = cite("matching_text")
                if not (type(text) is str and text.isascii()):
                    text = clean_str(text)
                boxes = cite("bounding_boxes")
                if boxes is not None:
                    boxes = _boxes(boxes)
                dims = cite("page_dimensions")
                width = height = None
                if type(dims) is dict:
                    width, height = as_float(dims.get("width")), as_float(dims.get("height"))
                self.rows.append((*head, index, page, text, boxes, width, height))
                index += 1
        if index == 0:
            self.rows.append((*head, None, None, None, None, None, None))


_NO_VALUES: dict[str, Any] = {}
_NO_FIELDS: dict[str, FieldPlan] = {}


def metadata_rows(
    plan: Plan, run_id: str, agent_id: str, data: Any, field_metadata: Any
) -> list[MetadataRow]:
    """Rows of the field_metadata table for one run, in FIELD_METADATA_SCHEMA column order."""
    walker = _MetadataWalker(run_id, agent_id)
    root = plan.records.root
    records: list[Any] = [data] if isinstance(data, dict) else data if isinstance(data, list) else []
    if isinstance(field_metadata, dict):
        if isinstance(data, list) and len(data) != 1:
            walker.record(field_metadata, root, None, None)
        else:
            walker.record_index = 0
            walker.record(
                field_metadata, root, records[0] if records else None, f"{run_id}/0" if records else None
            )
    elif isinstance(field_metadata, list):
        for i, entry in enumerate(field_metadata):
            walker.record_index = i
            present = i < len(records)
            walker.record(entry, root, records[i] if present else None, f"{run_id}/{i}" if present else None)
    return walker.rows
