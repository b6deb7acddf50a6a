"""The completion sensor: finds runs that finished since its cursor and re-lands their days.

It never skips a day: a day it requests stays in its cursor (:class:`~llamacloud_etl.landing.Owed`)
until a Dagster run it requested for that day has succeeded. A run that failed or was canceled
gets its days requested again; one still queued or running is waited for.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from llamacloud_etl.console import describe
from llamacloud_etl.defs.resources import LlamaCloudResource
from llamacloud_etl.defs.schedules import lookback_days, recent_tags
from llamacloud_etl.errors import LlamaCloudError
from llamacloud_etl.landing import Completed, Owed, Watermark, find_completed, select_agents

# The tag Dagster puts on a run a sensor requested with a run key.
RUN_KEY_TAG = "dagster/run_key"
# Unfinished runs are remembered (and checked by ID once out of the lookback window) this long.
REMEMBER_PENDING_DAYS = 30
# A requested run that has not shown up in the instance after this long was lost (deleted, never
# launched): its days are requested again.
LOST_AFTER = timedelta(hours=1)
FAILED = frozenset({dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED})


def settle(
    instance: dg.DagsterInstance, owed: Sequence[Owed], now: datetime
) -> tuple[tuple[Owed, ...], set[str]]:
    """The requests still owed (their run queued or running), and the days to request again.

    A request is settled by any successful run with its run key, and owed again when every such
    run failed or was canceled, or when none has appeared within :data:`LOST_AFTER`.
    """
    kept: list[Owed] = []
    again: set[str] = set()
    for entry in owed:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={RUN_KEY_TAG: entry.key}))
        statuses = {run.status for run in runs}
        if dg.DagsterRunStatus.SUCCESS in statuses:
            continue
        if statuses - FAILED or (not statuses and now - entry.at < LOST_AFTER):
            kept.append(entry)
        else:
            again.update(entry.days)
    return tuple(kept), again


class SensorTickError(Exception):
    """A tick of the completion sensor failed; the message says what to do (see ``console``)."""


def _find_completed(
    context: dg.SensorEvaluationContext,
    llamacloud: LlamaCloudResource,
    agents: list[str] | None,
    *,
    created_after: datetime,
    watermark: Watermark,
    remember_after: datetime,
) -> Completed:
    """What finished since the cursor; an API or configuration failure fails the tick with one message."""
    try:
        with llamacloud.get_source() as source:
            # Agents found in runs (v2 inline schemas) are looked for in the window only.
            chosen = select_agents(source.list_agents(created_after), agents)
            return find_completed(
                source,
                chosen,
                created_after=created_after,
                watermark=watermark,
                remember_after=remember_after,
            )
    except LlamaCloudError as exc:
        # The tick fails with the same one message the CLI prints; the cursor stays as it was.
        message = describe(exc, (llamacloud.settings().api_key,)).message
        context.log.error(message)
        raise SensorTickError(message) from exc


def build_completion_sensor(
    job: UnresolvedAssetJobDefinition,
    partitions_def: dg.DailyPartitionsDefinition,
    *,
    agents: list[str] | None = None,
    lookback: int | None = None,
    remember_days: int = REMEMBER_PENDING_DAYS,
    minimum_interval_seconds: int = 300,
) -> dg.SensorDefinition:
    """A sensor whose cursor is a completion watermark; one run request covers every affected day.

    Unfinished runs are remembered for ``remember_days`` after their creation (at least the
    lookback window), so a run that completes late, even outside the window, gets its day landed.
    """
    days_back = lookback_days() if lookback is None else lookback

    @dg.sensor(
        job=job,
        name="llamacloud_completed_runs",
        minimum_interval_seconds=minimum_interval_seconds,
        description=(
            "Requests the days of runs that completed since the last tick, and those of its "
            "requests whose run failed, as one ranged run."
        ),
    )
    def llamacloud_completed_runs(
        context: dg.SensorEvaluationContext, llamacloud: LlamaCloudResource
    ) -> dg.SensorResult:
        watermark = Watermark.from_cursor(context.cursor)
        now = datetime.now(UTC)
        owed, again = settle(context.instance, watermark.owed, now) if watermark.owed else ((), set())
        created_after = datetime.combine(
            now.date() - timedelta(days=days_back), datetime.min.time(), tzinfo=UTC
        )
        remember_after = min(created_after, now - timedelta(days=remember_days))
        found = _find_completed(
            context,
            llamacloud,
            agents,
            created_after=created_after,
            watermark=watermark,
            remember_after=remember_after,
        )
        keys = set(partitions_def.get_partition_keys(current_time=now))
        new = {d.isoformat() for d in found.days} & keys
        days = sorted(new | (again & keys))
        if not days:
            cursor = replace(found.watermark, owed=owed).to_cursor()
            reason = "completed runs fall outside the partitions" if found.days else "no run completed"
            return dg.SensorResult(skip_reason=f"{reason} since the last tick", cursor=cursor)
        digest = hashlib.sha256(f"{context.cursor}|{now.isoformat()}".encode()).hexdigest()[:12]
        key = f"completed:{days[0]}..{days[-1]}:{digest}"
        cursor = replace(found.watermark, owed=(*owed, Owed(key, tuple(days), now))).to_cursor()
        context.log.info(
            f"{len(found.run_ids)} runs completed, {len(again & keys)} days owed by failed runs; "
            f"landing {days[0]}..{days[-1]}"
        )
        request = dg.RunRequest(run_key=key, tags=recent_tags(days[0], days[-1]))
        return dg.SensorResult(run_requests=[request], cursor=cursor)

    return llamacloud_completed_runs
