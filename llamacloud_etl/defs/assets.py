"""The landing assets: one multi-asset that writes every table of a range of days in one pass.

Three assets make the lineage visible: ``llamacloud/runs``, ``llamacloud/field_metadata`` and
``llamacloud/records`` (every agent's records and child tables), downstream of the external
``llamacloud/extraction_api``. They are materialized together because one fetch feeds all three:
no run is fetched twice.
"""

from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta

import dagster as dg
from pydantic import Field

from llamacloud_etl.console import ExitCode, describe
from llamacloud_etl.defs.keys import API_KEY, FIELD_METADATA_KEY, GROUP, RECORDS_KEY, RUNS_KEY, agent_key
from llamacloud_etl.defs.metadata import materializations, partition_metadata, summary_metadata
from llamacloud_etl.defs.resources import LlamaCloudResource, ParquetStoreResource
from llamacloud_etl.errors import LlamaCloudError
from llamacloud_etl.landing import DayResult, LandingReport, Verification, land_days
from llamacloud_etl.progress import report as show_progress
from llamacloud_etl.run import Agent
from llamacloud_etl.settings import AGENTS_ENV, PROCESSES_ENV, Settings, cores

__all__ = [
    "API_KEY",
    "FIELD_METADATA_KEY",
    "GROUP",
    "POOL",
    "PROCESSES_ENV",
    "RECORDS_KEY",
    "RUNS_KEY",
    "LandingConfig",
    "agent_spec",
    "backfill_policy",
    "build_landing_assets",
    "extraction_api",
]

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


def _table_spec(key: dg.AssetKey, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(key, deps=[API_KEY], description=description, group_name=GROUP, kinds={"parquet"})


ASSET_SPECS = (
    _table_spec(RUNS_KEY, "One row per finished v1 run or v2 job of every agent: <root>/runs."),
    _table_spec(FIELD_METADATA_KEY, "One row per (field, citation): confidence, reasoning, page, boxes."),
    _table_spec(RECORDS_KEY, "Per agent: records (one per doc/page/row) and child tables records__<array>."),
)
"""The three tables the landing multi-asset materializes together."""


def agent_spec(agent: Agent) -> dg.AssetSpec:
    """The asset of one agent's tables: ``records`` and its child tables, listed in its metadata.

    Skippable: a landing restricted to other agents (``agents`` in the run config) does not
    materialize it.
    """
    return dg.AssetSpec(
        agent_key(agent),
        deps=[API_KEY],
        description=f"Agent {agent.name} (`{agent.id}`): its records (one per doc/page/row) and "
        "child tables records__<array>, under <root>/agents/<slug>/; the tables are listed in "
        "the metadata.",
        group_name=GROUP,
        kinds={"parquet"},
        metadata={"agent_id": agent.id, "agent_name": agent.name},
        skippable=True,
    )


CHECK_SPECS = (
    dg.AssetCheckSpec("no_duplicate_run_ids", asset=RUNS_KEY, description="Each run_id lands once."),
    dg.AssetCheckSpec(
        "all_listed_success_runs_landed",
        asset=RUNS_KEY,
        description="Every succeeded run the API lists for the days (SUCCESS, COMPLETED) is in runs.",
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
        description="Every succeeded run flattened (one that cannot be lands with runs.flatten_error set).",
    ),
    dg.AssetCheckSpec(
        "low_confidence_share",
        asset=FIELD_METADATA_KEY,
        description="Share of scored fields below the confidence threshold stays under the limit.",
    ),
)
"""The checks the landing runs after each landing, in the order their results are yielded (see
:func:`_check_results`)."""


def backfill_policy(max_partitions_per_run: int) -> dg.BackfillPolicy:
    """One run per backfill for 0, else runs of at most ``max_partitions_per_run`` days each."""
    if max_partitions_per_run < 0:
        raise ValueError(f"max_partitions_per_run must be 0 or more, not {max_partitions_per_run}")
    if max_partitions_per_run == 0:
        return dg.BackfillPolicy.single_run()
    return dg.BackfillPolicy.multi_run(max_partitions_per_run=max_partitions_per_run)


POOL = "llamacloud_landing"
"""The concurrency pool of the landing asset: bounds how many landings run at once, nothing more.

Landings need no limit of 1. Each file belongs to one (table, day, agent) and is replaced
atomically; the runs of one backfill own disjoint days; and when two landings of one agent grow
its schema at once, they agree on it through each table's schema record, updated by
compare-and-swap, and conform every day to it before they finish (see
:mod:`llamacloud_etl.landing.conform`). So the pool's limit is a budget (API rate limits, cores,
machines): ``dagster instance concurrency set llamacloud_landing 4``. What it does not prevent,
and is narrower than it: two runs landing the **same** day at once (a backfill over the lookback
window while the sensor re-lands it). The schedule's and sensor's runs carry
``llamacloud_etl/lane=recent``; a run-queue limit of 1 on that tag keeps them from overlapping
each other (see ``examples/kubernetes/dagster.yaml``).
"""


def build_landing_assets(
    partitions_def: dg.DailyPartitionsDefinition,
    agents: Sequence[Agent] = (),
    *,
    max_partitions_per_run: int = 0,
) -> dg.AssetsDefinition:
    """The landing multi-asset over ``partitions_def``, with one asset per agent of ``agents``.

    A factory, so the start date, the agents (from the cached agent list) and the backfill policy
    (:func:`backfill_policy` of ``max_partitions_per_run``) are configurable.
    """
    agent_keys = {agent.id: agent_key(agent) for agent in agents}

    @dg.multi_asset(
        name="land_extraction_runs",
        specs=[*ASSET_SPECS, *(agent_spec(agent) for agent in agents)],
        check_specs=CHECK_SPECS,
        partitions_def=partitions_def,
        backfill_policy=backfill_policy(max_partitions_per_run),
        pool=POOL,  # see POOL: a budget, not a lock
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
                    progress=_progress(context),
                    processes=config.processes or cores(),
                    settings=llamacloud.settings(),
                    day_budget_mb=Settings.from_env().day_budget_mb,
                )
                requests, retries = source.requests, source.retries
        except LlamaCloudError as exc:
            raise _failure(exc, llamacloud.settings().api_key) from exc
        checked = Verification.of(report)
        _log_agents_without_asset(context, report, agent_keys)
        for key, partition, entries in partition_metadata(report, agent_keys):
            context.add_asset_metadata(entries, asset_key=key, partition_key=partition)
        for key, entries in summary_metadata(report, store, agent_keys).items():
            context.add_asset_metadata(entries, asset_key=key, partition_key=last.isoformat())
        requests, retries = requests + report.api_requests, retries + report.api_retries
        yield from materializations(report, store, requests, retries, agent_keys)
        yield from _check_results(report, checked, config)

    return land_extraction_runs


def _progress(context: dg.AssetExecutionContext) -> Callable[[DayResult, int, int], None]:
    """Each day written: a DEBUG line in the run's log, and the CLI's display when one is shown."""

    def progress(day: DayResult, done: int, total: int) -> None:
        context.log.debug(
            f"[{done}/{total}] run_date={day.day}: {len(day.runs_landed)} runs landed, "
            f"{day.pending} pending, {sum(w.row_count for w in day.written)} rows written"
        )
        show_progress(day, done, total)

    return progress


def _failure(exc: LlamaCloudError, api_key: str) -> dg.Failure:
    """The step's failure: the operator's message as description (the CLI prints the same), the
    error class and exit code as metadata; the trace stays in the event log, the key nowhere."""
    problem = describe(exc, (api_key,))
    return dg.Failure(
        description=problem.message,
        metadata={"error_class": type(exc).__name__, "exit_code": int(problem.code)},
        allow_retries=problem.code == ExitCode.API,
    )


def _log_agents_without_asset(
    context: dg.AssetExecutionContext, report: LandingReport, agent_keys: dict[str, dg.AssetKey]
) -> None:
    """Agents landed that the cached agent list does not have: their rows land, in no asset of their own."""
    missing = [a for a in report.agents if a.id not in agent_keys]
    if missing and agent_keys:
        names = ", ".join(f"{a.name} ({a.id})" for a in missing)
        context.log.info(
            f"Landed agents with no asset of their own yet: {names}. Run `llamacloud-etl agents "
            "refresh` and reload the definitions to give them one."
        )


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
    """The runs table: no run twice, and every succeeded run the API listed read back."""
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
