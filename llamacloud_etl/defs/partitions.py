"""The daily partitions: one per UTC day of run ``created_at``."""

from datetime import date

import dagster as dg

from llamacloud_etl.settings import Settings


def daily_partitions(start_date: str | date | None = None) -> dg.DailyPartitionsDefinition:
    """Daily partitions in UTC from ``start_date`` (env ``LLAMACLOUD_ETL_START_DATE``) up to today.

    ``end_offset=1`` makes today a partition too: runs created today land the same day, and the
    schedule's lookback lands them again once the day is complete.
    """
    start = start_date or Settings.from_env().start_date
    return dg.DailyPartitionsDefinition(start_date=str(start), timezone="UTC", end_offset=1)
