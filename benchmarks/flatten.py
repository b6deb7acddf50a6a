"""Benchmark 2, flatten: parsed runs -> tables, ours (``flatten_batch``) against ``pandas.json_normalize``."""

from __future__ import annotations

from pathlib import Path

from benchmarks._harness import Measurement, attempt, compare_rate, dataset
from benchmarks.contenders.flatten import agent_names_of, write_runs_jsonl

FULL_RUNS = 10_000
QUICK_RUNS = 120
TARGET = 3.0
OURS = "ours: flatten_batch per day"
PANDAS = "pandas.json_normalize per day"


def run(*, num_runs: int, workdir: Path) -> list[Measurement]:
    """Flatten the payloads of a ``num_runs`` data set with each contender; ours is compared with pandas."""
    data = dataset(num_runs)
    runs_path = write_runs_jsonl((data.body(r["id"]) for r in data.runs), workdir / "flatten-runs.jsonl")
    params = {"runs_path": runs_path, "agent_names": agent_names_of(data.agents)}
    ours = attempt("flatten", OURS, "benchmarks.contenders.flatten:ours", params)
    pandas = attempt("flatten", PANDAS, "benchmarks.contenders.flatten:pandas_json_normalize", params)
    compare_rate(ours, pandas, TARGET)
    for measurement in (ours, pandas):
        batches = measurement.info.get("batches")
        if batches:
            measurement.note = f"{batches} day batches; inputs parsed before timing"
    return [ours, pandas]
