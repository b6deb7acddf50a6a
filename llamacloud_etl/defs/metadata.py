"""Materialization metadata of the landing: per day partition, per run, per agent.

Dagster plots a numeric entry of an asset's materializations over its partitions, so every day
partition gets the numbers a team watches (``day_*``, see :func:`partition_metadata`): the day's
totals on ``llamacloud/runs`` (runs, errors, pages, tokens) and ``llamacloud/field_metadata``
(confidence), and each agent's own on its ``llamacloud/<agent>/records`` asset. An entry with
no value that day (a mean of no scores) is left out rather than plotted as 0.
"""

from collections.abc import Mapping

import dagster as dg
import pyarrow as pa

from llamacloud_etl.defs.keys import FIELD_METADATA_KEY, RECORDS_KEY, RUNS_KEY
from llamacloud_etl.flatten import FIELD_METADATA_SCHEMA, RUNS_SCHEMA
from llamacloud_etl.landing import LandingReport
from llamacloud_etl.landing.quality import Quality, total
from llamacloud_etl.run import Agent
from llamacloud_etl.storage import (
    AGENTS_FOLDER,
    FIELD_METADATA_TABLE,
    RUNS_TABLE,
    ParquetStore,
    agent_slug,
    split_agent_table,
)

Entries = dict[str, object]
AgentKeys = Mapping[str, dg.AssetKey]
"""The key of each agent that has its own asset, by agent ID."""


def landed_agents(report: LandingReport, agent_keys: AgentKeys) -> list[tuple[Agent, dg.AssetKey]]:
    """The agents the landing landed that have their own asset, with its key."""
    return [(a, agent_keys[a.id]) for a in report.agents if a.id in agent_keys]


def runs_quality(quality: Quality) -> Entries:
    """A day's run numbers: errors, error rate, pages, tokens (and credits once a source gives them)."""
    entries: Entries = {
        "day_runs_errored": quality.errored,
        "day_error_rate": quality.error_rate,
        "day_pages_extracted": quality.pages,
        "day_document_tokens": quality.document_tokens,
        "day_output_tokens": quality.output_tokens,
    }
    if quality.credits is not None:
        entries["day_credits"] = quality.credits
    return entries


def confidence_quality(quality: Quality) -> Entries:
    """A day's confidence numbers: scored and low fields, low share, mean and 10th percentile."""
    entries: Entries = {"day_scored_fields": quality.scored, "day_low_confidence_fields": quality.low}
    for name, value in (
        ("day_low_confidence_share", quality.low_share),
        ("day_confidence_mean", quality.confidence_mean),
        ("day_confidence_p10", quality.confidence_p10),
    ):
        if value is not None:
            entries[name] = value
    return entries


def partition_metadata(
    report: LandingReport, agent_keys: AgentKeys
) -> list[tuple[dg.AssetKey, str, Entries]]:
    """Each day partition's own entries, per asset: row counts, and the day's quality numbers."""
    entries: list[tuple[dg.AssetKey, str, Entries]] = []
    agents = landed_agents(report, agent_keys)
    for day in report.days:
        rows = dict.fromkeys((RUNS_TABLE, FIELD_METADATA_TABLE), 0)
        for w in day.written:
            rows[w.table] = rows.get(w.table, 0) + w.row_count
        quality = total(day.quality.values())
        partition = day.day.isoformat()
        runs = {
            "dagster/partition_row_count": rows[RUNS_TABLE],
            "day_runs_landed": len(day.runs_landed),
            "day_runs_pending": day.pending,
            "day_runs_vanished": len(day.vanished),
        }
        records = sum(n for table, n in rows.items() if table.endswith("/records"))
        entries.append((RUNS_KEY, partition, runs | runs_quality(quality)))
        fm = {"dagster/partition_row_count": rows[FIELD_METADATA_TABLE]} | confidence_quality(quality)
        entries.append((FIELD_METADATA_KEY, partition, fm))
        entries.append((RECORDS_KEY, partition, {"dagster/partition_row_count": records}))
        for agent, key in agents:
            mine = day.quality.get(agent.id, Quality())
            own: Entries = {"dagster/partition_row_count": mine.records, "day_runs_landed": mine.runs}
            entries.append((key, partition, own | runs_quality(mine) | confidence_quality(mine)))
    return entries


def column_schema(schema: pa.Schema) -> dg.TableSchema:
    """A table's Arrow schema as Dagster shows it."""
    return dg.TableSchema(columns=[dg.TableColumn(name=f.name, type=str(f.type)) for f in schema])


def record_tables(
    report: LandingReport, slug: str | None = None
) -> tuple[dict[str, int], dict[str, pa.Schema]]:
    """Rows and (newest) schema of each agent table the landing wrote (of the agent ``slug`` only)."""
    rows: dict[str, int] = {}
    schemas: dict[str, pa.Schema] = {}
    for w in report.written:
        parts = split_agent_table(w.table)
        if parts is not None and slug in (None, parts[0]):
            rows[w.table] = rows.get(w.table, 0) + w.row_count
            schemas[w.table] = w.schema
    return rows, schemas


def _tables_entries(report: LandingReport, slug: str | None = None) -> Entries:
    rows, schemas = record_tables(report, slug)
    entries: Entries = {
        "tables": dg.MetadataValue.md(
            "| table | rows |\n|---|---|\n" + "\n".join(f"| {t} | {n} |" for t, n in sorted(rows.items()))
        ),
    }
    for table, schema in sorted(schemas.items()):
        entries[f"columns: {table}"] = column_schema(schema)
    return entries


def _preview(store: ParquetStore, report: LandingReport, table: str) -> str:
    for day in reversed(report.days):
        if any(w.table == table and w.row_count for w in day.written):
            sample = store.read_table(table, days=[day.day]).slice(0, 5).to_pandas()
            return str(sample.to_markdown(index=False))
    return "(no rows)"


def summary_metadata(
    report: LandingReport, store: ParquetStore, agent_keys: AgentKeys
) -> dict[dg.AssetKey, Entries]:
    """The heavier entries (column schemas, previews, lists of agents and tables), for one partition.

    A ranged run gives each day partition a materialization with the run's metadata; these
    entries would be copied into every one of them, so they go on the newest day's only, which
    is also the asset's latest materialization.
    """
    agents_md = "\n".join(f"- {a.name} (`{a.id}`)" for a in report.agents) or "(none)"
    summary: dict[dg.AssetKey, Entries] = {
        RUNS_KEY: {
            "dagster/column_schema": column_schema(RUNS_SCHEMA),
            "preview": dg.MetadataValue.md(_preview(store, report, RUNS_TABLE)),
        },
        FIELD_METADATA_KEY: {
            "dagster/column_schema": column_schema(FIELD_METADATA_SCHEMA),
            "preview": dg.MetadataValue.md(_preview(store, report, FIELD_METADATA_TABLE)),
        },
        RECORDS_KEY: {"agents": dg.MetadataValue.md(agents_md)} | _tables_entries(report),
    }
    for agent, key in landed_agents(report, agent_keys):
        summary[key] = _tables_entries(report, agent_slug(agent.name, agent.id))
    return summary


def _common(report: LandingReport, store: ParquetStore, table: str) -> Entries:
    days = report.days
    return {
        "dagster/uri": dg.MetadataValue.path(store.uri(table)),
        "days": len(days),
        "first_day": str(days[0].day) if days else "",
        "last_day": str(days[-1].day) if days else "",
    }


def materializations(
    report: LandingReport, store: ParquetStore, requests: int, retries: int, agent_keys: AgentKeys
) -> list[dg.MaterializeResult]:  # type: ignore[type-arg]
    """One result per asset landed, with the run-wide counts (every day partition gets them)."""
    runs_rows = sum(w.row_count for w in report.written if w.table == RUNS_TABLE)
    runs_meta = _common(report, store, RUNS_TABLE) | {
        "dagster/row_count": runs_rows,
        "runs_listed": report.listed,
        "runs_fetched": report.fetched,
        "runs_success": report.success,
        "runs_errored": report.errored,
        "runs_pending": report.pending,
        "runs_skipped_vanished": report.vanished,
        "flatten_errors": len(report.flatten_errors),
        "off_schema_values": report.off_schema_values,
        "api_requests": requests,
        "api_retries": retries,
    }
    fm_meta = _common(report, store, FIELD_METADATA_TABLE) | {
        "dagster/row_count": sum(w.row_count for w in report.written if w.table == FIELD_METADATA_TABLE),
    }
    rows, _ = record_tables(report)
    rec_meta = _common(report, store, AGENTS_FOLDER) | {
        "dagster/row_count": sum(n for t, n in rows.items() if t.endswith("/records")),
        "records": report.records,
        "agent_tables": len(rows),
    }
    results: list[dg.MaterializeResult] = [  # type: ignore[type-arg]
        dg.MaterializeResult(asset_key=RUNS_KEY, metadata=runs_meta),  # type: ignore[arg-type]
        dg.MaterializeResult(asset_key=FIELD_METADATA_KEY, metadata=fm_meta),  # type: ignore[arg-type]
        dg.MaterializeResult(asset_key=RECORDS_KEY, metadata=rec_meta),  # type: ignore[arg-type]
    ]
    for agent, key in landed_agents(report, agent_keys):
        slug = agent_slug(agent.name, agent.id)
        mine, _ = record_tables(report, slug)
        meta = _common(report, store, f"{AGENTS_FOLDER}/{slug}") | {
            "dagster/row_count": sum(n for t, n in mine.items() if t.endswith("/records")),
            "agent_id": agent.id,
            "agent_name": agent.name,
            "agent_tables": len(mine),
        }
        results.append(dg.MaterializeResult(asset_key=key, metadata=meta))  # type: ignore[arg-type]
    return results
