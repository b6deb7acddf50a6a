"""Memory contender: a range of days landed with :func:`land_days` in one process, for its peak RSS.

One process (``processes=1``), the emulator in another (the benchmark's parent), so the peak resident
set is the landing's alone.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from benchmarks._child import Probe


def land_range(
    probe: Probe, *, base_url: str, output: str, first: str, last: str, day_budget_mb: int
) -> dict[str, Any]:
    """``land_days`` over ``first``..``last`` (ISO dates) with a day budget of ``day_budget_mb``."""
    from llamacloud_etl.landing import land_days
    from llamacloud_etl.settings import ApiSettings
    from llamacloud_etl.sources import open_source
    from llamacloud_etl.storage import ParquetStore

    settings = ApiSettings(api_key=os.environ["LLAMA_CLOUD_API_KEY"], base_url=base_url)
    with open_source(settings, "v1") as source:
        store = ParquetStore(output)
        with probe.timed():
            report = land_days(
                source,
                store,
                date.fromisoformat(first),
                date.fromisoformat(last),
                processes=1,
                day_budget_mb=day_budget_mb,
            )
    return {
        "runs": report.fetched,
        "success": report.success,
        "listed": report.listed,
        "days": len(report.days),
        "day_budget_mb": day_budget_mb,
    }
