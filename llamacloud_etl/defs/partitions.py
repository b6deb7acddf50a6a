"""The daily partitions: one per UTC day of run ``created_at``."""

import os
from datetime import date

import dagster as dg

DEFAULT_START_DATE = "2025-01-01"
START_DATE_ENV = "LLAMACLOUD_ETL_START_DATE"


def daily_partitions(start_date: str | date | None = None) -> dg.DailyPartitionsDefinition:
    """Daily partitions in UTC from ``start_date`` (env ``LLAMACLOUD_ETL_START_DATE``) up to today.

    ``end_offset=1`` makes today a partition too: runs created today land the same day, and the
    schedule's lookback lands them again once the day is complete.
    """
    start = start_date or os.environ.get(START_DATE_ENV) or DEFAULT_START_DATE
    return dg.DailyPartitionsDefinition(start_date=str(start), timezone="UTC", end_offset=1)
