"""Benchmark 6, e2e_v2: v2 jobs land end to end about as fast as v1 runs of the same extractions.

The same seeded extractions are served twice, by two emulators side by side: all as v1 runs (no
cutover) and all as v2 jobs (the cutover at the start of the history). Each is landed the way the
e2e benchmark lands ours (the Dagster job's ``run_range`` over every day, in a fresh process and an
empty root), with the resource's ``api_version`` set to the version served. The two alternate
within each round, and each round swaps which goes first, so slow and fast spells of a shared
machine fall on both; each keeps its median. The v1 row (the baseline) carries the ratio of runs
per second, v2 / v1, with a floor of :data:`TARGET`; runs are the landed runs that succeeded.
"""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from pathlib import Path

from benchmarks._harness import Measurement, attempt, compare_rate, dataset, emulator, median_of
from llamacloud_etl.emulator import DEFAULT_DAYS

BENCHMARK = "e2e_v2"
FULL_RUNS = 10_000
QUICK_RUNS = 200
QUICK_DAYS = 3
REPEAT = 3
TARGET = 0.8
VERSIONS = ("v1", "v2")
CONTENDER = {"v1": "ours: Dagster run_range, v1 runs", "v2": "ours: Dagster run_range, v2 jobs"}


def run(
    *, num_runs: int, latency_ms: float, workdir: Path, days: int = DEFAULT_DAYS, repeat: int = REPEAT
) -> list[Measurement]:
    """Land ``num_runs`` extractions over ``days`` days as v1 runs and as v2 jobs, ``repeat`` rounds."""
    measured: dict[str, list[Measurement]] = {version: [] for version in VERSIONS}
    folder = workdir / BENCHMARK
    with ExitStack() as stack:
        urls = {
            version: stack.enter_context(emulator(dataset(num_runs, days, version), latency_ms=latency_ms))
            for version in VERSIONS
        }
        data = dataset(num_runs, days, "v1")
        for i in range(repeat):
            for version in VERSIONS if i % 2 == 0 else VERSIONS[::-1]:
                params = {
                    "base_url": urls[version],
                    "output": str(folder / f"{version}-{i}"),
                    "start": data.start.isoformat(),
                    "days": data.days,
                    "api_version": version,
                }
                measured[version].append(
                    attempt(BENCHMARK, CONTENDER[version], "benchmarks.contenders.e2e:ours", params)
                )
            shutil.rmtree(folder, ignore_errors=True)
    v1, v2 = median_of(measured["v1"]), median_of(measured["v2"])
    compare_rate(v2, v1, TARGET)
    for row in (v1, v2):
        _note_counts(row)
    return [v2, v1]


def _note_counts(row: Measurement) -> None:
    """Say how many runs landed in all, beside the succeeded ones the rate counts."""
    landed = row.info.get("runs_landed")
    if row.status == "ok" and landed is not None:
        counts = f"{row.runs:,} succeeded of {landed:,} landed"
        row.note = "; ".join(part for part in (counts, row.note) if part)
