"""Dagster definitions: the only package of llamacloud_etl that imports dagster.

``defs`` is what ``dagster dev`` loads (through ``definitions.py`` and ``workspace.yaml``);
``build_defs`` builds the same thing with another start date or output root (the CLI and the
Component use it).
"""

from collections.abc import Sequence
from datetime import date
from functools import partial

import dagster as dg

from llamacloud_etl.agent_state import AgentState, agents_or_none, state_path
from llamacloud_etl.defs.agents import AgentStateLoader
from llamacloud_etl.defs.assets import build_landing_assets, extraction_api
from llamacloud_etl.defs.partitions import daily_partitions
from llamacloud_etl.defs.resources import LlamaCloudResource, ParquetStoreResource
from llamacloud_etl.defs.schedules import build_daily_schedule
from llamacloud_etl.defs.sensors import build_completion_sensor
from llamacloud_etl.run import Agent
from llamacloud_etl.settings import API_KEY_ENV, ApiSettings, Settings
from llamacloud_etl.sources import check_api_version

JOB_NAME = "land_llamacloud"


def build_defs(
    *,
    start_date: str | date | None = None,
    output: str | None = None,
    llamacloud: LlamaCloudResource | None = None,
    agents: Sequence[str] | None = None,
    lookback: int | None = None,
    schedule: bool = True,
    api_version: str | None = None,
    state_dir: str | None = None,
    agent_assets: Sequence[Agent] | None = None,
    max_partitions_per_run: int | None = None,
) -> dg.Definitions:
    """Build the definitions: landing assets, their job, the daily schedule and the completion sensor.

    The landing has one asset per agent of the cached agent list (``<state_dir>/agents.json``,
    written by ``llamacloud-etl agents refresh``); without the list, only the aggregate assets.
    Loading never calls the API.

    Args:
        start_date: first daily partition (default env ``LLAMACLOUD_ETL_START_DATE``, else 2025-01-01).
        output: dataset root, a local path or fsspec URL (default env ``LLAMACLOUD_ETL_OUTPUT``,
            else ``./llamacloud_data``).
        llamacloud: the API resource (default: key from env ``LLAMA_CLOUD_API_KEY``, base URL from
            ``LLAMA_CLOUD_BASE_URL``, project/organization from ``LLAMA_CLOUD_PROJECT_ID`` /
            ``LLAMA_CLOUD_ORGANIZATION_ID``; ``agents`` and ``api_version`` below).
        agents: agent names or IDs the sensor watches, the default resource lets the landing see
            and the per-agent assets cover; None for env ``LLAMACLOUD_ETL_AGENTS`` (read by the
            landing's run config too), empty for every agent.
        lookback: days before today the schedule and sensor look at again (default env
            ``LLAMACLOUD_ETL_LOOKBACK_DAYS``, else 3).
        schedule: whether to include the daily schedule (the completion sensor is always there).
        api_version: API version of the default resource: ``v1``, ``v2`` or ``both`` (default env
            ``LLAMACLOUD_ETL_API_VERSION``, else ``both``).
        state_dir: where the cached agent list is (default env ``LLAMACLOUD_ETL_STATE_DIR``, else
            ``.llamacloud_etl``).
        agent_assets: the agents to give an asset each, instead of the cached list (the demo, tests).
        max_partitions_per_run: days per Dagster run of a backfill (``BackfillPolicy.multi_run``);
            0 for one run per backfill (``single_run``). Default env
            ``LLAMACLOUD_ETL_MAX_PARTITIONS_PER_RUN``, else 0. Runs of one backfill own disjoint
            days and may run at once (see ``llamacloud_etl.defs.assets.POOL``).

    Raises:
        ConfigurationError: an unknown ``api_version``.

    Examples:
        >>> defs = build_defs(start_date="2026-09-01", output="/tmp/lake")
        >>> defs.resolve_job_def(JOB_NAME).name
        'land_llamacloud'
    """
    settings = Settings.from_env()
    api_version = check_api_version(api_version or settings.api_version)
    chosen = list(settings.agents if agents is None else agents)
    build = partial(
        _build,
        start_date=start_date,
        output=output,
        llamacloud=llamacloud,
        agents=chosen,
        lookback=lookback,
        schedule=schedule,
        api_version=api_version,
        max_partitions_per_run=(
            settings.max_partitions_per_run if max_partitions_per_run is None else max_partitions_per_run
        ),
    )
    given = agents_or_none(agent_assets)
    if given is not None:
        return build(given)
    return AgentStateLoader(state_path(state_dir or settings.state_dir), build).build_defs()


def _build(
    state: AgentState | None,
    *,
    start_date: str | date | None,
    output: str | None,
    llamacloud: LlamaCloudResource | None,
    agents: list[str],
    lookback: int | None,
    schedule: bool,
    api_version: str,
    max_partitions_per_run: int,
) -> dg.Definitions:
    """The definitions, with one asset per agent of ``state`` that ``agents`` selects."""
    settings, api = Settings.from_env(), ApiSettings.from_env()
    partitions = daily_partitions(start_date)
    landing = build_landing_assets(
        partitions,
        state.select(tuple(agents)) if state else (),
        max_partitions_per_run=max_partitions_per_run,
    )
    job = dg.define_asset_job(JOB_NAME, selection=[landing])
    resource = llamacloud or LlamaCloudResource(
        # An EnvVar when the variable is set, so Dagster shows the dependency; otherwise the landing
        # reads the variable when it starts and fails with its own message if it is still unset.
        api_key=dg.EnvVar(API_KEY_ENV) if api.api_key else "",
        project_id=api.project_id,
        organization_id=api.organization_id,
        agents=agents,
        api_version=api_version,
    )
    return dg.Definitions(
        assets=[extraction_api, landing],
        jobs=[job],
        schedules=[build_daily_schedule(job, partitions, lookback=lookback)] if schedule else [],
        sensors=[build_completion_sensor(job, partitions, agents=agents or None, lookback=lookback)],
        resources={
            "llamacloud": resource,
            "parquet": ParquetStoreResource(root=output or settings.output),
        },
    )


defs = build_defs()
