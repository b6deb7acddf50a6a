"""Benchmark 8, multi_run: a backfill as concurrent Dagster runs gives the tables one run gives.

A 10,000-run history (six weeks, four agents, 20 ms latency) is backfilled twice: once as ``RUNS``
Dagster runs over disjoint day ranges into one root, and once as one run into another root. The
ranges are Dagster's own: its multi-run chunking of the backfill (``BackfillPolicy.multi_run`` with
``max_partitions_per_run`` = ceil(days / 4)), as a backfill launched from the UI is cut. The runs
start at once, each in a spawned process of its own (as on its own machine; Dagster's in-process
execution is not thread-safe), after they have all imported everything; the wall time is from their
start to the last one's end. Each run lands with the resource's default processes (one per core),
as a deployed run would.

This is a correctness benchmark with timings, not a speed goal. Once all runs have finished, the
two roots are compared with DuckDB, every table (:mod:`benchmarks._tables`): ``runs`` by ``run_id``
and every column but ``fetched_at``, ``field_metadata`` and the per-agent tables by every column
(``_row_id`` and values); the split root's duplicate ``_row_id`` are counted (must be 0), and so are
the distinct schemas of each table folder's files (must be 1 each). The verdicts are the row's
``check`` lines; the ratio line is the wall time of one run over that of the concurrent runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks._harness import Measurement, attempt, dataset, emulator
from benchmarks._tables import compare_roots
from llamacloud_etl.emulator import DEFAULT_DAYS

BENCHMARK = "multi_run"
FULL_RUNS = 10_000
QUICK_RUNS = 120
QUICK_DAYS = 4
RUNS = 4
SPLIT = f"ours: {RUNS} concurrent Dagster runs"
WHOLE = "ours: one Dagster run"


def run(*, num_runs: int, latency_ms: float, workdir: Path, days: int = DEFAULT_DAYS) -> list[Measurement]:
    """Backfill ``num_runs`` runs over ``days`` days as :data:`RUNS` concurrent runs and as one; compare."""
    data = dataset(num_runs, days)
    folder = workdir / BENCHMARK
    roots = {name: folder / name for name in ("split", "whole")}
    with emulator(data, latency_ms=latency_ms) as url:
        common = {"base_url": url, "start": data.start.isoformat(), "days": data.days}
        split = attempt(
            BENCHMARK,
            SPLIT,
            "benchmarks.contenders.scale:concurrent_runs",
            {**common, "output": str(roots["split"]), "runs": RUNS},
        )
        whole = attempt(
            BENCHMARK, WHOLE, "benchmarks.contenders.e2e:ours", {**common, "output": str(roots["whole"])}
        )
    if split.status == whole.status == "ok":
        comparison = compare_roots(roots["split"], roots["whole"])
        split.info["checks"] = {
            "same rows as one run": comparison.same_rows,
            "no duplicate _row_id": comparison.duplicates == 0,
            "one schema per table folder": set(comparison.schemas_per_folder.values()) == {1},
        }
        split.info["tables"] = [vars(t) for t in comparison.tables]
        split.info["duplicate_row_ids"] = comparison.duplicate_row_ids
        split.info["schemas_per_folder"] = comparison.schemas_per_folder
        ranges = ", ".join(
            f"{r['first']}..{r['last']} {r['seconds']:.1f}s" for r in split.info["dagster_runs"]
        )
        last = split.info["seconds_to_last_result"]
        split.note = f"{comparison.summary()}; runs: {ranges}; last run returned after {last:.1f}s"
    # A timing for reference, not a goal: no target.
    whole.ratio_of = f"seconds of {{row}} / {SPLIT} (wall)"
    if split.status == whole.status == "ok" and split.seconds > 0:
        whole.ratio = whole.seconds / split.seconds
    shutil.rmtree(folder, ignore_errors=True)
    return [split, whole]
