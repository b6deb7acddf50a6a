"""Benchmark 3, e2e: a whole backfill landed as Parquet: ours through Dagster, a naive SDK script, dlt."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from benchmarks._harness import (
    Measurement,
    attempt,
    compare_memory,
    compare_rate,
    dataset,
    emulator,
    median_of,
    skipped,
)
from llamacloud_etl.emulator import DEFAULT_DAYS

FULL_RUNS = 10_000
SMALL_RUNS = 1_000
QUICK_RUNS = 80
QUICK_SMALL_RUNS = 20
# --quick spreads its runs over a few days: Dagster's cost per daily partition would dominate otherwise.
QUICK_DAYS = 3
TARGET_NAIVE = 10.0
TARGET_DLT = 5.0
MEMORY_CEILING = 1.5
OURS = "ours: Dagster run_range"
NAIVE = "naive SDK + pandas script"
DLT = "dlt rest_api, parallelized"
DLT_LISTING = "dlt rest_api, listing only"


def run(
    *,
    num_runs: int,
    small_runs: int,
    latency_ms: float,
    workdir: Path,
    naive_max_runs: int | None = None,
    days: int = DEFAULT_DAYS,
    repeat: int = 1,
) -> list[Measurement]:
    """Backfill a ``num_runs`` history of ``days`` days with each contender, then ours on ``small_runs``.

    With ``repeat`` above 1, ours and both dlt setups run that many times, in rounds (ours, dlt,
    dlt listing; again), each time into empty folders, and each keeps its median run: figures on a
    shared machine move by 10-20% from run to run, and rounds expose every contender to the same
    slow and fast spells. The naive script (about four minutes) runs once.
    """
    data = dataset(num_runs, days)
    params = {"start": data.start.isoformat(), "days": data.days}
    has_dlt = importlib.util.find_spec("dlt") is not None
    ours_runs: list[Measurement] = []
    dlt_runs: list[Measurement] = []
    listing_runs: list[Measurement] = []
    with emulator(data, latency_ms=latency_ms) as url:
        for i in range(repeat):
            ours_runs.append(
                attempt(
                    "e2e",
                    OURS,
                    "benchmarks.contenders.e2e:ours",
                    {**params, **_out(workdir, f"ours-{i}", url)},
                )
            )
            if i == 0:
                naive = attempt(
                    "e2e",
                    NAIVE,
                    "benchmarks.contenders.e2e:naive_sdk",
                    {**_out(workdir, "naive", url), "max_runs": naive_max_runs},
                )
            if has_dlt:
                dlt_runs.append(_dlt(workdir, url, DLT, "dlt_rest_api", i))
                listing_runs.append(_dlt(workdir, url, DLT_LISTING, "dlt_rest_api_listing", i))
            shutil.rmtree(workdir / "e2e", ignore_errors=True)
    if naive_max_runs is not None and naive.status == "ok":
        naive.extrapolated = True
        naive.note = f"measured on {naive.runs} SUCCESS runs (the newest of each agent); rate extrapolated"
    ours = median_of(ours_runs)
    if has_dlt:
        dlt, dlt_listing = median_of(dlt_runs), median_of(listing_runs)
    else:
        why = "dlt is not installed (pip install -e '.[bench]')"
        dlt, dlt_listing = skipped("e2e", DLT, why), skipped("e2e", DLT_LISTING, why)
    small_data = dataset(small_runs, days)
    with emulator(small_data, latency_ms=latency_ms) as url:
        small = attempt(
            "e2e",
            f"ours at {small_runs:,} runs (memory)",
            "benchmarks.contenders.e2e:ours",
            {
                "start": small_data.start.isoformat(),
                "days": small_data.days,
                **_out(workdir, "ours-small", url),
            },
        )
    compare_rate(ours, naive, TARGET_NAIVE)
    compare_rate(ours, dlt, TARGET_DLT)
    compare_rate(ours, dlt_listing, TARGET_DLT)
    compare_memory(ours, small, MEMORY_CEILING)
    shutil.rmtree(workdir / "e2e", ignore_errors=True)
    return [ours, naive, dlt, dlt_listing, small]


def _dlt(workdir: Path, url: str, contender: str, function: str, repeat: int) -> Measurement:
    dlt_dir = workdir / "e2e" / f"{function}-{repeat}-home"
    measured = attempt(
        "e2e",
        contender,
        f"benchmarks.contenders.e2e:{function}",
        {**_out(workdir, f"{function}-{repeat}", url), "pipelines_dir": str(dlt_dir / "pipelines")},
        # Keep dlt's state, config lookups and telemetry switch local to this run.
        env={"DLT_DATA_DIR": str(dlt_dir / "data"), "RUNTIME__DLTHUB_TELEMETRY": "false"},
    )
    steps = measured.info.get("step_seconds") or {}
    if steps:
        measured.note = ", ".join(f"{k} {v:.1f}s" for k, v in steps.items() if k != "run")
    return measured


def _out(workdir: Path, name: str, url: str) -> dict[str, str]:
    return {"base_url": url, "output": str(workdir / "e2e" / name)}
