"""Benchmark 7, one_agent: one agent's history lands about as fast per core as four equal agents' does.

One agent holding every run of a 10,000-run history (the emulator's data set with all runs given to
the Invoices agent: the heaviest shape, with nested arrays and a schema that grows partway) is landed
end to end by :func:`land_days` (list, flatten, write Parquet; no Dagster) with ``processes`` 1 and
2, the settings given so that the worker can start. With one listing and two processes, the agent's
range is cut into two contiguous day slices, each landed in its own process. For reference, the same
number of runs shared equally between the four agents is landed the same two ways: the speedup
one agent should match ("about as fast per core as four equal agents").

Latency: 0 ms by default. The claim is about cores: at 20 ms, one process of one agent waits on one
sequence of listing pages, and two slices halve that wait too, so the speedup would count latency
that threads in one process could also overlap. At 0 ms what two processes gain is CPU alone.
``--latency-ms`` overrides it.

Each setup runs ``repeat`` rounds (3 by default) of 1 and 2 processes, each round swapping which goes
first; each keeps its median. The emulator serves from the parent process, so it never shares a
GIL with the landing.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from benchmarks._harness import Measurement, attempt, compare_rate, emulator, median_of
from llamacloud_etl.emulator import DEFAULT_DAYS, DEFAULT_START, build_dataset
from llamacloud_etl.emulator.agents import AGENT_SPECS

BENCHMARK = "one_agent"
FULL_RUNS = 10_000
QUICK_RUNS = 120
QUICK_DAYS = 3
REPEAT = 3
LATENCY_MS = 0.0
TARGET = 1.7
PROCESSES = (1, 2)
ONE_AGENT = AGENT_SPECS[0]
SETUPS: dict[str, Mapping[str, float]] = {
    f"one agent ({ONE_AGENT.name})": {ONE_AGENT.id: 1.0},
    "four equal agents": {spec.id: 1.0 for spec in AGENT_SPECS},
}
"""Each setup's ``agent_weights`` for the data set; the first is measured, the second a reference."""


def contender(setup: str, processes: int) -> str:
    """A row's name."""
    return f"ours: land_days, {setup}, {processes} process{'es' if processes > 1 else ''}"


def run(
    *, num_runs: int, latency_ms: float, workdir: Path, days: int = DEFAULT_DAYS, repeat: int = REPEAT
) -> list[Measurement]:
    """Land ``num_runs`` runs over ``days`` days for each setup with 1 and 2 processes, ``repeat`` rounds.

    The 1-process row of each setup carries the speedup (runs/s with 2 processes / with 1); the one
    agent's has the floor :data:`TARGET`, the four agents' none (the reference).
    """
    rows: list[Measurement] = []
    for n, (setup, weights) in enumerate(SETUPS.items()):
        # Built per setup and dropped after it: the parent holds one 10,000-run data set at a time.
        data = build_dataset(num_runs, start=DEFAULT_START, days=days, agent_weights=weights)
        agents = sorted(a["name"] for a in data.agents if a["id"] in weights)
        measured: dict[int, list[Measurement]] = {p: [] for p in PROCESSES}
        folder = workdir / BENCHMARK
        with emulator(data, latency_ms=latency_ms) as url:
            for i in range(repeat):
                for processes in PROCESSES if i % 2 == 0 else PROCESSES[::-1]:
                    params = {
                        "base_url": url,
                        "output": str(folder / f"{n}-{processes}-{i}"),
                        "first": data.start.isoformat(),
                        "last": (data.start + timedelta(days=data.days - 1)).isoformat(),
                        "processes": processes,
                        "agents": agents,
                    }
                    name = contender(setup, processes)
                    measured[processes].append(
                        attempt(BENCHMARK, name, "benchmarks.contenders.scale:land_agents", params)
                    )
                shutil.rmtree(folder, ignore_errors=True)
        del data
        single, double = median_of(measured[1]), median_of(measured[2])
        compare_rate(double, single, TARGET)
        if n > 0:
            single.target = None  # the reference: its speedup is printed, not judged
        rows += [double, single]
    return rows
