"""The landing assets: one multi-asset that writes every table of a range of days in one pass.

Three assets make the lineage visible: ``llamacloud/runs``, ``llamacloud/field_metadata`` and
``llamacloud/records`` (every agent's records and child tables), downstream of the external
``llamacloud/extraction_api``. They are materialized together because one fetch feeds all three:
no run is fetched twice.
"""

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg
import pyarrow as pa
from pydantic import Field

from llamacloud_etl.console import ExitCode, describe
from llamacloud_etl.defs.resources import LlamaCloudResource, ParquetStoreResource
from llamacloud_etl.errors import LlamaCloudError
from llamacloud_etl.flatten import FIELD_METADATA_SCHEMA, RUNS_SCHEMA
from llamacloud_etl.landing import DayResult, LandingReport, Verification, land_days
from llamacloud_etl.progress import report as show_progress
from llamacloud_etl.settings import AGENTS_ENV, PROCESSES_ENV, Settings, cores
from llamacloud_etl.storage import (
    AGENTS_FOLDER,
    FIELD_METADATA_TABLE,
    RUNS_TABLE,
    ParquetStore,
    split_agent_table,
)

API_KEY = dg.AssetKey(["llamacloud", "extraction_api"])
RUNS_KEY = dg.AssetKey(["llamacloud", "runs"])
FIELD_METADATA_KEY = dg.AssetKey(["llamacloud", "field_metadata"])
RECORDS_KEY = dg.AssetKey(["llamacloud", "records"])
GROUP = "llamacloud"

extraction_api = dg.AssetSpec(
    API_KEY,
    description="LlamaCloud extraction runs (GET /api/v1/extraction/runs), read through LlamaCloudResource.",
    group_name=GROUP,
    kinds={"api"},
)


def _agents_from_env() -> list[str]:
    return list(Settings.from_env().agents)


def _processes_from_env() -> int:
    return Settings.from_env().processes


class LandingConfig(dg.Config):
    """Run configuration of the landing assets."""

    agents: list[str] = Field(
        default_factory=_agents_from_env,
        description="Agent IDs or names to land; empty lands every agent of the project. "
        f"Defaults to the comma-separated env {AGENTS_ENV}.",
    )
    run_ids: list[str] = Field(
        default_factory=list,
        description="Runs to land even if the listing misses them (they must fall in the partition range).",
    )
    low_confidence_threshold: float = Field(
        default=0.5, description="A field whose combined confidence is below this counts as low-confidence."
    )
    low_confidence_max_share: float = Field(
        default=0.2,
        description="The low-confidence check warns when more than this share of scored fields is low.",
    )
    processes: int = Field(
        default_factory=_processes_from_env,
        ge=0,
        description="Processes the agents are shared out between (weighed by size, heaviest "
        "first), the run's own process included: N lands the heaviest group here and spawns N-1 "
        "workers for the others; 0 for one per CPU core, 1 to land everything in the run's own "
        f"process. Landing is CPU-bound. Defaults to env {PROCESSES_ENV}, else 0.",
    )


def _column_schema(schema: pa.Schema) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name=f.name, type=str(f.type)) for f in schema])


def _rows(report: LandingReport, match: str) -> int:
    return sum(w.row_count for w in report.written if w.table == match)


def _common_metadata(report: LandingReport, store: ParquetStore, table: str) -> dict[str, object]:
    days = report.days
    meta: dict[str, object] = {
        "dagster/uri": dg.MetadataValue.path(store.uri(table)),
        "days": len(days),
        "first_day": str(days[0].day) if days else "",
        "last_day": str(days[-1].day) if days else "",
    }
    return meta


def _preview(store: ParquetStore, report: LandingReport, table: str) -> str:
    for day in reversed(report.days):
        if any(w.table == table and w.row_count for w in day.written):
            sample = store.read_table(table, days=[day.day]).slice(0, 5).to_pandas()
            return str(sample.to_markdown(index=False))
    return "(no rows)"


def _table_spec(key: dg.AssetKey, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(key, deps=[API_KEY], description=description, group_name=GROUP, kinds={"parquet"})


ASSET_SPECS = (
    _table_spec(RUNS_KEY, "One row per finished run (SUCCESS or ERROR) of every agent: <root>/runs."),
    _table_spec(FIELD_METADATA_KEY, "One row per (field, citation): confidence, reasoning, page, boxes."),
    _table_spec(RECORDS_KEY, "Per agent: records (one per doc/page/row) and child tables records__<array>."),
)
"""The three tables the landing multi-asset materializes together."""

CHECK_SPECS = (
    dg.AssetCheckSpec("no_duplicate_run_ids", asset=RUNS_KEY, description="Each run_id lands once."),
    dg.AssetCheckSpec(
        "all_listed_success_runs_landed",
        asset=RUNS_KEY,
        description="Every SUCCESS run the API lists for the days is in the runs table.",
    ),
    dg.AssetCheckSpec(
        "no_duplicate_row_ids",
        asset=RECORDS_KEY,
        description="Each _row_id is unique in every table.",
    ),
    dg.AssetCheckSpec(
        "schema_compatible",
        asset=RECORDS_KEY,
        description="No column changed type incompatibly (int64 -> float64 widening is compatible).",
    ),
    dg.AssetCheckSpec(
        "every_success_run_flattened",
        asset=RECORDS_KEY,
        description="Every SUCCESS run flattened (a failed one lands with runs.flatten_error set).",
    ),
    dg.AssetCheckSpec(
        "low_confidence_share",
        asset=FIELD_METADATA_KEY,
        description="Share of scored fields below the confidence threshold stays under the limit.",
    ),
)
"""The checks the landing runs after each landing, in the order their results are yielded (see
:func:`_check_results`)."""


def build_landing_assets(partitions_def: dg.DailyPartitionsDefinition) -> dg.AssetsDefinition:
    """The landing multi-asset over ``partitions_def`` (a factory, so the start date is configurable)."""

    @dg.multi_asset(
        name="land_extraction_runs",
        specs=ASSET_SPECS,
        check_specs=CHECK_SPECS,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        # Two runs landing the same day at once would race on its files: give the pool a limit of 1
        # (`dagster instance concurrency set llamacloud_landing 1`) when the schedule, the sensor
        # and manual backfills may overlap.
        pool="llamacloud_landing",
    )
    def land_extraction_runs(
        context: dg.AssetExecutionContext,
        config: LandingConfig,
        llamacloud: LlamaCloudResource,
        parquet: ParquetStoreResource,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:  # type: ignore[type-arg]
        """Land the finished runs of the partition range: list, flatten and write each day."""
        window = context.partition_time_window
        first = window.start.date()
        last = (window.end - timedelta(days=1)).date()
        store = parquet.get_store()

        def progress(day: DayResult, done: int, total: int) -> None:
            context.log.debug(
                f"[{done}/{total}] run_date={day.day}: {len(day.runs_landed)} runs landed, "
                f"{day.pending} pending, {sum(w.row_count for w in day.written)} rows written"
            )
            show_progress(day, done, total)

        try:
            with llamacloud.get_source() as source:
                report = land_days(
                    source,
                    store,
                    first,
                    last,
                    agents_allow=config.agents or None,
                    extra_run_ids=config.run_ids,
                    low_confidence_threshold=config.low_confidence_threshold,
                    progress=progress,
                    processes=config.processes or cores(),
                    settings=llamacloud.settings(),
                )
                requests, retries = source.requests, source.retries
        except LlamaCloudError as exc:
            raise _failure(exc, llamacloud.api_key) from exc
        checked = Verification.of(report)
        for key, partition, entries in _partition_metadata(report):
            context.add_asset_metadata(entries, asset_key=key, partition_key=partition)
        for key, entries in _summary_metadata(report, store).items():
            context.add_asset_metadata(entries, asset_key=key, partition_key=last.isoformat())
        requests, retries = requests + report.api_requests, retries + report.api_retries
        yield from _materializations(report, store, requests, retries)
        yield from _check_results(report, checked, config)

    return land_extraction_runs


def _failure(exc: LlamaCloudError, api_key: str) -> dg.Failure:
    """The step's failure: the operator's message as description (the CLI prints the same), the
    error class and exit code as metadata; the trace stays in the event log, the key nowhere."""
    problem = describe(exc, (api_key,))
    return dg.Failure(
        description=problem.message,
        metadata={"error_class": type(exc).__name__, "exit_code": int(problem.code)},
        allow_retries=problem.code == ExitCode.API,
    )


def _partition_metadata(report: LandingReport) -> list[tuple[dg.AssetKey, str, dict[str, object]]]:
    """Each day partition's own entries: its rows (``records``: the agents' records tables), and
    for ``runs`` the day's runs landed, pending and vanished."""
    entries: list[tuple[dg.AssetKey, str, dict[str, object]]] = []
    for day in report.days:
        runs = sum(w.row_count for w in day.written if w.table == RUNS_TABLE)
        metadata = sum(w.row_count for w in day.written if w.table == FIELD_METADATA_TABLE)
        records = sum(w.row_count for w in day.written if w.table.endswith("/records"))
        partition = day.day.isoformat()
        entries.append(
            (
                RUNS_KEY,
                partition,
                {
                    "dagster/partition_row_count": runs,
                    "day_runs_landed": len(day.runs_landed),
                    "day_runs_pending": day.pending,
                    "day_runs_vanished": len(day.vanished),
                },
            )
        )
        entries.append((FIELD_METADATA_KEY, partition, {"dagster/partition_row_count": metadata}))
        entries.append((RECORDS_KEY, partition, {"dagster/partition_row_count": records}))
    return entries


def _record_tables(report: LandingReport) -> tuple[dict[str, int], dict[str, pa.Schema]]:
    """Rows and (newest) schema of each agent table the landing wrote."""
    rows: dict[str, int] = {}
    schemas: dict[str, pa.Schema] = {}
    for w in report.written:
        if split_agent_table(w.table) is not None:
            rows[w.table] = rows.get(w.table, 0) + w.row_count
            schemas[w.table] = w.schema
    return rows, schemas


def _summary_metadata(report: LandingReport, store: ParquetStore) -> dict[dg.AssetKey, dict[str, object]]:
    """The heavier entries (column schemas, previews, lists of agents and tables), for one partition.

    A ranged run gives each day partition a materialization with the run's metadata; these
    entries would be copied into every one of them, so they go on the newest day's only, which
    is also the asset's latest materialization.
    """
    rows, schemas = _record_tables(report)
    records: dict[str, object] = {
        "agents": dg.MetadataValue.md("\n".join(f"- {a.name} (`{a.id}`)" for a in report.agents) or "(none)"),
        "tables": dg.MetadataValue.md(
            "| table | rows |\n|---|---|\n" + "\n".join(f"| {t} | {n} |" for t, n in sorted(rows.items()))
        ),
    }
    for table, schema in sorted(schemas.items()):
        records[f"columns: {table}"] = _column_schema(schema)
    return {
        RUNS_KEY: {
            "dagster/column_schema": _column_schema(RUNS_SCHEMA),
            "preview": dg.MetadataValue.md(_preview(store, report, RUNS_TABLE)),
        },
        FIELD_METADATA_KEY: {
            "dagster/column_schema": _column_schema(FIELD_METADATA_SCHEMA),
            "preview": dg.MetadataValue.md(_preview(store, report, FIELD_METADATA_TABLE)),
        },
        RECORDS_KEY: records,
    }


def _materializations(
    report: LandingReport, store: ParquetStore, requests: int, retries: int
) -> list[dg.MaterializeResult]:  # type: ignore[type-arg]
    """One result per asset, with the run-wide counts (every day partition gets them)."""
    runs_meta = _common_metadata(report, store, RUNS_TABLE) | {
        "dagster/row_count": _rows(report, RUNS_TABLE),
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
    fm_meta = _common_metadata(report, store, FIELD_METADATA_TABLE) | {
        "dagster/row_count": _rows(report, FIELD_METADATA_TABLE),
    }
    rows, _ = _record_tables(report)
    rec_meta = _common_metadata(report, store, AGENTS_FOLDER) | {
        "dagster/row_count": sum(n for t, n in rows.items() if t.endswith("/records")),
        "records": report.records,
        "agent_tables": len(rows),
    }
    return [
        dg.MaterializeResult(asset_key=RUNS_KEY, metadata=runs_meta),  # type: ignore[arg-type]
        dg.MaterializeResult(asset_key=FIELD_METADATA_KEY, metadata=fm_meta),  # type: ignore[arg-type]
        dg.MaterializeResult(asset_key=RECORDS_KEY, metadata=rec_meta),  # type: ignore[arg-type]
    ]


def _check_results(
    report: LandingReport, checked: Verification, config: LandingConfig
) -> list[dg.AssetCheckResult]:
    """One result per check of :data:`CHECK_SPECS`, in its order."""
    return [
        *_run_id_checks(checked),
        _row_id_check(checked),
        _schema_check(report),
        _flatten_check(report, checked),
        _low_confidence_check(checked, config),
    ]


def _run_id_checks(checked: Verification) -> list[dg.AssetCheckResult]:
    """The runs table: no run twice, and every SUCCESS run the API listed read back."""
    return [
        dg.AssetCheckResult(
            check_name="no_duplicate_run_ids",
            asset_key=RUNS_KEY,
            passed=checked.duplicate_run_ids == 0,
            metadata={"duplicates": checked.duplicate_run_ids},
        ),
        dg.AssetCheckResult(
            check_name="all_listed_success_runs_landed",
            asset_key=RUNS_KEY,
            passed=not checked.missing_success,
            metadata={
                "runs_read_back": checked.runs_read,
                "missing": len(checked.missing_success),
                "missing_run_ids": ", ".join(checked.missing_success[:50]),
            },
        ),
    ]


def _row_id_check(checked: Verification) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name="no_duplicate_row_ids",
        asset_key=RECORDS_KEY,
        passed=not checked.duplicate_row_ids,
        metadata={"tables_with_duplicates": ", ".join(sorted(checked.duplicate_row_ids)) or "none"},
    )


def _schema_check(report: LandingReport) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name="schema_compatible",
        asset_key=RECORDS_KEY,
        passed=not report.incompatible_conflicts and not report.unconformed,
        metadata={
            "incompatible": len(report.incompatible_conflicts),
            "widened": len(report.schema_conflicts) - len(report.incompatible_conflicts),
            "partitions_rewritten_in_the_grown_schema": report.conformed,
            "partitions_left_in_an_earlier_schema": len(report.unconformed),
            "details": dg.MetadataValue.md(
                "\n".join(f"- {c}" for c in [*report.schema_conflicts, *report.unconformed][:50]) or "none"
            ),
        },
    )


def _flatten_check(report: LandingReport, checked: Verification) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name="every_success_run_flattened",
        asset_key=RECORDS_KEY,
        passed=not checked.flatten_failed,
        metadata={
            "failed": len(checked.flatten_failed),
            "errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in report.flatten_errors[:50]) or "none"),
        },
    )


def _low_confidence_check(checked: Verification, config: LandingConfig) -> dg.AssetCheckResult:
    """A warning, not an error: low confidence is the data's, not the landing's."""
    share = checked.low_confidence / checked.scored if checked.scored else 0.0
    return dg.AssetCheckResult(
        check_name="low_confidence_share",
        asset_key=FIELD_METADATA_KEY,
        passed=share <= config.low_confidence_max_share,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "low_confidence_fields": checked.low_confidence,
            "scored_fields": checked.scored,
            "share": round(share, 4),
            "threshold": config.low_confidence_threshold,
            "max_share": config.low_confidence_max_share,
        },
    )
