"""Benchmark 7, memory: a landing's peak RSS flat with the range's length, a big day within its budget.

*Flat*: a 200,000-run backfill over 1,200 days against a 10,000-run one over 60 days (the same ~167
runs a day): the ratio of their peak RSS (goal :data:`TARGET_FLAT`). *Budget*: one day of 20,000
runs landed with a day budget of :data:`DAY_BUDGET_MB`, its peak RSS against the budget (the ratio:
what the landing added to the process's resident memory, over the budget; the interpreter and its
imports, about 100 MiB, are no part of a day). ``--runs N``
scales all three (the backfill is N runs, the short one N/20, the big day N/10, its budget in
proportion).

Each landing is :func:`land_days` in a fresh process (``processes=1``), the emulator in this one
(0 ms latency) over a *lazy* data set (:func:`build_dataset` with ``lazy=True``: plans only, each run
generated when served), so the emulator's own memory does not grow with the data set's.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from benchmarks._harness import Measurement, attempt, emulator
from llamacloud_etl.emulator import DEFAULT_START, build_dataset

FULL_RUNS = 200_000
QUICK_RUNS = 400
RUNS_PER_DAY = 10_000 / 60
SHORT_SHARE = 20
"""The short backfill holds 1/20 of the long one's runs and days."""
DAY_SHARE = 10
"""The big day holds 1/10 of the long backfill's runs."""
DAY_BUDGET_MB = 256
"""The big day's budget at full size (20,000 runs); in proportion at other sizes."""
TARGET_FLAT = 1.2
TARGET_BUDGET = 1.0


def run(*, num_runs: int, workdir: Path) -> list[Measurement]:
    """The long and the short backfill, then the big day; the ratios on the short one's and the day's rows."""
    days = max(1, round(num_runs / RUNS_PER_DAY))
    sizes = {
        "long": (num_runs, days),
        "short": (max(1, num_runs // SHORT_SHARE), max(1, days // SHORT_SHARE)),
    }
    rows = {
        name: _land(f"ours: land_days, {runs:,} runs over {d:,} days", runs, d, 512, workdir / name)
        for name, (runs, d) in sizes.items()
    }
    long, short = rows["long"], rows["short"]
    short.target, short.at_most = TARGET_FLAT, True
    short.ratio_of = f"peak RSS of {long.contender} / {{row}}"
    if long.status == short.status == "ok" and long.peak_rss_mib and short.peak_rss_mib:
        short.ratio = long.peak_rss_mib / short.peak_rss_mib
    day_runs = max(1, num_runs // DAY_SHARE)
    budget = max(1, DAY_BUDGET_MB * day_runs // (FULL_RUNS // DAY_SHARE))
    # The first of two days: the last day's runs of a history are mostly unfinished (not landed).
    name = f"ours: land_days, one day of {day_runs:,} runs"
    day = _land(name, 2 * day_runs, 2, budget, workdir / "day", landed_days=1)
    day.target, day.at_most = TARGET_BUDGET, True
    day.ratio_of = f"memory the landing of {{row}} added / its day budget of {budget:,} MB"
    work = day.work_mib
    if day.status == "ok" and day.peak_rss_mib and work is not None:
        day.ratio = work * 2**20 / (budget * 10**6)
        day.note = (
            f"peak RSS {day.peak_rss_mib:,.0f} MiB against a day budget of {budget:,} MB "
            f"({day.setup_rss_mib:,.0f} MiB before the landing, {work:,.0f} MiB added by it)"
        )
    return [long, short, day]


def _land(
    contender: str, runs: int, days: int, budget_mb: int, folder: Path, *, landed_days: int | None = None
) -> Measurement:
    """Land the first ``landed_days`` (all when None) of a lazy data set of ``runs`` over ``days`` days."""
    data = build_dataset(runs, start=DEFAULT_START, days=days, lazy=True)
    params = {
        "output": str(folder),
        "first": data.start.isoformat(),
        "last": (data.start + timedelta(days=(landed_days or days) - 1)).isoformat(),
        "day_budget_mb": budget_mb,
        "processes": 1,
    }
    with emulator(data, latency_ms=0) as url:
        measured = attempt(
            "memory",
            contender,
            "benchmarks.contenders.scale:land_agents",
            {**params, "base_url": url},
            timeout=7200.0,
        )
    shutil.rmtree(folder, ignore_errors=True)
    return measured
