"""The Dagster Component: ``dg`` projects add the connector with a ``defs.yaml``.

.. code-block:: yaml

    type: llamacloud_etl.defs.component.LlamaCloudComponent
    attributes:
      agents: [Invoices, Contracts]
      api_version: v1
      output: s3://lake/llamacloud
      start_date: "2025-01-01"
      lookback_days: 3
      schedule: true
      max_partitions_per_run: 30   # a backfill as runs of 30 days each; 0 (default): one run

Every attribute is optional and falls back to the environment like :func:`build_defs` does; the
API key is always read from env ``LLAMA_CLOUD_API_KEY`` at launch, never from the YAML. The
package registers this module under the ``dagster_dg_cli.registry_modules`` entry point, so
``dg list components`` shows the component.

No ``from __future__ import annotations`` here: Dagster reads these annotations at runtime.
"""

from datetime import date
from typing import Annotated

import dagster as dg
from pydantic import Field, field_validator

from llamacloud_etl.defs import build_defs
from llamacloud_etl.settings import (
    AGENTS_ENV,
    API_VERSION_ENV,
    DEFAULT_API_VERSION,
    LOOKBACK_ENV,
    MAX_PARTITIONS_PER_RUN_ENV,
    OUTPUT_ENV,
    START_DATE_ENV,
)
from llamacloud_etl.sources import API_VERSIONS, check_api_version


class LlamaCloudComponent(dg.Component, dg.Resolvable, dg.Model):
    """Lands LlamaCloud extraction runs as daily Parquet partitions: assets, job, schedule, sensor.

    Examples:
        >>> component = LlamaCloudComponent(output="/tmp/lake", start_date="2026-09-01", schedule=False)
        >>> defs = dg.build_defs_for_component(component)
        >>> [s.name for s in defs.schedules or []], [s.name for s in defs.sensors or []]
        ([], ['llamacloud_completed_runs'])
    """

    agents: Annotated[
        list[str] | None,
        dg.Resolver.default(
            description="Agent names or IDs to land and watch; [] for every agent of the project. "
            f"Unset: the comma-separated env {AGENTS_ENV}, else every agent.",
            examples=[["Invoices", "Contracts"]],
        ),
    ] = None
    api_version: Annotated[
        str | None,
        dg.Resolver.default(
            description=f"LlamaCloud API version to read: one of {', '.join(API_VERSIONS)}. "
            f"Unset: env {API_VERSION_ENV}, else {DEFAULT_API_VERSION}.",
            examples=list(API_VERSIONS),
        ),
    ] = None
    output: Annotated[
        str | None,
        dg.Resolver.default(
            description="Dataset root: a local path or an fsspec URL such as s3://bucket/prefix. "
            f"Unset: env {OUTPUT_ENV}, else ./llamacloud_data.",
            examples=["s3://lake/llamacloud"],
        ),
    ] = None
    start_date: Annotated[
        str | None,
        dg.Resolver.default(
            description=f"First daily partition, YYYY-MM-DD. Unset: env {START_DATE_ENV}, else 2025-01-01.",
            examples=["2025-01-01"],
        ),
    ] = None
    lookback_days: Annotated[
        int | None,
        dg.Resolver.default(
            description="Days before today that the schedule and the sensor land again. "
            f"Unset: env {LOOKBACK_ENV}, else 3.",
            examples=[3],
        ),
    ] = Field(default=None, ge=0)
    schedule: Annotated[
        bool,
        dg.Resolver.default(
            description="Include the daily schedule (00:15 UTC); the completion sensor is always included.",
        ),
    ] = True

    max_partitions_per_run: Annotated[
        int | None,
        dg.Resolver.default(
            description="Days per Dagster run of a backfill; 0 lands a backfill in one run. Runs of "
            f"one backfill own disjoint days and may run at once. Unset: env {MAX_PARTITIONS_PER_RUN_ENV}, "
            "else 0.",
            examples=[30],
        ),
    ] = Field(default=None, ge=0)

    @field_validator("api_version")
    @classmethod
    def _known_api_version(cls, value: str | None) -> str | None:
        return None if value is None else check_api_version(value)

    @field_validator("start_date", mode="before")
    @classmethod
    def _iso_day(cls, value: object) -> object:
        """YAML reads an unquoted 2025-01-01 as a date: take it as the day it names."""
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str):
            date.fromisoformat(value)  # a ValueError here becomes a validation error naming the field
        return value

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        """The connector's definitions with these settings (see :func:`llamacloud_etl.defs.build_defs`)."""
        return build_defs(
            start_date=self.start_date,
            output=self.output,
            agents=self.agents,
            lookback=self.lookback_days,
            schedule=self.schedule,
            api_version=self.api_version,
            max_partitions_per_run=self.max_partitions_per_run,
        )
