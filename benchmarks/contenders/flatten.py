"""Flatten contenders: the same parsed runs, in the same day batches, turned into tables.

Both contenders start from a JSONL file of the emulator's run payloads, parsed into
:class:`~llamacloud_etl.models.ExtractRun` and grouped into batches (one per UTC day of ``created_at``)
*before* timing, so only the flattening is measured (ours takes them as the v1 source hands them over,
normalised into :class:`~llamacloud_etl.run.Run`, also before timing). Each batch's output is counted and
dropped before the next batch, as a landing job would write it and move on; the work's memory high-water
mark then shows what one batch costs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from benchmarks._child import Probe

if TYPE_CHECKING:
    import pandas as pd

    from llamacloud_etl.models import ExtractRun

FETCHED_AT = datetime(2026, 10, 13, tzinfo=UTC)
# The keys that make a field_metadata entry a leaf (see llamacloud_etl.flatten.metadata).
_LEAF_KEYS = frozenset({"confidence", "extraction_confidence", "parsing_confidence", "reasoning", "citation"})
_META = ["_run_id", "_record_index"]
_META_PATHS: list[str | list[str]] = list(_META)  # json_normalize's meta= spelling of the same columns


def load_batches(runs_path: str) -> list[list[ExtractRun]]:
    """Parse the JSONL payloads into models and group them by UTC day of ``created_at`` (oldest first)."""
    from llamacloud_etl.models import ExtractRun

    with open(runs_path, encoding="utf-8") as lines:
        runs = [ExtractRun.model_validate_json(line) for line in lines if line.strip()]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    runs.sort(key=lambda r: r.created_at or epoch)
    return [list(day) for _, day in groupby(runs, key=lambda r: (r.created_at or epoch).date())]


def ours(probe: Probe, *, runs_path: str, agent_names: Mapping[str, str]) -> dict[str, Any]:
    """``flatten_batch`` per day batch: the runs table, field_metadata and every agent's typed tables."""
    from llamacloud_etl.flatten import flatten_batch
    from llamacloud_etl.sources.v1 import run_from_v1

    batches = [[run_from_v1(r) for r in day] for day in load_batches(runs_path)]
    total = tables = rows = 0
    with probe.timed():
        for batch in batches:
            flat = flatten_batch(batch, agent_names=agent_names, fetched_at=FETCHED_AT)
            out = [flat.runs, flat.field_metadata]
            out += [t for agent in flat.agents.values() for t in agent.tables.values()]
            total += len(batch)
            tables += len(out)
            rows += sum(t.num_rows for t in out)
            del flat, out  # only one batch's tables are alive at a time
    return {"runs": total, "batches": len(batches), "tables": tables, "rows": rows}


def pandas_json_normalize(probe: Probe, *, runs_path: str, agent_names: Mapping[str, str]) -> dict[str, Any]:
    """``pandas.json_normalize`` doing the same job per day batch (see :func:`normalize_batch`)."""
    import pandas as pd  # noqa: F401  (imported before timing, like ours imports pyarrow)

    batches = load_batches(runs_path)
    total = tables = rows = 0
    paths: dict[str, list[tuple[str, ...]]] = {}
    with probe.timed():
        for batch in batches:
            frames = normalize_batch(batch, agent_names, paths)
            total += len(batch)
            tables += len(frames)
            rows += sum(len(f) for f in frames.values())
            del frames
    return {"runs": total, "batches": len(batches), "tables": tables, "rows": rows}


def normalize_batch(
    batch: Iterable[ExtractRun],
    agent_names: Mapping[str, str],
    paths: dict[str, list[tuple[str, ...]]],
) -> dict[str, pd.DataFrame]:
    """The pandas way to flatten one batch, kept comparable with ``flatten_batch``.

    * ``runs``: ``json_normalize`` of each finished run's top-level fields (config and file as
      ``config.x`` columns, plus the usage counters).
    * per agent, ``records``: ``json_normalize`` of the data records (the run's ``data`` for PER_DOC, each
      element of the list for PER_PAGE / PER_TABLE_ROW) with the run id and record index;
    * per agent and array of objects in the schema (``line_items``, ``line_items.taxes``, ...):
      ``json_normalize(records, record_path=[...], meta=[run id, record index])``;
    * per agent, field metadata: ``json_normalize`` of ``field_metadata`` at the root and along every
      array-of-objects path, reshaped into one row per (record, field, citation) with the scores,
      reasoning and the citation's page, text, boxes and page size (see :func:`metadata_frame`).

    The frames keep pandas' inferred object dtypes; converting them to typed Arrow tables, as ours
    produces, would cost pandas more time, so the comparison is in its favour.
    """
    import pandas as pd

    from llamacloud_etl.models import ExtractState

    frames: dict[str, pd.DataFrame] = {}
    run_rows: list[dict[str, Any]] = []
    by_agent: dict[str, list[ExtractRun]] = defaultdict(list)
    for run in batch:
        if run.status not in (ExtractState.SUCCESS, ExtractState.ERROR):
            continue
        row = run.model_dump(mode="json", exclude={"data", "extraction_metadata", "data_schema"})
        row["agent_name"] = agent_names.get(run.extraction_agent_id)
        row["usage"] = (run.extraction_metadata or {}).get("usage")
        run_rows.append(row)
        if run.status is ExtractState.SUCCESS and run.data is not None:
            by_agent[run.extraction_agent_id].append(run)
    frames["runs"] = pd.json_normalize(run_rows, sep=".")

    for agent_id, runs in by_agent.items():
        if agent_id not in paths:
            # A user would know their agents' schemas; derive the array paths once per agent.
            paths[agent_id] = array_paths(runs[0].data_schema)
        object_paths = paths[agent_id]
        records: list[dict[str, Any]] = []
        metadata: list[dict[str, Any]] = []
        for run in runs:
            items = run.data if isinstance(run.data, list) else [run.data]
            field_metadata = (run.extraction_metadata or {}).get("field_metadata")
            entries = field_metadata if isinstance(field_metadata, list) else [field_metadata] * len(items)
            for index, (item, entry) in enumerate(zip(items, entries, strict=False)):
                if isinstance(item, dict):
                    records.append({"_run_id": run.id, "_record_index": index, **item})
                if isinstance(entry, dict):
                    fields = {k: v for k, v in entry.items() if k not in ("reasoning", "error")}
                    metadata.append({"_run_id": run.id, "_record_index": index, **fields})
        frames[f"{agent_id}/records"] = pd.json_normalize(records, sep="__")
        for path in object_paths:
            frames[f"{agent_id}/records__{'__'.join(path)}"] = pd.json_normalize(
                records, record_path=list(path), meta=_META_PATHS, sep="__", errors="ignore"
            )
        for level in [(), *object_paths]:
            frame = metadata_frame(metadata, level)
            if frame is not None:
                frames[f"{agent_id}/field_metadata/{'.'.join(level) or '<root>'}"] = frame
    return frames


def metadata_frame(metadata: list[dict[str, Any]], level: tuple[str, ...]) -> pd.DataFrame | None:
    """The field metadata at one level as long rows: one per (record, field, citation), like ours.

    ``json_normalize`` spreads every leaf into ``<field path>.<key>`` columns; those columns become a
    (field path, key) MultiIndex that ``stack`` turns into one row per field with the score, reasoning and
    citation columns; ``explode`` gives each citation its own row and a second ``json_normalize`` spreads
    the citation's page, text, boxes and page size into columns.
    """
    import pandas as pd

    if level:
        wide = pd.json_normalize(
            metadata, record_path=list(level), meta=_META_PATHS, sep=".", errors="ignore"
        )
    else:
        wide = pd.json_normalize(metadata, sep=".")
    leaf_columns = [c for c in wide.columns if c not in _META and str(c).rsplit(".", 1)[-1] in _LEAF_KEYS]
    if wide.empty or not leaf_columns:
        return None
    by_field = wide.set_index(_META)[leaf_columns]
    by_field.columns = pd.MultiIndex.from_tuples(
        [tuple(c.rsplit(".", 1)) if "." in c else (".".join(level), c) for c in leaf_columns],
        names=["field_path", "key"],
    )
    # Stacking one level of a two-level column index gives a DataFrame (the stubs say "or Series").
    long = cast("pd.DataFrame", by_field.stack(level="field_path", future_stack=True)).dropna(how="all")
    if "citation" not in long.columns:
        return long.reset_index()
    rows = long.explode("citation").reset_index()
    cited = rows["citation"].notna()
    detail = pd.json_normalize(rows.loc[cited, "citation"].tolist(), sep=".")
    detail.index = rows.index[cited]
    return rows.drop(columns="citation").join(detail)


def array_paths(schema: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """Paths of the arrays of objects in a JSON Schema (``$ref`` and nullable ``anyOf`` resolved).

    Arrays of scalars need no path: they stay list cells in ``records``, and their field metadata is a
    single leaf entry, which the root normalization already covers.
    """
    defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}

    def resolve(node: Any) -> dict[str, Any]:
        for _ in range(32):  # a bounded walk: self-referencing $defs must not loop forever
            if not isinstance(node, dict):
                return {}
            if "$ref" in node:
                node = defs.get(str(node["$ref"]).rsplit("/", 1)[-1], {})
            elif "anyOf" in node:
                branches = [b for b in node["anyOf"] if resolve(b).get("type") not in ("null", None)]
                node = branches[0] if branches else {}
            else:
                return node
        return {}

    def type_of(node: dict[str, Any]) -> Any:
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        return kind

    objects: list[tuple[str, ...]] = []

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> None:
        for name, sub in node.get("properties", {}).items():
            child = resolve(sub)
            if type_of(child) == "array":
                items = resolve(child.get("items"))
                if type_of(items) == "object" or "properties" in items:
                    objects.append((*path, name))
                    walk(items, (*path, name))
            elif type_of(child) == "object" or "properties" in child:
                walk(child, (*path, name))

    walk(resolve(schema), ())
    return objects


def write_runs_jsonl(bodies: Iterable[bytes], path: Path) -> str:
    """Write the wire payloads one per line (compact JSON has no raw newlines); return the path."""
    with open(path, "wb") as out:
        for body in bodies:
            out.write(body)
            out.write(b"\n")
    return str(path)


def agent_names_of(agents: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Agent id -> name, as the landing job passes it."""
    return {str(a["id"]): str(a["name"]) for a in agents}
