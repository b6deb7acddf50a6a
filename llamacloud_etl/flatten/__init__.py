"""Flattening: :class:`~llamacloud_etl.run.Run` -> typed, stable, joinable Arrow tables. Pure: no I/O.

Tables (see ``RUNS_SCHEMA``, ``FIELD_METADATA_SCHEMA`` and the module docstrings):

* ``runs``: one row per finished run, one fixed schema for every agent.
* ``records`` per agent: one row per record (the run for PER_DOC, a page, a table row), nested
  objects as ``a__b`` columns, arrays of scalars as list columns, ``_shape``/``_extra`` last.
* ``records__<path>`` per agent: one row per item of an array of objects, linked by
  ``_parent_row_id`` to the row holding the array.
* ``field_metadata``: one row per (leaf field, citation), linked by ``data_row_id``.

Types come from each run's ``data_schema`` (``flatten.schema``), names follow
:data:`NAMING_RULES`, values that break the schema are kept in ``_extra`` (``flatten.records``),
and :func:`rebuild_data` gives back each run's ``data`` exactly, :func:`rebuild_field_metadata` its
field metadata (v1's root, or v2's ``document_metadata``/``page_metadata``/``row_metadata``).

Examples:
    >>> from datetime import UTC, datetime
    >>> from llamacloud_etl.run import Outcome, Run, RunConfig
    >>> run = Run(id="r1", agent_id="a", status="SUCCESS", outcome=Outcome.SUCCEEDED,
    ...     config=RunConfig(target="PER_DOC"), data={"total": 629.25},
    ...     data_schema={"type": "object", "properties": {"total": {"type": "number"}}})
    >>> batch = flatten_batch([run], fetched_at=datetime(2025, 6, 12, tzinfo=UTC))
    >>> batch.agents["a"].tables["records"].to_pylist()
    [{'run_id': 'r1', 'record_index': 0, '_row_id': 'r1/0', 'total': 629.25, '_shape': None, '_extra': None}]
"""

from llamacloud_etl.errors import FlattenError
from llamacloud_etl.flatten.batch import (
    AgentTables,
    FlattenedBatch,
    FlattenedFrames,
    FlattenedRun,
    FlattenStats,
    flatten_batch,
    flatten_run,
)
from llamacloud_etl.flatten.evolution import SchemaConflict, conform_table, union_schemas
from llamacloud_etl.flatten.naming import NAMING_RULES
from llamacloud_etl.flatten.plan import table_schemas_for
from llamacloud_etl.flatten.rebuild import rebuild_data
from llamacloud_etl.flatten.rebuild_metadata import rebuild_field_metadata
from llamacloud_etl.flatten.runs import FIELD_METADATA_SCHEMA, RUNS_SCHEMA
from llamacloud_etl.flatten.schema import MAX_DEPTH

__all__ = [
    "FIELD_METADATA_SCHEMA",
    "MAX_DEPTH",
    "NAMING_RULES",
    "RUNS_SCHEMA",
    "AgentTables",
    "FlattenError",
    "FlattenStats",
    "FlattenedBatch",
    "FlattenedFrames",
    "FlattenedRun",
    "SchemaConflict",
    "conform_table",
    "flatten_batch",
    "flatten_run",
    "rebuild_data",
    "rebuild_field_metadata",
    "table_schemas_for",
    "union_schemas",
]
