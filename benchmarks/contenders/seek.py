"""Seek contender: one week of a long history landed with :func:`land_days` into a fresh root.

The listing is what differs between an old and a new week (the v1 list is newest first, with no
date filter; the v2 list filters by date on the server), so the landing is called directly, in one
process, without Dagster's fixed cost per partition; the requests it sent are read from the source
after timing.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from benchmarks._child import Probe


def land_week(
    probe: Probe, *, base_url: str, output: str, first: str, last: str, api_version: str = "v1"
) -> dict[str, Any]:
    """``land_days`` over ``first``..``last`` (ISO dates) from ``api_version``'s source, in one process."""
    from llamacloud_etl.landing import land_days
    from llamacloud_etl.settings import ApiSettings
    from llamacloud_etl.sources import open_source
    from llamacloud_etl.storage import ParquetStore

    settings = ApiSettings(api_key=os.environ["LLAMA_CLOUD_API_KEY"], base_url=base_url)
    with open_source(settings, api_version) as source:
        store = ParquetStore(output)
        with probe.timed():
            report = land_days(source, store, date.fromisoformat(first), date.fromisoformat(last))
        requests = source.requests + report.api_requests
    agents = max(1, len(report.agents))
    return {
        "runs": report.fetched,
        "success": report.success,
        "listed": report.listed,
        "agents": agents,
        "requests": requests,
        "requests_per_agent": requests / agents,
    }
