"""Benchmark 1, fetch: every run of a data set by id, ours (concurrent) against the official SDK (serial)."""

from __future__ import annotations

from pathlib import Path

from benchmarks._harness import Measurement, attempt, compare_rate, dataset, emulator, write_ids

FULL_RUNS = 2_000
QUICK_RUNS = 60
TARGET = 10.0
OURS = "ours: LlamaCloudClient.fetch_runs"
SDK = "official SDK runs.get, serial"


def run(*, num_runs: int, latency_ms: float, workdir: Path) -> list[Measurement]:
    """Fetch every run of a ``num_runs`` data set with each contender; ours is compared with the SDK."""
    data = dataset(num_runs)
    # The ids come from the ground truth, not from listing, so only fetches are timed.
    ids_path = write_ids(workdir, "fetch-ids", [run["id"] for run in data.runs])
    with emulator(data, latency_ms=latency_ms) as url:
        params = {"base_url": url, "ids_path": ids_path}
        ours = attempt("fetch", OURS, "benchmarks.contenders.fetch:ours", params)
        sdk = attempt("fetch", SDK, "benchmarks.contenders.fetch:official_sdk", params)
    compare_rate(ours, sdk, TARGET)
    return [ours, sdk]
