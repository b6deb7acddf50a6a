"""Pass 1 of a batch: the schema versions of its runs, and one table layout per agent over them.

A *layout* is an agent's table schemas by table name. Each agent's layout starts from its stored
schemas (``table_schemas``: what earlier batches wrote), then every schema version of the batch
(a ``data_schema`` digest with an extraction target; succeeded runs first, then failed runs, each
in input order) is unioned in with :func:`~llamacloud_etl.flatten.evolution.union_schemas`. Every
run of the agent then lays its rows out in those columns.
"""

from __future__ import annotations

import marshal
from collections.abc import Mapping, Sequence

import pyarrow as pa

from llamacloud_etl.flatten.evolution import SchemaConflict, union_schemas
from llamacloud_etl.flatten.plan import CHILD_KEYS, SYSTEM_FIELDS, Plan, plan_for
from llamacloud_etl.flatten.schema import schema_hash
from llamacloud_etl.run import Outcome, Run

PARTITION_COLUMN = "run_date"  # the storage layer's Hive partition key: never one of our columns

KEY_NAMES = tuple(f.name for f in CHILD_KEYS)

Layout = dict[str, pa.Schema]
"""An agent's table schemas, by table name."""


def stored_layout(
    agent_id: str, table_schemas: Mapping[tuple[str, str], pa.Schema]
) -> tuple[Layout, list[SchemaConflict]]:
    """The agent's stored table schemas, without the partition column and with our bookkeeping types."""
    layout: Layout = {}
    conflicts: list[SchemaConflict] = []
    for (agent, table), schema in table_schemas.items():
        if agent != agent_id:
            continue
        fields = []
        for stored_field in schema:
            if stored_field.name == PARTITION_COLUMN:
                continue
            ours = SYSTEM_FIELDS.get(stored_field.name)
            if ours is not None and not ours.type.equals(stored_field.type):
                # Our bookkeeping columns always keep our types: the walker fills them.
                found = SchemaConflict(
                    ours.name, str(stored_field.type), str(ours.type), "replaced", table, agent_id
                )
                conflicts.append(found)
                fields.append(ours)
            else:
                fields.append(stored_field)
        cleaned = pa.schema(fields)
        layout[table] = cleaned.with_metadata(schema.metadata) if schema.metadata else cleaned
    return layout, conflicts


def _keys_first(schema: pa.Schema) -> pa.Schema:
    """Put our key columns first, in our order (a stored schema may list them elsewhere)."""
    keys = [name for name in KEY_NAMES if name in schema.names]
    if schema.names[: len(keys)] == keys:
        return schema
    ordered = [schema.field(name) for name in keys] + [f for f in schema if f.name not in KEY_NAMES]
    reordered = pa.schema(ordered)
    return reordered.with_metadata(schema.metadata) if schema.metadata else reordered


def unify(layout: Layout, plan: Plan, agent_id: str | None = None) -> list[SchemaConflict]:
    """Union ``plan``'s table schemas into ``layout`` in place; returns the conflicts."""
    conflicts: list[SchemaConflict] = []
    for name, schema in plan.schemas().items():
        if name in layout:
            merged, found = union_schemas(layout[name], schema, table=name, agent_id=agent_id)
            layout[name] = _keys_first(merged)
            conflicts.extend(found)
        else:
            layout[name] = schema
    return conflicts


def digest_of(run: Run) -> str | None:
    """The run's schema digest (:func:`~llamacloud_etl.flatten.schema.schema_hash`); None if not JSON."""
    try:
        return schema_hash(run.data_schema)
    except (TypeError, ValueError, RecursionError):
        return None


def digests_of(runs: Sequence[Run]) -> dict[str, str | None]:
    """Each run's schema digest, by run ID; a schema seen before in the batch is not encoded again.

    Runs of an agent nearly always share one schema. Seen schemas are looked up by their
    ``marshal`` bytes, which are much cheaper to make than canonical JSON: the bytes decode back to one
    value, types included, so equal bytes mean the same JSON value (``==`` would confuse ``1``,
    ``1.0`` and ``true``). Equal schemas that marshal differently (key order, shared objects)
    only miss the lookup.
    """
    seen: dict[bytes, str | None] = {}
    digests: dict[str, str | None] = {}
    for run in runs:
        try:
            key = marshal.dumps(run.data_schema)
        except ValueError:  # not plain JSON values: no lookup
            digests[run.id] = digest_of(run)
            continue
        if key not in seen:
            seen[key] = digest_of(run)
        digests[run.id] = seen[key]
    return digests


def agent_layouts(
    finished: list[Run],
    digests: Mapping[str, str | None],
    stored: Mapping[tuple[str, str], pa.Schema],
) -> tuple[dict[str, Layout], list[SchemaConflict]]:
    """Pass 1: one unified layout per agent, over its stored schemas and every schema version."""
    conflicts: list[SchemaConflict] = []
    layouts: dict[str, Layout] = {}
    seen: set[tuple[str, str | None, str]] = set()
    success = [r for r in finished if r.outcome is Outcome.SUCCEEDED]
    for run in success + [r for r in finished if r.outcome is not Outcome.SUCCEEDED]:
        agent_id = run.agent_id
        if agent_id not in layouts:
            layouts[agent_id], found = stored_layout(agent_id, stored)
            conflicts.extend(found)
        version = (agent_id, digests[run.id], run.config.target)
        if version[1] is not None and version not in seen:
            seen.add(version)
            plan = plan_for(run.data_schema, version[2], version[1])
            conflicts.extend(unify(layouts[agent_id], plan, agent_id))
    return layouts, conflicts
