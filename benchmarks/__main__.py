"""``python -m benchmarks``: run the benchmarks, print the table, write ``benchmarks/results/latest.json``."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import e2e, e2e_v2, fetch, flatten, memory, multi_run, one_agent, seek
from benchmarks._harness import REPO_ROOT, Measurement
from benchmarks._report import print_table, summary, write_summary
from llamacloud_etl.emulator import DEFAULT_DAYS

BENCHMARKS = ("fetch", "flatten", "e2e", "seek", "seek_v2", "e2e_v2", "one_agent", "multi_run", "memory")
LATENCY_MS = 20.0
"""The emulator's latency per request unless ``--latency-ms`` or the benchmark says otherwise."""
OWN_LATENCY_MS = {"one_agent": one_agent.LATENCY_MS}
DEFAULT_OUTPUT = REPO_ROOT / "benchmarks" / "results" / "latest.json"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; see ``--help``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Speed and peak memory of llamacloud-etl against its baselines, "
        "on the emulator over loopback.",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        help="run only this benchmark (repeatable); default: all of them",
    )
    parser.add_argument(
        "--runs",
        type=_positive,
        help="data-set size for every selected benchmark, instead of 2,000 (fetch) / 10,000 (flatten, e2e, "
        "e2e_v2, one_agent, multi_run) / 20,000 (seek, seek_v2) / 200,000 (memory: the long backfill; "
        "see benchmarks/memory.py)",
    )
    parser.add_argument(
        "--small-runs",
        type=_positive,
        help="e2e: the smaller data set ours is also run on to compare peak memory (default 1,000, "
        "or a tenth of --runs)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: a smoke run whose figures mean nothing"
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        help="emulator latency per request for every selected benchmark (default 20; one_agent 0, see why "
        "in its docs)",
    )
    parser.add_argument(
        "--naive-max-runs",
        type=_positive,
        help="e2e: stop the naive SDK script after this many runs and extrapolate its rate",
    )
    parser.add_argument(
        "--repeat",
        type=_positive,
        help="e2e, seek, seek_v2, e2e_v2: run ours (and both dlt setups) this many times, in rounds, and "
        "keep each one's median (the naive script runs once); 3 or 5 on a shared machine. Default 1, "
        f"but {e2e_v2.REPEAT} for e2e_v2 and {one_agent.REPEAT} for one_agent (1 with --quick)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON summary")
    return parser.parse_args(argv)


def _repeat(args: argparse.Namespace, benchmark: str) -> int:
    """How many rounds ``benchmark`` runs: ``--repeat``, else 1 (e2e_v2, one_agent: their own default, 1
    with --quick)."""
    if args.repeat:
        return int(args.repeat)
    own = {"e2e_v2": e2e_v2.REPEAT, "one_agent": one_agent.REPEAT}
    return own.get(benchmark, 1) if not args.quick else 1


def _latency(args: argparse.Namespace, benchmark: str) -> float:
    """The emulator's latency for ``benchmark``: ``--latency-ms``, else its own, else :data:`LATENCY_MS`."""
    if args.latency_ms is not None:
        return float(args.latency_ms)
    return OWN_LATENCY_MS.get(benchmark, LATENCY_MS)


def _measure(
    args: argparse.Namespace, selected: Sequence[str], sizes: dict[str, int], small: int, workdir: Path
) -> list[Measurement]:
    """Run each selected benchmark in turn; their rows, in order."""
    results: list[Measurement] = []
    if "fetch" in selected:
        results += fetch.run(num_runs=sizes["fetch"], latency_ms=_latency(args, "fetch"), workdir=workdir)
    if "flatten" in selected:
        results += flatten.run(num_runs=sizes["flatten"], workdir=workdir)
    if "e2e" in selected:
        results += e2e.run(
            num_runs=sizes["e2e"],
            small_runs=small,
            latency_ms=_latency(args, "e2e"),
            workdir=workdir,
            naive_max_runs=args.naive_max_runs,
            days=e2e.QUICK_DAYS if args.quick else DEFAULT_DAYS,
            repeat=_repeat(args, "e2e"),
        )
    for version, name in seek.BENCHMARK.items():
        if name in selected:
            results += seek.run(
                num_runs=sizes[name],
                latency_ms=_latency(args, name),
                workdir=workdir,
                days=seek.QUICK_DAYS if args.quick else seek.DAYS,
                repeat=_repeat(args, name),
                api_version=version,
            )
    if "e2e_v2" in selected:
        results += e2e_v2.run(
            num_runs=sizes["e2e_v2"],
            latency_ms=_latency(args, "e2e_v2"),
            workdir=workdir,
            days=e2e_v2.QUICK_DAYS if args.quick else DEFAULT_DAYS,
            repeat=_repeat(args, "e2e_v2"),
        )
    if "one_agent" in selected:
        results += one_agent.run(
            num_runs=sizes["one_agent"],
            latency_ms=_latency(args, "one_agent"),
            workdir=workdir,
            days=one_agent.QUICK_DAYS if args.quick else DEFAULT_DAYS,
            repeat=_repeat(args, "one_agent"),
        )
    if "multi_run" in selected:
        results += multi_run.run(
            num_runs=sizes["multi_run"],
            latency_ms=_latency(args, "multi_run"),
            workdir=workdir,
            days=multi_run.QUICK_DAYS if args.quick else DEFAULT_DAYS,
        )
    if "memory" in selected:
        results += memory.run(num_runs=sizes["memory"], workdir=workdir)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected benchmarks; exit 1 when a contender failed (targets missed do not fail)."""
    args = parse_args(argv)
    selected = [b for b in BENCHMARKS if not args.only or b in args.only]
    sizes = {
        "fetch": args.runs or (fetch.QUICK_RUNS if args.quick else fetch.FULL_RUNS),
        "flatten": args.runs or (flatten.QUICK_RUNS if args.quick else flatten.FULL_RUNS),
        "e2e": args.runs or (e2e.QUICK_RUNS if args.quick else e2e.FULL_RUNS),
        "seek": args.runs or (seek.QUICK_RUNS if args.quick else seek.FULL_RUNS),
        "seek_v2": args.runs or (seek.QUICK_RUNS if args.quick else seek.FULL_RUNS),
        "e2e_v2": args.runs or (e2e_v2.QUICK_RUNS if args.quick else e2e_v2.FULL_RUNS),
        "one_agent": args.runs or (one_agent.QUICK_RUNS if args.quick else one_agent.FULL_RUNS),
        "multi_run": args.runs or (multi_run.QUICK_RUNS if args.quick else multi_run.FULL_RUNS),
        "memory": args.runs or (memory.QUICK_RUNS if args.quick else memory.FULL_RUNS),
    }
    small = args.small_runs or (
        max(1, args.runs // 10) if args.runs else (e2e.QUICK_SMALL_RUNS if args.quick else e2e.SMALL_RUNS)
    )
    settings = {
        "selected": selected,
        "sizes": {b: sizes[b] for b in selected},
        "e2e_small_runs": small if "e2e" in selected else None,
        "latency_ms": {b: _latency(args, b) for b in selected},
        "quick": args.quick,
        "naive_max_runs": args.naive_max_runs,
        "e2e_repeat": _repeat(args, "e2e"),
        "e2e_v2_repeat": _repeat(args, "e2e_v2") if "e2e_v2" in selected else None,
        "one_agent_repeat": _repeat(args, "one_agent") if "one_agent" in selected else None,
        "seek_days": seek.QUICK_DAYS if args.quick else seek.DAYS,
        "emulator": "threaded loopback HTTP server in the parent process; "
        "each contender in a fresh subprocess",
    }
    quick = " [--quick: figures are not meaningful]" if args.quick else ""
    listing = ", ".join(f"{b} ({sizes[b]:,} runs, {_latency(args, b):g} ms)" for b in selected)
    print(f"benchmarks {listing} (emulator latency per request){quick}", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="llamacloud-bench-") as tmp:
        results = _measure(args, selected, sizes, small, Path(tmp))
    elapsed = time.perf_counter() - started
    print()
    print_table(results)
    settings["elapsed_seconds"] = round(elapsed, 1)
    write_summary(args.output, summary(results, settings))
    print(f"\n{len(results)} measurements in {elapsed:.0f} s; summary written to {args.output}")
    return 1 if any(m.status == "failed" for m in results) else 0


if __name__ == "__main__":
    sys.exit(main())
