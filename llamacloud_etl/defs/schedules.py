"""The daily schedule: re-land the last few days, so late completions land without anyone watching."""

from datetime import timedelta

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from llamacloud_etl.settings import Settings

# Dagster's run tags for a single run over a range of partitions (a single-run backfill).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
LANE_TAG = "llamacloud_etl/lane"
"""Tag of the runs the schedule and the sensor request (value ``recent``): both re-land the
lookback window, so a run-queue limit of 1 on it keeps them from landing the same days at once."""


def lookback_days() -> int:
    """Days before today that each tick re-lands (env ``LLAMACLOUD_ETL_LOOKBACK_DAYS``, default 3)."""
    return Settings.from_env().lookback_days


def range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run materialize the partitions ``first``..``last`` (inclusive)."""
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}


def recent_tags(first: str, last: str) -> dict[str, str]:
    """The tags of a schedule's or sensor's run: its range, in the ``recent`` lane (see :data:`LANE_TAG`)."""
    return {**range_tags(first, last), LANE_TAG: "recent"}


def build_daily_schedule(
    job: UnresolvedAssetJobDefinition,
    partitions_def: dg.DailyPartitionsDefinition,
    *,
    lookback: int | None = None,
    cron_schedule: str = "15 0 * * *",
) -> dg.ScheduleDefinition:
    """A schedule that, every day at 00:15 UTC, lands today and the ``lookback`` days before it."""
    days_back = lookback_days() if lookback is None else lookback

    @dg.schedule(
        job=job,
        cron_schedule=cron_schedule,
        execution_timezone="UTC",
        name="llamacloud_daily",
        description=f"Re-lands the last {days_back} days and today in one run, picking up late completions.",
    )
    def llamacloud_daily(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        now = context.scheduled_execution_time
        keys = partitions_def.get_partition_keys(current_time=now)
        if not keys:
            return dg.SkipReason(f"no partition exists yet at {now:%Y-%m-%d}")
        last = keys[-1]
        earliest = (
            partitions_def.time_window_for_partition_key(last).start - timedelta(days=days_back)
        ).strftime("%Y-%m-%d")
        first = max(earliest, keys[0])
        return dg.RunRequest(run_key=f"daily:{first}..{last}", tags=recent_tags(first, last))

    return llamacloud_daily
