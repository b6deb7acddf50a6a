"""Landing: list the runs of a range of days, flatten them, write each day.

This is the one code path behind the Dagster assets (and so behind ``demo``, ``backfill`` and
``fetch``). It knows sources, the flattener and the store, and nothing of Dagster. Where each
behaviour lives:

    land        :func:`land_days`, the entry point: checks, agents selected, one process or many
    group       one process's landing: groups of agents side by side, day by day, GC and GIL tuning
    scheduler   the listings of a group in step, handed out as complete days, newest first
    writer      one day: flatten the runs, replace the day's files, keep ``fetched_at``
    chunks      a day over its memory budget: chunks spilled to local Arrow files, then one file per table
    conform     one schema per agent table: rewrite days written before their table grew
    byid        runs fetched by ID: runs asked for by name, days landed again for late runs
    processes   agents weighed and dealt to worker processes, reports merged
    fanout      the generic worker-process pool (spawned workers, logs and progress brought back)
    quality     a day's extraction quality per agent (runs, errors, pages, tokens, confidence)
    report      per-day results and the landing report built from them
    readback    the written days read back and checked (duplicates, missing runs)
    watermark   the completion sensor's cursor and what finished since

How a range of days lands:

1. **List.** Each selected agent's runs of the range are listed once, newest first, all agents
   side by side (a v1 listing finds where the range ends by a search over ``skip``, then pages down to its
   first day). A v1 listing returns whole runs, so the listing *is* the
   fetch: each run crosses the wire once. Runs named by ID are fetched by ID instead.
2. **Cut into days.** A UTC day is complete once every agent's listing has passed below it or
   ended. Finished runs land; unfinished ones are only counted: they land when they finish (the
   schedule's lookback and the sensor re-land their day). Listings wait for the slowest one, so
   memory holds a few days of runs, whatever the range.
3. **Flatten** each complete day as a batch, unified with the schemas already on disk and those
   of the days before it, while the listings go on with the next day. A day with more runs than
   its memory budget allows (``day_budget_mb``) is handed out in chunks as it is listed, each
   flattened and spilled to local temporary files; the day's files are written once it is complete.
4. **Write** each day's tables with :meth:`ParquetStore.replace_day`, which swaps every table's
   partition for that day atomically and removes leftovers of the previous version of the day.
   Shared tables (``runs``, ``field_metadata``) hold one file per agent and day, so landing one
   agent never touches another agent's rows.
5. **Conform.** Days are written newest first, so an older schema version can grow a table after
   newer days were written; those days' files are then rewritten in the grown schema.

A listing error fails the landing: days already written stay written (each is whole), the day
being listed keeps its previous version, and nothing is half-written.
"""

from llamacloud_etl.landing.group import COLLECT_EVERY_DAYS, SWITCH_INTERVAL, LandingOptions, ProgressCallback
from llamacloud_etl.landing.land import land_days
from llamacloud_etl.landing.readback import ReadBack, Verification, read_back, verify
from llamacloud_etl.landing.report import DayResult, LandingReport
from llamacloud_etl.landing.scheduler import AHEAD_DAYS, LEAD_DAYS
from llamacloud_etl.landing.watermark import (
    MAX_PENDING,
    Completed,
    Owed,
    Watermark,
    find_completed,
    list_window,
)
from llamacloud_etl.sources.base import select_agents
from llamacloud_etl.storage import FIELD_METADATA_TABLE, RUNS_TABLE

__all__ = [
    "AHEAD_DAYS",
    "COLLECT_EVERY_DAYS",
    "FIELD_METADATA_TABLE",
    "LEAD_DAYS",
    "MAX_PENDING",
    "RUNS_TABLE",
    "SWITCH_INTERVAL",
    "Completed",
    "DayResult",
    "LandingOptions",
    "LandingReport",
    "Owed",
    "ProgressCallback",
    "ReadBack",
    "Verification",
    "Watermark",
    "find_completed",
    "land_days",
    "list_window",
    "read_back",
    "select_agents",
    "verify",
]
