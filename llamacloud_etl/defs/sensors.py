"""The completion sensor: finds runs that finished since its cursor and re-lands their days."""

from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from llamacloud_etl.defs.resources import LlamaCloudResource
from llamacloud_etl.defs.schedules import lookback_days, range_tags
from llamacloud_etl.landing import Watermark, find_completed, select_agents


def build_completion_sensor(
    job: UnresolvedAssetJobDefinition,
    partitions_def: dg.DailyPartitionsDefinition,
    *,
    agents: list[str] | None = None,
    lookback: int | None = None,
    minimum_interval_seconds: int = 300,
) -> dg.SensorDefinition:
    """A sensor whose cursor is a completion watermark; one run request covers every affected day."""
    days_back = lookback_days() if lookback is None else lookback

    @dg.sensor(
        job=job,
        name="llamacloud_completed_runs",
        minimum_interval_seconds=minimum_interval_seconds,
        description="Requests the days of runs that completed since the last tick, as one ranged run.",
    )
    def llamacloud_completed_runs(
        context: dg.SensorEvaluationContext, llamacloud: LlamaCloudResource
    ) -> dg.SensorResult:
        watermark = Watermark.from_cursor(context.cursor)
        now = datetime.now(UTC)
        created_after = datetime.combine(
            now.date() - timedelta(days=days_back), datetime.min.time(), tzinfo=UTC
        )
        with llamacloud.get_source() as source:
            chosen = select_agents(source.list_agents(), agents)
            found = find_completed(source, chosen, created_after=created_after, watermark=watermark)
        cursor = found.watermark.to_cursor()
        if not found.days:
            return dg.SensorResult(skip_reason="no run completed since the last tick", cursor=cursor)
        keys = set(partitions_def.get_partition_keys(current_time=now))
        days = sorted(d.isoformat() for d in found.days if d.isoformat() in keys)
        if not days:
            return dg.SensorResult(skip_reason="completed runs fall outside the partitions", cursor=cursor)
        context.log.info(f"{len(found.run_ids)} runs completed; re-landing {days[0]}..{days[-1]}")
        request = dg.RunRequest(run_key=f"completed:{cursor}", tags=range_tags(days[0], days[-1]))
        return dg.SensorResult(run_requests=[request], cursor=cursor)

    return llamacloud_completed_runs
