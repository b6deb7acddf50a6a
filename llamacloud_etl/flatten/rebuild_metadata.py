"""Tables -> field metadata: rebuild a run's ``field_metadata`` from its field_metadata rows and runs row.

The inverse of ``flatten.metadata``. Each row's ``field_path`` is parsed back into keys and array
positions (:func:`~llamacloud_etl.flatten.naming.parse_path`); a path with rows below it is a
nested object (its own row, if any, is its sibling ``reasoning``) or an array (items by position,
an item with no rows an empty object); any other path is a leaf. The runs row gives the root:
``metadata_reasoning`` / ``metadata_error`` (split back per item, ``[i] ...``, for list targets),
the target (object or list form), ``record_count`` (the list's length) and ``cite_sources``.

A v2 run rebuilds as v2's container: ``{"document_metadata", "page_metadata", "row_metadata"}``,
the target's member set and the other two null. A v1 run rebuilds as v1's root itself.

The rebuild is exact for metadata in the form the API sends it, which these rules assume:

* a leaf carries ``citation`` (a list, maybe empty) exactly when the run asked for
  ``cite_sources``, and its other keys (scores, ``reasoning``) only when they are not null;
* a citation's keys are not null when present, its ``page_dimensions`` has both sizes (whole
  numbers come back as integers) and its boxes have float ``x``, ``y``, ``w``, ``h``;
* nested objects and arrays are not empty, and the root's notes hold no line break that starts
  with ``[<digits>] ``.

What falls outside (a null score, an empty nested object, a string confidence, unknown keys) was
already lost when it was flattened: ``flatten.metadata`` keeps the values the table can hold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from llamacloud_etl.flatten.metadata import V2_MEMBERS, v2_member
from llamacloud_etl.flatten.naming import parse_path
from llamacloud_etl.flatten.rebuild import Row, run_rows
from llamacloud_etl.flatten.schema import LIST_TARGETS

if TYPE_CHECKING:
    import pandas as pd

_SCORES = ("confidence", "extraction_confidence", "parsing_confidence", "reasoning")
_NOTE = re.compile(r"^\[(\d+)\] ", re.MULTILINE)


class _Node:
    """One path of the metadata: the rows at it and the paths one step below."""

    __slots__ = ("children", "rows")

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.children: dict[str | int, _Node] = {}


def _tree(rows: list[Row]) -> _Node:
    root = _Node()
    for row in rows:
        node = root
        for part in parse_path(row["field_path"]):
            node = node.children.setdefault(part, _Node())
        node.rows.append(row)
    return root


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _citation(row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("page", "matching_text", "bounding_boxes"):
        if row[key] is not None:
            out[key] = row[key]
    width, height = row["page_width"], row["page_height"]
    if width is not None or height is not None:
        out["page_dimensions"] = {"width": _whole(width), "height": _whole(height)}
    return out


def _leaf(rows: list[Row], cite_sources: bool) -> dict[str, Any]:
    head = rows[0]
    entry = {key: head[key] for key in _SCORES if head[key] is not None}
    cited = sorted((r for r in rows if r["citation_index"] is not None), key=lambda r: r["citation_index"])
    if cited or cite_sources:
        entry["citation"] = [_citation(r) for r in cited]
    return entry


def _value(node: _Node, cite_sources: bool) -> Any:
    if not node.children:
        return _leaf(node.rows, cite_sources)
    if all(type(key) is int for key in node.children):
        items: list[Any] = [{} for _ in range(max(int(k) for k in node.children) + 1)]
        for index, child in node.children.items():
            items[int(index)] = _value(child, cite_sources)
        return items
    out = {key: _value(child, cite_sources) for key, child in node.children.items() if type(key) is str}
    reasoning = next((r["reasoning"] for r in node.rows if r["reasoning"] is not None), None)
    if reasoning is not None:
        out["reasoning"] = reasoning
    return out


def _record(rows: list[Row], cite_sources: bool, notes: Mapping[str, str | None]) -> dict[str, Any]:
    record = _tree(rows)
    out = {k: _value(c, cite_sources) for k, c in record.children.items() if type(k) is str}
    out.update({key: text for key, text in notes.items() if text is not None})
    return out


def _per_item(text: str | None) -> dict[int, str]:
    """``[0] a\\n[2] b`` -> ``{0: "a", 2: "b"}``: the root notes of a list, split back per item."""
    if text is None:
        return {}
    starts = list(_NOTE.finditer(text))
    return {
        int(m.group(1)): text[m.end() : (starts[i + 1].start() - 1 if i + 1 < len(starts) else len(text))]
        for i, m in enumerate(starts)
    }


def rebuild_field_metadata(run_id: str, tables: Mapping[str, pa.Table] | Mapping[str, pd.DataFrame]) -> Any:
    """Rebuild a run's field metadata as the API sent it, from its field_metadata and runs rows.

    Args:
        run_id: the run to rebuild.
        tables: ``runs`` and ``field_metadata`` (Arrow tables or DataFrames); other runs' rows are
            ignored.

    Returns:
        For a v2 run, the ``extract_metadata.field_metadata`` container; for a v1 run, its
        ``field_metadata`` (None when it left no rows and no notes); None for a run not in ``runs``.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from llamacloud_etl.flatten import flatten_batch
        >>> from llamacloud_etl.run import Outcome, Run, RunConfig
        >>> meta = {"document_metadata": {"n": {"confidence": 0.9}}, "page_metadata": None,
        ...     "row_metadata": None}
        >>> run = Run(id="ext-1", agent_id="a", status="COMPLETED", outcome=Outcome.SUCCEEDED,
        ...     config=RunConfig(target="PER_DOC"), data={"n": 3}, field_metadata=meta,
        ...     data_schema={"type": "object", "properties": {"n": {"type": "number"}}}, api_version="v2")
        >>> batch = flatten_batch([run], fetched_at=datetime(2026, 4, 14, tzinfo=UTC))
        >>> rebuild_field_metadata("ext-1", {"runs": batch.runs, "field_metadata": batch.field_metadata})
        {'document_metadata': {'n': {'confidence': 0.9}}, 'page_metadata': None, 'row_metadata': None}
    """
    found = run_rows(tables["runs"], run_id)
    if not found:
        return None
    run = found[0]
    rows = run_rows(tables["field_metadata"], run_id)
    target = run.get("extraction_target") or "PER_DOC"
    cite = bool(run.get("cite_sources"))
    reasoning, error = run.get("metadata_reasoning"), run.get("metadata_error")
    root: Any
    if target in LIST_TARGETS:
        by_item: dict[int, list[Row]] = {}
        for row in rows:
            by_item.setdefault(row["record_index"] or 0, []).append(row)
        reasons, errors = _per_item(reasoning), _per_item(error)
        size = max([run.get("record_count") or 0, *(i + 1 for i in (*by_item, *reasons, *errors))])
        root = [
            _record(by_item.get(i, []), cite, {"reasoning": reasons.get(i), "error": errors.get(i)})
            for i in range(size)
        ]
    else:
        root = _record(rows, cite, {"reasoning": reasoning, "error": error})
    if run.get("api_version") != "v2":
        return root if rows or reasoning is not None or error is not None else None
    container: dict[str, Any] = dict.fromkeys(V2_MEMBERS)
    container[v2_member(target)] = root
    return container
